#!/usr/bin/python3
"""Reference fixtures for the ViT family variants (issue 16): DINOv2 (LayerScale, registers, patch 14, a resampled
position embedding), DeiT distilled and DeiT-3, CLIP image towers, global-average-pooled (fc_norm) models.

Run with Debian's Python (python3-torch):
    /usr/bin/python3 scripts/make_family_fixtures.py tests/fixtures/families

Every model is small and random; its reference forward (`forward` below) is written from the documented maths in
plain torch, in float64, and is no library's code:
  prefix tokens [cls, dist?, registers...]; the position embedding is added to the patch tokens and to the first
  `pos_prefix` prefix tokens (all of them: classic ViT and DeiT; none: timm's no_embed_class; the class token only:
  Hugging Face's DINOv2 with registers); a position embedding stored for another grid is resampled bicubically with
  antialiasing (float32, prefix positions kept apart); optional norm_pre; blocks
  x + ls1 * attn(norm1(x)), x + ls2 * mlp(norm2(x)) (GELU or QuickGELU x*sigmoid(1.702x)); the head reads
  norm(x)[:, 0] (DeiT distilled: the mean of head(norm(x)[:, 0]) and head_dist(norm(x)[:, 1])) or, with fc_norm,
  fc_norm(mean of the patch tokens). The per-block feature is the token the head reads before the final norm: the
  class token, or the mean of the patch tokens.

Writes (each < 150 KB):
  dinov2_reg.safetensors        timm names: reg_token (4), pos_embed on patches only, ls1/ls2.gamma, patch 14, 42x42
  dinov2_expected.safetensors   images (42) logits feats, and images_28 logits_28 feats_28 (pos_embed resampled 3x3 -> 2x2)
  hf_dinov2/                    a Hugging Face Dinov2Model folder (config.json with layer_norm_eps, model.safetensors)
  hf_dinov2_expected.safetensors  its images, features (no head: logits are the final-normed class token)
  deit_distilled.safetensors    dist_token, pos_embed over cls+dist+patches, head and head_dist
  deit3.safetensors             DeiT-3's original gamma_1 / gamma_2 names, pos_embed on patches only
  clip_visual.pth               torch.save of an OpenCLIP-style state dict: visual.* and a few text-tower tensors
  gap.safetensors               fc_norm and no final norm (MAE fine-tuned)
  <name>_expected.safetensors   images, logits, per-block features
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

import safetensors_io


def save_st(path, tensors, metadata=None):
    safetensors_io.write(path, {k: v.contiguous().float().numpy() for k, v in tensors.items()}, metadata)


class Rand:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def __call__(self, *shape, s=0.3, base=0.0):
        return (base + torch.randn(*shape, generator=self.g) * s).float()


def vit_weights(r, width, depth, mlp, patch, pos_tokens, classes, *, dist=False, registers=0, layerscale=False,
                norm_pre=False, patch_bias=True, head_bias=True, gap=False):
    """timm names."""
    d = width
    w = {'cls_token': r(1, 1, d, s=0.5), 'pos_embed': r(1, pos_tokens, d, s=0.5),
         'patch_embed.proj.weight': r(d, 3, patch, patch, s=0.05)}
    if patch_bias:
        w['patch_embed.proj.bias'] = r(d)
    if dist:
        w['dist_token'] = r(1, 1, d, s=0.5)
    if registers:
        w['reg_token'] = r(1, registers, d, s=0.5)
    if norm_pre:
        w['norm_pre.weight'], w['norm_pre.bias'] = r(d, s=0.1, base=1), r(d, s=0.1)
    for i in range(depth):
        p = f'blocks.{i}.'
        w.update({p + 'norm1.weight': r(d, s=0.1, base=1), p + 'norm1.bias': r(d, s=0.1),
                  p + 'attn.qkv.weight': r(3 * d, d), p + 'attn.qkv.bias': r(3 * d),
                  p + 'attn.proj.weight': r(d, d), p + 'attn.proj.bias': r(d),
                  p + 'norm2.weight': r(d, s=0.1, base=1), p + 'norm2.bias': r(d, s=0.1),
                  p + 'mlp.fc1.weight': r(mlp, d), p + 'mlp.fc1.bias': r(mlp),
                  p + 'mlp.fc2.weight': r(d, mlp), p + 'mlp.fc2.bias': r(d)})
        if layerscale:
            w[p + 'ls1.gamma'], w[p + 'ls2.gamma'] = r(d, s=0.3, base=0.5), r(d, s=0.3, base=0.5)
    if gap:
        w['fc_norm.weight'], w['fc_norm.bias'] = r(d, s=0.1, base=1), r(d, s=0.1)
    else:
        w['norm.weight'], w['norm.bias'] = r(d, s=0.1, base=1), r(d, s=0.1)
    if classes:
        w['head.weight'] = r(classes, d)
        if head_bias:
            w['head.bias'] = r(classes)
        if dist:
            w['head_dist.weight'], w['head_dist.bias'] = r(classes, d), r(classes)
    return w


def resample(pos, prefix, grid_from, grid_to):
    """The grid part of a [1, prefix + n, d] position embedding resampled bicubically with antialiasing (float32)."""
    d = pos.shape[-1]
    g = pos[:, prefix:].float().reshape(1, grid_from, grid_from, d).permute(0, 3, 1, 2)
    g = F.interpolate(g, size=(grid_to, grid_to), mode='bicubic', align_corners=False, antialias=True)
    return torch.cat([pos[:, :prefix].float(), g.permute(0, 2, 3, 1).reshape(1, grid_to * grid_to, d)], 1)


def forward(w, images, heads, *, patch, eps=1e-6, act='gelu', pos_prefix=None, grid_from=None):
    """The reference forward (module docstring), float64: logits (or the pooled feature without a head) and the
    per-block features [depth, batch, width]."""
    b = images.shape[0]
    grid = images.shape[-1] // patch
    pos = w['pos_embed']
    prefix_tokens = [w['cls_token']] + ([w['dist_token']] if 'dist_token' in w else []) + ([w['reg_token']] if 'reg_token' in w else [])
    n_prefix = sum(t.shape[1] for t in prefix_tokens)
    pos_prefix = n_prefix if pos_prefix is None else pos_prefix
    if grid_from is not None and grid_from != grid:
        pos = resample(pos, pos_prefix, grid_from, grid)
    w = {k: v.double() for k, v in w.items()}
    pos = pos.double()
    d = w['cls_token'].shape[-1]
    dh = d // heads

    def ln(x, p):
        return F.layer_norm(x, (d,), w[p + '.weight'], w[p + '.bias'], eps=eps)

    def lin(x, p):
        return F.linear(x, w[p + '.weight'], w.get(p + '.bias'))

    x = F.conv2d(images.double(), w['patch_embed.proj.weight'], w.get('patch_embed.proj.bias'), stride=patch).flatten(2).transpose(1, 2)
    prefix = torch.cat([t.double().expand(b, -1, -1) for t in prefix_tokens], 1)
    x = torch.cat([prefix[:, :pos_prefix] + pos[:, :pos_prefix], prefix[:, pos_prefix:], x + pos[:, pos_prefix:]], 1)
    if 'norm_pre.weight' in w:
        x = ln(x, 'norm_pre')
    depth = len({k.split('.')[1] for k in w if k.startswith('blocks.')})
    gap = 'fc_norm.weight' in w
    feats = []
    n = x.shape[1]
    for i in range(depth):
        p = f'blocks.{i}.'
        y = lin(ln(x, p + 'norm1'), p + 'attn.qkv').reshape(b, n, 3, heads, dh).permute(2, 0, 3, 1, 4)
        a = torch.softmax(y[0] @ y[1].transpose(-1, -2) / dh ** 0.5, dim=-1)
        y = lin((a @ y[2]).transpose(1, 2).reshape(b, n, d), p + 'attn.proj')
        x = x + (y * w[p + 'ls1.gamma'] if p + 'ls1.gamma' in w else y)
        h = lin(ln(x, p + 'norm2'), p + 'mlp.fc1')
        h = h * torch.sigmoid(1.702 * h) if act == 'quick_gelu' else F.gelu(h)
        y = lin(h, p + 'mlp.fc2')
        x = x + (y * w[p + 'ls2.gamma'] if p + 'ls2.gamma' in w else y)
        feats.append(x[:, n_prefix:].mean(1) if gap else x[:, 0])
    if gap:
        pooled = ln(x[:, n_prefix:].mean(1), 'fc_norm')
        out = lin(pooled, 'head')
    else:
        x = ln(x, 'norm')
        out = lin(x[:, 0], 'head') if 'head.weight' in w else x[:, 0]
        if 'head_dist.weight' in w:
            out = (out + lin(x[:, 1], 'head_dist')) / 2
    return out.float(), torch.stack(feats).float()


def expected(out, name, images, w, heads, **kw):
    logits, feats = forward(w, images, heads, **kw)
    save_st(os.path.join(out, name), {'images': images, 'logits': logits, 'feats': feats}, {'heads': str(heads)})


def dinov2(out, r):
    d, heads, depth, mlp, patch = 24, 3, 2, 48, 14
    w = vit_weights(r, d, depth, mlp, patch, 9, 5, registers=4, layerscale=True)
    save_st(os.path.join(out, 'dinov2_reg.safetensors'), w)
    images, images_28 = r(2, 3, 42, 42, s=1), r(2, 3, 28, 28, s=1)
    logits, feats = forward(w, images, heads, patch=patch, pos_prefix=0)
    logits_28, feats_28 = forward(w, images_28, heads, patch=patch, pos_prefix=0, grid_from=3)
    save_st(os.path.join(out, 'dinov2_expected.safetensors'), {'images': images, 'logits': logits, 'feats': feats,
            'images_28': images_28, 'logits_28': logits_28, 'feats_28': feats_28})

    # Hugging Face Dinov2Model: no registers, position embeddings over the class token and the patches, no head
    eps = 1e-5
    hw = vit_weights(r, d, depth, mlp, patch, 10, 0, layerscale=True)
    hf = {'embeddings.cls_token': hw['cls_token'], 'embeddings.mask_token': r(1, d),
          'embeddings.position_embeddings': hw['pos_embed'],
          'embeddings.patch_embeddings.projection.weight': hw['patch_embed.proj.weight'],
          'embeddings.patch_embeddings.projection.bias': hw['patch_embed.proj.bias'],
          'layernorm.weight': hw['norm.weight'], 'layernorm.bias': hw['norm.bias']}
    for i in range(depth):
        p, q = f'blocks.{i}.', f'encoder.layer.{i}.'
        for j, n in enumerate(('query', 'key', 'value')):
            hf[f'{q}attention.attention.{n}.weight'] = hw[p + 'attn.qkv.weight'][j * d:(j + 1) * d]
            hf[f'{q}attention.attention.{n}.bias'] = hw[p + 'attn.qkv.bias'][j * d:(j + 1) * d]
        for a, bname in (('norm1', 'norm1'), ('norm2', 'norm2'), ('mlp.fc1', 'mlp.fc1'), ('mlp.fc2', 'mlp.fc2'),
                         ('attention.output.dense', 'attn.proj')):
            hf[f'{q}{a}.weight'], hf[f'{q}{a}.bias'] = hw[f'{p}{bname}.weight'], hw[f'{p}{bname}.bias']
        hf[q + 'layer_scale1.lambda1'], hf[q + 'layer_scale2.lambda1'] = hw[p + 'ls1.gamma'], hw[p + 'ls2.gamma']
    folder = os.path.join(out, 'hf_dinov2')
    os.makedirs(folder, exist_ok=True)
    save_st(os.path.join(folder, 'model.safetensors'), hf, {'format': 'pt'})
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump({'architectures': ['Dinov2Model'], 'model_type': 'dinov2', 'hidden_size': d, 'num_hidden_layers': depth,
                   'num_attention_heads': heads, 'mlp_ratio': mlp // d, 'hidden_act': 'gelu', 'layer_norm_eps': eps,
                   'image_size': 42, 'patch_size': patch, 'num_channels': 3, 'qkv_bias': True, 'layerscale_value': 1.0,
                   'use_swiglu_ffn': False}, f, indent=2)
    expected(out, 'hf_dinov2_expected.safetensors', images, hw, heads, patch=patch, eps=eps)


def deit(out, r):
    d, heads, depth, mlp, patch = 24, 3, 2, 48, 8
    images = r(2, 3, 32, 32, s=1)
    w = vit_weights(r, d, depth, mlp, patch, 2 + 16, 5, dist=True)
    save_st(os.path.join(out, 'deit_distilled.safetensors'), w)
    expected(out, 'deit_distilled_expected.safetensors', images, w, heads, patch=patch)
    w = vit_weights(r, d, depth, mlp, patch, 16, 5, layerscale=True)
    original = {k.replace('.ls1.gamma', '.gamma_1').replace('.ls2.gamma', '.gamma_2'): v for k, v in w.items()}
    save_st(os.path.join(out, 'deit3.safetensors'), original)
    expected(out, 'deit3_expected.safetensors', images, w, heads, patch=patch, pos_prefix=0)


def clip(out, r):
    d, heads, depth, mlp, patch, embed = 24, 3, 2, 96, 8, 16
    images = r(2, 3, 32, 32, s=1)
    w = vit_weights(r, d, depth, mlp, patch, 17, 0, norm_pre=True, patch_bias=False)
    proj = r(d, embed)
    w['head.weight'] = proj.t().contiguous()
    v = {'visual.conv1.weight': w['patch_embed.proj.weight'], 'visual.class_embedding': w['cls_token'].reshape(d),
         'visual.positional_embedding': w['pos_embed'].reshape(17, d), 'visual.ln_pre.weight': w['norm_pre.weight'],
         'visual.ln_pre.bias': w['norm_pre.bias'], 'visual.ln_post.weight': w['norm.weight'],
         'visual.ln_post.bias': w['norm.bias'], 'visual.proj': proj}
    for i in range(depth):
        p, q = f'blocks.{i}.', f'visual.transformer.resblocks.{i}.'
        for a, bname in (('ln_1', 'norm1'), ('ln_2', 'norm2'), ('attn.out_proj', 'attn.proj'), ('mlp.c_fc', 'mlp.fc1'),
                         ('mlp.c_proj', 'mlp.fc2')):
            v[f'{q}{a}.weight'], v[f'{q}{a}.bias'] = w[f'{p}{bname}.weight'], w[f'{p}{bname}.bias']
        v[q + 'attn.in_proj_weight'], v[q + 'attn.in_proj_bias'] = w[p + 'attn.qkv.weight'], w[p + 'attn.qkv.bias']
    # a sliver of the text tower, which the image tower's reader leaves out
    v.update({'token_embedding.weight': r(8, 4), 'positional_embedding': r(3, 4), 'ln_final.weight': r(4),
              'text_projection': r(4, embed), 'logit_scale': torch.tensor(4.6)})
    torch.save(v, os.path.join(out, 'clip_visual.pth'))
    expected(out, 'clip_expected.safetensors', images, w, heads, patch=patch, eps=1e-5, act='quick_gelu')


def gap(out, r):
    d, heads, depth, mlp, patch = 24, 3, 2, 48, 8
    images = r(2, 3, 32, 32, s=1)
    w = vit_weights(r, d, depth, mlp, patch, 17, 5, gap=True)
    save_st(os.path.join(out, 'gap.safetensors'), w)
    expected(out, 'gap_expected.safetensors', images, w, heads, patch=patch)


def main(out):
    os.makedirs(out, exist_ok=True)
    dinov2(out, Rand(160))
    deit(out, Rand(161))
    clip(out, Rand(162))
    gap(out, Rand(163))
    for root, _, files in os.walk(out):
        for f in sorted(files):
            size = os.path.getsize(os.path.join(root, f))
            assert size < 150_000, (f, size)
            print(f'{os.path.join(root, f)}: {size} bytes')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/families')
