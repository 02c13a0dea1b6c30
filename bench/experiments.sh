#!/usr/bin/env bash
# The benchmark experiments behind the README's results tables, one `spikemed train` each.
# Run from the repository root after `npm install`; results go to runs/bench/, then
# `node dist/bench/summarize-runs.js` writes bench/results/experiments.md.
# Every run here used --threads 1 with two runs side by side (results do not depend on threads).
set -euo pipefail
MITDB=${MITDB:-../shared/data/mitdb}
CXR=${CXR:-../shared/data/cxr}
S="node dist/src/cli/main.js train"
SEARCH="node dist/src/cli/main.js search"

# The main job on a fresh machine: the embedded five-record MIT-BIH sample, default settings.
$S ecg --out runs/bench/ecg-sample-default
# ECG on full MIT-BIH with the defaults since 2026-11-23 (commit aad3a5b): 120 Hz windows from 1 s before to 1.13 s after the R peak (the
# neighbouring beats in view), dropout, and RR features against the patient's own rhythm (bench/results/ecg-inter.md).
$S ecg --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-snn-patient-rr
$S ecg --data $MITDB --split intra --schedule cosine --model cnn --out runs/bench/ecg-intra-cnn-patient-rr
$S ecg --data $MITDB --split intra --schedule cosine --model logreg --out runs/bench/ecg-intra-logreg-patient-rr
# Inter-patient (DS1 -> DS2), the honest test; class-weighted loss; validation on two whole held-out DS1 records
# (patients unseen in training), best epoch by their balanced accuracy.
$S ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --out runs/bench/ecg-inter-snn-patient-rr
# The features-only networks (no raw window: rhythm and likeness to the patient's median beat), 2026-11-23 (commit 25857ab):
$S ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model snn-features --seeds 5 --out runs/bench/ecg-inter-snn-features
$S ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model mlp-features --seeds 5 --out runs/bench/ecg-inter-mlp-features
$S ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model snn-features --balance sqrt-weights --seeds 5 --out runs/bench/ecg-inter-snn-features-sqrtw
$S ecg --data $MITDB --split intra --schedule cosine --model snn-features --out runs/bench/ecg-intra-snn-features
# 2026-11-23 (commit f8ee954): the features SNN's settings chosen by cross-validation over DS1 patients only (bench/results/ecg-search.md),
# then measured once on DS2. The searches (12, 5 and 12 minutes on one thread beside another job):
INTER="--data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model snn-features --folds 5"
$SEARCH ecg $INTER --grid lr=1e-3,3e-3 --grid epochs=10,20 --grid hidden=16,32,64 --grid time-steps=4,8 --grid balance=weights,sqrt-weights --out runs/search/inter-snn-features
$SEARCH ecg $INTER --grid beta=0.8,0.9,0.95 --grid threshold=0.5,1 --grid surrogate=arctan:2,fast-sigmoid:25,piecewise-linear:1 --seeds 2 --out runs/search/inter-snn-features-neuron
$SEARCH ecg $INTER --grid lr=1e-3,3e-3 --grid epochs=10,20 --grid time-steps=4,8 --grid threshold=0.5,1 --seeds 3 --out runs/search/inter-snn-features-stage2
$SEARCH ecg $INTER --grid model=snn-features,mlp-features --grid lr=1e-3,3e-3 --seeds 3 --out runs/search/inter-features-snn-vs-mlp
# A cap on the loss weights, from the stage-2 winner (the uncapped one won: DS2 not run again):
$SEARCH ecg $INTER --config bench/configs/ecg-snn-features-searched.json --lr 0.003 --grid max-class-weight=3,10,30,100000 --seeds 3 --jobs 2 --out runs/search/inter-snn-features-max-weight
# The stage-2 winner (its best-model.json, committed as bench/configs/ecg-snn-features-searched.json) on DS2, once:
$S ecg --config bench/configs/ecg-snn-features-searched.json --data $MITDB --split inter --validation records --schedule cosine --monitor val_balanced_accuracy --lr 0.003 --epochs 10 --seeds 5 --out runs/bench/ecg-inter-snn-features-searched
# A second look, run after the first was seen: stage 2's most accurate settings on DS1 (the shipped model, 20 epochs).
$S ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model snn-features --epochs 20 --seeds 5 --out runs/bench/ecg-inter-snn-features-search-accuracy
# 2026-11-23 (commit 08e2d00): the same searches ranked again over N, S and V only (copies of their folders, resumed: no training),
# and the F class's loss weight from the stage-2 winner. No choice changed, so DS2 was not run again.
for d in inter-snn-features inter-snn-features-neuron inter-snn-features-stage2 inter-features-snn-vs-mlp inter-snn-features-max-weight; do
  rm -rf runs/search/$d-nsv && cp -r runs/search/$d runs/search/$d-nsv
