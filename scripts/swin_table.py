#!/usr/bin/env python3
"""Tables of scripts/run_swin_local.sh: per task SLS's decision, accuracy full vs pruned without retraining (the
index's depth_accuracy on val200), and per cut depth the cut model's accuracy (final norm + the task's head on the
cut block) against a fresh ridge head on the cut block's mean-pooled output (sls prune --method probe)."""
import json, os, sys

work, method = sys.argv[1], sys.argv[2]
tasks = sorted(os.listdir(os.path.join(work, "results")))
pre = json.load(open(os.path.join(work, "pretrain.json")))
hist = pre.get("History") or pre.get("history") or []
acc = [h.get("Accuracy", h.get("accuracy")) for h in hist]
print(f"Backbone: {pre.get('Images', pre.get('images'))} upstream images, train accuracy "
      + ", ".join(f"{100 * a:.1f}%" for a in acc if a is not None) + f" ({pre.get('Seconds', pre.get('seconds', 0)):.0f} s).\n")

def load(task, name):
    with open(os.path.join(work, "results", task, method, name)) as f:
        return json.load(f)

rows, curves = [], []
depth = None
for t in tasks:
    try:
        idx, probe = load(t, "index.sls.json"), load(t, "probe.sls.json")
    except FileNotFoundError:
        continue
    top1 = idx["depth_accuracy"]["top1"]
    depth = len(top1)
    k = len(idx["kept_blocks"])
    scores = idx["scores"]
    rows.append(f"| {t} | {k} / {depth} | {100 * top1[-1]:.1f} | {100 * top1[k - 1]:.1f} | {100 * (top1[k - 1] - top1[-1]):+.1f} | "
                + " ".join(f"{s:.2f}" for s in scores) + " |")
    p = probe["scores"]
    best_cut = max(range(depth), key=lambda i: (top1[i], -i))
    curves.append(f"| {t} | cut + own head | " + " | ".join(f"{100 * a:.1f}" for a in top1) + " |")
    curves.append(f"| | fresh ridge head | " + " | ".join(f"{100 * a:.1f}" for a in p) + " |")
print(f"| task | kept by SLS | full | pruned, no retraining | difference | silhouette per block |")
print("|---|---|---|---|---|---|")
print("\n".join(rows))
print()
print("| task | head | " + " | ".join(f"{i + 1}" for i in range(depth or 0)) + " |")
print("|---|---|" + "---|" * (depth or 0))
print("\n".join(curves))

widths = []
for t in tasks:
    try:
        full, narrow = load(t, "eval-full.json"), load(t, "eval-depgraph.json")
    except FileNotFoundError:
        continue
    fp, np_ = full["flops_per_image"], narrow["flops_per_image"]
    pb, pn = full["parameters"]["backbone"], narrow["parameters"]["backbone"]
    widths.append(f"| {t} | {100 * full['top1']:.1f} | {100 * narrow['top1']:.1f} | {100 * (narrow['top1'] - full['top1']):+.1f} | "
                  f"{fp / 1e6:.1f} -> {np_ / 1e6:.1f} | {pb:,} -> {pn:,} |")
if widths:
    print()
    print("| task | full (test) | depgraph, half the heads and units, no retraining | difference | MFLOPs per image | backbone parameters |")
    print("|---|---|---|---|---|---|")
    print("\n".join(widths))
