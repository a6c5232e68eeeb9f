#!/usr/bin/python3
"""`sls train`'s loop in PyTorch eager, for timing it side by side.

    /usr/bin/python3 bench/train_reference.py BACKBONE TASK_DIR [--method convpass|lora|linear] [--epochs 3]
        [--batch 64] [--workers 2] [--cache] [--heads 3] [--threads 2] [--device cpu]

The same model, shapes and loop as `sls train --petl-method METHOD --petl-dim 8 --batch-size 64`: the backbone's
ViT (timm's layout and names, explicit softmax attention as timm ran it before PyTorch 2's fused kernel) frozen
(requires_grad off), Convpass in both branches of every block (Linear(d, 8) -> QuickGELU -> 3x3 conv over the patch
grid and over the cls token as a 1x1 image -> QuickGELU -> dropout 0.1 -> Linear(8, d), scale 1), LoRA (rank 8,
alpha 8) on qkv, or the head alone; a fresh head; torch.optim.AdamW (lr 1e-3, weight decay 1e-4) stepped per batch,
the rate per epoch (warm-up 1 epoch then cosine, as `sls train --warmup-epochs 1`); cross-entropy; train800val200
shuffled per epoch, batch 64; then one evaluation of the test split. Images: PIL, RGB, bicubic resize to the model's
input size, ImageNet mean/std, through a DataLoader with --workers processes; --cache decodes them once and keeps them
(as `sls train` does). --device cuda runs the model on the GPU (bench/gpu/run.sh), each batch moved there as it comes.

Needs Debian's python3-torch, python3-numpy and python3-pil. Prints the time of every epoch, of the evaluation, the
accuracy and the loss.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import safetensors_io  # noqa: E402
from list_dataset import ListDataset  # noqa: E402


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Convpass(nn.Module):
    def __init__(self, dim, hidden=8, scale=1.0):
        super().__init__()
        self.adapter_down = nn.Linear(dim, hidden)
        self.adapter_conv = nn.Conv2d(hidden, hidden, 3, 1, 1)
        self.adapter_up = nn.Linear(hidden, dim)
        self.act = QuickGELU()
        self.dropout = nn.Dropout(0.1)
        self.hidden, self.scale = hidden, scale
        nn.init.xavier_uniform_(self.adapter_down.weight)
        nn.init.zeros_(self.adapter_down.bias)
        nn.init.zeros_(self.adapter_conv.weight)
        self.adapter_conv.weight.data[:, :, 1, 1] += torch.eye(hidden)
        nn.init.zeros_(self.adapter_conv.bias)
        nn.init.zeros_(self.adapter_up.weight)
        nn.init.zeros_(self.adapter_up.bias)

    def forward(self, x):
        b, n, _ = x.shape
        g = int(round(math.sqrt(n - 1)))
        down = self.act(self.adapter_down(x))
        patches = down[:, 1:].reshape(b, g, g, self.hidden).permute(0, 3, 1, 2)
        patches = self.adapter_conv(patches).permute(0, 2, 3, 1).reshape(b, g * g, self.hidden)
        cls = down[:, :1].reshape(b, 1, 1, self.hidden).permute(0, 3, 1, 2)
        cls = self.adapter_conv(cls).permute(0, 2, 3, 1).reshape(b, 1, self.hidden)
        return self.adapter_up(self.dropout(self.act(torch.cat([cls, patches], 1)))) * self.scale


class LoraQkv(nn.Module):
    """W x + b + (alpha / r) B A x, A Kaiming-uniform, B zero (PEFT)."""

    def __init__(self, base, rank=8, alpha=8):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scale


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        att = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        return self.proj((att.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp, method):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))
        self.adapters = method == 'convpass'
        if self.adapters:
            self.adapter_attn = Convpass(dim)
            self.adapter_mlp = Convpass(dim)

    def forward(self, x):
        n1 = self.norm1(x)
        x = x + self.attn(n1) + (self.adapter_attn(n1) if self.adapters else 0)
        n2 = self.norm2(x)
        return x + self.mlp(n2) + (self.adapter_mlp(n2) if self.adapters else 0)


class ViT(nn.Module):
    def __init__(self, w, heads, classes, method):
        super().__init__()
        dim = w['cls_token'].shape[-1]
        self.patch = w['patch_embed.proj.weight'].shape[-1]
        depth = 1 + max(int(k.split('.')[1]) for k in w if k.startswith('blocks.'))
        mlp = w['blocks.0.mlp.fc1.weight'].shape[0]
        self.patch_embed = nn.Conv2d(3, dim, self.patch, self.patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(tuple(w['pos_embed'].shape)))
        self.blocks = nn.ModuleList(Block(dim, heads, mlp, method) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.size = self.patch * int(round(math.sqrt(self.pos_embed.shape[1] - 1)))
        sd = {k.replace('patch_embed.proj.', 'patch_embed.').replace('mlp.fc1.', 'mlp.0.').replace('mlp.fc2.', 'mlp.2.'): torch.from_numpy(np.ascontiguousarray(v)).float()
              for k, v in w.items() if not k.startswith('head.')}
        missing, unexpected = self.load_state_dict(sd, strict=False)
        assert not unexpected, unexpected
        for p in self.parameters():
            p.requires_grad = False  # the frozen backbone
        if method == 'lora':
            for b in self.blocks:
                b.attn.qkv = LoraQkv(b.attn.qkv)
        self.head = nn.Linear(dim, classes)

    def tokens(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return x

    def forward(self, x):
        return self.head(self.norm(self.tokens(x))[:, 0])


def lr_at(epoch, epochs, warmup, lr=1e-3, min_lr=1e-5, warmup_init=1e-6):
    if epoch < warmup:
        return warmup_init + epoch * (lr - warmup_init) / warmup
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * epoch / epochs))


def main():
    a = argparse.ArgumentParser()
    a.add_argument('backbone')
    a.add_argument('task')
    a.add_argument('--method', default='convpass', choices=['convpass', 'lora', 'linear'])
    a.add_argument('--epochs', type=int, default=3)
    a.add_argument('--batch', type=int, default=64)
    a.add_argument('--workers', type=int, default=2)
    a.add_argument('--cache', action='store_true')
    a.add_argument('--heads', type=int, default=3)
    a.add_argument('--threads', type=int, default=os.cpu_count())
    a.add_argument('--seed', type=int, default=0)
    a.add_argument('--device', default='cpu')
    args = a.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    w = safetensors_io.read(args.backbone)
    train = ListDataset(args.task, 'train800val200.txt', 0)
    test = ListDataset(args.task, 'test.txt', 0)
    classes = 1 + max(c for _, c in train.items + test.items)
    model = ViT(w, args.heads, classes, args.method).to(device)
    train.size = test.size = model.size
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-3, weight_decay=1e-4)
    if args.cache:
        def kept(ds):
            xs, ys = zip(*(ds[i] for i in range(len(ds))))
            return torch.utils.data.TensorDataset(torch.stack(xs), torch.tensor(ys))
        train_ds, test_ds, workers = kept(train), kept(test), 0
    else:
        train_ds, test_ds, workers = train, test, args.workers
    print(f'model: {sum(p.numel() for p in trainable)} trainable parameters ({args.method}), input {model.size}px, '
          f'{len(train)} training images, {torch.get_num_threads()} threads, {device}, torch {torch.__version__}; '
          f'setup {time.perf_counter() - t0:.2f} s', file=sys.stderr)
    loader = torch.utils.data.DataLoader(train_ds, batch_size=args.batch, shuffle=True, num_workers=workers, persistent_workers=workers > 0)
    epochs_start = time.perf_counter()
    for epoch in range(args.epochs):
        for g in opt.param_groups:
            g['lr'] = lr_at(epoch, args.epochs, 1)
        model.train()
        e0 = time.perf_counter()
        total, seen = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            seen += len(y)
        print(f'epoch {epoch + 1} {time.perf_counter() - e0:.3f} s loss {total / seen:.6f}')
    epochs = time.perf_counter() - epochs_start
    model.eval()
    e0 = time.perf_counter()
    correct = n = 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(test_ds, batch_size=args.batch, num_workers=workers):
            correct += int((model(x.to(device)).argmax(1) == y.to(device)).sum())
            n += len(y)
    print(f'eval {time.perf_counter() - e0:.3f} s accuracy {correct / n:.4f} ({n} images)')
    print(f'epochs_seconds {epochs:.2f} total_seconds {time.perf_counter() - t0:.2f}')


if __name__ == '__main__':
    main()
