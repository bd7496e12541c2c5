"""Numbers in titles: digits, number words ("twenty one", "nineteen eighty four") and roman numerals."""

from __future__ import annotations

import re

__all__ = [
    "MARKER_NUMBER", "NUMBER_WORDS", "ROMAN_RE", "UNITS", "digits_value", "number_run", "number_token", "roman",
    "single_number",
]

# Longer digit runs are no book's number (a barcode, garbage), and int() refuses 4,300+ digits.
_MAX_DIGITS = 18

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
# Ordinals are numbers too, so "The Fifth Season" is "The 5th Season" and "Twenty-First" is "21st".
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000,
}
NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | frozenset(SCALES) | frozenset(ORDINALS)
_ORDINAL_DIGITS_RE = re.compile(r"(\d{1,9})(?:st|nd|rd|th)")
# Roman numerals of two letters or more (single "i"/"v"/"x" are words or letters: "I, Robot",
# "V for Vendetta"; they count as numbers only after "Part"/"Vol."/"Book").
ROMAN_RE = re.compile(r"(?=[ivx]{2,}$)x{0,3}(?:ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def digits_value(token: str) -> int | None:
    """The value of a token of decimal digits of any script ("42", Arabic-Indic "٤٢"), else None.

    Other numeral characters that `str.isdigit` accepts (Ethiopic "፩", Kharoshthi "𐩀") are not
    positional decimal digits and `int()` rejects them: such tokens stay words.
    """
    if token.isdecimal() and len(token) <= _MAX_DIGITS:
        return int(token)
    return None


def number_token(token: str) -> int | None:
    """The value of a token written in digits: "42", "٤٢", or an ordinal such as "5th"."""
    value = digits_value(token)
    if value is None and token[:1].isdecimal():
        m = _ORDINAL_DIGITS_RE.fullmatch(token)
        if m is not None:
            return int(m.group(1))
    return value


def roman(token: str) -> int:
    """The value of a roman numeral written with i, v and x."""
    total = 0
    for ch, nxt in zip(token, token[1:] + " ", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt != " " and _ROMAN_VALUES[nxt] > value else value
    return total


def single_number(token: str) -> int | None:
    """The value of a lone number token (digits, number word, roman numeral incl. i/v/x)."""
    value = digits_value(token)
    if value is not None:
        return value
    if token in UNITS:
        return UNITS[token]
    if token in TENS:
        return TENS[token]
    if ROMAN_RE.fullmatch(token) or token in _ROMAN_VALUES:
        return roman(token)
    return None


def _join_unit(cur: int, value: int) -> int | None:
    """A pending number followed by a unit word, or None when the unit starts another number."""
    if cur < 0:
        return value
    if (value < 10 and cur % 10 == 0 and cur % 100 != 0) or (cur > 0 and cur % 100 == 0):
        return cur + value  # twenty one; nineteen eighty four; hundred nineteen
    if value >= 10 and 0 < cur < 100:  # year style: nineteen nineteen
        return cur * 100 + value
    return None


def _join_tens(cur: int, value: int) -> int | None:
    """A pending number followed by a tens word, or None when it starts another number."""
    if cur < 0:
        return value
    if cur > 0 and cur % 100 == 0:  # hundred twenty
        return cur + value
    if 0 < cur < 100:  # year style: nineteen eighty
        return cur * 100 + value
    return None


def _join_ordinal(cur: int, value: int) -> int | None:
    """A pending number followed by an ordinal ("twenty first"), or None when it starts another."""
    if cur > 0 and ((value < 10 and cur % 10 == 0) or cur % 100 == 0):
        return cur + value
    return None


_JOINS = (
    {word: (value, _join_unit) for word, value in UNITS.items()}
    | {word: (value, _join_tens) for word, value in TENS.items()}
    | {word: (value, _join_ordinal) for word, value in ORDINALS.items()}
)


def _and_continues(tokens: list[str], i: int, cur: int, total: int) -> bool:
    """Is tokens[i] the "and" inside a number ("one hundred and one")?"""
    return tokens[i] == "and" and (cur >= 100 or (cur < 0 and total > 0)) and (
        i + 1 < len(tokens) and tokens[i + 1] in NUMBER_WORDS
    )


def number_run(tokens: list[str], start: int) -> tuple[list[int], int]:
    """Parse consecutive number words ("twenty one", "nineteen eighty four") from `start`."""
    out: list[int] = []
    total, cur = 0, -1  # cur < 0: nothing pending
    i, n = start, len(tokens)
    while i < n:
        tok = tokens[i]
        join = _JOINS.get(tok)
        if join is not None:
            value, joiner = join
            joined = joiner(cur, value)
            if joined is None:  # the word starts another number
                if cur >= 0:
                    out.append(total + cur)
                    total = 0
                joined = value
            cur = joined
            i += 1
            if tok in ORDINALS:
                break  # an ordinal ends the number: "fifth", "twenty first"
            continue
        if tok == "hundred":
            cur = (cur if cur > 0 else 1) * 100
        elif tok in SCALES:
            total += (cur if cur > 0 else 1) * SCALES[tok]
            cur = -1
        elif not _and_continues(tokens, i, cur, total):
            break
        i += 1
    if cur >= 0 or total:
        out.append(total + max(cur, 0))
    return out, i


_NUMWORD_ALT = "|".join(sorted(list(UNITS) + list(TENS), key=len, reverse=True))
# A number after a series or volume marker: "3", "3.5", "three", "iii".
MARKER_NUMBER = rf"(\d+(?:\.\d+)?|{_NUMWORD_ALT}|[ivx]{{1,5}})"
