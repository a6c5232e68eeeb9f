#!/usr/bin/python3
"""Reference fixtures for the image pipeline: Pillow decodes and torchvision-style resizes.

Run with Debian's Python (python3-pil, python3-numpy):
    /usr/bin/python3 scripts/make_image_fixtures.py tests/fixtures/images

Writes one small image per mode and format, and expected.safetensors holding, for each image NAME:
  NAME.rgb             U8 [h, w, 3]  Image.open(p).convert('RGB')
  NAME.resize_HxW      U8 [H, W, 3]  .resize((W, H), Image.BICUBIC), as torchvision's Resize((H, W), BICUBIC) on PIL
and norm.* for one case: ToTensor + Normalize(ImageNet mean/std) as float32 [3, H, W].
PNG modes Pillow cannot write (2/4-bit grey, 16-bit RGB, Adam7 interlaced) are encoded here by hand.
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

import safetensors_io

SIZES = [(16, 16), (50, 41), (20, 60), (37, 23)]  # (H, W): shrink, enlarge, mixed, unchanged for the 37x23 source


def scene(h, w, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3))
    img[..., 0] = 255 * x / max(w - 1, 1)
    img[..., 1] = 255 * y / max(h - 1, 1)
    img[..., 2] = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 4.0)
    cy, cx = h / 2, w / 3
    disk = (y - cy) ** 2 + (x - cx) ** 2 < (min(h, w) / 3) ** 2
    img[disk] = [250, 30, 60]
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def png(width, height, depth, colour, rows, palette=None, interlace=0):
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, depth, colour, 0, 0, interlace))
    if palette is not None:
        out += chunk(b'PLTE', palette)
    return out + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')


def pack_rows(samples, depth):
    """samples: [h, w*channels] ints -> filter-0 rows at the bit depth."""
    out = b''
    for row in samples:
        if depth == 16:
            data = row.astype('>u2').tobytes()
        elif depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            bits = ''.join(format(int(v), f'0{depth}b') for v in row)
            bits += '0' * ((8 - len(bits) % 8) % 8)
            data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
        out += b'\x00' + data
    return out


def adam7(samples, channels, depth):
    h, wc = samples.shape
    w = wc // channels
    px = samples.reshape(h, w, channels)
    out = b''
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        sub = px[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        out += pack_rows(sub.reshape(sub.shape[0], -1), depth)
    return out


def main(out):
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    h, w = 23, 37
    rgb = scene(h, w, 1)
    grey = np.array(Image.fromarray(rgb).convert('L'))
    files = {}

    def save(name, img, fmt, **kw):
        b = io.BytesIO()
        img.save(b, format=fmt, **kw)
        files[name] = b.getvalue()

    save('rgb.png', Image.fromarray(rgb), 'PNG')
    save('grey.png', Image.fromarray(grey), 'PNG')
    rgba = np.dstack([rgb, (np.arange(h * w).reshape(h, w) % 256).astype(np.uint8)])
    save('rgba.png', Image.fromarray(rgba, 'RGBA'), 'PNG')
    save('greyalpha.png', Image.fromarray(np.dstack([grey, grey[::-1]]), 'LA'), 'PNG')
    save('palette.png', Image.fromarray(rgb).quantize(colors=37), 'PNG')
    save('bilevel.png', Image.fromarray(grey).convert('1'), 'PNG')
    save('grey16.png', Image.fromarray((grey.astype(np.uint16) * 3)), 'PNG')  # values up to 765: Pillow saturates
    rgb16 = rgb.astype(np.uint16) * 257 + np.arange(3, dtype=np.uint16)
    files['rgb16.png'] = png(w, h, 16, 2, pack_rows(rgb16.reshape(h, -1), 16))
    files['grey4.png'] = png(w, h, 4, 0, pack_rows(grey >> 4, 4))
    files['grey2.png'] = png(w, h, 2, 0, pack_rows(grey >> 6, 2))
    pal = Image.fromarray(rgb).quantize(colors=16)
    files['palette4.png'] = png(w, h, 4, 3, pack_rows(np.array(pal), 4), bytes(pal.getpalette()[:48]))
    files['interlaced.png'] = png(w, h, 8, 2, adam7(rgb.reshape(h, -1), 3, 8), interlace=1)
    files['interlaced16grey.png'] = png(w, h, 16, 0, adam7((grey.astype(np.uint16) // 2).reshape(h, -1), 1, 16), interlace=1)
    save('rgb.jpg', Image.fromarray(rgb), 'JPEG', quality=90)
    save('rgb444.jpg', Image.fromarray(rgb), 'JPEG', quality=95, subsampling=0)
    save('grey.jpg', Image.fromarray(grey), 'JPEG', quality=90)
    save('progressive.jpg', Image.fromarray(rgb), 'JPEG', quality=85, progressive=True)
    big = scene(96, 128, 2)
    save('large.jpg', Image.fromarray(big), 'JPEG', quality=90)
    save('large.png', Image.fromarray(big), 'PNG')

    expected = {}
    for name, data in files.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        conv = im.convert('RGB')
        expected[f'{name}.rgb'] = np.array(conv)
        for (th, tw) in SIZES + [(224, 224)] if name.startswith('large') else SIZES:
            expected[f'{name}.resize_{th}x{tw}'] = np.array(conv.resize((tw, th), Image.BICUBIC))

    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    r = expected['rgb.png.resize_16x16']
    t = (r.astype(np.float32).transpose(2, 0, 1) / np.float32(255))
    expected['norm.rgb.png.16x16'] = ((t - mean[:, None, None]) / std[:, None, None]).astype(np.float32)

    safetensors_io.write(os.path.join(out, 'expected.safetensors'), {k: np.ascontiguousarray(v) for k, v in expected.items()}, {'pillow': Image.__version__})
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f'wrote {len(files)} images and expected.safetensors ({total} bytes) to {out}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/images')