done
NSV="--objective balanced_accuracy:N,S,V --resume"
$SEARCH ecg $INTER $NSV --grid lr=1e-3,3e-3 --grid epochs=10,20 --grid hidden=16,32,64 --grid time-steps=4,8 --grid balance=weights,sqrt-weights --out runs/search/inter-snn-features-nsv
$SEARCH ecg $INTER $NSV --grid beta=0.8,0.9,0.95 --grid threshold=0.5,1 --grid surrogate=arctan:2,fast-sigmoid:25,piecewise-linear:1 --seeds 2 --out runs/search/inter-snn-features-neuron-nsv
$SEARCH ecg $INTER $NSV --grid lr=1e-3,3e-3 --grid epochs=10,20 --grid time-steps=4,8 --grid threshold=0.5,1 --seeds 3 --out runs/search/inter-snn-features-stage2-nsv
$SEARCH ecg $INTER $NSV --grid model=snn-features,mlp-features --grid lr=1e-3,3e-3 --seeds 3 --out runs/search/inter-features-snn-vs-mlp-nsv
$SEARCH ecg $INTER $NSV --config bench/configs/ecg-snn-features-searched.json --lr 0.003 --grid max-class-weight=3,10,30,100000 --seeds 3 --out runs/search/inter-snn-features-max-weight-nsv
$SEARCH ecg $INTER --config bench/configs/ecg-snn-features-searched.json --lr 0.003 --grid class-weights=none,F=5,F=1,F=0.2 --seeds 3 --objective balanced_accuracy:N,S,V --out runs/search/inter-snn-features-f-weight
# 2026-12-03 (commit 48b00a2): the QRS width and the second lead's shape measures added to the features (DS1 only; none won, DS2 not run).
for v in searched qrs qrs-2lead 2lead; do
  $SEARCH ecg $INTER --config bench/configs/ecg-snn-features-$v.json --lr 0.003 --grid hidden=32,64 --seeds 3 --objective balanced_accuracy:N,S,V --out runs/search/inter-features-set-$v
