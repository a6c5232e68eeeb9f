#!/usr/bin/env python3
"""A ViT-B/16-sized model with random weights, for the GPU benchmarks (no pretrained weights can be fetched).

    python3 bench/gpu/make_vitb.py OUTDIR [classes]

Writes OUTDIR/backbone.safetensors (timm's vit_base_patch16_224 state dict, timm's own random init, seed 0),
OUTDIR/linear.safetensors (a head only: the plain ViT-B, the same architecture timm runs) and
OUTDIR/convpass.safetensors (Convpass adapters, hidden dim 8, scale 10, in every block, plus the head), both
with the PETL metadata `sls` reads. Needs torch, timm and safetensors (all on the GPU machine's image).
"""
import os
import sys

import timm
import torch
from safetensors.torch import save_file

WIDTH, DEPTH, HIDDEN = 768, 12, 8


def main(out, classes):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=classes)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(sd, os.path.join(out, 'backbone.safetensors'), {'source': 'timm vit_base_patch16_224, random init, seed 0'})
    g = torch.Generator().manual_seed(1)

    def r(*shape, s=0.02):
        return (torch.randn(*shape, generator=g) * s).contiguous()
    head = {'head.weight': r(classes, WIDTH), 'head.bias': torch.zeros(classes)}
    meta = {'format': 'slsprune-petl/1', 'num_classes': str(classes)}
    save_file(head, os.path.join(out, 'linear.safetensors'), dict(meta, petl_method='linear', petl_dim='0', petl_scale='1.0'))
    w = dict(head)
    for i in range(DEPTH):
        for branch in ('adapter_attn', 'adapter_mlp'):
            p = f'blocks.{i}.{branch}.'
            w.update({p + 'adapter_down.weight': r(HIDDEN, WIDTH), p + 'adapter_down.bias': torch.zeros(HIDDEN),
                      p + 'adapter_conv.weight': r(HIDDEN, HIDDEN, 3, 3, s=0.1), p + 'adapter_conv.bias': torch.zeros(HIDDEN),
                      p + 'adapter_up.weight': r(WIDTH, HIDDEN), p + 'adapter_up.bias': torch.zeros(WIDTH)})
    save_file(w, os.path.join(out, 'convpass.safetensors'), dict(meta, petl_method='convpass', petl_dim=str(HIDDEN), petl_scale='10.0'))


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
