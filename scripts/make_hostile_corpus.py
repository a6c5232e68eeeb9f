#!/usr/bin/python3
"""The hostile-input corpus: broken and malicious files, each with the command that reads it and the one
line `sls` must answer with (exit code 2). The CLI tests run every case (HostileCorpusTests).

    /usr/bin/python3 scripts/make_hostile_corpus.py tests/hostile

Writes the files and cases.json: [{"name", "args", "message"}], where "{dir}" stands for the corpus folder,
"{fixtures}" for tests/fixtures, and "{out}" for a folder the test makes with an earlier index.sls.json in it (which
must stay as it was, with nothing added: nothing half-written). Pickles, zips,
npz and safetensors are put together byte by byte here (no torch, nothing of the files is ever run):
standard library and numpy only. The base model is tests/fixtures/parity (patch 8, 4x4 grid, width 48,
3 blocks, 3 heads).
"""
import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

PARITY = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'parity')


# ---- pickles, by opcode ----

def p_str(s):
    b = s.encode()
    return b'X' + struct.pack('<I', len(b)) + b  # BINUNICODE


def p_global(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'  # GLOBAL


def p_call(module, name, *args):
    """GLOBAL, a tuple of string args, REDUCE: what __reduce__ pickles to."""
    return p_global(module, name) + b'(' + b''.join(p_str(a) for a in args) + b't' + b'R'


def p_dict(items):
    """EMPTY_DICT, MARK, key value ..., SETITEMS."""
    return b'}(' + b''.join(p_str(k) + v for k, v in items) + b'u'


def pickle(body):
    return b'\x80\x02' + body + b'.'  # PROTO 2 ... STOP


def tensor_rebuild(storage_type, key, numel, shape):
    """torch._utils._rebuild_tensor_v2((storage pid), 0, shape, stride, False, OrderedDict())."""
    stride = []
    acc = 1
    for d in reversed(shape):
        stride.insert(0, acc)
        acc *= d
    ints = lambda xs: b'(' + b''.join(b'J' + struct.pack('<i', x) if x < 2 ** 31 else b'\x8a\x08' + struct.pack('<q', x) for x in xs) + b't'
    pid = b'(' + p_str('storage') + p_global('torch', storage_type) + p_str(key) + p_str('cpu') + b'J' + struct.pack('<i', numel) + b't' + b'Q'
    return (p_global('torch._utils', '_rebuild_tensor_v2') + b'(' + pid + b'J\x00\x00\x00\x00' + ints(shape) + ints(stride)
            + b'\x89' + p_global('collections', 'OrderedDict') + b')R' + b't' + b'R')


def torch_zip(path, pkl, storages=None, prefix='archive/', extra=None, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, 'w', compress) as z:
        if pkl is not None:
            z.writestr(prefix + 'data.pkl', pkl)
        z.writestr(prefix + 'byteorder', 'little')
        for k, v in (storages or {}).items():
            z.writestr(prefix + 'data/' + k, v)
        for k, v in (extra or {}).items():
            z.writestr(k, v)
        z.writestr(prefix + 'version', '3\n')


def one_tensor_pickle(storage_type='FloatStorage'):
    return pickle(p_dict([('w', tensor_rebuild(storage_type, '0', 4, [2, 2]))]))


# ---- safetensors, by hand ----

def st_raw(path, header, data=b'', header_len=None):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h) if header_len is None else header_len))
        f.write(h)
        f.write(data)


# ---- ONNX protobuf, by hand (field numbers of onnx.proto) ----

def pb_varint(v):
    v &= (1 << 64) - 1
    out = b''
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_int(field, v):
    return pb_varint(field << 3) + pb_varint(v)


def pb_bytes(field, b):
    b = b.encode() if isinstance(b, str) else b
    return pb_varint(field << 3 | 2) + pb_varint(len(b)) + b


def onnx_tensor(name, dtype, dims, raw, external=None):
    t = b''.join(pb_int(1, d) for d in dims) + pb_int(2, dtype) + pb_bytes(8, name)
    if raw is not None:
        t += pb_bytes(9, raw)
    if external is not None:
        t += pb_bytes(13, pb_bytes(1, 'location') + pb_bytes(2, external)) + pb_int(14, 1)
    return t


def onnx_attr_ints(name, ints):
    return pb_bytes(1, name) + b''.join(pb_int(8, i) for i in ints) + pb_int(20, 7)


def onnx_node(op, inputs, outputs, attrs=()):
    return b''.join(pb_bytes(1, i) for i in inputs) + b''.join(pb_bytes(2, o) for o in outputs) + pb_bytes(4, op) + b''.join(pb_bytes(5, a) for a in attrs)


def onnx_value(name, dims):
    shape = b''.join(pb_bytes(1, pb_int(1, d)) for d in dims)
    return pb_bytes(1, name) + pb_bytes(2, pb_bytes(1, pb_int(1, 1) + pb_bytes(2, shape)))


def onnx_model(nodes, initializers, inputs=None):
    """An ONNX model with sls export's metadata (so only the declared sizes are wrong): images in, logits out."""
    inputs = inputs if inputs is not None else [onnx_value('images', [1, 3, 32, 32])]
    graph = (b''.join(pb_bytes(1, n) for n in nodes) + pb_bytes(2, 'g') + b''.join(pb_bytes(5, t) for t in initializers)
             + b''.join(pb_bytes(11, i) for i in inputs) + pb_bytes(12, onnx_value('logits', [1, 5])))
    meta = {'image_size': '32', 'channels': '3', 'mean': '0.5,0.5,0.5', 'std': '0.5,0.5,0.5', 'classes': '5'}
    return (pb_int(1, 8) + pb_bytes(8, pb_bytes(1, '') + pb_int(2, 17)) + pb_bytes(7, graph)
            + b''.join(pb_bytes(14, pb_bytes(1, k) + pb_bytes(2, v)) for k, v in meta.items()))


# ---- images and task folders ----

def png_bytes(w, h, seed):
    rng = np.random.default_rng(seed)
    rows = b''.join(b'\x00' + rng.integers(0, 256, w * 3, dtype=np.uint8).tobytes() for _ in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')


def task(root, name, lines=None, classes=5, images=40, bad=None):
    """A task folder of `images` 32x32 PNGs over `classes` labels; `bad` maps an image index to its bytes."""
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, 'images'), exist_ok=True)
    default = []
    for i in range(images):
        data = (bad or {}).get(i, png_bytes(32, 32, i))
        with open(os.path.join(d, 'images', f'{i:03d}.png'), 'wb') as f:
            f.write(data)
        default.append(f'images/{i:03d}.png {i % classes}')
    with open(os.path.join(d, 'train800val200.txt'), 'w') as f:
        f.write('\n'.join(lines if lines is not None else default) + '\n')
    return d