done
# Issue 28 item 2 (2026-12-07): Mondéjar-Guerra's feature families, chosen on DS1 only (bench/results/ecg-inter.md).
FAM="--data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --time-steps 4 --threads 1"
$SEARCH ecg $FAM --model snn-families --grid threshold=1 --grid features=rhythm,rr-norm,rr+rr-norm,rhythm+rr-norm,rhythm+rr-norm+template,rhythm+rr-norm+template+wavelet+hos+lbp+morph,rhythm+rr-norm+wavelet+hos+lbp+morph+lead2-wavelet+lead2-hos+lead2-lbp+lead2-morph,rhythm+rr-norm+template+wavelet+hos+lbp+morph+lead2-wavelet+lead2-hos+lead2-lbp+lead2-morph --out runs/search/families-1
$SEARCH ecg $FAM --model snn-families --grid threshold=0.5 --objective balanced_accuracy:N,S,V --grid features=rhythm+template,rhythm+rr-norm+template,rhythm+template+morph-rel,rhythm+template+wavelet-rel,rhythm+template+hos-rel+morph-rel,rhythm+template+wavelet-rel+hos-rel+lbp-rel+morph-rel --out runs/search/families-rel
$SEARCH ecg $FAM --grid threshold=0.5 --objective balanced_accuracy:N,S,V --grid model=snn-features,snn-families --grid features=rhythm+template,rhythm+rr-norm+template --seeds 3 --jobs 2 --out runs/search/families-confirm
node dist/bench/ecg-svm.js --cv --features rhythm+template
node dist/bench/ecg-svm.js --cv --features rhythm+rr-norm+template
node dist/bench/ecg-svm.js --cv --max-normal 2000
# The DS1 choice on DS2, once each:
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --seeds 5 --out runs/bench/ecg-inter-snn-families-5seeds
node dist/bench/ecg-svm.js --test --features rhythm+template
$S ecg --model mlp-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --seeds 5 --out runs/bench/ecg-inter-mlp-families-5seeds
# Its five seeds as one ensemble (2026-12-08): chosen on DS1's folds first (a search of 5 seeds, whose fold files keep their probabilities), then DS2 once.
$SEARCH ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model snn-families --lr 0.003 --threads 1 --objective balanced_accuracy:N,S,V --grid lr=0.003 --seeds 5 --out runs/search/ensemble-oof
node dist/bench/ecg-ensemble.js --search runs/search/ensemble-oof
node dist/bench/ecg-ensemble.js --runs runs/bench/ecg-inter-snn-families-5seeds
# Issue 28 item 3 (2026-12-08): adapting to the patient, each protocol its own row (bench/results/ecg-inter.md, "Adapting to the patient").
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --adapt first-minutes 5 --seeds 5 --out runs/bench/ecg-adapt-first-minutes-5
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --adapt unlabeled --seeds 5 --out runs/bench/ecg-adapt-unlabeled
# Issue 28 item 3, second round (2026-12-08): the local stages chosen on DS1's folds first (bench/results/ecg-inter.md, "Adapting to the patient: stages chosen on DS1"),
# from the out-of-fold probabilities of one search (its folds keep them) and first-minutes trainings on the same folds:
$SEARCH ecg --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --model snn-families --lr 0.003 --threads 1 --objective balanced_accuracy:N,S,V --grid lr=0.003 --seeds 1 --out runs/search/adapt-oof
node dist/bench/ecg-adapt-cv.js --search runs/search/adapt-oof
for r in 1 10 30; do node dist/bench/ecg-adapt-cv.js --search runs/search/adapt-oof --train-first-minutes $r --out runs/search/fm-r$r --prior-only; done
node dist/bench/ecg-adapt-cv.js --search runs/search/adapt-oof --train-first-minutes 30 --out runs/search/fm-r30 --local-only
node dist/bench/ecg-adapt-cv.js --search runs/search/adapt-oof --train-first-minutes 30 --class-weights F=1 --out runs/search/fm-r30-f1 --prior-only
# then DS2, once each:
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --adapt self-training --seeds 5 --threads 1 --out runs/bench/ecg-adapt-self-training
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --adapt patient-specific 5 --seeds 5 --threads 1 --out runs/bench/ecg-adapt-patient-specific-5
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --adapt local-beats 5 --seeds 5 --threads 1 --out runs/bench/ecg-adapt-local-beats-5
$S ecg --model snn-families --data $MITDB --split inter --validation records --monitor val_balanced_accuracy --schedule cosine --lr 0.003 --adapt patient-specific 5 --class-weights F=1 --seeds 5 --threads 1 --out runs/bench/ecg-adapt-patient-specific-5-f1
# 2026-12-03 (commit 48b00a2), intra-patient: the window SNN over both leads, reading all 18 measurements (bench/results/ecg-leads.md),
# and its ReLU twin with both, either and 20 epochs, to tell which part helps.
$S ecg --config bench/configs/ecg-snn-2lead-all-features.json --leads MLII,next --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-snn-2lead-all-features
$S ecg --leads MLII,next --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-snn-2lead
$S ecg --config bench/configs/ecg-cnn-2lead-all-features.json --leads MLII,next --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-cnn-2lead-all-features
$S ecg --config bench/configs/ecg-cnn-all-features.json --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-cnn-all-features
$S ecg --config bench/configs/ecg-cnn-2lead.json --leads MLII,next --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-cnn-2lead
$S ecg --config bench/configs/ecg-cnn-2lead-all-features.json --leads MLII,next --data $MITDB --split intra --schedule cosine --epochs 20 --out runs/bench/ecg-intra-cnn-2lead-all-features-20ep
# 2026-12-03 (commit 55d8904), intra-patient: finer windows over both leads (bench/results/ecg-leads.md), same 1 s before to 1.13 s after
# the R peak at 240 and 360 Hz (MIT-BIH's own rate) instead of 120; the SNN ran with --threads 2 (results do not depend on threads).
$S ecg --config bench/configs/ecg-cnn-2lead-240hz.json --sample-rate 240 --leads MLII,next --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-cnn-2lead-240hz
$S ecg --config bench/configs/ecg-cnn-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --out runs/bench/ecg-cnn-2lead-360hz
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --out runs/bench/ecg-intra-snn-2lead-360hz
# 2026-12-04 (commit 4951206): the paper's "CNN layers feeding LIF neurons" read literally (ReLU convolutions, LIF hidden layer; bench/results/ecg-leads.md).
$S ecg --config bench/configs/ecg-hybrid-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --out runs/bench/ecg-hybrid-2lead-360hz
# 2026-12-04 (commit 4ea6493): the hybrid with more steps (does the T + 1 levels bottleneck limit it?), one line per run so
# bench/summarize-runs.ts finds each command; and a second seed of the 360 Hz SNN on the same split.
$S ecg --config bench/configs/ecg-hybrid-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --time-steps 32 --out runs/bench/ecg-hybrid-2lead-360hz-t32
$S ecg --config bench/configs/ecg-hybrid-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --time-steps 64 --out runs/bench/ecg-hybrid-2lead-360hz-t64
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seed 2 --split-seed 1 --out runs/bench/ecg-intra-snn-2lead-360hz-seed2
# 2026-12-04 (commit 3d5f538): a third seed of the 360 Hz SNN on the same split (two seeds straddled the 99.0% target).
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seed 3 --split-seed 1 --out runs/bench/ecg-intra-snn-2lead-360hz-seed3
# 2026-12-05 (commit 6e2186c): the 360 Hz SNN started from its trained ReLU twin (`--init-from`: the layers share their names), then
# 3 epochs of surrogate-gradient training at a tenth of the twin's first lr; two more twins for seeds 2 and 3, each
# seed's SNN from the twin of its seed; both three-seed figures gathered over the seed folders (bench/results/ecg-leads.md).
$S ecg --config bench/configs/ecg-cnn-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seed 2 --split-seed 1 --out runs/bench/ecg-cnn-2lead-360hz-seed2
$S ecg --config bench/configs/ecg-cnn-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seed 3 --split-seed 1 --out runs/bench/ecg-cnn-2lead-360hz-seed3
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --init-from runs/bench/ecg-cnn-2lead-360hz --epochs 3 --lr 3e-4 --out runs/bench/ecg-intra-snn-from-twin
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --init-from runs/bench/ecg-cnn-2lead-360hz-seed2 --epochs 3 --lr 3e-4 --seed 2 --split-seed 1 --out runs/bench/ecg-intra-snn-from-twin-seed2
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --init-from runs/bench/ecg-cnn-2lead-360hz-seed3 --epochs 3 --lr 3e-4 --seed 3 --split-seed 1 --out runs/bench/ecg-intra-snn-from-twin-seed3
# A fourth seed (its SNN was stopped in its second epoch and finished with --resume):
$S ecg --config bench/configs/ecg-cnn-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seed 4 --split-seed 1 --out runs/bench/ecg-cnn-2lead-360hz-seed4
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --init-from runs/bench/ecg-cnn-2lead-360hz-seed4 --epochs 3 --lr 3e-4 --seed 4 --split-seed 1 --out runs/bench/ecg-intra-snn-from-twin-seed4
# Gathering (no training: every seed's folder is finished): seed-1..3 of each folder link to the runs above.
$S ecg --config bench/configs/ecg-cnn-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seeds 3 --seed 1 --split-seed 1 --resume --out runs/bench/ecg-cnn-2lead-360hz-3seeds
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --init-from runs/bench/ecg-cnn-2lead-360hz-3seeds --epochs 3 --lr 3e-4 --seeds 3 --seed 1 --split-seed 1 --resume --out runs/bench/ecg-intra-snn-from-twin-3seeds
# 2026-12-05 (commit 07e659d): the seed-4 SNN above finished with --resume; four-seed gathers (seed-1..4 link to the runs above).
$S ecg --config bench/configs/ecg-cnn-2lead-360hz.json --sample-rate 360 --leads MLII,next --data $MITDB --split intra --schedule cosine --monitor val_accuracy --seeds 4 --seed 1 --split-seed 1 --resume --out runs/bench/ecg-cnn-2lead-360hz-4seeds
$S ecg --leads MLII,next --sample-rate 360 --data $MITDB --split intra --schedule cosine --monitor val_accuracy --init-from runs/bench/ecg-cnn-2lead-360hz-4seeds --epochs 3 --lr 3e-4 --seeds 4 --seed 1 --split-seed 1 --resume --out runs/bench/ecg-intra-snn-from-twin-4seeds
# The three-seed comparisons of RR features and epoch choice (twin CNN) behind bench/results/ecg-inter.md:
# $S ecg --data $MITDB --split inter --validation records --schedule cosine --model cnn --seeds 3 [--monitor val_balanced_accuracy]
# Chest X-ray: the three protocols. No augmentation: with it the network needs 30 epochs to end level (bench/results/cxr-recipe.md).
$S cxr --data $CXR --protocol mixed --epochs 10 --schedule cosine --no-augment --seeds 5 --out runs/bench/cxr-mixed-snn
$S cxr --data $CXR --protocol mixed --model cnn --epochs 10 --schedule cosine --no-augment --out runs/bench/cxr-mixed-cnn
$S cxr --data $CXR --protocol mixed --model logreg --epochs 10 --schedule cosine --no-augment --out runs/bench/cxr-mixed-logreg
# 2026-12-03 (commit 153098d): a deeper twin (six convolutions), kept by validation loss and by validation accuracy (bench/results/cxr-recipe.md).
$S cxr --config bench/configs/cxr-cnn-deep.json --data $CXR --protocol mixed --epochs 10 --schedule cosine --no-augment --out runs/bench/cxr-cnn-deep
$S cxr --config bench/configs/cxr-cnn-deep.json --data $CXR --protocol mixed --epochs 10 --schedule cosine --no-augment --monitor val_accuracy --out runs/bench/cxr-cnn-deep-valacc
$S cxr --data $CXR --protocol mixed --model cnn --epochs 10 --schedule cosine --no-augment --monitor val_accuracy --out runs/bench/cxr-cnn-valacc
# 2026-12-04 (commit af4fa61): the deeper SNN over five seeds on one split, two seeds at a time on one thread each, then gathered (bench/results/cxr-recipe.md).
for k in 1 2 3 4 5; do
  $S cxr --model snn-deep --data $CXR --protocol mixed --epochs 10 --schedule cosine --no-augment --monitor val_accuracy --threads 1 --seed $k --split-seed 1 --out runs/bench/cxr-snn-deep/seed-$k
