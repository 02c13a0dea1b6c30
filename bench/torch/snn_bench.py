#!/usr/bin/python3
"""PyTorch peer of spikemed's speed benchmarks.

Runs the issue-2 reference spiking ECG network the way snnTorch runs it (an
`snn.Leaky`-equivalent LIF neuron with the ATan surrogate, time unrolled by a
Python loop) and plain SGEMM, then prints ONE JSON object on stdout. Every
diagnostic goes to stderr so the TypeScript benchmark can parse stdout as is.

Run with Debian's interpreter (python3-torch lives there): /usr/bin/python3.
"""

import argparse
import ctypes
import datetime
import json
import math
import os
import platform
import resource
import statistics
import sys
import time

import torch
from torch import nn

SECTIONS = ("ref", "infer", "throughput", "gemm")
BEAT_LENGTH = 256
NUM_CLASSES = 5
DEFAULT_GEMM_SHAPES = "512x512x512,32x5x65536,64x160x32768,256x4096x128"
GEMM_WARMUP_CALLS = 3
GEMM_SAMPLES = 5


def log(message):
    print(f"[snn_bench] {message}", file=sys.stderr, flush=True)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def int_list(text):
    values = [positive_int(part) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


def gemm_shape_list(text):
    shapes = []
    for part in text.split(","):
        dims = part.strip().lower().split("x")
        if len(dims) != 3:
            raise argparse.ArgumentTypeError(f"GEMM shape {part!r} is not MxKxN")
        shapes.append(tuple(positive_int(d) for d in dims))
    return shapes


def parse_args():
    parser = argparse.ArgumentParser(
        description="PyTorch (snnTorch-style) peer for spikemed speed benchmarks; "
        "prints one JSON object on stdout.")
    parser.add_argument("--which", choices=SECTIONS + ("all",), default="all",
                        help="which measurement to run (default: all)")
    parser.add_argument("--threads", type=positive_int, default=2,
                        help="intra-op threads for PyTorch and OpenBLAS (default: 2)")
    parser.add_argument("--batch", type=positive_int, default=32,
                        help="training batch of the 'ref' measurement (default: 32)")
    parser.add_argument("--timesteps", type=positive_int, default=8,
                        help="simulation time steps T (default: 8)")
    parser.add_argument("--steps", type=positive_int, default=40,
                        help="timed training steps per configuration (default: 40)")
    parser.add_argument("--warmup", type=non_negative_int, default=3,
                        help="untimed warm-up steps/runs before each timing (default: 3)")
    parser.add_argument("--infer-batch", type=positive_int, default=256,
                        help="batch of the inference measurement (default: 256)")
    parser.add_argument("--infer-runs", type=positive_int, default=15,
                        help="timed forward passes for inference (default: 15)")
    parser.add_argument("--throughput-batches", type=int_list, default=[16, 32],
                        help="comma-separated training batches for 'throughput' (default: 16,32)")
    parser.add_argument("--gemm-threads", type=int_list, default=[1, 2],
                        help="comma-separated thread counts for 'gemm' (default: 1,2)")
    parser.add_argument("--gemm-shapes", type=gemm_shape_list, default=gemm_shape_list(DEFAULT_GEMM_SHAPES),
                        help=f"comma-separated MxKxN shapes for 'gemm' (default: {DEFAULT_GEMM_SHAPES})")
    parser.add_argument("--gemm-min-seconds", type=positive_float, default=0.25,
                        help="minimum wall time of each GEMM timing sample (default: 0.25)")
    parser.add_argument("--features", type=non_negative_int, default=0,
                        help="per-beat features concatenated before the first Linear (default 0: the reference net; 5: ecg-snn)")
    parser.add_argument("--seed", type=int, default=1234, help="torch.manual_seed (default: 1234)")
    parser.add_argument("--device", default="cpu",
                        help="torch device of the 'ref', 'infer' and 'throughput' networks, e.g. cuda (default: cpu)")
    return parser.parse_args()


# --- the snnTorch neuron, written out -------------------------------------------

class ATanSpike(torch.autograd.Function):
    """snntorch.surrogate.ATan: Heaviside forward, arctan-derivative backward."""

    @staticmethod
    def forward(ctx, mem_shift, alpha):
        ctx.save_for_backward(mem_shift)
        ctx.alpha = alpha
        return (mem_shift > 0).float()

    @staticmethod
    def backward(ctx, grad_output):
        (mem_shift,) = ctx.saved_tensors
        alpha = ctx.alpha
        grad = alpha / 2 / (1 + (math.pi / 2 * alpha * mem_shift).pow_(2)) * grad_output
        return grad, None


class Leaky(nn.Module):
    """snntorch.Leaky with its defaults: reset by subtraction, reset term detached,
    beta and threshold as buffers (beta clamped to [0, 1] at every step, as snnTorch does)."""

    def __init__(self, beta=0.9, threshold=1.0, alpha=2.0):
        super().__init__()
        self.register_buffer("beta", torch.as_tensor(beta))
        self.register_buffer("threshold", torch.as_tensor(threshold))
        self.alpha = alpha

    def forward(self, input_, mem):
        if mem is None:
            # snn.Leaky lazily sizes its zero initial membrane to the first input.
            mem = torch.zeros_like(input_)
        reset = ATanSpike.apply(mem - self.threshold, self.alpha).detach()
        mem = self.beta.clamp(0, 1) * mem + input_ - reset * self.threshold
        spk = ATanSpike.apply(mem - self.threshold, self.alpha)
        return spk, mem


class ReferenceNet(nn.Module):
    """Issue 2's reference net: Conv1d(1->32,k5) -> LIF -> MaxPool(2) -> Conv1d(32->64,k5) -> LIF
    -> MaxPool(2) -> Linear(4096->128) -> LIF -> Linear(128->5), output = mean over T of the last Linear.
    With `features` > 0 it is the default ecg-snn: that many per-beat features (RR intervals,
    amplitude) are concatenated to the flattened spikes, and half of those values are dropped
    out (a fresh mask every step, as spikemed's dropout on a spike train) before
    Linear(4096 + features -> 128)."""

    def __init__(self, timesteps, features=0):
        super().__init__()
        self.features = features
        self.timesteps = timesteps
        self.conv1 = nn.Conv1d(1, 32, kernel_size=5, padding=2)
        self.lif1 = Leaky()
        self.conv2 = nn.Conv1d(32, 64, kernel_size=5, padding=2)
        self.lif2 = Leaky()
        self.pool = nn.MaxPool1d(2)
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * (BEAT_LENGTH // 4) + features, 128)
        self.lif3 = Leaky()
        self.fc2 = nn.Linear(128, NUM_CLASSES)

    def forward(self, x, spike_totals=None):
        beat, feats = x[:, :, :BEAT_LENGTH], x[:, 0, BEAT_LENGTH:]
        mem1 = mem2 = mem3 = None
        out_rec = []
        # Direct encoding: the same beat is the input current at every step, and conv1 is
        # recomputed each step, exactly like the snnTorch tutorials' loop.
        for _step in range(self.timesteps):
            cur1 = self.conv1(beat)
            spk1, mem1 = self.lif1(cur1, mem1)
            cur2 = self.conv2(self.pool(spk1))
            spk2, mem2 = self.lif2(cur2, mem2)
            flat = self.pool(spk2).flatten(1)
            cur3 = self.fc1(self.drop(torch.cat([flat, feats], 1)) if self.features else flat)
            spk3, mem3 = self.lif3(cur3, mem3)
            out_rec.append(self.fc2(spk3))
            if spike_totals is not None:
                for name, spk in (("lif1", spk1), ("lif2", spk2), ("lif3", spk3)):
                    spike_totals[name] += spk.mean().item() / self.timesteps
        return torch.stack(out_rec).mean(0)


# --- helpers ---------------------------------------------------------------------

def find_openblas():
    """OpenBLAS keeps its own thread pool that torch.set_num_threads does not touch
    (this torch is built with BLAS=generic), so it is set through its C API."""
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "libopenblas" in line})
    if not paths:
        return None
    lib = ctypes.CDLL(paths[0])
    lib.openblas_get_config.restype = ctypes.c_char_p
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib


