"""Book-like demo covers: the title and author in a small bitmap font on a coloured background, as PNG.

Pure Python (struct + zlib), so the emulator needs no imaging library. Covers are square like
audiobook art; a darker spine on the left makes them read as books in the library grid.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib
from functools import lru_cache

SIZE = 240
SPINE = 14
MARGIN = 12
INK = (250, 246, 236)
SUBTLE = (232, 224, 206)

# A 5x7 font: each glyph is seven rows of five pixels ("#" set), upper case only.
_FONT_ROWS = {
    "A": ".###. #...# #...# ##### #...# #...# #...#", "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.", "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####", "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####", "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.", "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#", "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#", "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.", "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#", "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.", "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.", "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.", "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..", "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.", "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####", "3": "####. ....# ....# .###. ....# ....# ####.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.", "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.", "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.", "9": ".###. #...# #...# .#### ....# ...#. .##..",
    ".": "..... ..... ..... ..... ..... .##.. .##..", ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    "'": "..#.. ..#.. .#... ..... ..... ..... .....", "-": "..... ..... ..... .###. ..... ..... .....",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....", "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..", "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.", ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "/": "....# ....# ...#. ..#.. .#... #.... #....", " ": "..... ..... ..... ..... ..... ..... .....",
}
_GLYPHS = {ch: [(x, y) for y, row in enumerate(rows.split()) for x, bit in enumerate(row) if bit == "#"]
           for ch, rows in _FONT_ROWS.items()}

PALETTE = (
    (128, 38, 52), (36, 74, 128), (40, 102, 72), (150, 96, 28), (84, 52, 122),
    (28, 100, 110), (124, 60, 30), (60, 68, 88),
)


# Letters that do not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"\u2019": "'", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae",
                          "ß": "ss", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe"})


def _ascii(text: str) -> str:
    """Upper-case ASCII the font can draw (accents dropped, unknown characters as spaces)."""
    folded = unicodedata.normalize("NFKD", text.translate(_LETTERS)).encode("ascii", "ignore").decode().upper()
    return "".join(ch if ch in _GLYPHS else " " for ch in folded)


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Break words into lines of at most `width` characters; the last line ends with '...' when cut."""
    lines: list[str] = []
    for word in text.split():
        while len(word) > width:  # a very long word is split
            lines.append(word[:width])
            word = word[width:]
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 3].rstrip() + "..."
    return lines


class _Canvas:
    def __init__(self, colour: tuple[int, int, int]) -> None:
        self.pixels = bytearray(bytes(colour) * (SIZE * SIZE))

    def rect(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        row = bytes(colour) * w
        for yy in range(max(0, y), min(SIZE, y + h)):
            start = (yy * SIZE + x) * 3
            self.pixels[start:start + len(row)] = row

    def text(self, line: str, x: int, y: int, scale: int, colour: tuple[int, int, int]) -> None:
        for index, ch in enumerate(line):
            left = x + index * 6 * scale
            for gx, gy in _GLYPHS[ch]:
                self.rect(left + gx * scale, y + gy * scale, scale, scale, colour)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[r * SIZE * 3:(r + 1) * SIZE * 3]) for r in range(SIZE))
        return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0))
                + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (min(255, int(c * factor)) for c in colour)
    return (r, g, b)


@lru_cache(maxsize=512)
def book_cover_png(key: int, title: str, author: str | None) -> bytes:
    """A square PNG cover: the title large at the top, the author at the bottom, a spine on the left."""
    colour = PALETTE[key % len(PALETTE)]
    canvas = _Canvas(colour)
    canvas.rect(0, 0, SPINE, SIZE, _shade(colour, 0.6))
    canvas.rect(SPINE, 0, 2, SIZE, _shade(colour, 1.35))
    left = SPINE + MARGIN
    usable = SIZE - left - MARGIN
    scale = 3
    text = _ascii(title)
    lines = wrap(text, usable // (6 * scale), 5)
    if len(lines) > 3 or any(len(word) > usable // (6 * scale) for word in text.split()):
        scale = 2
        lines = wrap(text, usable // (6 * scale), 6)
    y = MARGIN + 8
    for line in lines:
        canvas.text(line, left, y, scale, INK)
        y += 10 * scale
    canvas.rect(left, y + 4, 36, 3, SUBTLE)
    author_lines = wrap(_ascii(author or "Unknown author"), usable // 12, 2)
    y = SIZE - MARGIN - 8 - 20 * len(author_lines) + 6
    for line in author_lines:
        canvas.text(line, left, y, 2, SUBTLE)
        y += 20
    return canvas.png()
