#!/usr/bin/python3
"""Reference fixtures for reading users' ViT checkpoints in their own layouts (issue 16).

Run with Debian's Python (python3-torch, python3-torchvision, libopenblas0-pthread):
    /usr/bin/python3 scripts/make_layout_fixtures.py tests/fixtures/layouts

Writes:
  tv_vit.pth              torch.save(model.state_dict()) of a small random torchvision VisionTransformer
                          (image 32, patch 8, 3 layers, 3 heads, width 24, MLP 48, 5 classes): torchvision's names
  tv_expected.safetensors images, torchvision's own logits and every encoder layer's class token (forward hooks),
                          computed in float64
  hf_vit/                 a Hugging Face ViTForImageClassification folder: config.json, model.safetensors
                          (prefix 'vit.', 'classifier') and preprocessor_config.json (mean/std 0.5)
  hf_vitmodel/            the same backbone as a ViTModel folder (no prefix, with the pooler): config.json and
                          pytorch_model.bin (torch.save of the state dict)
  hf_expected.safetensors images, logits and every layer's class token of the hf_vit model
No transformers package is used: the Hugging Face folder is written by name from its documented layout, and its
reference forward below is written from ViT's maths (separate query/key/value linears, LayerNorm eps from the
config, exact GELU, the classifier on the final-normed class token), in float64.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from torchvision.models.vision_transformer import VisionTransformer

import safetensors_io

IMAGE, PATCH, LAYERS, CLASSES = 32, 8, 3, 5
TV_WIDTH, TV_HEADS, TV_MLP = 24, 3, 48
HF_WIDTH, HF_HEADS, HF_MLP, HF_EPS = 32, 4, 64, 1e-2   # width 32 is not in the variants table: heads come from config.json
LABELS = ['cat', 'dog', 'bird', 'fish', 'frog']


def save_st(path, tensors, metadata=None):
    safetensors_io.write(path, {k: v.contiguous().float().numpy() for k, v in tensors.items()}, metadata)


def torchvision_fixture(out, g, images):
    torch.manual_seed(1)
    model = VisionTransformer(image_size=IMAGE, patch_size=PATCH, num_layers=LAYERS, num_heads=TV_HEADS,
                              hidden_dim=TV_WIDTH, mlp_dim=TV_MLP, num_classes=CLASSES)
    # torchvision zero-initialises the head and the class token: random values so that every tensor matters
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.05 if p.dim() == 4 else 0.3))
    model.eval()
    torch.save(model.state_dict(), os.path.join(out, 'tv_vit.pth'))
    model = model.double()
    cls = []
    hooks = [layer.register_forward_hook(lambda m, i, o: cls.append(o[:, 0])) for layer in model.encoder.layers]
    with torch.no_grad():
        logits = model(images.double())
    for h in hooks:
        h.remove()
    assert len(cls) == LAYERS
    save_st(os.path.join(out, 'tv_expected.safetensors'), {'images': images, 'logits': logits, 'cls': torch.stack(cls)},
            {'heads': str(TV_HEADS), 'torch': torch.__version__})


def hf_weights(g):
    def r(*shape, s=0.3):
        return (torch.randn(*shape, generator=g) * s).float()
    d, m = HF_WIDTH, HF_MLP
    w = {
        'embeddings.cls_token': r(1, 1, d, s=0.5),
        'embeddings.position_embeddings': r(1, (IMAGE // PATCH) ** 2 + 1, d, s=0.5),
        'embeddings.patch_embeddings.projection.weight': r(d, 3, PATCH, PATCH, s=0.05),
        'embeddings.patch_embeddings.projection.bias': r(d),
        'layernorm.weight': 1 + r(d, s=0.1), 'layernorm.bias': r(d, s=0.1),
    }
    for i in range(LAYERS):
        p = f'encoder.layer.{i}.'
        for n in ('query', 'key', 'value'):
            w[f'{p}attention.attention.{n}.weight'] = r(d, d)
            w[f'{p}attention.attention.{n}.bias'] = r(d)
        w.update({
            p + 'attention.output.dense.weight': r(d, d), p + 'attention.output.dense.bias': r(d),
            p + 'layernorm_before.weight': 1 + r(d, s=0.1), p + 'layernorm_before.bias': r(d, s=0.1),
            p + 'layernorm_after.weight': 1 + r(d, s=0.1), p + 'layernorm_after.bias': r(d, s=0.1),
            p + 'intermediate.dense.weight': r(m, d), p + 'intermediate.dense.bias': r(m),
            p + 'output.dense.weight': r(d, m), p + 'output.dense.bias': r(d),
        })
    return w


def hf_forward(images, w):
    """ViT as Hugging Face documents it: patch embeddings, class token, position embeddings; per layer
    x + attention(layernorm_before(x)), then x + output(gelu(intermediate(layernorm_after(x)))); final layernorm;
    the classifier reads the class token."""
    w = {k: v.double() for k, v in w.items()}
    d, h = HF_WIDTH, HF_HEADS
    dh = d // h

    def ln(x, p):
        return F.layer_norm(x, (d,), w[p + 'weight'], w[p + 'bias'], eps=HF_EPS)

    def lin(x, p):
        return F.linear(x, w[p + 'weight'], w[p + 'bias'])

    x = F.conv2d(images.double(), w['embeddings.patch_embeddings.projection.weight'],
                 w['embeddings.patch_embeddings.projection.bias'], stride=PATCH).flatten(2).transpose(1, 2)
    x = torch.cat([w['embeddings.cls_token'].expand(x.shape[0], -1, -1), x], 1) + w['embeddings.position_embeddings']
    b, n, _ = x.shape
    cls = []
    for i in range(LAYERS):
        p = f'encoder.layer.{i}.'
        y = ln(x, p + 'layernorm_before.')
        q, k, v = (lin(y, f'{p}attention.attention.{t}.').reshape(b, n, h, dh).transpose(1, 2) for t in ('query', 'key', 'value'))
        a = torch.softmax(q @ k.transpose(-1, -2) / dh ** 0.5, dim=-1)
        x = x + lin((a @ v).transpose(1, 2).reshape(b, n, d), p + 'attention.output.dense.')
        y = ln(x, p + 'layernorm_after.')
        x = x + lin(F.gelu(lin(y, p + 'intermediate.dense.')), p + 'output.dense.')
        cls.append(x[:, 0])
    x = ln(x, 'layernorm.')[:, 0]
    return lin(x, 'classifier.').float(), torch.stack(cls).float()


def hf_fixture(out, g, images):
    w = hf_weights(g)
    head = {'classifier.weight': (torch.randn(CLASSES, HF_WIDTH, generator=g) * 0.3).float(),
            'classifier.bias': (torch.randn(CLASSES, generator=g) * 0.3).float()}
    config = {
        'architectures': ['ViTForImageClassification'], 'model_type': 'vit',
        'hidden_size': HF_WIDTH, 'num_hidden_layers': LAYERS, 'num_attention_heads': HF_HEADS,
        'intermediate_size': HF_MLP, 'hidden_act': 'gelu', 'layer_norm_eps': HF_EPS,
        'image_size': IMAGE, 'patch_size': PATCH, 'num_channels': 3, 'qkv_bias': True,
        'hidden_dropout_prob': 0.0, 'attention_probs_dropout_prob': 0.0, 'initializer_range': 0.02,
        'id2label': {str(i): n for i, n in enumerate(LABELS)}, 'label2id': {n: i for i, n in enumerate(LABELS)},
    }
    folder = os.path.join(out, 'hf_vit')
    os.makedirs(folder, exist_ok=True)
    save_st(os.path.join(folder, 'model.safetensors'), {**{'vit.' + k: v for k, v in w.items()}, **head}, {'format': 'pt'})
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, 'preprocessor_config.json'), 'w') as f:
        json.dump({'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5],
                   'image_std': [0.5, 0.5, 0.5], 'image_processor_type': 'ViTImageProcessor', 'resample': 2,
                   'rescale_factor': 0.00392156862745098, 'size': {'height': IMAGE, 'width': IMAGE}}, f, indent=2)

    folder = os.path.join(out, 'hf_vitmodel')
    os.makedirs(folder, exist_ok=True)
    pooled = dict(w)
    pooled['pooler.dense.weight'] = (torch.randn(HF_WIDTH, HF_WIDTH, generator=g) * 0.3).float()
    pooled['pooler.dense.bias'] = (torch.randn(HF_WIDTH, generator=g) * 0.3).float()
    torch.save(pooled, os.path.join(folder, 'pytorch_model.bin'))
    plain = {k: v for k, v in config.items() if k not in ('id2label', 'label2id')}
    plain['architectures'] = ['ViTModel']
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(plain, f, indent=2)

    logits, cls = hf_forward(images, {**w, **head})
    save_st(os.path.join(out, 'hf_expected.safetensors'), {'images': images, 'logits': logits, 'cls': cls},
            {'heads': str(HF_HEADS), 'eps': repr(HF_EPS), 'torch': torch.__version__})


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(20250116)
    images = torch.randn(2, 3, IMAGE, IMAGE, generator=g)
    torchvision_fixture(out, g, images)
    hf_fixture(out, g, images)
    for root, _, files in os.walk(out):
        for f in files:
            size = os.path.getsize(os.path.join(root, f))
            assert size < 200_000, (f, size)
            print(f'{os.path.join(root, f)}: {size} bytes')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/layouts')
