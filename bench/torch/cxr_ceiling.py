#!/usr/bin/python3
"""How far can a strong conventional network go on spikemed's mixed X-ray split?

The mixed protocol's 95% target has not been reached by any spikemed network (SNN or its ReLU
twin, wider, deeper, 256 px, augmented: bench/results/cxr-recipe.md). This trains a ResNet-18
(written out below, one input channel) from scratch on exactly spikemed's mixed split (seed 1) of
exactly its 128x128 pixels, as exported by bench/cxr-export-split.ts, picks the epoch by
validation accuracy as spikemed's benchmarks do, and reports test accuracy and ROC AUC per seed.
It is a ceiling estimate for networks trained from scratch on this data, not a peer in speed.

Prints one JSON object on stdout and writes it to --out after every finished run.
"""

import argparse
import io
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
import torch.nn.functional as F


def log(message):
    print(f"[cxr_ceiling] {message}", file=sys.stderr, flush=True)


def load_pack(prefix):
    meta = json.load(open(prefix + ".json"))
    blob = open(prefix + ".bin", "rb").read()
    size = meta["size"]
    pixels = np.empty((len(meta["offsets"]), size, size), dtype=np.uint8)
    for i, (at, length) in enumerate(meta["offsets"]):
        pixels[i] = np.asarray(Image.open(io.BytesIO(blob[at:at + length])).convert("L"))
    return meta, pixels


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet18(nn.Module):
    """He et al.'s ResNet-18 (ImageNet stem: 7x7 stride 2 and a 3x3 max-pool), one grey channel in."""

    def __init__(self, classes=2, width=64):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], width
        for stage, cout in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers += [BasicBlock(cin, cout, 1 if stage == 0 else 2), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        return self.head(self.layers(self.stem(x)).mean((2, 3)))


def augment(x, generator):
    """Shifts of up to 8 pixels (edges replicated), contrast and brightness of +-10%, per image."""
    n, _, h, w = x.shape
    shift = torch.randint(-8, 9, (n, 2), generator=generator).float()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = 2 * shift[:, 0] / w
    theta[:, 1, 2] = 2 * shift[:, 1] / h
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=False)
    contrast = 1 + (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.2
    brightness = (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.2
    return (out - 0.5) * contrast.to(x.device) + 0.5 + brightness.to(x.device)


def roc_auc(scores, labels):
    """Mann-Whitney U over ranks, ties averaged: P(score of a positive > score of a negative)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = np.asarray(scores)[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    labels = np.asarray(labels)
    positives = labels.sum()
    negatives = len(labels) - positives
    return (ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)


def evaluate(net, x, y, batch):
    net.eval()
    probabilities = []
    with torch.no_grad(), torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=x.device.type == "cuda"):
        for at in range(0, len(x), batch):
            probabilities.append(torch.softmax(net(x[at:at + batch]).float(), 1)[:, 0])
    p_first = torch.cat(probabilities).cpu().numpy()
    labels = y.cpu().numpy()
    accuracy = float(((p_first > 0.5) == (labels == 0)).mean())
    return accuracy, float(roc_auc(p_first, (labels == 0).astype(int)))


def train_once(data, args, seed, augmented, device):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = ResNet18(width=args.width).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    xtr, ytr = data["train"]
    steps_per_epoch = math.ceil(len(xtr) / args.batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                    pct_start=0.1)
    best = None
    history = []
    for epoch in range(1, args.epochs + 1):
        net.train()
        order = torch.randperm(len(xtr), generator=generator)
        for step in range(steps_per_epoch):
            idx = order[step * args.batch:(step + 1) * args.batch].to(device)
            x = xtr[idx]
            if augmented:
                x = augment(x, generator)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                loss = F.cross_entropy(net(x.contiguous(memory_format=torch.channels_last)).float(), ytr[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        val_acc, val_auc = evaluate(net, *data["val"], 256)
        test_acc, test_auc = evaluate(net, *data["test"], 256)
        history.append({"epoch": epoch, "loss": float(loss), "val_accuracy": val_acc, "val_auc": val_auc,
                        "test_accuracy": test_acc, "test_auc": test_auc})
        # Kept by validation accuracy (the test columns are only read for the kept epoch).
        if best is None or val_acc > best["val_accuracy"]:
            best = history[-1]
    return {"seed": seed, "augmented": augmented, "kept": best, "history": history}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", required=True, help="prefix of the .bin/.json pair written by bench/cxr-export-split.ts")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="use only this many images of each part, evenly spaced (a smoke test)")
    parser.add_argument("--budget-s", type=float, default=1e9, help="start no run after this many seconds")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    start = time.perf_counter()
    meta, pixels = load_pack(args.pack)
    labels = torch.tensor(meta["labels"])
    data = {}
    for part in ("train", "val", "test"):
        part_idx = meta[part]
        if args.limit:
            part_idx = part_idx[::max(1, len(part_idx) // args.limit)][:args.limit]
        idx = torch.tensor(part_idx)
        x = torch.from_numpy(pixels[idx.numpy()]).float().div_(255).unsqueeze(1).to(device)
        data[part] = (x, labels[idx].to(device))
    log(f"loaded {len(pixels)} images ({meta['format']}) in {time.perf_counter() - start:.1f} s on {device}")
    report = {"tool": "spikemed bench/torch/cxr_ceiling.py", "command": " ".join([sys.executable] + sys.argv),
              "torch": torch.__version__, "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "split": meta["description"], "pixels": meta["format"], "settings": vars(args), "runs": []}
    for augmented in (False, True):
        for seed in range(1, args.seeds + 1):
            if time.perf_counter() - start > args.budget_s:
                log("time budget spent: no further runs")
                break
            t0 = time.perf_counter()
            run = train_once(data, args, seed, augmented, device)
            run["seconds"] = time.perf_counter() - t0
            report["runs"].append(run)
            kept = run["kept"]
            log(f"augmented={augmented} seed={seed}: epoch {kept['epoch']} val {kept['val_accuracy']:.4f} "
                f"test {kept['test_accuracy']:.4f} auc {kept['test_auc']:.4f} ({run['seconds']:.0f} s)")
            if args.out:
                json.dump(report, open(args.out, "w"), indent=1)
    for augmented in (False, True):
        kept = [r["kept"] for r in report["runs"] if r["augmented"] == augmented]
        if kept:
            accs = [k["test_accuracy"] for k in kept]
            report[f"summary_augmented_{augmented}"] = {
                "runs": len(kept), "test_accuracy_mean": statistics.mean(accs),
                "test_accuracy_sd": statistics.stdev(accs) if len(accs) > 1 else None,
                "test_auc_mean": statistics.mean(k["test_auc"] for k in kept)}
    if args.out:
        json.dump(report, open(args.out, "w"), indent=1)
    json.dump({k: v for k, v in report.items() if k != "runs"}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
