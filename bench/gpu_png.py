"""Minimal PNG line charts without matplotlib (the GPU image may not have it).

`line_chart(path, title, series, xlabel, ylabel, logx, logy)` draws each series
(name -> list of (x, y)) as a coloured polyline on log or linear axes, with tick values,
a title and a legend in a built-in 3x5 pixel font. Pure Python (zlib + struct).
"""

from __future__ import annotations

import math
import struct
import zlib

COLORS = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]

# 3x5 glyphs, one string of 15 bits (rows top to bottom) per character.
_FONT = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    ".": "000000000000010",
    "-": "000000111000000",
    "+": "000010111010000",
    "x": "000101010101000",
    "/": "001001010100100",
    "%": "101001010100101",
    "(": "010100100100010",
    ")": "010001001001010",
    ":": "000010000010000",
    "=": "000111000111000",
    " ": "000000000000000",
    "_": "000000000000111",
    ",": "000000000010100",
    "^": "010101000000000",
}
for ch, bits in {
    "A": "010101111101101",
    "B": "110101110101110",
    "C": "011100100100011",
    "D": "110101101101110",
    "E": "111100110100111",
    "F": "111100110100100",
    "G": "011100101101011",
    "H": "101101111101101",
    "I": "111010010010111",
    "J": "001001001101010",
    "K": "101101110101101",
    "L": "100100100100111",
    "M": "101111111101101",
    "N": "110101101101101",
    "O": "010101101101010",
    "P": "110101110100100",
    "Q": "010101101110011",
    "R": "110101110101101",
    "S": "011100010001110",
    "T": "111010010010010",
    "U": "101101101101111",
    "V": "101101101101010",
    "W": "101101111111101",
    "X": "101101010101101",
    "Y": "101101010010010",
    "Z": "111001010100111",
}.items():
    _FONT[ch] = bits


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(b"\xff" * (w * h * 3))

    def dot(self, x, y, c, size=1):
        for dx in range(size):
            for dy in range(size):
                xx, yy = int(x) + dx, int(y) + dy
                if 0 <= xx < self.w and 0 <= yy < self.h:
                    i = (yy * self.w + xx) * 3
                    self.px[i : i + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c, width=2):
        steps = int(max(abs(x1 - x0), abs(y1 - y0), 1))
        for s in range(steps + 1):
            t = s / steps
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, c, width)

    def text(self, x, y, s, c=(0, 0, 0), scale=2):
        for ch in str(s).upper():
            bits = _FONT.get(ch, _FONT[" "])
            for r in range(5):
                for col in range(3):
                    if bits[r * 3 + col] == "1":
                        self.dot(x + col * scale, y + r * scale, c, scale)
            x += 4 * scale

    def save(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3 : (y + 1) * self.w * 3]) for y in range(self.h))

        def chunk(tag, data):
            return (
                struct.pack(">I", len(data))
                + tag
                + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
            )

        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
        png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        with open(path, "wb") as f:
            f.write(png)


def _fmt(v):
    if v >= 1000 or v < 0.01:
        e = int(math.floor(math.log10(v)))
        m = v / 10**e
        return f"{m:.0f}E{e}" if abs(m - round(m)) < 0.05 else f"{m:.1f}E{e}"
    return f"{v:.3g}"


def line_chart(path, title, series, xlabel="", ylabel="", logx=True, logy=True, w=900, h=560):
    cv = Canvas(w, h)
    left, right, top, bottom = 90, w - 250, 40, h - 60
    pts = [(x, y) for s in series.values() for x, y in s if x > 0 and y > 0]
    if not pts:
        cv.text(20, 20, title + ": NO DATA")
        cv.save(path)
        return path
    tx = (lambda v: math.log10(v)) if logx else (lambda v: v)
    ty = (lambda v: math.log10(v)) if logy else (lambda v: v)
    xs, ys = [tx(p[0]) for p in pts], [ty(p[1]) for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

    def X(v):
        return left + (tx(v) - x0) / (x1 - x0) * (right - left)

    def Y(v):
        return bottom - (ty(v) - y0) / (y1 - y0) * (bottom - top)

    grey = (200, 200, 200)
    cv.line(left, bottom, right, bottom, (0, 0, 0), 1)
    cv.line(left, top, left, bottom, (0, 0, 0), 1)
    for i in range(5):  # ticks
        fx = x0 + (x1 - x0) * i / 4
        fy = y0 + (y1 - y0) * i / 4
        vx = 10**fx if logx else fx
        vy = 10**fy if logy else fy
        px, py = left + (right - left) * i / 4, bottom - (bottom - top) * i / 4
        cv.line(px, top, px, bottom, grey, 1)
        cv.line(left, py, right, py, grey, 1)
        cv.text(px - 15, bottom + 8, _fmt(vx))
        cv.text(8, py - 5, _fmt(vy))
    cv.text(left, 12, title, scale=2)
    cv.text((left + right) // 2 - 40, h - 25, xlabel)
    cv.text(8, top - 22, ylabel)
    for i, (name, s) in enumerate(series.items()):
        c = COLORS[i % len(COLORS)]
        s = sorted((x, y) for x, y in s if x > 0 and y > 0)
        for (xa, ya), (xb, yb) in zip(s, s[1:]):
            cv.line(X(xa), Y(ya), X(xb), Y(yb), c, 2)
        for x, y in s:
            cv.dot(X(x) - 2, Y(y) - 2, c, 5)
        ly = top + 10 + i * 22
        cv.line(right + 15, ly + 4, right + 40, ly + 4, c, 3)
        cv.text(right + 48, ly, name[:22])
    cv.save(path)
    return path
