#!/usr/bin/python3
"""Reference fixtures for reading Hugging Face PEFT LoRA adapter folders (issue 16).

Run with Debian's Python (python3-torch, libopenblas0-pthread), after make_layout_fixtures.py and
make_parity_fixtures.py (it reads their backbones):
    /usr/bin/python3 scripts/make_peft_fixtures.py tests/fixtures/peft

No peft package is used: each folder is written by name from PEFT's documented layout, an adapter_config.json
with LoraConfig's fields and the adapter's tensors under PEFT's saved names (the adapter name dropped):
  base_model.model.<module>.lora_A.weight [r, in], ...lora_B.weight [out, r], and a modules_to_save layer as
  base_model.model.<module>.weight (or, as older versions save it, <module>.modules_to_save.default.weight).
The reference merges every pair into the backbone as PEFT's merge does, W' = W + s B A with s = lora_alpha / r
(lora_alpha / sqrt(r) with use_rslora; r and alpha per module from rank_pattern / alpha_pattern), in float64,
then runs the plain-torch forward of the backbone's own fixture script.

Writes (each folder: adapter_config.json + adapter_model.safetensors, or adapter_model.bin for timm_all):
  hf_qv/          on tests/fixtures/layouts/hf_vit: target_modules ['query', 'value'], r 4, alpha 8
  hf_all_rslora/  all six linears by a regex string, use_rslora
  hf_patterns/    query/key/value with rank_pattern and alpha_pattern overrides
  hf_layers/      layers_to_transform [0, 2] with layers_pattern 'layer' on query, value and every dense
  hf_head/        query only, modules_to_save ['classifier'] (a 3-class head, saved the older way)
  timm_all/       on tests/fixtures/parity/backbone.safetensors: qkv, proj, fc1, fc2, rsLoRA, modules_to_save
                  ['head'] (5 classes), saved with torch.save as adapter_model.bin
  expected.safetensors  hf_images, timm_images and <case>.logits
"""
import json
import math
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import make_layout_fixtures as layout  # noqa: E402
import make_parity_fixtures as parity  # noqa: E402

PREFIX = 'base_model.model.'


def config(target_modules, r, alpha, **extra):
    c = {
        'peft_type': 'LORA', 'task_type': None, 'base_model_name_or_path': 'fixture', 'revision': None,
        'inference_mode': True, 'r': r, 'lora_alpha': alpha, 'lora_dropout': 0.1, 'target_modules': target_modules,
        'exclude_modules': None, 'bias': 'none', 'fan_in_fan_out': False, 'modules_to_save': None,
        'init_lora_weights': True, 'use_rslora': False, 'use_dora': False, 'rank_pattern': {}, 'alpha_pattern': {},
        'layers_to_transform': None, 'layers_pattern': None, 'layer_replication': None, 'lora_bias': False,
    }
    c.update(extra)
    return c


def matches(c, key):
    """PEFT's check_target_module_exists for the fields used here."""
    t = c['target_modules']
    if isinstance(t, str):
        return re.fullmatch(t, key) is not None
    if key in t:
        return True
    found = any(key.endswith('.' + k) for k in t)
    layers = c.get('layers_to_transform')
    if found and layers is not None:
        pattern = c.get('layers_pattern')
        m = re.match(r'.*\.[^.]*\.(\d+)\.', key) if not pattern else re.match(rf'.*\.{pattern}\.(\d+)\.', key)
        found = m is not None and int(m.group(1)) in ([layers] if isinstance(layers, int) else layers)
    return found


def pattern_value(patterns, key, default):
    for p, v in patterns.items():
        if re.match(rf'(.*\.)?({p})$', key):
            return v
    return default


def make_adapter(c, base, modules, g):
    """LoRA tensors for every module c selects among `modules` (module name -> weight name in `base`), and `base`
    with them merged in float64."""
    tensors, merged = {}, {k: v.double() for k, v in base.items()}
    for module in modules:
        if not matches(c, module):
            continue
        r = pattern_value(c['rank_pattern'], module, c['r'])
        alpha = pattern_value(c['alpha_pattern'], module, c['lora_alpha'])
        s = alpha / math.sqrt(r) if c['use_rslora'] else alpha / r
        out_f, in_f = base[module + '.weight'].shape
        a = (torch.randn(r, in_f, generator=g) * 0.3).float()
        b = (torch.randn(out_f, r, generator=g) * 0.3).float()
        tensors[f'{PREFIX}{module}.lora_A.weight'] = a
        tensors[f'{PREFIX}{module}.lora_B.weight'] = b
        merged[module + '.weight'] = merged[module + '.weight'] + s * (b.double() @ a.double())
    assert tensors, 'the config selects no module'
    return tensors, merged


