#!/usr/bin/env python3
"""Markdown tables of the baseline comparison (scripts/run_baseline_comparison.sh OUT), on stdout:
per method, the averages over the tasks, then per task the accuracy without and with retraining.

    python3 scripts/baselines_table.py OUT/results

Standard library only; every number comes from the result files.
"""
import glob
import json
import os
import statistics
import sys

METHODS = ['sls', 'bi', 'cka', 'probe', 'depgraph', 'aglp', 'spa']


def main(d):
    rows = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(d, '*.json')))]
    rows = [r for r in rows if r['status'] == 'ok']
    tasks = [r['task'] for r in rows if r.get('method', 'sls') == 'sls']
    by = {(r['task'].split('.')[0], r.get('method', 'sls')): r for r in rows}

    def acc(r, k):
        return r[k]['top1'] * 100 if r.get(k) else None

    print('| method | full | pruned, no retraining | retrained | retrained - full | blocks kept | FLOPs kept | bytes per task | method s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for m in METHODS:
        rs = [by[(t, m)] for t in tasks if (t, m) in by]
        if not rs:
            continue
        mean = lambda xs: statistics.mean(xs)
        full, pruned, re = mean([acc(r, 'full') for r in rs]), mean([acc(r, 'pruned') for r in rs]), mean([acc(r, 'retrained') for r in rs])
        kept = mean([r['kept_blocks'] for r in rs])
        flops = mean([r['retrained']['flops_per_image'] / r['full']['flops_per_image'] for r in rs])
        bytes_ = mean([r['retrained']['storage']['per_task_bytes'] for r in rs])
        secs = mean([r['method_seconds'] for r in rs])
        print(f'| {m} | {full:.1f} | {pruned:.1f} | {re:.1f} | {re - full:+.1f} | {kept:.1f} / 8 | {flops:.2f} | {bytes_:,.0f} | {secs:.1f} |')
    for key, title in (('pruned', 'pruned, no retraining'), ('retrained', 'retrained (CLR, 10 epochs)')):
        print()
        print(f'Per task, {title} (blocks kept in brackets; width methods keep 8 narrower blocks):')
        print()
        print('| task | full | ' + ' | '.join(METHODS) + ' |')
        print('|---|---|' + '---|' * len(METHODS))
        for t in tasks:
            cells = []
            for m in METHODS:
                r = by.get((t, m))
                cells.append('-' if r is None else f"{acc(r, key):.1f} ({r['kept_blocks']})")
            print(f"| {t} | {acc(by[(t, 'sls')], 'full'):.1f} | " + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main(sys.argv[1])
