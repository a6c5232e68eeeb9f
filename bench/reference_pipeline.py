#!/usr/bin/python3
"""The SLS reference pipeline as its published code runs it, for timing `sls prune` end to end.

    /usr/bin/python3 bench/reference_pipeline.py [BACKBONE PETL DATA_DIR] [--alpha 0.3] [--workers 2] [--device cpu]

Defaults: the shipped model (models/fmnist-vit8: backbone.safetensors, structured-location.convpass.safetensors) and
its calibration folder (models/fmnist-vit8/calibration/structured-location, list train800val200.txt).

What it does, as the reference loop does: for each layer from the top, rebuild the ViT truncated after that block,
run a full forward over the calibration split (a DataLoader over the list, shuffled, batches of 40; images opened
with PIL, converted to RGB, resized bicubic to the model's input size, ImageNet mean/std), keep the cls token after the last block
(before the final norm, as `sls prune`), then scikit-learn TSNE(n_components=2, init='pca', random_state=0),
min-max per axis, silhouette_score with the labels. The threshold is alpha x the top layer's score; the walk stops
at the first layer below it and keeps blocks 1..i+1 (all blocks if the top score is <= 0, block 1 if none falls
below). float32, torch.no_grad, the plain-torch ViT + Convpass forward of scripts/make_parity_fixtures.py; on
--device (cpu, or cuda on the GPU machine: bench/gpu/run.sh), the features back on the CPU for scikit-learn.

Needs Debian's python3-torch, python3-sklearn, python3-numpy and python3-pil. Prints per-layer scores, the decision
and the wall time of the whole run (model load to decision; `time` around the process gives Python's start-up too).
"""
import argparse
import os
import sys
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import make_parity_fixtures as ref  # noqa: E402
import safetensors_io  # noqa: E402
from list_dataset import ListDataset  # noqa: E402


def configure(w, petl_meta):
    """Set the reference forward's module constants from the checkpoint's shapes."""
    width = w['cls_token'].shape[-1]
    ref.PATCH = w['patch_embed.proj.weight'].shape[-1]
    ref.GRID = int(round((w['pos_embed'].shape[1] - 1) ** 0.5))
    ref.WIDTH = width
    ref.DEPTH = 1 + max(int(k.split('.')[1]) for k in w if k.startswith('blocks.'))
    ref.HEADS = int(petl_meta.get('heads', 0)) or max(1, width // 64)
    ref.MLP = w['blocks.0.mlp.fc1.weight'].shape[0]
    # a head-only PETL file (linear probe) has no adapters: the plain ViT
    ref.HIDDEN = w['blocks.0.adapter_attn.adapter_down.weight'].shape[0] if 'blocks.0.adapter_attn.adapter_down.weight' in w else 0
    ref.CONVPASS_SCALE = float(petl_meta.get('petl_scale', 1))
    return ref.PATCH * ref.GRID


def truncated_forward(images, w, depth):
    """The model rebuilt with blocks 1..depth: the cls token after the last block, before the final norm (float32)."""
    x = F.conv2d(images, w['patch_embed.proj.weight'], w['patch_embed.proj.bias'], stride=ref.PATCH)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([w['cls_token'].expand(x.shape[0], -1, -1), x], dim=1) + w['pos_embed']
    for i in range(depth):
        p = f'blocks.{i}.'
        n1 = ref.ln(x, w, p + 'norm1.')
        x = x + ref.attention(n1, w, p + 'attn.')
        if ref.HIDDEN:
            x = x + ref.convpass(n1, w, p + 'adapter_attn.') * ref.CONVPASS_SCALE
        n2 = ref.ln(x, w, p + 'norm2.')
        x = x + ref.mlp(n2, w, p + 'mlp.')
        if ref.HIDDEN:
            x = x + ref.convpass(n2, w, p + 'adapter_mlp.') * ref.CONVPASS_SCALE
    return x[:, 0]


def read_meta(path):
    import json
    import struct
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        return json.loads(f.read(n)).get('__metadata__', {})


def main():
    a = argparse.ArgumentParser()
    a.add_argument('backbone', nargs='?', default=os.path.join(ROOT, 'models/fmnist-vit8/backbone.safetensors'))
    a.add_argument('petl', nargs='?', default=os.path.join(ROOT, 'models/fmnist-vit8/structured-location.convpass.safetensors'))
    a.add_argument('data', nargs='?', default=os.path.join(ROOT, 'models/fmnist-vit8/calibration/structured-location'))
    a.add_argument('--list', default='train800val200.txt')
    a.add_argument('--alpha', type=float, default=0.3)
    a.add_argument('--workers', type=int, default=2)
    a.add_argument('--batch', type=int, default=40)
    a.add_argument('--heads', type=int, default=3)
    a.add_argument('--seed', type=int, default=0)
    a.add_argument('--device', default='cpu')
    args = a.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    w = {k: torch.from_numpy(np.ascontiguousarray(v)).float() for k, v in safetensors_io.read(args.backbone).items()}
    w.update({k: torch.from_numpy(np.ascontiguousarray(v)).float() for k, v in safetensors_io.read(args.petl).items()})
    w = {k: v.to(device) for k, v in w.items()}
    meta = read_meta(args.petl)
    meta.setdefault('heads', args.heads)
    size = configure(w, meta)
    data = ListDataset(args.data, args.list, size)
    print(f'model: patch {ref.PATCH}, grid {ref.GRID}, width {ref.WIDTH}, depth {ref.DEPTH}, heads {ref.HEADS}, '
          f'mlp {ref.MLP}, convpass hidden {ref.HIDDEN} scale {ref.CONVPASS_SCALE}; {len(data)} images at {size}px on {device}',
          file=sys.stderr)

    t_forward = t_fem = 0.0
    scores, top, kept = {}, None, None
    for depth in range(ref.DEPTH, 0, -1):
        t0 = time.perf_counter()
        loader = torch.utils.data.DataLoader(data, batch_size=args.batch, shuffle=True, num_workers=args.workers)
        feats, labels = [], []
        with torch.no_grad():
            for x, y in loader:
                feats.append(truncated_forward(x.to(device), w, depth).cpu())
                labels.append(y)
        X = torch.cat(feats).numpy()
        L = torch.cat(labels).numpy()
        t1 = time.perf_counter()
        Y = TSNE(n_components=2, init='pca', random_state=0).fit_transform(X)
        Yn = (Y - Y.min(0)) / (Y.max(0) - Y.min(0))
        s = float(silhouette_score(Yn, L))
        t2 = time.perf_counter()
        t_forward += t1 - t0
        t_fem += t2 - t1
        scores[depth] = s
        print(f'layer {depth}: sc {s:.4f} (forward {t1 - t0:.2f} s, t-SNE + silhouette {t2 - t1:.2f} s)', file=sys.stderr)
        if top is None:
            top = s
            if top <= 0:
                kept = ref.DEPTH
                break
        elif s < args.alpha * top:
            kept = depth + 1
            break
    if kept is None:
        kept = 1
    wall = time.perf_counter() - START
    print('scores ' + ' '.join(f'{scores[d]:.4f}' for d in sorted(scores)))
    print(f'threshold {args.alpha * top:.4f} kept_blocks {kept} of {ref.DEPTH}')
    print(f'forward_seconds {t_forward:.2f} fem_seconds {t_fem:.2f} wall_seconds {wall:.2f} (layers scored {len(scores)})')


if __name__ == '__main__':
    main()
