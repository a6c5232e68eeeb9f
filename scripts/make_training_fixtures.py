#!/usr/bin/python3
"""Reference fixture for SlsPrune's optimizer: torch.optim.AdamW on fixed gradients.

    /usr/bin/python3 scripts/make_training_fixtures.py tests/fixtures/training

Writes adamw.safetensors: p0 [3, 5], grads g.0..g.5 [3, 5], the learning rate of each step (lrs [6]) and
the parameters after each step (p.1..p.6), with weight decay 1e-4 and PyTorch's defaults otherwise.
"""
import os
import sys

import torch

import safetensors_io


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(11)
    p0 = torch.randn(3, 5, generator=g)
    p = torch.nn.Parameter(p0.clone())
    opt = torch.optim.AdamW([p], lr=1e-3, weight_decay=1e-4)
    lrs = [1e-6, 1e-4, 2e-4, 1e-3, 5e-4, 1e-5]
    arrays = {'p0': p0.numpy(), 'lrs': torch.tensor(lrs, dtype=torch.float64).numpy()}
    for t, lr in enumerate(lrs):
        grad = torch.randn(3, 5, generator=g) * (t + 1)
        arrays[f'g.{t}'] = grad.numpy()
        for group in opt.param_groups:
            group['lr'] = lr
        p.grad = grad.clone()
        opt.step()
        arrays[f'p.{t + 1}'] = p.detach().clone().numpy()
    safetensors_io.write(os.path.join(out, 'adamw.safetensors'), arrays, {'torch': torch.__version__})
    print('wrote', out)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/training')
