#!/usr/bin/python3
"""Reference fixtures for SlsPrune's Swin Transformer (v1) family.

Run with Debian's Python (python3-torch, python3-torchvision, libopenblas0-pthread):
    /usr/bin/python3 scripts/make_swin_fixtures.py tests/fixtures/swin

Builds two small random torchvision SwinTransformer models and writes:
  a.pth / b.pth          torch.save(state_dict) with torchvision's names (features.*, norm, head)
  a_linear.safetensors   a head-only PETL file (3 classes) for model a
  a_lora.safetensors     LoRA on every block's qkv (PEFT's names on the internal blocks.{i}), with __metadata__
  expected.safetensors   per model: the input images, the logits, every block's output mean-pooled over tokens
                         (blocks.{i}, [batch, stage width]), logits of models keeping only some blocks
                         (cut.{name}: the later stages' patch merging still applied), and the LoRA logits
Model a: patch 4, image 32 (grid 8), embed 4, depths [2, 2, 2, 2], heads [1, 2, 2, 4], window 3, MLP ratio 2: stage grids
8, 4, 2, 1 padded to 9, 6, 3, 3, so stage 3 and 4 windows cover their grid (no shift).
Model b: patch 4, image 40 (grid 10), embed 4, depths [1, 3, 1], heads [1, 2, 4], window 4: grids 10, 5, 3
(odd grids padded by the patch merging) padded to 12, 8, 4.
The reference runs torchvision's own modules in float64; kept-block models run torchvision's blocks in order,
skipping the pruned ones.
"""
import os
import sys

import numpy as np
import torch
from torchvision.models.swin_transformer import SwinTransformer

import safetensors_io

CONFIGS = {
    'a': dict(patch_size=[4, 4], embed_dim=4, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4], window_size=[3, 3], mlp_ratio=2.0, image=32),
    'b': dict(patch_size=[4, 4], embed_dim=4, depths=[1, 3, 1], num_heads=[1, 2, 4], window_size=[4, 4], image=40),
}
# kept blocks (0-based) of pruned models: a cut inside every stage of a, and a subset that drops a whole stage of b
CUTS = {
    'a': {'k1': [0], 'k3': [0, 1, 2], 'k5': [0, 1, 2, 3, 4], 'k7': list(range(7)), 'odd': [1, 4, 6]},
    'b': {'k2': [0, 1], 'k4': [0, 1, 2, 3], 'drop2': [0, 4]},
}
CLASSES, BATCH, LORA_RANK, LORA_SCALE = 7, 2, 2, 0.8


def randomise(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('norm1.weight') or name.endswith('norm2.weight') or name.endswith('norm.weight') or name == 'features.0.2.weight':
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif 'relative_position_bias_table' in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def forward_kept(model, images, kept):
    """Patch embedding, the kept blocks in order (every patch merging applied), norm, pool, head; and each kept
    block's output mean-pooled over tokens."""
    x = model.features[0](images)
    feats, i = [], 0
    for layer in list(model.features)[1:]:
        if isinstance(layer, torch.nn.Sequential):
            for block in layer:
                if i in kept:
                    x = block(x)
                    feats.append(x.mean(dim=(1, 2)))
                i += 1
        else:
            x = layer(x)
    x = model.norm(x).permute(0, 3, 1, 2).mean(dim=(2, 3))
    return model.head(x), feats


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(17)
    expected = {}
    for name, c in CONFIGS.items():
        c = dict(c)
        image = c.pop('image')
        model = SwinTransformer(num_classes=CLASSES, stochastic_depth_prob=0.0, **c)
        randomise(model, g)
        model.eval()
        torch.save(model.state_dict(), os.path.join(out, f'{name}.pth'))
        images = torch.randn(BATCH, 3, image, image, generator=g)
        m64 = model.double()
        depth = sum(c['depths'])
        with torch.no_grad():
            logits, feats = forward_kept(m64, images.double(), list(range(depth)))
            assert torch.allclose(logits, m64(images.double()))
            expected[f'{name}.images'] = images.numpy()
            expected[f'{name}.logits'] = logits.float().numpy()
            for i, f in enumerate(feats):
                expected[f'{name}.blocks.{i}'] = f.float().numpy()
            for cut, kept in CUTS[name].items():
                expected[f'{name}.cut.{cut}'] = forward_kept(m64, images.double(), kept)[0].float().numpy()
            if name == 'a':
                width = c['embed_dim'] * 2 ** (len(c['depths']) - 1)
                head = {'head.weight': 0.3 * torch.randn(3, width, generator=g), 'head.bias': 0.3 * torch.randn(3, generator=g)}
                safetensors_io.write(os.path.join(out, 'a_linear.safetensors'), {k: v.float().numpy() for k, v in head.items()})
                # LoRA: qkv's W x + b + s B A x, folded into qkv for the reference
                lora = dict(head)
                i = 0
                for s, d in enumerate(c['depths']):
                    dim = c['embed_dim'] * 2 ** s
                    for b in range(d):
                        a_ = 0.3 * torch.randn(LORA_RANK, dim, generator=g)
                        b_ = 0.3 * torch.randn(3 * dim, LORA_RANK, generator=g)
                        lora[f'blocks.{i}.attn.qkv.lora_A.weight'] = a_
                        lora[f'blocks.{i}.attn.qkv.lora_B.weight'] = b_
                        m64.features[2 * s + 1][b].attn.qkv.weight += LORA_SCALE * (b_ @ a_).double()
                        i += 1
                m64.head = torch.nn.Linear(width, 3).double()
                m64.head.weight.copy_(head['head.weight'].double())
                m64.head.bias.copy_(head['head.bias'].double())
                safetensors_io.write(os.path.join(out, 'a_lora.safetensors'), {k: v.float().numpy() for k, v in lora.items()},
                                     {'petl_method': 'lora', 'petl_scale': repr(LORA_SCALE)})
                lora_logits, lora_feats = forward_kept(m64, images.double(), list(range(depth)))
                expected['a.lora.logits'] = lora_logits.float().numpy()
                expected['a.lora.blocks.6'] = lora_feats[6].float().numpy()
    safetensors_io.write(os.path.join(out, 'expected.safetensors'), expected,
                         {'lora_scale': repr(LORA_SCALE), 'classes': str(CLASSES)})


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/swin')