done
$S cxr --model snn-deep --data $CXR --protocol mixed --epochs 10 --schedule cosine --no-augment --monitor val_accuracy --seeds 5 --resume --out runs/bench/cxr-snn-deep
$S cxr --data $CXR --protocol same-source --epochs 15 --schedule cosine --no-augment --balance none --out runs/bench/cxr-same-source-snn
# 2026-12-04 (commit b8772d2): same-source with class weights (its training side is 288 covid to 82 non-covid), and the deeper SNN.
$S cxr --data $CXR --protocol same-source --epochs 15 --schedule cosine --no-augment --balance weights --threads 1 --out runs/bench/cxr-same-source-snn-weights
$S cxr --model snn-deep --data $CXR --protocol same-source --epochs 15 --schedule cosine --no-augment --threads 1 --balance none --out runs/bench/cxr-same-source-snn-deep
# ... and both over five seeds (seed 1 reproduces the single runs above to the digit).
$S cxr --data $CXR --protocol same-source --epochs 15 --schedule cosine --no-augment --seeds 5 --threads 1 --balance none --out runs/bench/cxr-same-source-snn-5seeds
$S cxr --data $CXR --protocol same-source --epochs 15 --schedule cosine --no-augment --balance weights --seeds 5 --threads 1 --out runs/bench/cxr-same-source-snn-weights-5seeds
$S cxr --data $CXR --protocol leave-one-source-out --holdout cohen --epochs 10 --schedule cosine --no-augment --balance none --out runs/bench/cxr-loso-cohen-snn
# 2026-12-03 (commit b5f5ad9): every other source held out in turn (each a hospital or collection the network never saw).
$S cxr --data $CXR --protocol leave-one-source-out --holdout cxnet --epochs 10 --schedule cosine --no-augment --balance none --out runs/bench/cxr-loso-cxnet-snn
$S cxr --data $CXR --protocol leave-one-source-out --holdout radiodb --epochs 10 --schedule cosine --no-augment --balance none --out runs/bench/cxr-loso-radiodb-snn
$S cxr --data $CXR --protocol leave-one-source-out --holdout radiodb_rsna --epochs 10 --schedule cosine --no-augment --balance none --out runs/bench/cxr-loso-radiodb_rsna-snn
$S cxr --data $CXR --protocol leave-one-source-out --holdout actualmed --epochs 10 --schedule cosine --no-augment --balance none --out runs/bench/cxr-loso-actualmed-snn
$S cxr --data $CXR --protocol leave-one-source-out --holdout figure1 --epochs 10 --schedule cosine --no-augment --balance none --out runs/bench/cxr-loso-figure1-snn
# 2026-12-03 (commit 9823cd9): the two held-out sources that leave the training set lopsided, with class weights.
$S cxr --data $CXR --protocol leave-one-source-out --holdout radiodb_rsna --epochs 10 --schedule cosine --no-augment --balance weights --out runs/bench/cxr-loso-radiodb_rsna-snn-weights
$S cxr --data $CXR --protocol leave-one-source-out --holdout radiodb --epochs 10 --schedule cosine --no-augment --balance weights --out runs/bench/cxr-loso-radiodb-snn-weights
# 2026-12-04 (commit b8772d2): the two held-out sources that hold both classes, with the weights that are now the default.
$S cxr --data $CXR --protocol leave-one-source-out --holdout cohen --epochs 10 --schedule cosine --no-augment --balance weights --threads 1 --out runs/bench/cxr-loso-cohen-snn-weights
$S cxr --data $CXR --protocol leave-one-source-out --holdout actualmed --epochs 10 --schedule cosine --no-augment --balance weights --threads 1 --out runs/bench/cxr-loso-actualmed-snn-weights
# 2026-12-04 and 2026-12-05 (commits 012a3ba, a4185a8), mixed protocol: the ResNet-18 layout at width 16 with PyTorch's recipe (bench/results/cxr-ceiling.md,
# cxr-recipe.md): the ReLU twin, then the spiking-ReLU ResNet started from the twin of its seed and fine-tuned 10 epochs.
# Seeds 1-3 ran as separate processes (2026-12-04); the five-seed folders link them as seed-1..3 and train seeds 4 and 5.
RESNET="--protocol mixed --schedule cosine --optimizer adamw --weight-decay 0.05 --batch-size 64 --augment --augment-settings flip=0,rotation=0,shift=0.0625,contrast=0.1 --monitor val_accuracy"
$S cxr --data $CXR $RESNET --model cnn-resnet --epochs 20 --lr 2e-3 --out runs/bench/cxr-cnn-resnet-shiftaug
$S cxr --data $CXR $RESNET --model cnn-resnet --epochs 20 --lr 2e-3 --seed 2 --split-seed 1 --out runs/bench/cxr-cnn-resnet-shiftaug-seed2
$S cxr --data $CXR $RESNET --model cnn-resnet --epochs 20 --lr 2e-3 --seed 3 --split-seed 1 --out runs/bench/cxr-cnn-resnet-shiftaug-seed3
$S cxr --data $CXR $RESNET --config bench/configs/cxr-srelu-resnet.json --init-from runs/bench/cxr-cnn-resnet-shiftaug --epochs 10 --lr 5e-4 --out runs/bench/cxr-srelu-resnet-from-twin
$S cxr --data $CXR $RESNET --config bench/configs/cxr-srelu-resnet.json --init-from runs/bench/cxr-cnn-resnet-shiftaug-seed2 --epochs 10 --lr 5e-4 --seed 2 --split-seed 1 --out runs/bench/cxr-srelu-resnet-from-twin-seed2
$S cxr --data $CXR $RESNET --config bench/configs/cxr-srelu-resnet.json --init-from runs/bench/cxr-cnn-resnet-shiftaug-seed3 --epochs 10 --lr 5e-4 --seed 3 --split-seed 1 --out runs/bench/cxr-srelu-resnet-from-twin-seed3
$S cxr --data $CXR $RESNET --model cnn-resnet --epochs 20 --lr 2e-3 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-cnn-resnet-5seeds
$S cxr --data $CXR $RESNET --config bench/configs/cxr-srelu-resnet.json --init-from runs/bench/cxr-cnn-resnet-5seeds --epochs 10 --lr 5e-4 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-srelu-resnet-from-twin-5seeds
# 2026-12-05 (commit 46f2005): the same twin and spiking network with the augmentation drawn as PyTorch's ceiling runs drew it (whole-pixel
# shifts, brightness +-0.1), the twin with a 2-epoch warm-up. Seeds 1-3 of the twin and seed 1 of the spiking network ran
# earlier that day as separate processes (runs/explore16/, linked as seed-1..3 / seed-1); the rest by --seeds 5 --resume.
TORCHAUG="--protocol mixed --schedule cosine --optimizer adamw --weight-decay 0.05 --batch-size 64 --augment-settings flip=0,rotation=0,shift=0.0625,contrast=0.1,brightness=0.1,shift-step=1 --monitor val_accuracy"
$S cxr --data $CXR $TORCHAUG --warmup 2 --model cnn-resnet --epochs 20 --lr 2e-3 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-cnn-resnet-torchaug-5seeds
$S cxr --data $CXR $TORCHAUG --config bench/configs/cxr-srelu-resnet.json --init-from runs/bench/cxr-cnn-resnet-torchaug-5seeds --epochs 10 --lr 5e-4 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-srelu-resnet-torchaug-5seeds
# 2026-12-05 (commit bc2cbcf): the same recipe with PyTorch ResNet-18's stem pool (3x3, stride 2, padding 1); two seeds ran (the third was
# stopped in epoch 3 for the next experiment, resumable by the same command).
$S cxr --data $CXR $TORCHAUG --warmup 2 --config bench/configs/cxr-cnn-resnet-stempool.json --epochs 20 --lr 2e-3 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-cnn-resnet-stempool-5seeds
# 2026-12-05 (commit bc2cbcf): 256 x 256 images (the paper's size) through a 7x7 stride-4 stem and the 3x3 stem pool: every layer after the
# stem costs what it does at 128 x 128. The twins, then the spiking networks from them.
$S cxr --data $CXR $TORCHAUG --warmup 2 --config bench/configs/cxr-cnn-resnet-256.json --epochs 20 --lr 2e-3 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-cnn-resnet-256-5seeds
$S cxr --data $CXR $TORCHAUG --config bench/configs/cxr-srelu-resnet-256.json --init-from runs/bench/cxr-cnn-resnet-256-5seeds --epochs 10 --lr 5e-4 --seeds 5 --seed 1 --split-seed 1 --resume --out runs/bench/cxr-srelu-resnet-256-5seeds
# Commit e537dd8 (2026-12-05) finished both (twin seed 5 resumed from its checkpoint, spiking seeds 4-5). The same two runs are now
# `--model cnn-resnet-256 --recipe resnet-twin` and `--model srelu-resnet-256 --recipe resnet-from-twin --init-from ...`
# (test/cli/recipe.test.ts and test/model/zoo.test.ts hold them equal to the commands above).
node dist/bench/summarize-runs.js

