#!/usr/bin/python3
"""`sls eval`'s accuracy pass in PyTorch eager, for images per second side by side.

    /usr/bin/python3 bench/eval_reference.py BACKBONE PETL TASK_DIR [--split test] [--batch 64] [--workers 2]
        [--heads 3] [--threads 2]

The model of bench/train_reference.py (timm's ViT layout, Convpass in both branches of every block when the PETL
file has adapters, else the head alone) with the backbone's and the PETL file's weights, in eval mode under
torch.no_grad; the split's images through a DataLoader (--workers processes decode and resize while the model runs,
as `sls eval` decodes the next batch on another thread); top-1 over the split. Prints the wall time of the pass
(DataLoader start to the last batch) and images per second.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_reference as ref  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    a.add_argument('backbone')
    a.add_argument('petl')
    a.add_argument('task')
    a.add_argument('--split', default='test')
    a.add_argument('--batch', type=int, default=64)
    a.add_argument('--workers', type=int, default=2)
    a.add_argument('--heads', type=int, default=3)
    a.add_argument('--threads', type=int, default=os.cpu_count())
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    w = ref.safetensors_io.read(args.backbone)
    petl = {k: torch.from_numpy(ref.np.ascontiguousarray(v)).float() for k, v in ref.safetensors_io.read(args.petl).items()}
    method = 'convpass' if any('adapter_down' in k for k in petl) else 'linear'
    data = ref.ListDataset(args.task, args.split + '.txt', 0)
    model = ref.ViT(w, args.heads, petl['head.weight'].shape[0], method)
    missing, unexpected = model.load_state_dict(petl, strict=False)
    assert not unexpected, unexpected
    data.size = model.size
    model.eval()
    setup = time.perf_counter() - t0
    e0 = time.perf_counter()
    correct = n = 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(data, batch_size=args.batch, num_workers=args.workers):
            correct += int((model(x).argmax(1) == y).sum())
            n += len(y)
    t = time.perf_counter() - e0
    print(f'eval {n} images, batch {args.batch}: {t:.3f} s, {n / t:.1f} img/s, top-1 {correct / n:.4f} '
          f'({method}, {torch.get_num_threads()} threads, {args.workers} workers, setup {setup:.2f} s, torch {torch.__version__})')


if __name__ == '__main__':
    main()
