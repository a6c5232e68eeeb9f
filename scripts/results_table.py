#!/usr/bin/env python3
"""Writes docs/RESULTS.md (on stdout) from the JSON files scripts/run_local_pipeline.sh leaves in RESULTS_DIR.

    python3 scripts/results_table.py RESULTS_DIR > docs/RESULTS.md

Standard library only. Every number in the output comes from those files.
"""
import json
import os
import sys

ORDER = ['natural-subset-scale', 'natural-colour-texture', 'specialized-noisy-blur', 'specialized-inverted-lowcontrast',
         'structured-count', 'structured-rotation', 'structured-location']


def load(d, name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None


def speed(t, batch):
    return next(x['images_per_second'] for x in t['throughput'] if x['batch_size'] == batch)


def main(root):
    rows, notes = [], []
    tasks = [t for t in ORDER if os.path.isdir(os.path.join(root, t))]
    for task in tasks:
        d = os.path.join(root, task)
        full, pruned, re = load(d, 'eval-full.json'), load(d, 'eval-pruned.json'), load(d, 'eval-retrained.json')
        index, train, retrain = load(d, 'index.sls.json'), load(d, 'train.json'), load(d, 'retrain.json')
        tf, tp = load(d, 'throughput-full.json'), load(d, 'throughput-pruned.json')
        if None in (full, pruned, re, index):
            continue
        kept, depth = len(index['kept_blocks']), index['depth']
        ratio = lambda b: f"{speed(tp, b) / speed(tf, b):.2f}" if tf and tp else '-'
        rows.append(f"| {task} | {full['top1'] * 100:.1f} | {kept} / {depth} | {pruned['top1'] * 100:.1f} | {re['top1'] * 100:.1f} | "
                    f"{(re['top1'] - full['top1']) * 100:+.1f} | {full['flops_per_image'] / 1e6:.1f} -> {re['flops_per_image'] / 1e6:.1f} | "
                    f"{ratio(1)} | {ratio(64)} | {full['storage']['per_task_bytes']:,} -> {re['storage']['per_task_bytes']:,} |")
        notes.append(f"| {task} | " + ' '.join(f"{s:+.3f}" for s in index['scores']) + f" | {index['decision']} |")
    machine = "2 vCPU AMD EPYC, 24 GiB, Debian 12, no GPU; .NET 10, TorchSharp 0.107.0, libtorch-cpu 2.10.0"
    tf0 = load(os.path.join(root, tasks[0]), 'throughput-full.json') if tasks else None
    print(f"""# Results: the whole SLS pipeline on the local benchmark

Every task of the local benchmark (`sls data fashion-mnist`, README "Data"), on the shipped backbone
(`models/fmnist-vit8/backbone.safetensors`: patch 8, width 192, 8 blocks, pre-trained on the 60,000
Fashion-MNIST training images). Per task: Convpass (hidden dim 8, scale 1) trained at full depth for 30
epochs on train800val200 (3 warm-up, lr 1e-3, cosine to 1e-5, seed 0); `sls prune` on the same split
(silhouette, alpha 0.3); the pruned model evaluated without retraining; retrained with CLR (warm-up +
cosine, 10 epochs, lr 1e-3, starting from the full model's adapters); evaluated again. Accuracy is top-1
on the 1000-image test split, in %.

Reproduce (about 30 minutes on 2 cores; each step is skipped when its output exists):

```bash
sudo apt-get install dataset-fashion-mnist
scripts/run_local_pipeline.sh        # WORK=/tmp/slsprune-pipeline; writes this file at the end
```

Machine: {machine}. Throughput is images/s of the model alone (`sls eval --throughput
--throughput-batches 1,64 --repeats 20`, median of 20 passes), measured after all training, pruned over
full on the same weights. Storage is what a task costs besides the shared backbone: the PETL file (plus
the index, once pruned; the retrained PETL file holds the kept blocks' adapters only).

| task | full | blocks kept | pruned, no retraining | retrained (CLR) | retrained - full | MFLOPs per image | speed-up batch 1 | speed-up batch 64 | bytes per task |
|---|---|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + """

Silhouette score of each layer's t-SNE (layers 1..8) and the decision:

| task | scores | decision |
|---|---|---|
""" + "\n".join(notes))


if __name__ == '__main__':
    main(sys.argv[1])