# Earlier ECG runs (commit e532134, 2026-11-23: the same windows and dropout, RR features in seconds and over the local median RR),
# kept for comparison (the BiLSTM reads no RR features, so its run stands for the current build too):
# $S ecg --out runs/bench/ecg-sample-default-s3
# $S ecg --data $MITDB --split intra --schedule cosine --sample-rate 120 --beat-window 1,1.13 --out runs/bench/ecg-intra-snn-context
# $S ecg --data $MITDB --split intra --schedule cosine --sample-rate 120 --beat-window 1,1.13 --model cnn --out runs/bench/ecg-intra-cnn-context
# $S ecg --data $MITDB --split intra --schedule cosine --sample-rate 120 --beat-window 1,1.13 --model logreg --out runs/bench/ecg-intra-logreg-context
# $S ecg --data $MITDB --split intra --sample-rate 120 --beat-window 1,1.13 --model bilstm --epochs 5 --out runs/bench/ecg-intra-bilstm-context
# $S ecg --data $MITDB --split intra --schedule cosine --sample-rate 120 --beat-window 1,1.13 --include-paced --model cnn --out runs/bench/ecg-intra-paced-cnn-context
# $S ecg --data $MITDB --split inter --schedule cosine --sample-rate 120 --beat-window 1,1.13 --validation records --out runs/bench/ecg-inter-snn-context
# $S ecg --data $MITDB --split inter --schedule cosine --sample-rate 120 --beat-window 1,1.13 --out runs/bench/ecg-inter-snn-context-beatval

