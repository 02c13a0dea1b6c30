#!/bin/bash
# Issue 31's ECG energy benchmark: the default ECG SNN (ecg-snn, embedded MIT-BIH sample,
# intra-patient split) without and with spike-count regularisation, 3 seeds each, then
# bench/energy-ecg.ts prices every seed from the spike rates on its whole test split and writes
# bench/results/energy-ecg.md. On the shared 2-core machine each arm trains on a 3,000-beat subset
# for 3 epochs (about 15 minutes per arm with --threads 1); drop --limit and --epochs for the
# full default training (10 epochs on 13,250 beats).
set -e
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/energy-ecg}
S="node dist/src/cli/main.js train ecg --threads 1 --limit 3000 --epochs 3 --seeds 3"
$S --out $OUT/base
$S --time-steps 4 --activity-penalty l1:3 --activity-penalty-layers lif1,lif2 --out $OUT/t4-l1-3
$S --activity-penalty l1:10 --activity-penalty-layers lif1,lif2 --out $OUT/t8-l1-10
$S --time-steps 4 --activity-penalty l1:1 --activity-penalty-layers lif1,lif2 --out $OUT/t4-l1-1
$S --time-steps 4 --activity-penalty l1:2 --activity-penalty-layers lif1,lif2 --out $OUT/t4-l1-2
$S --time-steps 4 --out $OUT/t4
node dist/bench/energy-ecg.js --out bench/results/energy-ecg.md $OUT/base $OUT/t4 $OUT/t4-l1-1 $OUT/t4-l1-2 $OUT/t4-l1-3 $OUT/t8-l1-10
node dist/src/cli/main.js compare $OUT/base $OUT/t4 $OUT/t4-l1-1 $OUT/t4-l1-2 $OUT/t4-l1-3 $OUT/t8-l1-10 --energy-device loihi --plot docs/figures/ecg-accuracy-energy.svg