def write_folder(out, name, c, tensors, binary=False):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'adapter_config.json'), 'w') as f:
        json.dump(c, f, indent=2)
    if binary:
        torch.save({k: v.contiguous() for k, v in tensors.items()}, os.path.join(folder, 'adapter_model.bin'))
    else:
        safetensors_io.write(os.path.join(folder, 'adapter_model.safetensors'),
                             {k: v.contiguous().float().numpy() for k, v in tensors.items()}, {'format': 'pt'})


def hf_cases(out, g, expected):
    base = {k: torch.from_numpy(v.copy()) for k, v in safetensors_io.read('tests/fixtures/layouts/hf_vit/model.safetensors').items()}
    images = torch.from_numpy(safetensors_io.read('tests/fixtures/layouts/hf_expected.safetensors')['images'].copy())
    expected['hf_images'] = images
    modules = [f'vit.encoder.layer.{i}.{m}' for i in range(layout.LAYERS) for m in
               ('attention.attention.query', 'attention.attention.key', 'attention.attention.value',
                'attention.output.dense', 'intermediate.dense', 'output.dense')]
    cases = {
        'hf_qv': config(['query', 'value'], 4, 8),
        'hf_all_rslora': config(r'.*\.(query|key|value|dense)', 4, 16, use_rslora=True),
        'hf_patterns': config(['query', 'key', 'value'], 4, 8,
                              rank_pattern={'key': 2, 'layer.1.attention.attention.query': 6},
                              alpha_pattern={'value': 3, r'layer\.2\.attention\.attention\.key': 5}),
        'hf_layers': config(['query', 'value', 'dense'], 2, 4, layers_to_transform=[0, 2], layers_pattern='layer'),
        'hf_head': config(['query'], 4, 8, modules_to_save=['classifier']),
    }
    for name, c in cases.items():
        tensors, merged = make_adapter(c, base, modules, g)
        if name == 'hf_head':
            head_w = (torch.randn(3, layout.HF_WIDTH, generator=g) * 0.3).float()
            head_b = (torch.randn(3, generator=g) * 0.3).float()
            tensors[PREFIX + 'classifier.modules_to_save.default.weight'] = head_w
            tensors[PREFIX + 'classifier.modules_to_save.default.bias'] = head_b
            merged['classifier.weight'], merged['classifier.bias'] = head_w.double(), head_b.double()
        write_folder(out, name, c, tensors)
        w = {k[len('vit.'):] if k.startswith('vit.') else k: v for k, v in merged.items()}
        logits, _ = layout.hf_forward(images, w)
        expected[name + '.logits'] = logits


def timm_cases(out, g, expected):
    base = {k: torch.from_numpy(v.copy()) for k, v in safetensors_io.read('tests/fixtures/parity/backbone.safetensors').items()}
    images = torch.from_numpy(safetensors_io.read('tests/fixtures/parity/expected.safetensors')['images'].copy())
    expected['timm_images'] = images
    modules = [f'blocks.{i}.{m}' for i in range(parity.DEPTH) for m in ('attn.qkv', 'attn.proj', 'mlp.fc1', 'mlp.fc2')]
    c = config(['qkv', 'proj', 'fc1', 'fc2'], 4, 6, use_rslora=True, modules_to_save=['head'])
    tensors, merged = make_adapter(c, base, modules, g)
    head_w = (torch.randn(parity.CLASSES, parity.WIDTH, generator=g) * 0.3).float()
    head_b = (torch.randn(parity.CLASSES, generator=g) * 0.3).float()
    tensors[PREFIX + 'head.weight'], tensors[PREFIX + 'head.bias'] = head_w, head_b
    merged['head.weight'], merged['head.bias'] = head_w.double(), head_b.double()
    write_folder(out, 'timm_all', c, tensors, binary=True)
    logits, _ = parity.forward(images, merged, 'none')
    expected['timm_all.logits'] = logits


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(20250216)
    expected = {}
    hf_cases(out, g, expected)
    timm_cases(out, g, expected)
    safetensors_io.write(os.path.join(out, 'expected.safetensors'),
                         {k: v.contiguous().float().numpy() for k, v in expected.items()}, {'torch': torch.__version__})
    for root, _, files in os.walk(out):
        for f in files:
            size = os.path.getsize(os.path.join(root, f))
            assert size < 150_000, (f, size)
            print(f'{os.path.join(root, f)}: {size} bytes')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/peft')