# Earlier ECG runs (commit f57ebf7, 2026-11-23: 360 Hz windows 0.25 s before to 0.46 s after the R peak, no dropout), kept for comparison:
# $S ecg --data $MITDB --split intra --schedule cosine --out runs/bench/ecg-intra-snn
# $S ecg --data $MITDB --split intra --schedule cosine --model cnn --out runs/bench/ecg-intra-cnn
# $S ecg --data $MITDB --split intra --schedule cosine --model logreg --out runs/bench/ecg-intra-logreg
# $S ecg --data $MITDB --split intra --model bilstm --epochs 5 --out runs/bench/ecg-intra-bilstm
# $S ecg --data $MITDB --split inter --schedule cosine --out runs/bench/ecg-inter-snn
# $S ecg --data $MITDB --split inter --schedule cosine --model logreg --out runs/bench/ecg-inter-logreg
# $S ecg --data $MITDB --split inter --schedule cosine --balance sampling --epochs 20 --out runs/bench/ecg-inter-snn-balanced

# The first runs (commit bdcfef4: no RR features, constant learning rate, X-ray augmentation on), kept for comparison:
# $S ecg --data $MITDB --split intra --out runs/bench/earlier-ecg-intra-snn
# $S ecg --data $MITDB --split intra --model cnn --out runs/bench/earlier-ecg-intra-cnn
# $S ecg --data $MITDB --split inter --out runs/bench/earlier-ecg-inter-snn
# $S cxr --data $CXR --protocol mixed --epochs 8 --seeds 5 --out runs/bench/earlier-cxr-mixed-snn
# $S cxr --data $CXR --protocol mixed --model cnn --epochs 8 --out runs/bench/earlier-cxr-mixed-cnn
# $S cxr --data $CXR --protocol same-source --epochs 15 --out runs/bench/earlier-cxr-same-source-snn
# $S cxr --data $CXR --protocol leave-one-source-out --holdout cohen --epochs 8 --out runs/bench/earlier-cxr-loso-cohen-snn
