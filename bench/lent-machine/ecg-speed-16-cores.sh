#!/bin/bash
# The ECG SNN speed sitting of 2026-12-04 (commit e879247) on a lent 16-core machine with an NVIDIA H200 (one run of
# the workplace's device tool): spikemed at 1-16 threads against PyTorch on the same CPU, PyTorch on
# the GPU, and the same short training at 1, 2 and 16 threads (checkpoints must match bit for bit).
# That machine has no Node: .devcarry/node.xz is this machine's node binary (xz), .devcarry/runtime.tar.xz
# holds dist, build, package.json and the runtime node_modules; results land in $OUT.
set -u
start=$(date +%s)
xz -dc .devcarry/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
tar -xJf .devcarry/runtime.tar.xz
PY=$(command -v python3)
{ date -u; nproc; grep -m1 "model name" /proc/cpuinfo; free -g | head -2; node --version; $PY -c "import torch;print(torch.__version__, torch.cuda.get_device_name(0))"; nvidia-smi --query-gpu=name,driver_version --format=csv; } > $OUT/machine.txt 2>&1
cat $OUT/machine.txt
$PY bench/torch/snn_bench.py --device cuda --which throughput --features 6 --throughput-batches 16,32,256 --steps 30 > $OUT/torch-cuda-train.json
$PY bench/torch/snn_bench.py --device cuda --which infer --features 6 --infer-batch 256 > $OUT/torch-cuda-infer.json
echo "gpu done $(( $(date +%s) - start )) s"
for t in 1 2 4 8 16; do
  node dist/bench/ecg-speed.js --threads=$t --steps=30 --python=$PY --out=/tmp/speed-t$t.md > /dev/null
  cat /tmp/speed-t$t.md >> $OUT/speed.md; tail -n 6 /tmp/speed-t$t.md | head -3; echo "t=$t done $(( $(date +%s) - start )) s"
done
for t in 1 2 16; do
  node dist/src/cli/main.js train ecg --epochs 2 --threads $t --out /tmp/det-t$t > /tmp/det-t$t.log 2>&1
  echo "train t=$t rc=$? $(sha256sum /tmp/det-t$t/model.ckpt | cut -c1-16) $(( $(date +%s) - start )) s" | tee -a $OUT/determinism.txt
done
cp /tmp/det-t16/report.md $OUT/det-report-t16.md
