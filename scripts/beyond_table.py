#!/usr/bin/python3
"""Tables of docs/RESULTS.md's "Beyond the paper" section from scripts/run_beyond_pipeline.sh's JSON files.

    /usr/bin/python3 scripts/beyond_table.py WORK_DIR   (prints Markdown on stdout)
"""
import json
import os
import sys

TASKS = ["natural-subset-scale", "natural-colour-texture", "specialized-noisy-blur", "specialized-inverted-lowcontrast",
         "structured-count", "structured-rotation", "structured-location"]


def load(work, task, name):
    path = os.path.join(work, task, name + ".json")
    with open(path) as f:
        return json.load(f)


def pct(x):
    return f"{100 * x:.1f}"


def main(work):
    rows, by_depth, sweeps, seeds = [], [], [], []
    pruned_tasks, removed, clr_delta, distill_delta, differ, seed_runs = 0, [], [], [], 0, 0
    for task in TASKS:
        if not os.path.exists(os.path.join(work, task, "eval-distill.json")):
            continue
        full = load(work, task, "eval-full")["top1"]
        index = load(work, task, "prune")["index"]
        kept, depth = len(index["kept_blocks"]), index["depth"]
        pruned = load(work, task, "eval-pruned")["top1"]
        clr = load(work, task, "eval-clr")["top1"]
        distill = load(work, task, "eval-distill")["top1"]
        rows.append(f"| {task} | {pct(full)} | {kept} / {depth} | {pct(pruned)} | {pct(clr)} | {pct(distill)} | "
                    f"{100 * (clr - full):+.1f} | {100 * (distill - full):+.1f} |")
        if kept < depth:
            pruned_tasks += 1
            removed.append(1 - kept / depth)
            clr_delta.append(clr - full)
            distill_delta.append(distill - full)
        acc = index.get("depth_accuracy")
        if acc:
            cells = " | ".join(("**" + pct(a) + "**") if k + 1 == kept else pct(a) for k, a in enumerate(acc["top1"]))
            by_depth.append(f"| {task} | {cells} |")
        sweep = index.get("alpha_sweep") or []
        sweeps.append(f"| {task} | " + ", ".join(f"({s['from']:.3f}, {s['to']:.3f}] → {s['kept']}" for s in sweep) + " |")
        per_seed = index.get("seed_kept") or []
        if per_seed:
            seed_runs += len(per_seed)
            differ += sum(1 for k in per_seed if k != kept)
            std = index.get("score_std") or []
            seeds.append(f"| {task} | {', '.join(map(str, per_seed))} | {kept} | {sum(1 for k in per_seed if k == kept)} / {len(per_seed)} | "
                         f"{max(std):.4f} |")
    out = []
    out.append("| task | full | blocks kept | pruned, no retraining | retrained (CLR) | retrained (CLR + distillation) | CLR - full | distill - full |")
    out.append("|---|---|---|---|---|---|---|---|")
    out += rows
    if pruned_tasks:
        mean = lambda xs: 100 * sum(xs) / len(xs)
        out.append("")
        out.append(f"Over the {pruned_tasks} tasks SLS prunes: {mean(removed):.0f}% of the blocks removed on average; "
                   f"mean (retrained - full) {mean(clr_delta):+.2f} points with CLR, {mean(distill_delta):+.2f} with distillation.")
    out.append("")
    out.append("Accuracy of every depth without retraining (val200, from the features' pass; bold: SLS's decision):")
    out.append("")
    n = max((r.count("|") - 2 for r in by_depth), default=8)
    out.append("| task | " + " | ".join(str(k) for k in range(1, n + 1)) + " |")
    out.append("|---|" + "---|" * n)
    out += by_depth
    out.append("")
    out.append("The alpha sweep (blocks kept for every alpha in the interval, from the same scores):")
    out.append("")
    out.append("| task | alpha → blocks kept |")
    out.append("|---|---|")
    out += sweeps
    if seeds:
        out.append("")
        out.append(f"Decision stability over t-SNE seeds (alpha 0.3): {differ} of {seed_runs} single-seed decisions differ from the majority.")
        out.append("")
        out.append("| task | blocks kept per seed | majority | seeds agreeing | largest score std |")
        out.append("|---|---|---|---|---|")
        out += seeds
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/slsprune-beyond")
