#!/usr/bin/env python3
"""PyTorch + timm side of the GPU forward benchmark: the same weights `sls eval --throughput` runs.

    python3 bench/gpu/forward_reference.py BACKBONE.safetensors HEAD.safetensors [batches] [repeats]

Builds timm's vit_base_patch16_224, loads the backbone and the linear PETL file's head, and times the forward
pass on random input the way `sls eval --throughput` does: no grad, 3 warm-up passes, then `repeats` timed
passes with a synchronize after each, the median reported. Precisions: fp32; bf16 and fp16 with the model
cast (as `sls --precision`); and bf16 / fp16 under torch.autocast, for reference. Prints one JSON document.
"""
import json
import sys
import time

import timm
import torch
from safetensors.torch import load_file


def measure(model, batch, repeats, dtype, autocast):
    x = torch.randn(batch, 3, 224, 224, device='cuda')
    if dtype is not None:
        x = x.to(dtype)
    times = []
    with torch.no_grad(), torch.autocast('cuda', dtype=autocast, enabled=autocast is not None):
        for _ in range(3):
            model(x)
        torch.cuda.synchronize()
        for _ in range(repeats):
            t = time.perf_counter()
            model(x)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    return {'batch_size': batch, 'images_per_second': batch / median, 'median_latency_ms': median * 1000}


def main(backbone, head, batches, repeats):
    sd = load_file(backbone)
    sd.update(load_file(head))
    classes = sd['head.weight'].shape[0]
    out = {'torch': torch.__version__, 'timm': timm.__version__, 'device': torch.cuda.get_device_name(0), 'repeats': repeats, 'runs': {}}
    for name, dtype, autocast in [('fp32', None, None), ('bf16', torch.bfloat16, None), ('fp16', torch.float16, None),
                                  ('autocast-bf16', None, torch.bfloat16), ('autocast-fp16', None, torch.float16)]:
        model = timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=classes)
        model.load_state_dict(sd)
        model = model.cuda().eval()
        if dtype is not None:
            model = model.to(dtype)
        out['runs'][name] = [measure(model, b, repeats, dtype, autocast) for b in batches]
        del model
        torch.cuda.empty_cache()
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    b = [int(v) for v in (sys.argv[3] if len(sys.argv) > 3 else '1,64,256').split(',')]
    main(sys.argv[1], sys.argv[2], b, int(sys.argv[4]) if len(sys.argv) > 4 else 20)
