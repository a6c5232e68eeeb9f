#!/usr/bin/python3
"""Reference fixtures for SlsPrune's model and checkpoint parity tests.

Run with Debian's Python (python3-torch, python3-numpy; install libopenblas0-pthread too, or torch crawls):
    /usr/bin/python3 scripts/make_parity_fixtures.py tests/fixtures/parity

Builds a small random ViT with timm's names and layout (patch 8, 4x4 grid, width 48, 3 blocks, 3 heads,
a pre_logits layer and a head) and non-zero Convpass and RepAdapter weights as the SLS reference code defines
them, then writes:
  backbone.safetensors  timm names (safetensors written here byte by byte, independently of the C# writer)
  backbone.pth          torch.save({'model': state_dict, 'epoch': 3, 'arch': ...}) as training scripts nest it
  backbone.npz          Google ViT layout (the inverse of timm's _load_weights, checked by re-mapping here)
  convpass.pt / repadapter.pt            torch.save of a plain dict of adapter + head tensors (reference code)
  convpass.safetensors / repadapter.safetensors   the same with __metadata__
  lora.safetensors / adaptformer.safetensors / vpt.safetensors   LoRA on qkv (PEFT's names), AdaptFormer's
                        parallel MLP adapter, VPT-deep prompts (one set per block), with __metadata__
  linear.safetensors    a head-only (linear probe) PETL file
  expected.safetensors  input images and, per method, logits and the cls token after every block
  dtypes.safetensors + dtypes.json       one tensor per safetensors dtype and the values it must decode to
  evil.pt               a torch.save file whose pickle calls os.system (must be refused, never run)
The reference forward runs in float64 with explicit softmax attention (no fused kernels).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import safetensors_io

PATCH, GRID, WIDTH, DEPTH, HEADS, MLP, CLASSES, BACKBONE_CLASSES, HIDDEN = 8, 4, 48, 3, 3, 96, 5, 7, 8
CONVPASS_SCALE, REPADAPTER_SCALE, GROUPS = 0.7, 1.3, 2
LORA_SCALE, ADAPTFORMER_SCALE, VPT_TOKENS = 0.9, 0.4, 4


def backbone_weights(g):
    def r(*shape, s=0.2):
        return (torch.randn(*shape, generator=g) * s).float()
    w = {
        'patch_embed.proj.weight': r(WIDTH, 3, PATCH, PATCH, s=0.05),
        'patch_embed.proj.bias': r(WIDTH),
        'cls_token': r(1, 1, WIDTH, s=0.5),
        'pos_embed': r(1, GRID * GRID + 1, WIDTH, s=0.5),
        'norm.weight': 1 + r(WIDTH, s=0.1),
        'norm.bias': r(WIDTH, s=0.1),
        'pre_logits.fc.weight': r(WIDTH, WIDTH),
        'pre_logits.fc.bias': r(WIDTH),
        'head.weight': r(BACKBONE_CLASSES, WIDTH),
        'head.bias': r(BACKBONE_CLASSES),
    }
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        w.update({
            p + 'norm1.weight': 1 + r(WIDTH, s=0.1), p + 'norm1.bias': r(WIDTH, s=0.1),
            p + 'attn.qkv.weight': r(3 * WIDTH, WIDTH), p + 'attn.qkv.bias': r(3 * WIDTH),
            p + 'attn.proj.weight': r(WIDTH, WIDTH), p + 'attn.proj.bias': r(WIDTH),
            p + 'norm2.weight': 1 + r(WIDTH, s=0.1), p + 'norm2.bias': r(WIDTH, s=0.1),
            p + 'mlp.fc1.weight': r(MLP, WIDTH), p + 'mlp.fc1.bias': r(MLP),
            p + 'mlp.fc2.weight': r(WIDTH, MLP), p + 'mlp.fc2.bias': r(WIDTH),
        })
    return w


def petl_weights(g, method):
    def r(*shape, s=0.3):
        return (torch.randn(*shape, generator=g) * s).float()
    w = {'head.weight': r(CLASSES, WIDTH), 'head.bias': r(CLASSES)}
    for i in range(DEPTH):
        for branch in ('adapter_attn', 'adapter_mlp'):
            p = f'blocks.{i}.{branch}.'
            if method == 'convpass':
                w.update({p + 'adapter_down.weight': r(HIDDEN, WIDTH), p + 'adapter_down.bias': r(HIDDEN),
                          p + 'adapter_conv.weight': r(HIDDEN, HIDDEN, 3, 3), p + 'adapter_conv.bias': r(HIDDEN),
                          p + 'adapter_up.weight': r(WIDTH, HIDDEN), p + 'adapter_up.bias': r(WIDTH)})
            elif method == 'repadapter':
                w.update({p + 'conv_A.weight': r(HIDDEN, WIDTH, 1), p + 'conv_A.bias': r(HIDDEN),
                          p + 'conv_B.weight': r(WIDTH, HIDDEN // GROUPS, 1), p + 'conv_B.bias': r(WIDTH)})
        p = f'blocks.{i}.'
        if method == 'lora':  # PEFT's names on timm's qkv
            w.update({p + 'attn.qkv.lora_A.weight': r(HIDDEN, WIDTH), p + 'attn.qkv.lora_B.weight': r(3 * WIDTH, HIDDEN)})
        elif method == 'adaptformer':  # the MLP branch only
            w.update({p + 'adapter_mlp.down_proj.weight': r(HIDDEN, WIDTH), p + 'adapter_mlp.down_proj.bias': r(HIDDEN),
                      p + 'adapter_mlp.up_proj.weight': r(WIDTH, HIDDEN), p + 'adapter_mlp.up_proj.bias': r(WIDTH)})
        elif method == 'vpt':
            w[p + 'prompt_embeddings'] = r(1, VPT_TOKENS, WIDTH, s=0.5)
    return w


# ---- reference forward (float64), following timm's VisionTransformer and the SLS reference PETL code ----

def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def convpass(x, w, p):
    b, n, _ = x.shape
    x_down = quick_gelu(F.linear(x, w[p + 'adapter_down.weight'], w[p + 'adapter_down.bias']))
    x_patch = x_down[:, 1:].reshape(b, GRID, GRID, HIDDEN).permute(0, 3, 1, 2)
    x_patch = F.conv2d(x_patch, w[p + 'adapter_conv.weight'], w[p + 'adapter_conv.bias'], padding=1)
    x_patch = x_patch.permute(0, 2, 3, 1).reshape(b, GRID * GRID, HIDDEN)
    x_cls = x_down[:, :1].reshape(b, 1, 1, HIDDEN).permute(0, 3, 1, 2)
    x_cls = F.conv2d(x_cls, w[p + 'adapter_conv.weight'], w[p + 'adapter_conv.bias'], padding=1)
    x_cls = x_cls.permute(0, 2, 3, 1).reshape(b, 1, HIDDEN)
    x_down = quick_gelu(torch.cat([x_cls, x_patch], dim=1))
    return F.linear(x_down, w[p + 'adapter_up.weight'], w[p + 'adapter_up.bias'])


def repadapter(x, w, p):
    x = x.transpose(1, 2)
    y = F.conv1d(x, w[p + 'conv_A.weight'], w[p + 'conv_A.bias'])
    y = F.conv1d(y, w[p + 'conv_B.weight'], w[p + 'conv_B.bias'], groups=GROUPS)
    return (y * REPADAPTER_SCALE + x).transpose(1, 2).contiguous()


def attention(x, w, p):
    b, n, c = x.shape
    qkv = F.linear(x, w[p + 'qkv.weight'], w[p + 'qkv.bias'])
    if p + 'qkv.lora_A.weight' in w:  # LoRA: W x + b + s * B A x
        qkv = qkv + LORA_SCALE * F.linear(F.linear(x, w[p + 'qkv.lora_A.weight']), w[p + 'qkv.lora_B.weight'])
    qkv = qkv.reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    a = ((q @ k.transpose(-2, -1)) * (c // HEADS) ** -0.5).softmax(dim=-1)
    return F.linear((a @ v).transpose(1, 2).reshape(b, n, c), w[p + 'proj.weight'], w[p + 'proj.bias'])


def mlp(x, w, p):
    return F.linear(F.gelu(F.linear(x, w[p + 'fc1.weight'], w[p + 'fc1.bias'])), w[p + 'fc2.weight'], w[p + 'fc2.bias'])


def ln(x, w, p):
    return F.layer_norm(x, (WIDTH,), w[p + 'weight'], w[p + 'bias'], eps=1e-6)


def forward(images, w, method):
    w = {k: v.double() for k, v in w.items()}
    x = F.conv2d(images.double(), w['patch_embed.proj.weight'], w['patch_embed.proj.bias'], stride=PATCH)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([w['cls_token'].expand(x.shape[0], -1, -1), x], dim=1) + w['pos_embed']
    cls = []
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        if method == 'vpt':  # VPT-deep: block 0 inserts its prompts after cls, later blocks replace them
            prompts = w[p + 'prompt_embeddings'].expand(x.shape[0], -1, -1)
            x = torch.cat([x[:, :1], prompts, x[:, 1 if i == 0 else 1 + VPT_TOKENS:]], dim=1)
        n1 = ln(x, w, p + 'norm1.')
        if method == 'convpass':
            x = x + attention(n1, w, p + 'attn.') + convpass(n1, w, p + 'adapter_attn.') * CONVPASS_SCALE
        elif method == 'repadapter':
            x = x + attention(repadapter(n1, w, p + 'adapter_attn.'), w, p + 'attn.')
        else:
            x = x + attention(n1, w, p + 'attn.')
        n2 = ln(x, w, p + 'norm2.')
        if method == 'convpass':
            x = x + mlp(n2, w, p + 'mlp.') + convpass(n2, w, p + 'adapter_mlp.') * CONVPASS_SCALE
        elif method == 'repadapter':
            x = x + mlp(repadapter(n2, w, p + 'adapter_mlp.'), w, p + 'mlp.')
        elif method == 'adaptformer':  # parallel, reading the residual stream before norm2; ReLU; no adapter norm
            a = F.linear(F.relu(F.linear(x, w[p + 'adapter_mlp.down_proj.weight'], w[p + 'adapter_mlp.down_proj.bias'])),
                         w[p + 'adapter_mlp.up_proj.weight'], w[p + 'adapter_mlp.up_proj.bias'])
            x = x + mlp(n2, w, p + 'mlp.') + ADAPTFORMER_SCALE * a
        else:
            x = x + mlp(n2, w, p + 'mlp.')
        cls.append(x[:, 0])
    x = ln(x, w, 'norm.')[:, 0]
    x = torch.tanh(F.linear(x, w['pre_logits.fc.weight'], w['pre_logits.fc.bias']))
    return F.linear(x, w['head.weight'], w['head.bias']).float(), torch.stack(cls).float()


# ---- writers ----

def write_safetensors(path, tensors, metadata=None, raw=None):
    """torch tensors (bf16 passed as raw bytes, numpy has no bfloat16) through safetensors_io."""
    arrays, extra = {}, dict(raw or {})
    for k, v in tensors.items():
        v = v.contiguous()
        if v.dtype == torch.bfloat16:
            extra[k] = ('BF16', list(v.shape), v.view(torch.int16).numpy().tobytes())
        else:
            arrays[k] = v.numpy()
    safetensors_io.write(path, arrays, metadata, extra)


def to_google(w):
    """timm names -> Google ViT npz arrays (Flax layouts)."""
    n = lambda t: t.numpy()
    g = {
        'embedding/kernel': n(w['patch_embed.proj.weight'].permute(2, 3, 1, 0)),
        'embedding/bias': n(w['patch_embed.proj.bias']),
        'cls': n(w['cls_token']),
        'Transformer/posembed_input/pos_embedding': n(w['pos_embed']),
        'Transformer/encoder_norm/scale': n(w['norm.weight']),
        'Transformer/encoder_norm/bias': n(w['norm.bias']),
        'pre_logits/kernel': n(w['pre_logits.fc.weight'].T),
        'pre_logits/bias': n(w['pre_logits.fc.bias']),
        'head/kernel': n(w['head.weight'].T),
        'head/bias': n(w['head.bias']),
    }
    dh = WIDTH // HEADS
    for i in range(DEPTH):
        t, b = f'blocks.{i}.', f'Transformer/encoderblock_{i}/'
        m = b + 'MultiHeadDotProductAttention_1/'
        g[b + 'LayerNorm_0/scale'], g[b + 'LayerNorm_0/bias'] = n(w[t + 'norm1.weight']), n(w[t + 'norm1.bias'])
        g[b + 'LayerNorm_2/scale'], g[b + 'LayerNorm_2/bias'] = n(w[t + 'norm2.weight']), n(w[t + 'norm2.bias'])
        qkv_w, qkv_b = w[t + 'attn.qkv.weight'], w[t + 'attn.qkv.bias']
        for j, name in enumerate(('query', 'key', 'value')):
            part = qkv_w[j * WIDTH:(j + 1) * WIDTH]
            g[m + name + '/kernel'] = n(part.T.reshape(WIDTH, HEADS, dh).contiguous())
            g[m + name + '/bias'] = n(qkv_b[j * WIDTH:(j + 1) * WIDTH].reshape(HEADS, dh))
        g[m + 'out/kernel'] = n(w[t + 'attn.proj.weight'].T.reshape(HEADS, dh, WIDTH).contiguous())
        g[m + 'out/bias'] = n(w[t + 'attn.proj.bias'])
        for r in range(2):
            g[f'{b}MlpBlock_3/Dense_{r}/kernel'] = n(w[f'{t}mlp.fc{r + 1}.weight'].T.contiguous())
            g[f'{b}MlpBlock_3/Dense_{r}/bias'] = n(w[f'{t}mlp.fc{r + 1}.bias'])
    return g


def from_google_like_timm(g):
    """timm's _load_weights mapping, restated here to check to_google's inverse."""
    def n2p(a, t=True):
        if t:
            a = {4: lambda x: x.transpose([3, 2, 0, 1]), 3: lambda x: x.transpose([2, 0, 1]),
                 2: lambda x: x.transpose([1, 0])}.get(a.ndim, lambda x: x)(a)
        return torch.from_numpy(np.ascontiguousarray(a))
    w = {'patch_embed.proj.weight': n2p(g['embedding/kernel']), 'cls_token': n2p(g['cls'], False),
         'pos_embed': n2p(g['Transformer/posembed_input/pos_embedding'], False)}
    for i in range(DEPTH):
        m = f'Transformer/encoderblock_{i}/MultiHeadDotProductAttention_1/'
        w[f'blocks.{i}.attn.qkv.weight'] = torch.cat([n2p(g[m + k + '/kernel'], False).flatten(1).T for k in ('query', 'key', 'value')])
        w[f'blocks.{i}.attn.proj.weight'] = n2p(g[m + 'out/kernel']).flatten(1)
        w[f'blocks.{i}.mlp.fc1.weight'] = n2p(g[f'Transformer/encoderblock_{i}/MlpBlock_3/Dense_0/kernel'])
    return w


class Evil:
    def __reduce__(self):
        return (os.system, ('echo this must never run > /tmp/slsprune-evil-ran',))


def dtype_fixture(out):
    g = torch.Generator().manual_seed(7)
    base = torch.tensor([[0.0, 1.5, -2.25], [3.0, -0.5, 1e-3]], dtype=torch.float64)
    tensors = {
        'f64': base, 'f32': base.float(), 'f16': base.half(), 'bf16': base.bfloat16(),
        'i64': torch.tensor([-(2 ** 40), 0, 2 ** 40]), 'i32': torch.tensor([-70000, 0, 70000], dtype=torch.int32),
        'i16': torch.tensor([-300, 0, 300], dtype=torch.int16), 'i8': torch.tensor([-100, 0, 100], dtype=torch.int8),
        'u8': torch.tensor([0, 128, 255], dtype=torch.uint8), 'bool': torch.tensor([True, False, True]),
        'scalar': torch.tensor(2.5), 'empty': torch.zeros(0, 3),
        'big': torch.randn(64, 33, generator=g),
    }
    raw = {
        'u16': ('U16', [3], np.array([0, 40000, 65535], dtype='<u2').tobytes()),
        'u32': ('U32', [2], np.array([1, 4000000000], dtype='<u4').tobytes()),
        'u64': ('U64', [2], np.array([2, 2 ** 62], dtype='<u8').tobytes()),
        # E4M3FN: 0x38 = 1, 0x40 = 2, 0xC0 = -2, 0x7E = 448 (max), 0x01 = 2^-9 (min subnormal), 0x08 = 2^-6.
        'f8_e4m3': ('F8_E4M3', [6], bytes([0x38, 0x40, 0xC0, 0x7E, 0x01, 0x08])),
        # E5M2 is the top byte of an IEEE half: decode with numpy's float16.
        'f8_e5m2': ('F8_E5M2', [5], bytes([0x3C, 0x40, 0xC0, 0x7B, 0x01])),
    }
    write_safetensors(os.path.join(out, 'dtypes.safetensors'), tensors, {'purpose': 'dtype coverage'}, raw)
    expected = {k: {'shape': list(v.shape), 'values': v.double().flatten().tolist()} for k, v in tensors.items()}
    expected['u16'] = {'shape': [3], 'values': [0, 40000, 65535]}
    expected['u32'] = {'shape': [2], 'values': [1, 4000000000]}
    expected['u64'] = {'shape': [2], 'values': [2, 2 ** 62]}
    expected['f8_e4m3'] = {'shape': [6], 'values': [1.0, 2.0, -2.0, 448.0, 2.0 ** -9, 2.0 ** -6]}
    e5 = np.frombuffer(bytes(b for x in raw['f8_e5m2'][2] for b in (0, x)), dtype='<f2')
    expected['f8_e5m2'] = {'shape': [5], 'values': [float(v) for v in e5]}
    with open(os.path.join(out, 'dtypes.json'), 'w') as f:
        json.dump(expected, f, indent=1)


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(20241001)
    backbone = backbone_weights(g)
    petl = {m: petl_weights(g, m) for m in ('convpass', 'repadapter', 'linear')}
    images = torch.randn(2, 3, PATCH * GRID, PATCH * GRID, generator=g)
    g2 = torch.Generator().manual_seed(20241002)  # methods added later draw from their own stream
    petl.update({m: petl_weights(g2, m) for m in ('lora', 'adaptformer', 'vpt')})

    write_safetensors(os.path.join(out, 'backbone.safetensors'), backbone)
    torch.save({'model': backbone, 'epoch': 3, 'arch': 'vit_test_patch8'}, os.path.join(out, 'backbone.pth'))
    google = to_google(backbone)
    np.savez(os.path.join(out, 'backbone.npz'), **google)
    back = from_google_like_timm(google)
    for k, v in back.items():
        assert torch.equal(v, backbone[k]), k

    expected = {'images': images}
    meta = {'convpass': CONVPASS_SCALE, 'repadapter': REPADAPTER_SCALE, 'linear': 1.0, 'lora': LORA_SCALE,
            'adaptformer': ADAPTFORMER_SCALE, 'vpt': 1.0}
    for method, w in petl.items():
        full = dict(backbone)
        full.update(w)
        logits, cls = forward(images, full, method)
        expected[f'{method}.logits'] = logits
        expected[f'{method}.cls'] = cls
        md = {'format': 'slsprune-petl/1', 'petl_method': method, 'petl_dim': str(VPT_TOKENS if method == 'vpt' else HIDDEN),
              'petl_scale': repr(meta[method]), 'num_classes': str(CLASSES)}
        if method == 'repadapter':
            md['petl_groups'] = str(GROUPS)
        write_safetensors(os.path.join(out, f'{method}.safetensors'), w, md)
        if method in ('convpass', 'repadapter'):
            torch.save(w, os.path.join(out, f'{method}.pt'))
    write_safetensors(os.path.join(out, 'expected.safetensors'), expected, {
        'patch': str(PATCH), 'grid': str(GRID), 'width': str(WIDTH), 'depth': str(DEPTH), 'heads': str(HEADS),
        'mlp': str(MLP), 'classes': str(CLASSES), 'hidden': str(HIDDEN),
        'convpass_scale': repr(CONVPASS_SCALE), 'repadapter_scale': repr(REPADAPTER_SCALE), 'groups': str(GROUPS),
        'lora_scale': repr(LORA_SCALE), 'adaptformer_scale': repr(ADAPTFORMER_SCALE), 'vpt_tokens': str(VPT_TOKENS),
        'torch': torch.__version__})
    torch.save({'state_dict': {'w': torch.ones(2)}, 'hook': Evil()}, os.path.join(out, 'evil.pt'))
    dtype_fixture(out)
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f'wrote {len(os.listdir(out))} files, {total} bytes, to {out}')


if __name__ == '__main__':
    torch.manual_seed(0)
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/parity')
