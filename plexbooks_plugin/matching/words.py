"""Word-level normalisation of titles: censored swear words and British/American spellings.

Both are applied to both sides of every comparison, so they only need to be consistent, not
correct English: "colour" and "color" both become "color", "hour" becomes "hor" on both sides.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["canonical_spelling", "uncensor"]

# ------------------------------------------------------------------ censored words

# Words publishers and rippers censor with an asterisk ("F*ck", "Sh*t", "Bullsh*t", "A**hole").
_SWEARS = (
    "motherfucker", "bullshit", "bastard", "bitches", "fucking", "fucked", "bollocks", "asshole", "arsehole",
    "fuck", "shit", "bitch", "damn", "crap", "piss", "dick", "cock", "cunt", "twat", "wank", "hell", "arse", "ass",
)
# A word holding a censor mark: "f*ck", "f**k", "unf*ck", "sh!t", "f@ck" ("#" is a series marker).
_CENSORED_RE = re.compile(r"[a-z]*(?:\*+[a-z]*|(?<=[a-z])[!@$%]+(?=[a-z])[a-z]*)+")
_MASKS = "*!@$%"


def _fill(word: str) -> str:
    """The first swear word the masked `word` can hide, at any position ("unf*cked" -> "unfucked")."""
    for swear in _SWEARS:
        size = len(swear)
        for start in range(len(word) - size + 1):
            window = word[start:start + size]
            if any(ch in _MASKS for ch in window) and all(
                w == s or w in _MASKS for w, s in zip(window, swear, strict=True)
            ):
                return word[:start] + swear + word[start + size:]
    return word


def uncensor(text: str) -> str:
    """Restore censored swear words in folded text; other masked words are left alone."""
    if "*" not in text and "!" not in text and "@" not in text and "$" not in text and "%" not in text:
        return text
    return _CENSORED_RE.sub(lambda m: _fill(m.group(0)) if m.group(0).strip(_MASKS) else m.group(0), text)


# ------------------------------------------------------------------ spellings

# British "-our" stems whose American form drops the "u" ("colour" -> "color").
_OUR_STEMS = (
    "ardour", "armour", "behaviour", "candour", "clamour", "colour", "demeanour", "endeavour", "favour",
    "fervour", "flavour", "glamour", "harbour", "honour", "humour", "labour", "neighbour", "odour", "parlour",
    "rancour", "rigour", "rumour", "saviour", "savour", "splendour", "tumour", "valour", "vapour", "vigour",
)
_OUR_SUFFIXES = ("", "s", "ed", "ing", "ful", "fully", "able", "ably", "ite", "ites", "er", "ers", "less", "hood",
                 "hoods", "ist", "ists", "ism", "y")
# "-re" words written "-er" in American English, with their plural and past forms.
_RE_STEMS = (
    "centre", "theatre", "metre", "litre", "fibre", "calibre", "spectre", "sceptre", "sabre", "lustre",
    "sombre", "meagre", "mitre", "ochre", "goitre", "reconnoitre", "sepulchre", "lacklustre", "saltpetre",
)
# Whole words that differ otherwise.
_WORDS = {
    "defence": "defense", "offence": "offense", "licence": "license", "pretence": "pretense",
    "practise": "practice", "grey": "gray", "jewellery": "jewelry", "aluminium": "aluminum", "mould": "mold",
    "plough": "plow", "sceptic": "skeptic", "sceptical": "skeptical", "programme": "program",
    "catalogue": "catalog", "analogue": "analog", "dialogue": "dialog", "ageing": "aging",
    "judgement": "judgment", "acknowledgement": "acknowledgment", "cheque": "check", "tyre": "tire",
    "draught": "draft", "pyjamas": "pajamas", "moustache": "mustache", "manoeuvre": "maneuver",
    "encyclopaedia": "encyclopedia", "mediaeval": "medieval", "foetus": "fetus", "paediatric": "pediatric",
    "anaesthesia": "anesthesia", "orthopaedic": "orthopedic", "whilst": "while", "amongst": "among",
    "towards": "toward", "storey": "story", "kerb": "curb", "gaol": "jail", "artefact": "artifact",
    "cosy": "cozy", "sulphur": "sulfur", "axe": "ax", "doughnut": "donut", "learnt": "learned",
    "spelt": "spelled", "dreamt": "dreamed", "burnt": "burned", "spoilt": "spoiled",
}


def _spelling_table() -> dict[str, str]:
    table = dict(_WORDS)
    for word, american in _WORDS.items():
        if not word.endswith("s"):
            table.setdefault(word + "s", american + "s")
    for stem in _OUR_STEMS:
        for suffix in _OUR_SUFFIXES:
            table[stem + suffix] = stem[:-2] + "r" + suffix
    for stem in _RE_STEMS:
        american = stem[:-2] + "er"
        table.update({stem: american, stem + "s": american + "s", stem[:-1] + "ed": american + "ed"})
    return table


_SPELLINGS = _spelling_table()
# -ise/-isation/-yse and doubled-l forms, applied to every word: "organise" and "organize",
# "travelled" and "traveled", "analyse" and "analyze" become one form.
_ISE_RE = re.compile(r"(?<=[a-z]{2})is(e|es|ed|ing|ation|ations|er|ers)$")
_YSE_RE = re.compile(r"(?<=[a-z]{2})ys(e|es|ed|ing)$")
_DOUBLE_L_RE = re.compile(r"(?<=[aeiou])ll(ed|er|ers|ing|ous|ery)$")


@lru_cache(maxsize=65536)
def canonical_spelling(word: str) -> str:
    """One spelling for British and American variants of a folded word ("colours" -> "colors")."""
    table_hit = _SPELLINGS.get(word)
    if table_hit is not None:
        return table_hit
    if len(word) < 5:
        return word
    word = _ISE_RE.sub(r"iz\1", word)
    word = _YSE_RE.sub(r"yz\1", word)
    return _DOUBLE_L_RE.sub(r"l\1", word)
