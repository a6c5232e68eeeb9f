#!/usr/bin/python3
"""Second opinions on `sls export` output, with Debian's python3-onnx and python3-torch (no SlsPrune code).

    /usr/bin/python3 scripts/check_export.py ONNX_FILE...                      # onnx.checker, full check
    /usr/bin/python3 scripts/check_export.py --merged EXPORT.safetensors BACKBONE PETL METHOD KEPT
        # a merged standalone export of the parity fixture ViT (timm names, blocks renumbered) loads into the
        # plain-PyTorch reference forward of scripts/make_parity_fixtures.py and gives the logits of the original
        # backbone + PETL file run with only the KEPT blocks (comma-separated, 1-based)

Exit 0 when every check passes; prints one line per file.
"""
import json
import struct
import sys

import torch

import make_parity_fixtures as ref
import safetensors_io


def check_onnx(path):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    opset = {o.domain: o.version for o in model.opset_import}
    print(f'{path}: onnx.checker full check passed (IR {model.ir_version}, opset {opset.get("", "?")}, '
          f'{len(model.graph.node)} nodes, blocks {meta.get("kept_blocks")} of {meta.get("source_depth")})')


def tensors(path):
    with open(path, 'rb') as f:
        meta = json.loads(f.read(struct.unpack('<Q', f.read(8))[0])).get('__metadata__', {})
    return {k: torch.from_numpy(v.copy()) for k, v in safetensors_io.read(path).items()}, meta


def renumber(w, kept):
    out = {}
    for k, v in w.items():
        if k.startswith('blocks.'):
            b, rest = k[len('blocks.'):].split('.', 1)
            if int(b) in kept:
                out[f'blocks.{kept.index(int(b))}.{rest}'] = v
        else:
            out[k] = v
    return out


def check_merged(export, backbone, petl, method, kept):
    kept = [int(k) - 1 for k in kept.split(',')]
    merged, meta = tensors(export)
    assert not any('lora_' in k or 'adapter_' in k for k in merged), 'a merged export still holds adapter tensors'
    original = tensors(backbone)[0]
    original.update(tensors(petl)[0])
    g = torch.Generator().manual_seed(7)
    images = torch.randn(4, 3, ref.PATCH * ref.GRID, ref.PATCH * ref.GRID, generator=g)
    ref.DEPTH = len(kept)
    expected, _ = ref.forward(images, renumber(original, kept), method)
    actual, _ = ref.forward(images, merged, 'linear')  # the merged ViT is a plain timm ViT
    err = ((actual - expected).abs().max() / expected.abs().max()).item()
    print(f'{export}: plain PyTorch ViT on the merged weights vs {method} on the original, blocks {meta.get("kept_blocks")}: '
          f'relative error {err:.2e}')
    return err < 1e-5


def main(argv):
    if argv and argv[0] == '--merged':
        return 0 if check_merged(*argv[1:6]) else 1
    for path in argv:
        check_onnx(path)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
