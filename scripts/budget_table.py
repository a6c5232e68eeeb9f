#!/usr/bin/python3
"""The table of docs/RESULTS.md's "Pruning to a budget" section from scripts/run_budget_fronts.sh's indexes.

    /usr/bin/python3 scripts/budget_table.py WORK_DIR   (prints Markdown on stdout)

Per task: the budget, the deepest cut within it, the alpha rule's depth and the alpha policy's choice (from the
index), what --policy accuracy chooses on the same index (the best top-1 of the depth pass among the depths that fit,
ties keeping fewer blocks: BudgetPolicy.ByAccuracy), and where the alpha rule's depth sits on the front of every depth
(top-1 without retraining against FLOPs): on it (no cheaper depth is as accurate), below it (a cheaper depth is at
least as accurate), and how far it is from the knee (the cheapest depth within 2 points of the best).
"""
import json
import os
import sys

TASKS = ["natural-subset-scale", "natural-colour-texture", "specialized-noisy-blur", "specialized-inverted-lowcontrast",
         "structured-count", "structured-rotation", "structured-location"]


def pct(x):
    return f"{100 * x:.1f}"


def main(work):
    rows, notes = [], []
    for task in TASKS:
        path = os.path.join(work, "results", task, "index.sls.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            ix = json.load(f)
        b, sls = ix["budget"], ix["sls"]
        top1 = sls["depth_accuracy"]["top1"]
        costs = b["costs"]
        share = [c["flops"] / costs[-1]["flops"] for c in costs]
        fits, rule, chosen = b["fits"], b["alpha_choice"], b["chosen"]
        by_acc = max(range(1, fits + 1), key=lambda k: (top1[k - 1], -k))
        on_front = all(top1[k - 1] < top1[rule - 1] for k in range(1, rule))
        best = max(top1)
        knee = min(k for k in range(1, len(top1) + 1) if top1[k - 1] >= best - 0.02)
        where = "on" if on_front else "below"
        side = "at the knee" if rule == knee else (f"{knee - rule} block(s) left of the knee" if rule < knee else f"{rule - knee} block(s) right of the knee")
        rows.append(f"| {task} | {b['spec']} | {fits} ({share[fits - 1]:.2f}) | {rule} ({pct(top1[rule - 1])}) | **{chosen}** ({pct(top1[chosen - 1])}) "
                    f"| {by_acc} ({pct(top1[by_acc - 1])}) | {knee} ({pct(top1[knee - 1])}) | {where}, {side} |")
    print("| task | budget | deepest fitting cut (FLOPs) | alpha rule (top-1) | alpha policy's choice | accuracy policy's choice | knee: within 2 points of the best | alpha rule's depth on the front |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/slsprune-budget")
