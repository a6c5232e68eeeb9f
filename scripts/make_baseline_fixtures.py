"""Reference values for the pruning baselines (issue 8), written with PyTorch, NumPy and scikit-learn into
tests/fixtures/baselines/. Independent of SlsPrune: width pruning is done here by masking heads and hidden
units (SlsPrune slices weights), gradients come from PyTorch's autograd, probes from scikit-learn.

Run with Debian's python (python3-torch, python3-sklearn):
    /usr/bin/python3 scripts/make_baseline_fixtures.py

Reads the committed parity fixtures (tests/fixtures/parity: backbone, Convpass weights, images) and writes
  splora.safetensors   a SPLoRA PETL file (LoRA on qkv, proj, fc1, fc2 of every block, and a head)
  expected.safetensors logits of a pruned Convpass model (block 2 dropped, block 1 narrowed) and of the
                       SPLoRA model full and narrowed; Taylor / L1 / L2 group importance; SPA importance;
                       block influence; linear CKA; ridge probes.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import RidgeClassifier

sys.path.insert(0, os.path.dirname(__file__))
import make_parity_fixtures as ref  # noqa: E402  (the float64 reference model)
import safetensors_io  # noqa: E402

SPLORA_SCALE = 0.6
PLAN_BLOCKS = [0, 2]                 # block 1 (0-based) dropped
PLAN_HEADS = {0: [0, 2]}             # block 0 keeps heads 0 and 2 of 3
LABELS = [1, 3]


def load(path):
    return {k: torch.from_numpy(np.array(v)) for k, v in safetensors_io.read(path).items()}


def attention(x, w, p, head_mask, lora, dim_mask=None):
    b, n, c = x.shape
    qkv = F.linear(x, w[p + 'qkv.weight'], w[p + 'qkv.bias'])
    if lora:
        qkv = qkv + SPLORA_SCALE * F.linear(F.linear(x, w[p + 'qkv.lora_A.weight']), w[p + 'qkv.lora_B.weight'])
    qkv = qkv.reshape(b, n, 3, ref.HEADS, c // ref.HEADS).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if dim_mask is not None:                                   # a dropped dimension of every head: gone from q.k and from v
        q, k, v = (t * dim_mask.view(1, 1, 1, -1) for t in (q, k, v))
    a = ((q @ k.transpose(-2, -1)) * (c // ref.HEADS) ** -0.5).softmax(dim=-1)   # the full model's scale
    o = a @ v                                                  # [b, heads, n, hd]
    if head_mask is not None:
        o = o * head_mask.view(1, -1, 1, 1)                    # a dropped head contributes nothing to proj
    o = o.transpose(1, 2).reshape(b, n, c)
    y = F.linear(o, w[p + 'proj.weight'], w[p + 'proj.bias'])
    if lora:
        y = y + SPLORA_SCALE * F.linear(F.linear(o, w[p + 'proj.lora_A.weight']), w[p + 'proj.lora_B.weight'])
    return y


def mlp(x, w, p, unit_mask, lora):
    h = F.linear(x, w[p + 'fc1.weight'], w[p + 'fc1.bias'])
    if lora:
        h = h + SPLORA_SCALE * F.linear(F.linear(x, w[p + 'fc1.lora_A.weight']), w[p + 'fc1.lora_B.weight'])
    h = F.gelu(h)
    if unit_mask is not None:
        h = h * unit_mask
    y = F.linear(h, w[p + 'fc2.weight'], w[p + 'fc2.bias'])
    if lora:
        y = y + SPLORA_SCALE * F.linear(F.linear(h, w[p + 'fc2.lora_A.weight']), w[p + 'fc2.lora_B.weight'])
    return y


def forward(images, w, method, blocks=None, masks=None, tokens=None):
    """method: convpass or splora; blocks: kept blocks in order; masks: block -> (head mask, unit mask)."""
    x = F.conv2d(images, w['patch_embed.proj.weight'], w['patch_embed.proj.bias'], stride=ref.PATCH).flatten(2).transpose(1, 2)
    x = torch.cat([w['cls_token'].expand(x.shape[0], -1, -1), x], dim=1) + w['pos_embed']
    lora = method == 'splora'
    for i in (range(ref.DEPTH) if blocks is None else blocks):
        p = f'blocks.{i}.'
        hm, um, *dm = (masks or {}).get(i, (None, None))
        x_in = x
        n1 = ref.ln(x, w, p + 'norm1.')
        x = x + attention(n1, w, p + 'attn.', hm, lora, dm[0] if dm else None)
        if method == 'convpass':
            x = x + ref.convpass(n1, w, p + 'adapter_attn.') * ref.CONVPASS_SCALE
        n2 = ref.ln(x, w, p + 'norm2.')
        x = x + mlp(n2, w, p + 'mlp.', um, lora)
        if method == 'convpass':
            x = x + ref.convpass(n2, w, p + 'adapter_mlp.') * ref.CONVPASS_SCALE
        if tokens is not None:
            tokens.append((x_in, x))
    x = ref.ln(x, w, 'norm.')[:, 0]
    x = torch.tanh(F.linear(x, w['pre_logits.fc.weight'], w['pre_logits.fc.bias']))
    return F.linear(x, w['head.weight'], w['head.bias'])


def group_importance(w, g, kind):
    """[DEPTH, HEADS], [DEPTH, MLP] and [DEPTH, head dim]: a head's q, k, v rows (+ biases) and proj columns;
    a unit's fc1 row (+ bias) and fc2 column; a head dimension's q, k, v rows and proj column in every head."""
    hd = ref.WIDTH // ref.HEADS
    heads, units, dims = [], [], []
    for i in range(ref.DEPTH):
        p = f'blocks.{i}.'
        def e(k):
            t = w[p + k].double()
            return (t * g[p + k].double()).abs() if kind == 'taylor' else t.abs() if kind == 'l1' else t ** 2
        qkv_w, qkv_b, proj_w = e('attn.qkv.weight'), e('attn.qkv.bias'), e('attn.proj.weight')
        hs = []
        for h in range(ref.HEADS):
            rows = [s * ref.WIDTH + h * hd + j for s in range(3) for j in range(hd)]
            cols = [h * hd + j for j in range(hd)]
            hs.append(qkv_w[rows].sum() + qkv_b[rows].sum() + proj_w[:, cols].sum())
        ds = []
        for j in range(hd):
            rows = [s * ref.WIDTH + h * hd + j for s in range(3) for h in range(ref.HEADS)]
            cols = [h * hd + j for h in range(ref.HEADS)]
            ds.append(qkv_w[rows].sum() + qkv_b[rows].sum() + proj_w[:, cols].sum())
        us = e('mlp.fc1.weight').sum(1) + e('mlp.fc1.bias') + e('mlp.fc2.weight').sum(0)
        hs, ds = torch.stack(hs), torch.stack(ds)
        if kind == 'l2':
            hs, us, ds = hs.sqrt(), us.sqrt(), ds.sqrt()
        heads.append(hs)
        units.append(us)
        dims.append(ds)
    return torch.stack(heads), torch.stack(units), torch.stack(dims)


def linear_cka(x, y):
    x = x - x.mean(0, keepdims=True)
    y = y - y.mean(0, keepdims=True)
    return np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def blobs(rng, centres, n, spread):
    labels = np.arange(n) % len(centres)
    return centres[labels] + spread * rng.normal(size=(n, centres.shape[1])), labels


def main(out):
    os.makedirs(out, exist_ok=True)
    parity = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'parity')
    backbone = load(os.path.join(parity, 'backbone.safetensors'))
    convpass = load(os.path.join(parity, 'convpass.safetensors'))
    images = load(os.path.join(parity, 'expected.safetensors'))['images'].double()
    labels = torch.tensor(LABELS)
    g = torch.Generator().manual_seed(20261122)
    exp = {}

    # the Convpass model, pruned: block 1 dropped, block 0 keeping heads 0 and 2 and 60 random units
    w = {k: v.double() for k, v in {**backbone, **convpass}.items()}
    units0 = sorted(torch.randperm(ref.MLP, generator=g)[:60].tolist())
    hm = torch.zeros(ref.HEADS, dtype=torch.float64)
    hm[PLAN_HEADS[0]] = 1
    um = torch.zeros(ref.MLP, dtype=torch.float64)
    um[units0] = 1
    exp['plan.units0'] = torch.tensor(units0, dtype=torch.int64)
    exp['convpass.pruned.logits'] = forward(images, w, 'convpass', PLAN_BLOCKS, {0: (hm, um)}).float()
    # a check of the reference itself: masks of all ones are the full model of make_parity_fixtures.py
    full, _ = ref.forward(images.float(), {**backbone, **convpass}, 'convpass')
    assert torch.allclose(forward(images, w, 'convpass').float(), full, atol=1e-5)

    # Taylor / L1 / L2 group importance on the full Convpass model; gradients of two batches of one image each
    wg = {k: v.clone().requires_grad_(k.startswith('blocks.')) for k, v in w.items()}
    loss = sum(F.cross_entropy(forward(images[i:i + 1], wg, 'convpass'), labels[i:i + 1]) for i in range(2))
    loss.backward()
    grads = {k: v.grad for k, v in wg.items() if v.grad is not None}
    for kind in ('taylor', 'l1', 'l2'):
        exp[f'{kind}.heads'], exp[f'{kind}.units'], exp[f'{kind}.dims'] = group_importance(w, grads, kind)

    # block influence over both images
    tokens = []
    with torch.no_grad():
        forward(images, w, 'convpass', tokens=tokens)
    exp['bi'] = torch.tensor([1 - F.cosine_similarity(a, b, dim=-1).mean().item() for a, b in tokens], dtype=torch.float64)

    # SPLoRA: LoRA on the four linear layers, the model full and narrowed, and SPA's magnitude importance
    def r(*shape, s=0.3):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * s
    splora = {'head.weight': r(ref.CLASSES, ref.WIDTH), 'head.bias': r(ref.CLASSES)}
    for i in range(ref.DEPTH):
        for layer, (o, n) in {'attn.qkv': (3 * ref.WIDTH, ref.WIDTH), 'attn.proj': (ref.WIDTH, ref.WIDTH),
                              'mlp.fc1': (ref.MLP, ref.WIDTH), 'mlp.fc2': (ref.WIDTH, ref.MLP)}.items():
            splora[f'blocks.{i}.{layer}.lora_A.weight'] = r(ref.HIDDEN, n)
            splora[f'blocks.{i}.{layer}.lora_B.weight'] = r(o, ref.HIDDEN)
    ws = {k: v.double() for k, v in {**backbone, **splora}.items()}
    exp['splora.logits'] = forward(images, ws, 'splora').float()
    exp['splora.pruned.logits'] = forward(images, ws, 'splora', PLAN_BLOCKS, {0: (hm, um)}).float()
    adapted = dict(ws)
    for i in range(ref.DEPTH):
        for layer in ('attn.qkv', 'attn.proj', 'mlp.fc1', 'mlp.fc2'):
            p = f'blocks.{i}.{layer}.'
            adapted[p + 'weight'] = ws[p + 'weight'] + SPLORA_SCALE * ws[p + 'lora_B.weight'] @ ws[p + 'lora_A.weight']
    exp['spa.l1.heads'], exp['spa.l1.units'], _ = group_importance(adapted, None, 'l1')
    safetensors_io.write(os.path.join(out, 'splora.safetensors'), {k: v.float().numpy() for k, v in splora.items()},
                         {'format': 'slsprune-petl/1', 'petl_method': 'splora', 'petl_dim': str(ref.HIDDEN),
                          'petl_scale': repr(SPLORA_SCALE), 'num_classes': str(ref.CLASSES)})

    # head-dimension pruning: block 1 keeps 10 of 16 dimensions in every head, block 2 keeps 12 and 70 units
    g3 = torch.Generator().manual_seed(20261123)
    dims1 = sorted(torch.randperm(16, generator=g3)[:10].tolist())
    dims2 = sorted(torch.randperm(16, generator=g3)[:12].tolist())
    units2 = sorted(torch.randperm(ref.MLP, generator=g3)[:70].tolist())
    def mask(n, keep):
        m = torch.zeros(n, dtype=torch.float64)
        m[keep] = 1
        return m
    exp['dims.plan1'], exp['dims.plan2'], exp['dims.units2'] = (torch.tensor(x, dtype=torch.int64) for x in (dims1, dims2, units2))
    exp['convpass.dims.logits'] = forward(images, w, 'convpass', [0, 1, 2], {
        1: (None, None, mask(16, dims1)), 2: (None, mask(ref.MLP, units2), mask(16, dims2))}).float()

    # linear CKA (NumPy) and ridge probes (scikit-learn)
    rng = np.random.default_rng(20261122)
    x = rng.normal(size=(60, 20))
    y = np.tanh(x @ rng.normal(size=(20, 12))) + 0.1 * rng.normal(size=(60, 12))
    exp['cka.x'], exp['cka.y'], exp['cka.value'] = torch.from_numpy(x), torch.from_numpy(y), torch.tensor([linear_cka(x, y)], dtype=torch.float64)
    for name, classes in (('probe4', 4), ('probe2', 2)):
        centres = rng.normal(size=(classes, 16))
        xtr, ytr = blobs(rng, centres, 150, 1.2)
        xte, yte = blobs(rng, centres, 60, 1.2)
        clf = RidgeClassifier(alpha=1.0).fit(xtr, ytr)
        exp[f'{name}.xtr'], exp[f'{name}.ytr'] = torch.from_numpy(xtr), torch.from_numpy(ytr.astype(np.int64))
        exp[f'{name}.xte'], exp[f'{name}.yte'] = torch.from_numpy(xte), torch.from_numpy(yte.astype(np.int64))
        exp[f'{name}.coef'], exp[f'{name}.intercept'] = torch.from_numpy(clf.coef_), torch.from_numpy(np.atleast_1d(clf.intercept_))
        exp[f'{name}.accuracy'] = torch.tensor([clf.score(xte, yte)], dtype=torch.float64)

    safetensors_io.write(os.path.join(out, 'expected.safetensors'), {k: v.detach().numpy() for k, v in exp.items()},
                         {'splora_scale': repr(SPLORA_SCALE), 'labels': ','.join(map(str, LABELS)), 'torch': torch.__version__})
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f'wrote {len(os.listdir(out))} files, {total} bytes, to {out}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'baselines'))
