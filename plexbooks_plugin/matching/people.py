"""People: author and narrator fields parsed into persons, and how alike two persons are."""

from __future__ import annotations

import re
from functools import lru_cache
from sys import intern
from typing import NamedTuple

from rapidfuzz.distance import OSA

from .text import TOKEN_RE, fold

__all__ = ["Person", "normalize_author", "people", "people_sim", "person_sim"]


class Person(NamedTuple):
    """One parsed person name."""

    surname: str  # particles joined: "le guin" -> "leguin"
    given: tuple[str, ...]  # given names / merged initials, in order
    initials: tuple[bool, ...]  # per given token: is it initials ("jrr")?
    key: tuple[str, ...]  # all tokens sorted: order-insensitive identity ("Sanderson Brandon")
    core: str  # last token of the surname, without particles: "guin"
    text: str  # normalised "first ... last"


_ROLE_PHRASE_RE = re.compile(
    r"\b(?:translated|edited|compiled|foreword|introduction|afterword|illustrated|narrated|read|adapted"
    r"|performed|retold|selected)\s+(?:and\s+\w+\s+)?by\b"
)
_ROLE_WORDS_RE = re.compile(
    r"\b(?:translators?|editors?|eds?|contributors?|illustrators?|narrators?|authors?|foreword|introduction"
    r"|afterword|adapter|adaptation|compiler|reader|contributor|with\s+a\s+foreword)\b"
)
# A role other than "author" marks a comma piece as its own person: "Homer, Emily Wilson - translator".
_OTHER_ROLE_RE = re.compile(
    r"\b(?:translator|editor|eds?|contributor|illustrator|narrator|adapter|compiler|reader)s?\b"
)
# "Brandon Sanderson - Michael Kramer": a dash between names separates people, unless a role
# follows ("Homer, Emily Wilson - translator", which marks the comma piece as its own person).
_DASH_BETWEEN_NAMES_RE = re.compile(
    r"\s+[-\u2013\u2014]+\s+(?!(?:translators?|editors?|eds?|contributors?|illustrators?|narrators?|authors?"
    r"|adapter|compiler|reader|foreword|introduction|afterword)\b)"
)
_PEOPLE_SPLIT_RE = re.compile(r"\s*(?:;|&|/|\||\+|\band\b|\bwith\b|\bfeat\b\.?|\bfeaturing\b|\bet\s+al\b\.?)\s*")
_HONORIFICS = frozenset({
    "dr", "prof", "professor", "sir", "dame", "mr", "mrs", "ms", "miss", "rev", "reverend", "jr", "sr",
    "phd", "md", "esq", "obe", "cbe", "kbe", "mbe", "frs", "ii", "iii", "iv",
})
_PLACEHOLDERS = frozenset({
    "various", "various authors", "unknown", "unknown author", "anonymous", "anon", "none", "n a",
    "multiple authors", "others", "other", "not specified",
})
_PARTICLES = frozenset({
    "de", "da", "di", "du", "del", "della", "der", "den", "van", "von", "le", "la", "st", "ter", "ten",
    "bin", "ibn", "dos", "das", "do", "des",
})
_VOWELS = frozenset("aeiouy")
_NICKNAMES = {
    "joe": "joseph", "tom": "thomas", "bill": "william", "will": "william", "bob": "robert", "rob": "robert",
    "dick": "richard", "rick": "richard", "jim": "james", "jimmy": "james", "mike": "michael", "dave": "david",
    "dan": "daniel", "danny": "daniel", "chris": "christopher", "kate": "katherine", "kathy": "katherine",
    "liz": "elizabeth", "beth": "elizabeth", "ted": "edward", "ed": "edward", "ken": "kenneth",
    "tony": "anthony", "andy": "andrew", "steve": "stephen", "steven": "stephen", "nick": "nicholas",
    "matt": "matthew", "pat": "patrick", "sam": "samuel", "ben": "benjamin", "alex": "alexander",
    "jen": "jennifer", "jenny": "jennifer", "sue": "susan", "peggy": "margaret", "meg": "margaret",
    "larry": "lawrence", "harry": "henry", "jack": "john", "johnny": "john", "jon": "jonathan",
    "lev": "leo", "fyodor": "fedor", "feodor": "fedor",
}


def _person(name: str) -> Person | None:
    """Parse one "First [Middle] Last" name (already folded, no commas)."""
    raw = [t for t in TOKEN_RE.findall(name.replace(".", " ").replace("-", " ")) if t not in _HONORIFICS]
    if not raw:
        return None
    # Merge runs of single letters into one initials token: "j r r tolkien" -> "jrr tolkien".
    tokens: list[str] = []
    flags: list[bool] = []  # is the token initials?
    merged_last = False  # did the previous token come from single letters?
    for at, tok in enumerate(raw):
        if len(tok) == 1 and tok.isalpha():
            if merged_last:
                tokens[-1] += tok
            else:
                tokens.append(tok)
                flags.append(True)
            merged_last = True
            continue
        merged_last = False
        tokens.append(tok)
        # "jrr", "jk", "cs" before the surname: short, no vowel -> initials written without dots.
        flags.append(at < len(raw) - 1 and len(tok) <= 3 and _VOWELS.isdisjoint(tok))
    if len(tokens) > 1 and merged_last and not flags[0]:
        # "Tolkien J. R. R.": dotted initials last means the surname came first.
        tokens = tokens[-1:] + tokens[:-1]
        flags = flags[-1:] + flags[:-1]
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in _PARTICLES:  # "Ursula K. Le Guin": surname "le guin"
        start -= 1
    if start == 1 and len(tokens) == 2 and tokens[0] in _PARTICLES:
        start = 0  # "Le Carre" alone: all surname
    surname = intern("".join(tokens[start:]))
    given = tuple(intern(t) for t in tokens[:start])
    return Person(surname, given, tuple(flags[:start]), tuple(sorted(tokens)), intern(tokens[-1]), " ".join(tokens))


