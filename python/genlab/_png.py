"""Sample grids as GenLab's trainer draws them: images tiled with a 2-pixel dark gap, 8-bit
grayscale or RGB PNG, encoded with the standard library (zlib)."""

import math
import struct
import zlib

GAP = 2


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(pixels, width, height, channels):
    """`pixels`: width*height*channels bytes, row-major; channels 1 (grey) or 3 (RGB)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    row = width * channels
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type 0 (none) for each row
        raw += pixels[y * row:(y + 1) * row]
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")


def image_layout(shape):
    """(count, height, width, channels, channels_first) of N x H x W, N x H x W x C or N x C x H x W."""
    if len(shape) == 3:
        return shape[0], shape[1], shape[2], 1, False
    if len(shape) == 4:
        n, a, b, c = shape
        if c in (1, 3, 4):
            return n, a, b, c, False
        if a in (1, 3, 4):  # PyTorch's N x C x H x W
            return n, b, c, a, True
    raise ValueError(
        f"images: expected N x H x W (grayscale), N x H x W x C or N x C x H x W with C = 1, 3 or 4, got shape {tuple(shape)}"
    )


def grid_png(shape, flat, columns=None):
    """The PNG of a grid of images in [0, 1] (values outside are clipped), `columns` across (a square by default)."""
    count, height, width, channels, channels_first = image_layout(shape)
    if count < 1 or height < 1 or width < 1:
        raise ValueError(f"images: nothing to draw (shape {tuple(shape)})")
    cols = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    colour = 1 if channels == 1 else 3
    out_w = cols * (width + GAP) + GAP
    out_h = rows * (height + GAP) + GAP
    out = bytearray(out_w * out_h * colour)
    plane = height * width
    for i in range(count):
        x0 = GAP + (i % cols) * (width + GAP)
        y0 = GAP + (i // cols) * (height + GAP)
        base = i * plane * channels
        for y in range(height):
            to = ((y0 + y) * out_w + x0) * colour
            for x in range(width):
                for k in range(colour):
                    at = base + k * plane + y * width + x if channels_first else base + (y * width + x) * channels + k
                    v = flat[at]
                    v = 0.0 if v != v else min(1.0, max(0.0, v))  # NaN draws as black
                    out[to + x * colour + k] = int(round(v * 255))
    return encode_png(out, out_w, out_h, colour)