def set_threads(threads, openblas):
    torch.set_num_threads(threads)
    if openblas is not None:
        openblas.openblas_set_num_threads(threads)


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def synchronize(device):
    """CUDA kernels run asynchronously: a step's time is only known once they have finished."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def timing_summary(seconds):
    return {
        "median_ms": statistics.median(seconds) * 1e3,
        "min_ms": min(seconds) * 1e3,
        "max_ms": max(seconds) * 1e3,
        "samples": len(seconds),
    }


def random_batch(batch, seed, features=0):
    generator = torch.Generator().manual_seed(seed)
    beats = torch.randn(batch, 1, BEAT_LENGTH + features, generator=generator)
    labels = torch.randint(0, NUM_CLASSES, (batch,), generator=generator)
    return beats, labels


# --- measurements ----------------------------------------------------------------

def measure_training(args, batch):
    torch.manual_seed(args.seed)
    net = ReferenceNet(args.timesteps, args.features).to(args.device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    beats, labels = (t.to(args.device) for t in random_batch(batch, args.seed + 1, args.features))

    with torch.no_grad():
        spike_rates = {"lif1": 0.0, "lif2": 0.0, "lif3": 0.0}
        net(beats, spike_totals=spike_rates)

    def train_step():
        optimizer.zero_grad()
        loss = loss_fn(net(beats), labels)
        loss.backward()
        optimizer.step()
        return loss

    losses = []
    for _ in range(args.warmup):
        losses.append(train_step().item())
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = train_step()
        synchronize(args.device)
        seconds.append(time.perf_counter() - start)
        losses.append(loss.item())
    summary = timing_summary(seconds)
    return {
        "batch": batch,
        "timesteps": args.timesteps,
        "warmup_steps": args.warmup,
        "step": summary,
        "beats_per_s": batch / (summary["median_ms"] / 1e3),
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "spike_rate_before_training": spike_rates,
        "parameters": sum(p.numel() for p in net.parameters()),
    }


def measure_inference(args):
    torch.manual_seed(args.seed)
    net = ReferenceNet(args.timesteps, args.features).to(args.device).eval()
    beats = random_batch(args.infer_batch, args.seed + 2, args.features)[0].to(args.device)
    seconds = []
    with torch.no_grad():
        for _ in range(args.warmup):
            net(beats)
        for _ in range(args.infer_runs):
            start = time.perf_counter()
            net(beats)
            synchronize(args.device)
            seconds.append(time.perf_counter() - start)
    summary = timing_summary(seconds)
    return {
        "batch": args.infer_batch,
        "timesteps": args.timesteps,
        "warmup_runs": args.warmup,
        "forward": summary,
        "beats_per_s": args.infer_batch / (summary["median_ms"] / 1e3),
    }


def time_calls(a, b, out, reps):
    start = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b, out=out)
    return time.perf_counter() - start


def measure_gemm(args, openblas):
    results = []
    generator = torch.Generator().manual_seed(args.seed + 3)
    for m, k, n in args.gemm_shapes:
        a = torch.randn(m, k, generator=generator)
        b = torch.randn(k, n, generator=generator)
        out = torch.empty(m, n)
        flops = 2.0 * m * k * n
        for threads in args.gemm_threads:
            set_threads(threads, openblas)
            # Each sample repeats the product enough to last gemm_min_seconds so timer
            # resolution and scheduler noise do not dominate the small shapes.
            time_calls(a, b, out, GEMM_WARMUP_CALLS)
            reps = 1
            while (elapsed := time_calls(a, b, out, reps)) < args.gemm_min_seconds / 8:
                reps *= 2
            reps = max(1, math.ceil(reps * args.gemm_min_seconds / elapsed))
            per_call = [time_calls(a, b, out, reps) / reps for _ in range(GEMM_SAMPLES)]
            median = statistics.median(per_call)
            results.append({
                "m": m, "k": k, "n": n, "threads": threads,
                "reps_per_sample": reps, "samples": len(per_call),
                "median_ms": median * 1e3,
                "gflops": flops / median / 1e9,
                "best_gflops": flops / min(per_call) / 1e9,
            })
            log(f"gemm {m}x{k}x{n} threads={threads}: {flops / median / 1e9:.1f} GFLOP/s")
    set_threads(args.threads, openblas)
    return results


def main():
    args = parse_args()
    wall_start = time.perf_counter()
    openblas = find_openblas()
    set_threads(args.threads, openblas)
    rss_after_import = max_rss_mb()
    sections = SECTIONS if args.which == "all" else (args.which,)

    report = {
        "tool": "spikemed bench/torch/snn_bench.py",
        "command": " ".join([sys.executable] + sys.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpu_model": cpu_model(),
            "logical_cpus": os.cpu_count(),
            "loadavg_at_start": list(os.getloadavg()),
        },
        "software": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "openblas": openblas.openblas_get_config().decode() if openblas else None,
            "openblas_core": openblas.openblas_get_corename().decode() if openblas else None,
            "mkldnn_available": torch.backends.mkldnn.is_available(),
            "device": args.device,
            "device_name": torch.cuda.get_device_name(args.device) if torch.device(args.device).type == "cuda" else cpu_model(),
        },
        "settings": {
            "threads": args.threads,
            "torch_threads": torch.get_num_threads(),
            "openblas_threads": openblas.openblas_get_num_threads() if openblas else None,
            "seed": args.seed,
            "timesteps": args.timesteps,
            "steps": args.steps,
            "warmup": args.warmup,
            "which": args.which,
        },
    }

    # ref runs first so the process-wide peak RSS read after it belongs to the ref config.
    if "ref" in sections:
        log(f"ref: training step, batch {args.batch}, T={args.timesteps}")
        report["ref"] = measure_training(args, args.batch)
        report["ref"]["peak_rss_mb"] = max_rss_mb()
        report["ref"]["rss_after_torch_import_mb"] = rss_after_import
        log(f"ref: {report['ref']['step']['median_ms']:.1f} ms/step")
    if "infer" in sections:
        log(f"infer: forward, batch {args.infer_batch}")
        report["infer"] = measure_inference(args)
        log(f"infer: {report['infer']['beats_per_s']:.0f} beats/s")
    if "throughput" in sections:
        report["throughput"] = []
        for batch in args.throughput_batches:
            log(f"throughput: training, batch {batch}")
            result = measure_training(args, batch)
            report["throughput"].append(result)
            log(f"throughput: batch {batch}: {result['beats_per_s']:.0f} beats/s")
    if "gemm" in sections:
        report["gemm"] = measure_gemm(args, openblas)

    report["peak_rss_mb"] = max_rss_mb()
    report["machine"]["loadavg_at_end"] = list(os.getloadavg())
    report["elapsed_s"] = time.perf_counter() - wall_start
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
