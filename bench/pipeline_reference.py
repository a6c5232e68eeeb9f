#!/usr/bin/python3
"""Reference for the pipeline and forward benchmarks: Pillow + torchvision, PyTorch.

    /usr/bin/python3 bench/pipeline_reference.py pipeline TASK_DIR [split] [size] [repeats]
    /usr/bin/python3 bench/pipeline_reference.py forward [batch] [iters]

pipeline: Image.open(p).convert('RGB') -> Resize((size, size), BICUBIC) -> ToTensor -> Normalize(ImageNet),
batched with a DataLoader (batch 64) using as many worker processes as there are cores.
forward: a ViT-B/16 (timm layout, explicit softmax attention) with random weights, no grad.
Needs python3-torch, python3-torchvision, python3-pil and libopenblas0-pthread (Debian).
"""
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, root, split, size):
        self.items = []
        with open(os.path.join(root, split + '.txt')) as f:
            for line in f:
                if line.strip():
                    p, l = line.rsplit(maxsplit=1)
                    self.items.append((os.path.join(root, p), int(l)))
        self.t = transforms.Compose([transforms.Resize((size, size), interpolation=transforms.InterpolationMode.BICUBIC),
                                     transforms.ToTensor(),
                                     transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        p, l = self.items[i]
        return self.t(Image.open(p).convert('RGB')), l


def pipeline(root, split='test', size=224, repeats=3):
    ds = ListDataset(root, split, int(size))
    workers = os.cpu_count()
    best = float('inf')
    for _ in range(int(repeats)):
        t = time.perf_counter()
        for _ in torch.utils.data.DataLoader(ds, batch_size=64, num_workers=workers):
            pass
        best = min(best, time.perf_counter() - t)
    print(f'pipeline_images_per_s {len(ds) / best:.1f} img/s ({len(ds)} images to {size}x{size}, {workers} workers, best of {repeats})')
    t = time.perf_counter()
    for i in range(200):
        ds[i]
    print(f'decode_resize_normalise_1process {200 / (time.perf_counter() - t):.1f} img/s')


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.h, c // self.h).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) * (c // self.h) ** -0.5).softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(b, n, c))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, d=768, depth=12, h=12, p=16, img=224, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, d, p, p)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, (img // p) ** 2 + 1, d))
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x)[:, 0])


def forward(batch=8, iters=3):
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    m = ViT().eval()
    x = torch.randn(int(batch), 3, 224, 224)
    with torch.no_grad():
        m(x)
        best = float('inf')
        for _ in range(int(iters)):
            t = time.perf_counter()
            m(x)
            best = min(best, time.perf_counter() - t)
    print(f'forward_images_per_s {int(batch) / best:.2f} img/s (ViT-B/16, batch {batch}, {torch.get_num_threads()} threads, torch {torch.__version__}, best of {iters})')


if __name__ == '__main__':
    {'pipeline': pipeline, 'forward': forward}[sys.argv[1]](*sys.argv[2:])