def main(out):
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    cases = []
    J = lambda *a: os.path.join(out, *a)

    def case(name, args, message):
        cases.append({'name': name, 'args': args, 'message': message})

    def inspect(name, message):
        case(name, ['inspect', '{dir}/' + name], 'sls: {dir}/' + name + ': ' + message)

    # -- pickles that would run code, or read what is not a checkpoint --
    torch_zip(J('pickle-os-system.pt'), pickle(p_dict([('x', p_call('posix', 'system', 'touch /tmp/sls-hostile-ran'))])))
    inspect('pickle-os-system.pt', "pickle names the global 'posix.system', which is not on the allowlist; refusing to load (nothing from the file was run)")
    torch_zip(J('pickle-builtins-eval.pt'), pickle(p_dict([('x', p_call('builtins', 'eval', '__import__("os").system("touch /tmp/sls-hostile-ran")'))])))
    inspect('pickle-builtins-eval.pt', "pickle names the global 'builtins.eval', which is not on the allowlist; refusing to load (nothing from the file was run)")
    torch_zip(J('pickle-subprocess-popen.pt'), pickle(p_dict([('x', p_call('subprocess', 'Popen', 'touch /tmp/sls-hostile-ran'))])))
    inspect('pickle-subprocess-popen.pt', "pickle names the global 'subprocess.Popen', which is not on the allowlist; refusing to load (nothing from the file was run)")
    nested = p_dict([('model', p_dict([('blocks', b']' + b'(' + b'(' + p_call('os', 'system', 'id') + b't' + b'e')]))])
    torch_zip(J('pickle-nested-reduce.pt'), pickle(nested))
    inspect('pickle-nested-reduce.pt', "pickle names the global 'os.system', which is not on the allowlist; refusing to load (nothing from the file was run)")
    torch_zip(J('pickle-unknown-storage.pt'), one_tensor_pickle('EvilStorage'), {'0': b'\x00' * 16})
    inspect('pickle-unknown-storage.pt', "pickle names the global 'torch.EvilStorage', which is not on the allowlist; refusing to load (nothing from the file was run)")
    # five million list items from a 10 kB file: deflate shrinks the repeated opcodes a thousandfold
    huge = pickle(b']' + b'(' + b'K\x00' * 5_000_000 + b'e')
    torch_zip(J('pickle-huge-list.pt'), huge, compress=zipfile.ZIP_DEFLATED)
    inspect('pickle-huge-list.pt', "pickle keeps more than 1000000 values on its stack; a checkpoint's pickle holds far fewer (refusing to go on)")
    torch_zip(J('pickle-no-tensors.pt'), pickle(p_dict([('epoch', b'K\x03')])))
    inspect('pickle-no-tensors.pt', "the pickle holds no dict of tensors (expected a state dict, or one under 'state_dict' or 'model')")
    torch_zip(J('pickle-bad-opcode.pt'), b'\x80\x02}\xff.')
    inspect('pickle-bad-opcode.pt', "pickle opcode 0xff at byte 3 is not supported in a checkpoint")
    torch_zip(J('pickle-storage-too-small.pt'), one_tensor_pickle(), {'0': b'\x00' * 8})
    inspect('pickle-storage-too-small.pt', "storage '0' has 8 bytes, expected 16: truncated or inconsistent")
    big = pickle(p_dict([('w', tensor_rebuild('FloatStorage', '0', 2 ** 31 - 1, [2 ** 31 - 1]))]))
    torch_zip(J('pickle-storage-claims-8gb.pt'), big, {'0': b'\x00' * 16})
    inspect('pickle-storage-claims-8gb.pt', "storage '0' has 16 bytes, expected 8589934588: truncated or inconsistent")

    # -- zip archives --
    torch_zip(J('zip-path-traversal.pt'), one_tensor_pickle(), {'0': b'\x00' * 16}, extra={'../../escape.txt': 'x'})
    inspect('zip-path-traversal.pt', "archive entry '../../escape.txt' points outside the archive; refusing to read it")
    torch_zip(J('zip-no-data-pkl.pt'), None, {'0': b'\x00' * 16})
    inspect('zip-no-data-pkl.pt', "zip file has no data.pkl: not a torch.save checkpoint")
    valid = io.BytesIO()
    torch_zip(valid, one_tensor_pickle(), {'0': b'\x00' * 16})
    with open(J('zip-truncated.pt'), 'wb') as f:
        f.write(valid.getvalue()[:len(valid.getvalue()) // 2])
    inspect('zip-truncated.pt', "not a readable zip archive (End of Central Directory record could not be found.): truncated or corrupt")

    # -- safetensors --
    ok = {'w': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [0, 16]}}
    st_raw(J('st-header-beyond-file.safetensors'), ok, b'\x00' * 16, header_len=10 ** 9)
    inspect('st-header-beyond-file.safetensors', "safetensors header length 1000000000 exceeds the file size (89 bytes): truncated or not a safetensors file")
    st_raw(J('st-overlapping-offsets.safetensors'), {'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},
                                                     'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}}, b'\x00' * 12)
    inspect('st-overlapping-offsets.safetensors', "tensor 'b' starts at data offset 4, expected 8 (overlapping or gapped offsets)")
    st_raw(J('st-offsets-out-of-range.safetensors'), {'a': {'dtype': 'F32', 'shape': [4], 'data_offsets': [0, 16]}}, b'\x00' * 8)
    inspect('st-offsets-out-of-range.safetensors', "tensor data ends at offset 16 but the file has 8 data bytes: truncated")
    st_raw(J('st-shape-overflow.safetensors'), {'a': {'dtype': 'F32', 'shape': [2 ** 40, 2 ** 40], 'data_offsets': [0, 16]}}, b'\x00' * 16)
    inspect('st-shape-overflow.safetensors', "tensor 'a' has shape [1099511627776, 1099511627776], whose size overflows")
    st_raw(J('st-unknown-dtype.safetensors'), {'a': {'dtype': 'F128', 'shape': [1], 'data_offsets': [0, 16]}}, b'\x00' * 16)
    inspect('st-unknown-dtype.safetensors', "tensor 'a' has unsupported dtype 'F128'")
    dup = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    st_raw(J('st-duplicate-keys.safetensors'), dup, b'\x00' * 8)
    inspect('st-duplicate-keys.safetensors', "tensor 'a' appears twice in the header")
    st_raw(J('st-non-utf8-header.safetensors'), b'{"a\xff\xfe":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b'\x00' * 4)
    inspect('st-non-utf8-header.safetensors', "safetensors header is not valid UTF-8")
    st_raw(J('st-header-not-json.safetensors'), b'this is not json', b'')
    inspect('st-header-not-json.safetensors', "safetensors header is not valid JSON ('this is not json' is an invalid JSON literal. Expected the literal 'true'. LineNumber: 0 | BytePositionInLine: 1.)")
    open(J('zero-bytes.safetensors'), 'wb').close()
    inspect('zero-bytes.safetensors', "file is 0 bytes, too short for a safetensors header")

    # -- npz --
    with zipfile.ZipFile(J('npz-non-array-member.npz'), 'w') as z:
        z.writestr('cls.npy', b'this is not an npy array')
    inspect('npz-non-array-member.npz', "array 'cls' is not in .npy format (bad magic)")
    np.savez(J('npz-object-array.npz'), cls=np.array([{'a': 1}], dtype=object))
    inspect('npz-object-array.npz', "array 'cls' has dtype '|O', which is not supported")
    g = dict(np.load(os.path.join(PARITY, 'backbone.npz')))
    g['Transformer/posembed_input/pos_embedding'] = g['Transformer/posembed_input/pos_embedding'][:, :11]
    np.savez(J('npz-wrong-shape.npz'), **g)
    inspect('npz-wrong-shape.npz', "pos_embed has 11 tokens; expected a class token plus a square grid")

    # -- weights that contradict themselves, or are not numbers --
    base = safetensors_io.read(os.path.join(PARITY, 'backbone.safetensors'))
    w = dict(base)
    w['pos_embed'] = w['pos_embed'][:, :11].copy()
    safetensors_io.write(J('pos-embed-vs-grid.safetensors'), w)
    inspect('pos-embed-vs-grid.safetensors', "pos_embed has 11 tokens; expected a class token plus a square grid")
    w = {k: (np.pad(v, [(0, 2) if s == 48 else (0, 0) for s in v.shape]) if 48 in v.shape else v) for k, v in base.items()}
    w = {k: (np.pad(v, [(0, 6) if s == 144 else (0, 0) for s in v.shape]) if 144 in v.shape else v) for k, v in w.items()}
    safetensors_io.write(J('width-vs-heads.safetensors'), w)
    case('width-vs-heads.safetensors', ['inspect', '{dir}/width-vs-heads.safetensors', '--heads', '3'],
         'sls: {dir}/width-vs-heads.safetensors: width 50 is not divisible by 3 heads')
    w = dict(base)
    w['blocks.1.attn.proj.weight'] = w['blocks.1.attn.proj.weight'].copy()
    w['blocks.1.attn.proj.weight'][3, 4] = np.nan
    safetensors_io.write(J('nan-weights.safetensors'), w)
    task(out, 'task-ok')
    model = ['--petl', '{dir}/../fixtures/parity/convpass.safetensors', '--heads', '3']
    case('nan-weights.safetensors', ['prune', '--backbone', '{dir}/nan-weights.safetensors', *model, '--data', '{dir}/task-ok', '--out', '{out}/index.sls.json'],
         'sls: {dir}/nan-weights.safetensors: tensor \'blocks.1.attn.proj.weight\' holds NaN or infinite values')
    p = safetensors_io.read(os.path.join(PARITY, 'convpass.safetensors'))
    p['head.bias'] = p['head.bias'].copy()
    p['head.bias'][0] = np.inf
    safetensors_io.write(J('inf-petl.safetensors'), p, {'petl_method': 'convpass', 'petl_scale': '0.7'})
    case('inf-petl.safetensors', ['eval', '--backbone', '{dir}/../fixtures/parity/backbone.safetensors', '--petl', '{dir}/inf-petl.safetensors', '--heads', '3',
                                  '--data', '{dir}/task-ok', '--split', 'train800val200'],
         'sls: {dir}/inf-petl.safetensors: tensor \'head.bias\' holds NaN or infinite values')
    p = {k: (np.pad(v, [(0, 16) if s == 48 else (0, 0) for s in v.shape]) if 48 in v.shape else v) for k, v in
         safetensors_io.read(os.path.join(PARITY, 'convpass.safetensors')).items()}
    safetensors_io.write(J('petl-wrong-width.safetensors'), p, {'petl_method': 'convpass', 'petl_scale': '0.7'})
    case('petl-wrong-width.safetensors', ['prune', '--backbone', '{dir}/../fixtures/parity/backbone.safetensors', '--petl', '{dir}/petl-wrong-width.safetensors',
                                          '--heads', '3', '--data', '{dir}/task-ok', '--out', '{out}/index.sls.json'],
         "sls: {dir}/petl-wrong-width.safetensors: weight 'blocks.0.adapter_attn.adapter_down.weight' has shape [8, 64], the model needs [8, 48]")

    # -- task folders and lists --
    prune = lambda t: ['prune', '--backbone', '{dir}/../fixtures/parity/backbone.safetensors', *model, '--data', '{dir}/' + t, '--out', '{out}/index.sls.json']
    task(out, 'task-corrupt-image', bad={7: png_bytes(32, 32, 7)[:60]})
    case('task-corrupt-image', prune('task-corrupt-image'), 'sls: {dir}/task-corrupt-image/images/007.png: corrupt image: PNG chunk runs past the end of the file (truncated)')
    task(out, 'task-zero-byte-image', bad={3: b''})
    case('task-zero-byte-image', prune('task-zero-byte-image'), 'sls: {dir}/task-zero-byte-image/images/003.png: not a PNG, JPEG, BMP or GIF image')
    task(out, 'task-not-an-image', bad={5: b'RIFF\x10\x00\x00\x00WEBPVP8 not supported here'})
    case('task-not-an-image', prune('task-not-an-image'), 'sls: {dir}/task-not-an-image/images/005.png: not a PNG, JPEG, BMP or GIF image')
    jpeg = bytearray(open(os.path.join(PARITY, '..', 'images', 'grey.jpg'), 'rb').read())
    jpeg[4] = 0x08  # APP0 length 0x0810: past the end (stb_image searched for the next marker forever; found by the fuzz test)
    task(out, 'task-jpeg-segment-past-end', bad={9: bytes(jpeg)})
    case('task-jpeg-segment-past-end', prune('task-jpeg-segment-past-end'),
         'sls: {dir}/task-jpeg-segment-past-end/images/009.png: corrupt image: JPEG segment 0xE0 at byte 2 claims 2064 bytes, past the end of the file')
    task(out, 'task-bad-line', lines=['images/000.png 0', 'images/001.png one'])
    case('task-bad-line', prune('task-bad-line'), "sls: {dir}/task-bad-line/train800val200.txt:2: label 'one' is not an integer")
    task(out, 'task-no-label', lines=['images/000.png'])
    case('task-no-label', prune('task-no-label'), "sls: {dir}/task-no-label/train800val200.txt:1: expected 'relative/path label'")
    task(out, 'task-missing-file', lines=['images/000.png 0', 'images/999.png 1'])
    case('task-missing-file', prune('task-missing-file'), "sls: {dir}/task-missing-file/train800val200.txt:2: image 'images/999.png' does not exist")
    task(out, 'task-label-out-of-range', lines=['images/000.png 0', 'images/001.png 7'])
    case('task-label-out-of-range', prune('task-label-out-of-range'), 'sls: {dir}/task-label-out-of-range/train800val200.txt:2: label 7 needs at least 8 classes but the head has 5')
    # list paths are followed wherever they lead (as in every layout), but never into the kernel's folders
    escape = '../' * 40 + 'proc/cpuinfo'
    task(out, 'task-path-escapes', lines=['images/000.png 0', escape + ' 1'])
    case('task-path-escapes', prune('task-path-escapes'),
         f"sls: {{dir}}/task-path-escapes/train800val200.txt:2: image '{escape}' leads to '/proc/cpuinfo', a kernel interface under /proc, /sys or /dev, not an image")
    task(out, 'task-one-class', lines=[f'images/{i:03d}.png 1' for i in range(40)])
    case('task-one-class', prune('task-one-class'),
         'sls: {dir}/task-one-class/train800val200.txt: calibration split has 1 class; SLS scores how well layers separate classes and needs at least 2')

    # -- pruning indexes --
    index = {'format': 'slsprune-index', 'version': 1, 'method': 'sls', 'metric': 'silhouette', 'alpha': 0.3, 'depth': 3, 'kept_blocks': [1, 2],
             'scores': [0.1, 0.2, 0.3], 'decision': 'test', 'calibration': {'task': 't', 'split': 's', 'samples': 40, 'classes': 5, 'seed': 0},
             'tsne': {'components': 2, 'perplexity': 30.0, 'early_exaggeration': 12.0, 'learning_rate': 'auto', 'max_iter': 1000, 'init': 'pca', 'method': 'exact'},
             'backbone': {'path': 'elsewhere/backbone.safetensors', 'sha256': '0' * 64}, 'petl': {'path': 'elsewhere/convpass.safetensors', 'sha256': '1' * 64}}
    with open(J('index-other-checkpoint.sls.json'), 'w') as f:
        json.dump(index, f)
    evaluate = lambda i: ['eval', '--backbone', '{dir}/../fixtures/parity/backbone.safetensors', *model, '--data', '{dir}/task-ok',
                          '--split', 'train800val200', '--index', '{dir}/' + i]
    case('index-other-checkpoint', evaluate('index-other-checkpoint.sls.json'),
         'sls: {dir}/index-other-checkpoint.sls.json: index was computed for a different backbone file (SHA-256 000000000000..., {fixtures}/parity/backbone.safetensors has 165fc8892457...); pass --allow-mismatch to use it anyway')
    with open(J('index-garbage.sls.json'), 'w') as f:
        f.write('{"format": "slsprune-index", "kept_blocks": [1, 2,')
    case('index-garbage', evaluate('index-garbage.sls.json'), 'sls: {dir}/index-garbage.sls.json: not a valid pruning index: not valid JSON at line 1, byte 50: Expected start of a property name or value, but instead reached end of data')
    # mistyped fields are named by their JSON path and the kind they need, never by a .NET type
    with open(J('index-depth-string.sls.json'), 'w') as f:
        json.dump(dict(index, depth='three'), f)
    case('index-depth-string', evaluate('index-depth-string.sls.json'), "sls: {dir}/index-depth-string.sls.json: not a valid pruning index: field 'depth' must be an integer")
    with open(J('index-samples-float.sls.json'), 'w') as f:
        json.dump(dict(index, calibration=dict(index['calibration'], samples=40.5)), f)
    case('index-samples-float', evaluate('index-samples-float.sls.json'),
         "sls: {dir}/index-samples-float.sls.json: not a valid pruning index: field 'calibration.samples' must be an integer")
    with open(J('manifest-epochs.yaml'), 'w') as f:
        f.write('backbone: b.safetensors\ntasks:\n  - name: a\n    data: t\n    settings:\n      epochs: ten\n')
    case('manifest-epochs.yaml', ['batch', '--manifest', '{dir}/manifest-epochs.yaml', '--out', '{out}/batch'],
         "sls: {dir}/manifest-epochs.yaml: not a valid batch manifest: field 'tasks[0].settings.epochs' must be an integer (line 6)")
    with open(J('manifest-unknown-field.json'), 'w') as f:
        json.dump({'backbone': 'b.safetensors', 'tasks': [{'name': 'a', 'data': 't', 'epoch': 3}]}, f)
    case('manifest-unknown-field.json', ['batch', '--manifest', '{dir}/manifest-unknown-field.json', '--out', '{out}/batch'],
         "sls: {dir}/manifest-unknown-field.json: not a valid batch manifest: field 'tasks[0].epoch' is not known")
    with open(J('manifest-stages-string.json'), 'w') as f:
        json.dump({'backbone': 'b.safetensors', 'defaults': {'stages': 'prune'}, 'tasks': [{'name': 'a', 'data': 't'}]}, f)
    case('manifest-stages-string.json', ['batch', '--manifest', '{dir}/manifest-stages-string.json', '--out', '{out}/batch'],
         "sls: {dir}/manifest-stages-string.json: not a valid batch manifest: field 'defaults.stages' must be a list")
    index2 = dict(index, kept_blocks=[1, 3])
    with open(J('index-not-leading.sls.json'), 'w') as f:
        json.dump(index2, f)
    case('index-not-leading', evaluate('index-not-leading.sls.json') + ['--allow-mismatch'],
         'sls: {dir}/index-not-leading.sls.json: kept_blocks must be 1..k in a version 1 index')
    with open(J('index-unordered.sls.json'), 'w') as f:
        json.dump(dict(index, version=2, kept_blocks=[3, 1]), f)
    case('index-unordered', evaluate('index-unordered.sls.json') + ['--allow-mismatch'],
         'sls: {dir}/index-unordered.sls.json: kept_blocks must be distinct, ascending and within 1..3, and not empty')
    with open(J('index-scores-from-top.sls.json'), 'w') as f:
        json.dump(dict(index, version=2, kept_blocks=[1, 2], scores_from_top=[{'layer': 4, 'score': 0.5}]), f)
    case('index-scores-from-top', evaluate('index-scores-from-top.sls.json') + ['--allow-mismatch'],
         'sls: {dir}/index-scores-from-top.sls.json: scores_from_top must list layers 3, 2, ... down to a layer above 1, in that order, in place of scores')
    with open(J('index-bad-width.sls.json'), 'w') as f:
        json.dump(dict(index, version=2, kept_blocks=[1, 2, 3], width=[{'block': 2, 'heads': [0, 7], 'mlp_units': [1]}]), f)
    case('index-bad-width', evaluate('index-bad-width.sls.json') + ['--allow-mismatch'],
         'sls: {dir}/index-bad-width.sls.json: block 2 heads must be distinct, ascending, non-empty and within 0..2')

    # -- recursion, bombs and bounds (issue 15) --
    # a dict that contains itself through the memo: EMPTY_DICT, BINPUT 0, MARK, 'self', BINGET 0, SETITEMS
    torch_zip(J('pickle-self-dict.pt'), pickle(b'}q\x00(' + p_str('self') + b'h\x00u'))
    inspect('pickle-self-dict.pt', "pickle's dict 'self' contains itself (through the memo); a state dict cannot")
    # 200,000 nested dicts from a few kilobytes: {'a': {'a': {...}}}
    torch_zip(J('pickle-deep-dicts.pt'), pickle((b'}(' + b'X\x01\x00\x00\x00a') * 200_000 + b'}' + b'u' * 200_000), compress=zipfile.ZIP_DEFLATED)
    inspect('pickle-deep-dicts.pt', "pickle nests more than 200 containers inside one another; a state dict nests a few (refusing to go on)")
    torch_zip(J('pickle-string-length-overflow.pt'), b'\x80\x02\x8d' + b'\xff' * 8 + b'.')
    inspect('pickle-string-length-overflow.pt', "pickle gives a length of 18446744073709551615 bytes at byte 3, past its end (truncated or corrupt)")
    expanded = pickle(p_dict([('w', tensor_rebuild('FloatStorage', '0', 1, [1]).replace(b'(J\x01\x00\x00\x00t', b'(J\x00\x00\x00\x40t', 1)
                                                                                        .replace(b'(J\x01\x00\x00\x00t', b'(J\x00\x00\x00\x00t', 1))]))
    torch_zip(J('pickle-expanded-view.pt'), expanded, {'0': b'\x00' * 4})
    inspect('pickle-expanded-view.pt', "tensor of size [1073741824] views 1073741824 elements of storage '0', which holds 1 (an expanded or overlapping view); refusing to materialise it")
    with zipfile.ZipFile(J('zip-big-byteorder.pt'), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('archive/data.pkl', one_tensor_pickle())
        z.writestr('archive/byteorder', 'little' + ' ' * 100_000)
        z.writestr('archive/data/0', b'\x00' * 16)
    inspect('zip-big-byteorder.pt', "archive entry 'archive/byteorder' is 100006 bytes; it holds one word (limit 64)")
    st_raw(J('st-offsets-strings.safetensors'), {'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': ['0', '4']}}, b'\x00' * 4)
    inspect('st-offsets-strings.safetensors', "tensor 'a' has invalid data_offsets")
    with zipfile.ZipFile(J('npz-duplicate-member.npz'), 'w') as z:
        for _ in range(2):
            buf = io.BytesIO()
            np.save(buf, np.zeros(2, dtype=np.float32))
            z.writestr('cls.npy', buf.getvalue())
    inspect('npz-duplicate-member.npz', "array 'cls' appears twice in the archive")
    with zipfile.ZipFile(J('npz-truncated-header.npz'), 'w') as z:
        z.writestr('cls.npy', b'\x93NUMPY\x02\x00\x10\x00')
    inspect('npz-truncated-header.npz', "array 'cls' header is truncated")
    with zipfile.ZipFile(J('npz-shape-overflow.npz'), 'w') as z:
        h = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
        z.writestr('cls.npy', b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h)
    inspect('npz-shape-overflow.npz', "array 'cls' has shape [4294967296, 4294967296], whose size overflows")
    bomb = bytearray(png_bytes(1, 1, 4)[:16] + struct.pack('>II', 20000, 20000) + png_bytes(1, 1, 4)[24:])
    bomb[29:33] = struct.pack('>I', zlib.crc32(bytes(bomb[12:29])) & 0xffffffff)  # IHDR's CRC over the new size
    task(out, 'task-png-bomb', bad={4: bytes(bomb)})
    case('task-png-bomb', prune('task-png-bomb'), 'sls: {dir}/task-png-bomb/images/004.png: corrupt image: PNG claims 20000x20000 pixels, more than the 178956970 limit (a decompression bomb?)')
    task(out, 'task-huge-label', lines=['images/000.png 0', 'images/001.png 2000000000'])
    case('task-huge-label', prune('task-huge-label'), 'sls: {dir}/task-huge-label/train800val200.txt:2: label 2000000000 is not below the 100000-class limit')
    # links out of the task folder, to /dev/zero and FIFOs are made at test time (TaskFolderTests): a build copies this folder
    with open(J('index-null-width.sls.json'), 'w') as f:
        json.dump(dict(index, version=2, kept_blocks=[1, 2, 3], width=[None]), f)
    case('index-null-width', evaluate('index-null-width.sls.json'), "sls: {dir}/index-null-width.sls.json: field 'width[0]' is missing or null")
    with open(J('index-short-sha.sls.json'), 'w') as f:
        json.dump(dict(index, backbone={'path': 'b', 'sha256': 'abc'}), f)
    case('index-short-sha', evaluate('index-short-sha.sls.json'), "sls: {dir}/index-short-sha.sls.json: field 'backbone.sha256' is not a SHA-256 (64 hexadecimal digits)")

    # -- bounded on any input (issue: hostile bounds): declared sizes checked before they are allocated --
    # FIFOs, /dev/zero, oversized (sparse) files and link loops cannot live in a committed folder: HostileBoundsTests
    onnx_eval = lambda name: ['eval', '--engine', 'onnxruntime', '--model', '{dir}/' + name, '--data', '{dir}/task-ok', '--split', 'train800val200']
    limit = 1 << 27
    with open(J('onnx-constant-of-shape.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('ConstantOfShape', ['shape'], ['logits'])], [onnx_tensor('shape', 7, [2], struct.pack('<2q', 100000, 100000))]))
    case('onnx-constant-of-shape', onnx_eval('onnx-constant-of-shape.onnx'),
         f'sls: {{dir}}/onnx-constant-of-shape.onnx: ConstantOfShape output has shape [100000, 100000], more than {limit} elements')
    with open(J('onnx-constant-value-ints.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('Constant', [], ['s'], [onnx_attr_ints('value_ints', [3, 100000, 100000])]),
                            onnx_node('ConstantOfShape', ['s'], ['logits'])], []))
    case('onnx-constant-value-ints', onnx_eval('onnx-constant-value-ints.onnx'),
         f'sls: {{dir}}/onnx-constant-value-ints.onnx: ConstantOfShape output has shape [3, 100000, 100000], more than {limit} elements')
    with open(J('onnx-computed-shape.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('Shape', ['images'], ['s']), onnx_node('ConstantOfShape', ['s'], ['logits'])], []))
    case('onnx-computed-shape', onnx_eval('onnx-computed-shape.onnx'),
         "sls: {dir}/onnx-computed-shape.onnx: ConstantOfShape takes its shape from 's', which is not a constant in the file; sls refuses a shape it cannot bound")
    with open(J('onnx-huge-initializer.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('Identity', ['w'], ['logits'])], [onnx_tensor('w', 1, [2 ** 20, 2 ** 20], b'\x00' * 16)]))
    case('onnx-huge-initializer', onnx_eval('onnx-huge-initializer.onnx'),
         f'sls: {{dir}}/onnx-huge-initializer.onnx: tensor \'w\' has shape [1048576, 1048576], more than {limit} elements')
    with open(J('onnx-raw-data-short.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('Identity', ['w'], ['logits'])], [onnx_tensor('w', 1, [1000, 1000], b'\x00' * 16)]))
    case('onnx-raw-data-short', onnx_eval('onnx-raw-data-short.onnx'),
         "sls: {dir}/onnx-raw-data-short.onnx: tensor 'w' declares 1000000 elements (4000000 bytes) but holds 16 bytes")
    with open(J('onnx-external-data.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('Identity', ['w'], ['logits'])], [onnx_tensor('w', 1, [4], None, external='/dev/zero')]))
    case('onnx-external-data', onnx_eval('onnx-external-data.onnx'),
         "sls: {dir}/onnx-external-data.onnx: tensor 'w' keeps its data in an external file; sls reads a self-contained ONNX model")
    with open(J('onnx-huge-input.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('Identity', ['images'], ['logits'])], [], inputs=[onnx_value('images', [1000000, 3, 100000, 100000])]))
    case('onnx-huge-input', onnx_eval('onnx-huge-input.onnx'),
         f"sls: {{dir}}/onnx-huge-input.onnx: value 'images' has shape [1000000, 3, 100000, 100000], more than {limit} elements")
    with open(J('onnx-not-protobuf.onnx'), 'wb') as f:
        f.write(b'\x3a\xff\xff\xff\xff\x0f' + b'x' * 10)
    case('onnx-not-protobuf', onnx_eval('onnx-not-protobuf.onnx'), 'sls: {dir}/onnx-not-protobuf.onnx: not a valid ONNX model (corrupt protobuf)')
    # a Hugging Face folder whose config.json names absurd channel counts (a mean and std are made per channel)
    for name, channels in (('hf-num-channels', 2000000000), ('hf-negative-channels', -3)):
        os.makedirs(J(name))
        shutil.copy(os.path.join(PARITY, '..', 'layouts', 'hf_vit', 'model.safetensors'), J(name, 'model.safetensors'))
        with open(os.path.join(PARITY, '..', 'layouts', 'hf_vit', 'config.json')) as f:
            config = json.load(f)
        with open(J(name, 'config.json'), 'w') as f:
            json.dump(dict(config, num_channels=channels), f)
        with open(J(name, 'preprocessor_config.json'), 'w') as f:
            json.dump({'image_mean': 0.5, 'image_std': 0.5}, f)
        inspect(name, f'{{dir}}/{name}/config.json: num_channels {channels} is not an integer within 1..64'.split(': ', 1)[1])
        cases[-1]['message'] = f'sls: {{dir}}/{name}/config.json: num_channels {channels} is not an integer within 1..64'

    # -- valid seeds for the fuzz test (HostileFuzzTests mutates them) --
    os.makedirs(J('seeds'))
    torch_zip(J('seeds', 'small.pt'), pickle(p_dict([('model', p_dict([('w', tensor_rebuild('FloatStorage', '0', 4, [2, 2])),
                                                                       ('b', tensor_rebuild('FloatStorage', '1', 3, [3]))])), ('epoch', b'K\x03')])),
              {'0': np.arange(4, dtype='<f4').tobytes(), '1': np.ones(3, dtype='<f4').tobytes()})
    np.savez(J('seeds', 'small.npz'), cls=np.arange(6, dtype=np.float32).reshape(1, 2, 3), bias=np.zeros(4, dtype=np.float16))
    safetensors_io.write(J('seeds', 'small.safetensors'), {'a': np.arange(6, dtype=np.float32).reshape(2, 3), 'b': np.ones(2, dtype=np.int64)},
                         {'petl_method': 'linear'})
    with open(J('seeds', 'small.png'), 'wb') as f:
        f.write(png_bytes(6, 5, 1))
    shutil.copy(os.path.join(PARITY, '..', 'images', 'grey.jpg'), J('seeds', 'small.jpg'))
    # a timm training checkpoint (argparse args, optimizer state) from make_train_checkpoint_fixtures.py
    shutil.copy(os.path.join(PARITY, '..', 'training', 'timm_train.pth.tar'), J('seeds', 'timm_train.pth.tar'))
    with open(J('seeds', 'index.sls.json'), 'w') as f:
        json.dump(dict(index, kept_blocks=[1, 2]), f)
    # an ONNX model ONNX Runtime loads: logits = ConstantOfShape([1, 5]) + b, with sls export's metadata
    with open(J('seeds', 'small.onnx'), 'wb') as f:
        f.write(onnx_model([onnx_node('ConstantOfShape', ['shape'], ['zeros']), onnx_node('Add', ['zeros', 'b'], ['logits'])],
                           [onnx_tensor('shape', 7, [2], struct.pack('<2q', 1, 5)), onnx_tensor('b', 1, [5], np.arange(5, dtype='<f4').tobytes())]))

    # -- side files, adapters, manifests, reports and chunks (issue: hostile-exit2) --
    layouts = os.path.join(PARITY, '..', 'layouts')
    peft = os.path.join(PARITY, '..', 'peft')

    def folder(name, source, edit=None, raw=None):
        """A copy of a fixture folder with one side file changed: `edit` (file, dict -> None) on its JSON, or `raw` (file, text)."""
        d = J(name)
        shutil.copytree(source, d)
        if edit is not None:
            path = os.path.join(d, edit[0])
            with open(path) as f:
                doc = json.load(f)
            edit[1](doc)
            with open(path, 'w') as f:
                json.dump(doc, f, indent=1)
        if raw is not None:
            with open(os.path.join(d, raw[0]), 'w') as f:
                f.write(raw[1])
        return d

    hf = os.path.join(layouts, 'hf_vit')
    with open(os.path.join(hf, 'config.json')) as f:
        config_text = f.read()
    hf_case = lambda name, file, message: case(name, ['inspect', '{dir}/' + name], 'sls: {dir}/' + name + '/' + file + ': ' + message)
    folder('hf-config-duplicate-key', hf, raw=('config.json', config_text.replace('"hidden_size": 32,', '"hidden_size": 32,\n  "hidden_size": 64,', 1)))
    hf_case('hf-config-duplicate-key', 'config.json', "key 'hidden_size' appears twice")
    with open(os.path.join(hf, 'preprocessor_config.json')) as f:
        pre_text = f.read()
    folder('hf-preprocessor-duplicate-key', hf, raw=('preprocessor_config.json', pre_text.replace('"do_normalize": true,', '"do_normalize": true,\n  "image_std": [1, 1, 1],', 1)))
    hf_case('hf-preprocessor-duplicate-key', 'preprocessor_config.json', "key 'image_std' appears twice")
    folder('hf-config-negative-hidden-size', hf, edit=('config.json', lambda c: c.update(hidden_size=-32)))
    hf_case('hf-config-negative-hidden-size', 'config.json', 'hidden_size -32 is not an integer within 1..65536')
    folder('hf-config-huge-layers', hf, edit=('config.json', lambda c: c.update(num_hidden_layers=99999999999)))
    hf_case('hf-config-huge-layers', 'config.json', 'num_hidden_layers 99999999999 is not an integer within 1..4096')
    folder('hf-config-heads-overflow', hf, edit=('config.json', lambda c: c.update(num_attention_heads=2 ** 31)))
    hf_case('hf-config-heads-overflow', 'config.json', 'num_attention_heads 2147483648 is not an integer within 1..4096')
    folder('hf-config-negative-channels', hf, edit=('config.json', lambda c: c.update(num_channels=-3)))
    hf_case('hf-config-negative-channels', 'config.json', 'num_channels -3 is not an integer within 1..64')
    folder('hf-preprocessor-std-zero', hf, edit=('preprocessor_config.json', lambda c: c.update(image_std=[0.5, 0, 0.5])))
    hf_case('hf-preprocessor-std-zero', 'preprocessor_config.json', 'image_std has a value that is not positive')
    folder('hf-preprocessor-std-tiny', hf, edit=('preprocessor_config.json', lambda c: c.update(image_std=1e-30)))
    hf_case('hf-preprocessor-std-tiny', 'preprocessor_config.json', 'image_std 1E-30 is too small to divide by (below 1E-06)')

    qv = os.path.join(peft, 'hf_qv')
    hf_model = ['{dir}/../fixtures/layouts/hf_vit']
    peft_case = lambda name, file, message: case(name, ['inspect', *hf_model, '--petl', '{dir}/' + name], 'sls: {dir}/' + name + '/' + file + ': ' + message)
    with open(os.path.join(qv, 'adapter_config.json')) as f:
        adapter_text = f.read()
    folder('peft-duplicate-key', qv, raw=('adapter_config.json', adapter_text.replace('"r": ', '"r": 16,\n  "r": ', 1)))
    peft_case('peft-duplicate-key', 'adapter_config.json', "key 'r' appears twice")
    folder('peft-r-overflow', qv, edit=('adapter_config.json', lambda c: c.update(r=99999999999)))
    peft_case('peft-r-overflow', 'adapter_config.json', 'r 99999999999 is not an integer within 1..65536')
    folder('peft-alpha-huge', qv, edit=('adapter_config.json', lambda c: c.update(lora_alpha=1e308)))
    peft_case('peft-alpha-huge', 'adapter_config.json', 'lora_alpha 1E+308 is not a number within (0, 1000000]')
    folder('peft-alpha-negative', qv, edit=('adapter_config.json', lambda c: c.update(lora_alpha=-8)))
    peft_case('peft-alpha-negative', 'adapter_config.json', 'lora_alpha -8 is not a number within (0, 1000000]')
    layers = os.path.join(peft, 'hf_layers')
    folder('peft-layers-pattern-invalid', layers, edit=('adapter_config.json', lambda c: c.update(layers_pattern='lay(er')))
    peft_case('peft-layers-pattern-invalid', 'adapter_config.json',
              "layers_pattern 'lay(er' is not a valid regular expression (Invalid pattern '^.*\\.lay(er\\.(\\d+)\\.' at offset 20. Not enough )'s.)")
    slow = '(.|.)*(.|.)*(.|.)*(.|.)*Q'  # catastrophic backtracking on any module name
    folder('peft-layers-pattern-backtracking', layers, edit=('adapter_config.json', lambda c: c.update(layers_pattern=slow)))
    peft_case('peft-layers-pattern-backtracking', 'adapter_config.json',
              f"layers_pattern '{slow}' took longer than 1 s to match 'vit.encoder.layer.0.attention.attention.query' (catastrophic backtracking?)")
    folder('peft-target-modules-backtracking', qv, edit=('adapter_config.json', lambda c: c.update(target_modules=slow)))
    peft_case('peft-target-modules-backtracking', 'adapter_config.json',
              f"target_modules '{slow}' took longer than 1 s to match 'vit.encoder.layer.0.attention.attention.query' (catastrophic backtracking?)")
    folder('peft-layers-to-transform-overflow', layers, edit=('adapter_config.json', lambda c: c.update(layers_to_transform=[0, 2 ** 40])))
    peft_case('peft-layers-to-transform-overflow', 'adapter_config.json', 'layers_to_transform holds 1099511627776, not a layer number within 0..65536')
    d = folder('peft-nan-weights', qv)
    a = safetensors_io.read(os.path.join(d, 'adapter_model.safetensors'))
    nan_name = 'base_model.model.vit.encoder.layer.0.attention.attention.query.lora_A.weight'
    a[nan_name] = a[nan_name].copy()
    a[nan_name].flat[0] = np.nan
    safetensors_io.write(os.path.join(d, 'adapter_model.safetensors'), a)
    case('peft-nan-weights', ['eval', '--backbone', *hf_model, '--petl', '{dir}/peft-nan-weights', '--data', '{dir}/task-ok', '--split', 'train800val200', '--device', 'cpu'],
         f"sls: {{dir}}/peft-nan-weights/adapter_model.safetensors: tensor '{nan_name}' holds NaN or infinite values")
    d = folder('peft-huge-block-index', qv)
    a = safetensors_io.read(os.path.join(d, 'adapter_model.safetensors'))
    for k in [k for k in a if '.layer.0.' in k]:
        a[k.replace('.layer.0.', '.layer.99999999999.')] = a.pop(k)
    safetensors_io.write(os.path.join(d, 'adapter_model.safetensors'), a)
    peft_case('peft-huge-block-index', 'adapter_model.safetensors',
              "LoRA on 'vit.encoder.layer.99999999999.attention.attention.query' has block index 99999999999; a model has at most 4096 blocks")

    # block indexes past int, or past any model's depth
    w = dict(base)
    w['blocks.99999999999.attn.qkv.weight'] = w['blocks.0.attn.qkv.weight']
    safetensors_io.write(J('st-block-index-huge.safetensors'), w)
    inspect('st-block-index-huge.safetensors', "tensor 'blocks.99999999999.attn.qkv.weight' has block index 99999999999; a model has at most 4096 blocks")
    w = dict(base)
    w['blocks.2147483648.attn.qkv.weight'] = w['blocks.0.attn.qkv.weight']
    safetensors_io.write(J('st-block-index-int-overflow.safetensors'), w)
    inspect('st-block-index-int-overflow.safetensors', "tensor 'blocks.2147483648.attn.qkv.weight' has block index 2147483648; a model has at most 4096 blocks")
    # an sls export whose metadata divides by zero
    safetensors_io.write(J('export-std-zero.safetensors'), dict(base), {'format': 'sls-export/1', 'heads': '3', 'mean': '0.5,0.5,0.5', 'std': '0.5,0,0.5'})
    inspect('export-std-zero.safetensors', "metadata std '0.5,0,0.5' has a value that is not positive (the input is divided by it)")

    # a PNG whose IDAT CRC is broken (Pillow refuses it)
    broken = bytearray(png_bytes(32, 32, 2))
    broken[-13] ^= 0xff  # the last byte of IDAT's CRC (IEND's 12 bytes follow it)
    task(out, 'task-png-bad-crc', bad={2: bytes(broken)})
    stored = struct.unpack('>I', bytes(broken[-16:-12]))[0]
    computed = struct.unpack('>I', png_bytes(32, 32, 2)[-16:-12])[0]
    case('task-png-bad-crc', prune('task-png-bad-crc'),
         f"sls: {{dir}}/task-png-bad-crc/images/002.png: corrupt image: PNG chunk 'IDAT' at byte 33 has a bad CRC (stored {stored:08x}, computed {computed:08x})")

    # sls report over result files with null fields
    ev = {'top1': 0.5, 'flops_per_image': 100, 'storage': {'per_task_bytes': 10}, 'throughput': [{'images_per_second': 5.0}]}
    result = {'task': 'a', 'group': 'natural', 'status': 'ok', 'error': None, 'seconds': 1.0, 'train': None, 'full': ev, 'kept_blocks': 2, 'depth': 3,
              'pruned': ev, 'retrain': None, 'retrained': None, 'method': 'sls', 'method_seconds': None}

    def report(name, change, field, problem='is missing or null'):
        os.makedirs(J(name, 'results'))
        r = json.loads(json.dumps(result))
        change(r)
        with open(J(name, 'results', 'a.json'), 'w') as f:
            json.dump(r, f)
        case(name, ['report', '{dir}/' + name], f"sls: {{dir}}/{name}/results/a.json: not a batch result: field '{field}' {problem}")
    report('report-null-top1', lambda r: r['full'].update(top1=None), 'full.top1')
    report('report-null-task', lambda r: r.update(task=None), 'task')
    report('report-null-storage', lambda r: r['pruned'].update(storage=None), 'pruned.storage')
    report('report-kept-blocks-string', lambda r: r.update(kept_blocks='two'), 'kept_blocks', 'must be an integer')

    # batch manifests: every value checked at load, so --dry-run catches it
    def manifest(name, text, message):
        with open(J(name), 'w') as f:
            f.write(text)
        case(name, ['batch', '--manifest', '{dir}/' + name, '--out', '{out}/batch', '--dry-run'], f"sls: {{dir}}/{name}: {message}")
    head = 'backbone: b.safetensors\ntasks:\n  - name: a\n    data: t\n    petl: p.safetensors\n    settings:\n      stages: [prune, eval]\n'
    manifest('manifest-alpha-beyond-double.yaml', head + '      alpha: 1e999\n', 'not valid YAML (line 8, column 14: the number 1e999 is beyond the range of a double)')
    manifest('manifest-scoring-unknown.yaml', head + '      scoring: some\n', "task 'a': setting 'scoring' has the wrong type or value for method sls")
    manifest('manifest-metric-unknown.yaml', head + '      metric: accuracy\n', "task 'a': setting 'metric' has the wrong type or value for method sls")
    manifest('manifest-null-setting.yaml', head + '      scoring: ~\n', "field 'tasks[0].settings.scoring' is null; give it a value or leave it out")
    manifest('manifest-device-unknown.yaml', head + '      device: tpu\n', "task 'a': device 'tpu' is not one of auto, cpu, cuda")
    manifest('manifest-epochs-negative.yaml', head + '      epochs: -5\n', "task 'a': epochs must be an integer of 1 or more (got -5)")
    manifest('manifest-petl-and-default-stages.yaml', 'backbone: b.safetensors\ntasks:\n  - name: a\n    data: t\n    petl: p.safetensors\n',
             "task 'a': gives a 'petl' file, and its stages (train, prune, eval, retrain, the default) include train, which would write a new one; "
             "set stages without train (e.g. [prune, eval]) to use the file, or drop 'petl' to train one")
    with open(J('manifest-lr-null.json'), 'w') as f:
        json.dump({'backbone': 'b.safetensors', 'defaults': {'stages': ['prune', 'eval'], 'lr': None}, 'tasks': [{'name': 'a', 'data': 't', 'petl': 'p'}]}, f)
    case('manifest-lr-null.json', ['batch', '--manifest', '{dir}/manifest-lr-null.json', '--out', '{out}/batch', '--dry-run'],
         "sls: {dir}/manifest-lr-null.json: field 'defaults.lr' is null; give it a value or leave it out")

    with open(J('cases.json'), 'w') as f:
        json.dump(cases, f, indent=1)
    total = sum(os.path.getsize(os.path.join(r, n)) for r, _, fs in os.walk(out) for n in fs)
    print(f'{len(cases)} cases, {total} bytes, in {out}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/hostile')
