#!/usr/bin/env python3
"""png_stats.py FILE...: for each PNG (8-bit RGB or RGBA, not interlaced, as
Chromium's --screenshot writes), print "FILE WxH nonwhite=N colours=N red=N".
Only the standard library: zlib and struct (no PIL on the test machines).
red counts pixels an alert is drawn with (strong red, little green or blue)."""
import struct
import sys
import zlib


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
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        # The five filters of the PNG spec (section 9.2).
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
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
    nonwhite = red = 0
    colours = set()
    w = h = 0
    for w, h, bpp, line in rows(path):
        if line.count(255) == len(line):
            colours.add((255, 255, 255))
            continue
        for x in range(0, len(line), bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if r != 255 or g != 255 or b != 255:
                nonwhite += 1
                if len(colours) < 100000:
                    colours.add((r, g, b))
                if r >= 180 and g <= 80 and b <= 80:
                    red += 1
    return "%s %dx%d nonwhite=%d colours=%d red=%d" % (path, w, h, nonwhite, len(colours), red)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(stats(p))