def _looks_last_first(last: list[str], first: list[str]) -> bool:
    """Is "A, B" one person written "Last, First" (rather than two people)?"""
    if not last or not first or len(last) > 3 or len(first) > 3:
        return False
    if len(first) == 1 or len(last) == 1:  # "Sanderson, Brandon", "Du Maurier, Daphne", "Harari, Yuval Noah"
        return True
    if any(len(t) == 1 for t in first) and not any(len(t) == 1 for t in last):
        return True  # "Le Guin, Ursula K.", "Tolkien, J. R. R."
    # "Du Maurier, Daphne"-like with a particle; "Cervantes, Miguel de".
    return (last[0] in _PARTICLES or first[-1] in _PARTICLES) and len(first) <= 2


def _chunks(text: str) -> list[str]:
    """Fold a people field and split it where one person ends ("&", ";", "and", roles, dashes)."""
    folded = fold(text)
    folded = re.sub(r"[\(\[][^\)\]]*[\)\]]", " ", folded)
    folded = _ROLE_PHRASE_RE.sub(";", folded)
    if " -" in folded:
        folded = _DASH_BETWEEN_NAMES_RE.sub(";", folded)
    return _PEOPLE_SPLIT_RE.split(folded)


def _names_in_chunk(chunk: str) -> list[str]:
    """The names of one chunk: comma pieces, read as "Last, First" when they look like it."""
    listed = _OTHER_ROLE_RE.search(chunk) is not None and "," in chunk
    chunk = _ROLE_WORDS_RE.sub(" ", chunk)
    pieces = [p.strip(" .-") for p in chunk.split(",")]
    pieces = [p for p in pieces if TOKEN_RE.search(p)]
    # Hyphenated names are one name here ("Sartre, Jean-Paul" is Last, First).
    toks = [TOKEN_RE.findall(p.replace(".", " ").replace("-", "")) for p in pieces]
    if len(pieces) == 2 and not listed and _looks_last_first(toks[0], toks[1]):
        return [f"{pieces[1]} {pieces[0]}"]
    if len(pieces) > 2 and len(pieces) % 2 == 0 and all(len(t) == 1 for t in toks):
        # "Preston, Douglas, Child, Lincoln"
        return [f"{pieces[i + 1]} {pieces[i]}" for i in range(0, len(pieces), 2)]
    return pieces


@lru_cache(maxsize=65536)
def people(text: str | None) -> tuple[Person, ...]:
    """Parse an author/narrator field into persons (several authors, "Last, First", roles)."""
    if not text:
        return ()
    found: list[Person] = []
    for chunk in _chunks(text):
        for name in _names_in_chunk(chunk):
            if " ".join(TOKEN_RE.findall(name)) in _PLACEHOLDERS:
                continue
            person = _person(name)
            if person is not None and person not in found:
                found.append(person)
    return tuple(found)


def normalize_author(author: str | None) -> str:
    """Normalise an author field: "Sanderson, Brandon; J.R.R. Tolkien" -> "brandon sanderson; jrr tolkien"."""
    return "; ".join(p.text for p in people(author))



# ------------------------------------------------------------------ similarity


def _given_sim(a: str, a_init: bool, b: str, b_init: bool) -> float:
    if a == b:
        return 1.0
    if a_init and b_init:
        return 0.9 if a.startswith(b) or b.startswith(a) else 0.2
    if a_init or b_init:
        return 0.9 if a[0] == b[0] else 0.2
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) >= 3 and long_.startswith(short):  # "Chris" / "Christopher"
        return 0.85
    if _NICKNAMES.get(a, a) == _NICKNAMES.get(b, b):  # "Joe" / "Joseph"
        return 0.85
    if len(short) >= 5 and OSA.distance(a, b, score_cutoff=1) <= 1:  # typo
        return 0.85
    return 0.2


def person_sim(p: Person, q: Person) -> float:
    """Similarity of two people: surname must agree, the first name must not contradict."""
    if p.surname == q.surname:
        surname = 1.0
    elif p.key == q.key:
        return 1.0  # same tokens in another order: "Sanderson Brandon"
    elif p.core == q.core and len(p.core) > 2:
        surname = 0.95  # particle dropped on one side: "Miguel de Cervantes" / "Miguel Cervantes"
    elif min(len(p.surname), len(q.surname)) >= 5 and OSA.distance(p.surname, q.surname, score_cutoff=1) <= 1:
        surname = 0.9
    else:
        return 0.0
    if not p.given or not q.given:
        return surname * 0.85  # "Tolkien" alone is compatible with any Tolkien
    given = _given_sim(p.given[0], p.initials[0], q.given[0], q.initials[0])
    if given < 0.5:
        # A middle name used as the first: "J. Michael Straczynski" ~ "Michael Straczynski".
        for gp, ip in zip(p.given, p.initials, strict=True):
            if not ip and len(gp) > 1 and any(gp == gq and not iq for gq, iq in zip(q.given, q.initials, strict=True)):
                given = 0.85
                break
    return surname * given


def people_sim(a: tuple[Person, ...], b: tuple[Person, ...]) -> float:
    """Best pair: matching any one of several authors well counts."""
    best = 0.0
    for p in a:
        for q in b:
            sim = person_sim(p, q)
            if sim > best:
                best = sim
                if best == 1.0:
                    return best
    return best

