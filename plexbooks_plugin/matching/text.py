"""Text folding shared by titles and people: case, diacritics, apostrophes; ASIN normalisation."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TOKEN_RE", "fold", "normalize_asin"]

_UNICODE_MAP = str.maketrans({
    "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss", "ł": "l", "Ł": "l",
    "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "\u0131": "i",  # dotless i
    # Apostrophes vanish ("Ender's" == "Enders"): right/left quote, modifier apostrophe, accents.
    "\u2019": "", "\u2018": "", "\u02bc": "", "\u00b4": "", "`": "", "'": "",
    "\u201c": " ", "\u201d": " ", "\u201e": " ", "\u00ab": " ", "\u00bb": " ", "\u2026": " ",
    # En/em dashes separate like " - "; Unicode hyphens join like "-".
    "\u2013": " - ", "\u2014": " - ", "\u2010": "-", "\u2011": "-",
})
_ASCII_MAP = str.maketrans({"'": "", "`": ""})

# A word: letters and digits of any script (underscores separate).
TOKEN_RE = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (NFKD) and apostrophes."""
    if text.isascii():
        return text.translate(_ASCII_MAP).lower()
    text = unicodedata.normalize("NFKD", text.translate(_UNICODE_MAP))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


_ASIN_RE = re.compile(r"([A-Za-z0-9]{10})(?:[_\-.][A-Za-z]{2,3})?")


def normalize_asin(asin: str | None) -> str | None:
    """Normalise an ASIN ("b08g9prs1k_us" -> "B08G9PRS1K"); None unless 10 alphanumerics with a digit."""
    if not asin:
        return None
    m = _ASIN_RE.fullmatch(asin.strip())
    if m is None:
        return None
    value = m.group(1).upper()
    # A 10-letter word ("Foundation") is a title, not an ASIN: real ASINs/ISBN-10s contain digits.
    return value if any(ch.isdigit() for ch in value) else None
