#!/usr/bin/env python3
"""png_stats.py FILE...: for each PNG (8-bit RGB or RGBA, not interlaced, as
Chromium's --screenshot writes), print "FILE WxH nonwhite=N colours=N red=N".
Only the standard library: zlib and struct (no PIL on the test machines).
red counts pixels an alert is drawn with (strong red, little green or blue)."""
import struct
import sys
import zlib
from collections import Counter


def rows(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit("%s: unsupported PNG (depth %d, colour type %d)" % (path, depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    # Byte-wise addition mod 256 of whole rows at once (no carry between
    # bytes): the Up filter, most of Chromium's rows, costs almost nothing.
    m7 = int.from_bytes(b"\x7f" * stride, "big")
    m8 = int.from_bytes(b"\x80" * stride, "big")
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        # The five filters of the PNG spec (section 9.2).
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = bytearray((((a & m7) + (b & m7)) ^ ((a ^ b) & m8)).to_bytes(stride, "big"))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        yield w, h, bpp, line
        prev = line


def stats(path):
    pixels = Counter()
    w = h = 0
    for w, h, bpp, line in rows(path):
        pixels.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
    nonwhite = sum(pixels.values()) - pixels[(255, 255, 255)]
    colours = len(pixels)
    red = sum(n for (r, g, b), n in pixels.items() if r >= 180 and g <= 80 and b <= 80)
    return "%s %dx%d nonwhite=%d colours=%d red=%d" % (path, w, h, nonwhite, colours, red)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(stats(p))
