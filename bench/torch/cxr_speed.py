#!/usr/bin/python3
"""PyTorch peer of bench/cxr-speed.ts: spikemed's spiking-ReLU ResNet at 256 x 256
(`--model srelu-resnet-256`) written the way a PyTorch user would write it fast:
the layers before the first neuron run once (the input is the same at every step),
every later layer on the T time steps folded into the batch (SpikingJelly's
multi-step mode), and KerasSpiking's spiking ReLU as an autograd function that
loops over T for the membrane (v += relu(x); emit floor(v); keep the rest) and
passes ReLU's gradient back. Times a training step (forward, cross-entropy,
backward, AdamW) and an inference pass on random 256 x 256 images, then prints ONE
JSON object on stdout; diagnostics go to stderr.

Run with Debian's interpreter (python3-torch lives there): /usr/bin/python3.
"""

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from cxr_ceiling import BasicBlock


class SpikingReLU(torch.autograd.Function):
    """x: [T, ...] currents; v0: initial voltages [...]. Spikes of height 1 (dt = 1)."""

    @staticmethod
    def forward(ctx, x, v0):
        ctx.save_for_backward(x)
        v = v0.clone()
        out = torch.empty_like(x)
        for t in range(x.shape[0]):
            v += torch.relu(x[t])
            spikes = torch.floor(v)
            v -= spikes
            out[t] = spikes
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0), None


def spike(x, steps):
    """[T*B, ...] currents to [T*B, ...] spikes, random initial voltages in [0, 1) as KerasSpiking's."""
    folded = x.reshape(steps, -1, *x.shape[1:])
    return SpikingReLU.apply(folded, torch.rand(folded.shape[1:])).reshape(x.shape)


class Block(BasicBlock):
    """cxr_ceiling.py's ResNet block with the spiking ReLU over T steps in place of ReLU."""

    def forward(self, x, steps):
        out = spike(self.bn1(self.conv1(x)), steps)
        return spike(self.bn2(self.conv2(out)) + self.shortcut(x), steps)


class SpikingResNet256(nn.Module):
    """bench/configs/cxr-srelu-resnet-256.json: 7x7 stride-4 stem, batch norm, 3x3 stride-2 max-pool, then the
    spiking ReLU; eight residual blocks at 16, 32, 64, 128 filters; 4x4 average pool; dense 2; mean over T."""

    def __init__(self, steps=4, width=16):
        super().__init__()
        self.steps = steps
        self.stem = nn.Sequential(nn.Conv2d(1, width, 7, 4, 3, bias=False), nn.BatchNorm2d(width), nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], width
        for stage, cout in enumerate([width, 2 * width, 4 * width, 8 * width]):
            blocks += [Block(cin, cout, 1 if stage == 0 else 2), Block(cout, cout, 1)]
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(cin, 2)

    def forward(self, x):
        stem = self.stem(x)
        out = spike(stem.repeat(self.steps, 1, 1, 1), self.steps)
        for block in self.blocks:
            out = block(out, self.steps)
        logits = self.head(F.avg_pool2d(out, 4).flatten(1))
        return logits.reshape(self.steps, -1, 2).mean(0)


def median_seconds(run, repeats, warmup):
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="time steps T")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = SpikingResNet256(args.steps)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
    x = torch.rand(args.batch, 1, 256, 256)
    y = torch.randint(0, 2, (args.batch,))

    def train_step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    model.train()
    train = median_seconds(train_step, args.repeats, args.warmup)
    model.eval()
    with torch.no_grad():
        infer = median_seconds(lambda: model(x), args.repeats, args.warmup)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"[cxr_speed] {parameters} parameters; train {train:.3f} s, infer {infer:.3f} s per batch of {args.batch}", file=sys.stderr)
    print(json.dumps({
        "torch": torch.__version__, "threads": args.threads, "batch": args.batch, "steps": args.steps, "parameters": parameters,
        "train_seconds": train, "infer_seconds": infer,
        "train_images_per_s": args.batch / train, "infer_images_per_s": args.batch / infer,
    }))


if __name__ == "__main__":
    main()
