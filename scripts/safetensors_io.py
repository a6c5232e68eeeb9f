"""Minimal safetensors reading and writing for the reference scripts (numpy only), written from the format's
description, independently of SlsPrune's C# reader and writer."""
import json
import struct

import numpy as np

_DTYPES = {'float64': 'F64', 'float32': 'F32', 'float16': 'F16', 'int64': 'I64', 'int32': 'I32', 'int16': 'I16',
           'int8': 'I8', 'uint8': 'U8', 'bool': 'BOOL'}
_NUMPY = {v: k for k, v in _DTYPES.items()}


def write(path, arrays, metadata=None, raw=None):
    """arrays: name -> numpy array; raw: name -> (dtype string, shape, bytes) for dtypes numpy lacks (BF16, F8...)."""
    entries = [(k, _DTYPES[str(np.asarray(v).dtype)], list(np.shape(v)), np.ascontiguousarray(v).tobytes()) for k, v in arrays.items()]
    entries += [(k, d, list(s), b) for k, (d, s, b) in (raw or {}).items()]
    header, offset, blobs = {}, 0, []
    if metadata:
        header['__metadata__'] = metadata
    for name, dtype, shape, data in entries:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    """name -> numpy array, for the dtypes numpy has."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k != '__metadata__':
            a, b = v['data_offsets']
            out[k] = np.frombuffer(data[a:b], dtype=_NUMPY[v['dtype']]).reshape(v['shape'])
    return out
