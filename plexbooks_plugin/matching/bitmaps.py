"""Sets of library keys as bitmaps (Python ints): one bit per key's slot, for fast ANDs and ORs."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["from_bitmap", "to_bitmap"]

# Every non-zero byte to 1: then `bytes.find` (memchr, in C) jumps over the empty stretches.
_NONZERO_TO_ONE = bytes([0] + [1] * 255)


def to_bitmap(keys: Iterable[str], slots: dict[str, int], width: int) -> int:
    """The bitmap with the slot of every key of `keys` set (`width`: the number of slots)."""
    bits = bytearray((width >> 3) + 1)
    for key in keys:
        slot = slots[key]
        bits[slot >> 3] |= 1 << (slot & 7)
    return int.from_bytes(bits, "little")


def from_bitmap(bits: int, slot_keys: list[str]) -> set[str]:
    """The keys whose slots are set in `bits` (a C-level scan skips the empty bytes)."""
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    marks = data.translate(_NONZERO_TO_ONE)
    found: set[str] = set()
    at = marks.find(1)
    while at != -1:
        byte, base = data[at], at << 3
        while byte:
            low = byte & -byte
            found.add(slot_keys[base + low.bit_length() - 1])
            byte ^= low
        at = marks.find(1, at + 1)
    return found
