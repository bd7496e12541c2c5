"""Book matching: normalisation, the pairwise score and an index over the mirrored library.

Pure functions, no I/O. Every path that asks "is this book in the library?" (request matching,
discovery enrichment, availability, catalog refresh) goes through `match_score` or
`LibraryIndex.best_match`, which run the same algorithm, so the answers never disagree.

Scoring (side a = the book asked about, side b = the library item):

1. ASIN first: equal ASINs (region suffix and case ignored) score 1.0, matched_by "asin".
2. Otherwise ``title_sim * 0.7 + author_sim * 0.3`` on normalised strings, with the rules the
   plain formula cannot express (an identical title alone already reaches 0.70):

   * Title correspondence. Titles are split into a main title and a subtitle (``:``, `` - ``,
     ``; or,``); edition markers, series markers and leading articles are removed. Two titles
     correspond when every content word of one view has a partner in the other (exact, plural,
     or one typo in a word of 6+ letters) and their numbers are equal. Views compared: main vs
     main, full vs full, and, when only one side has a subtitle, its subtitle vs the other's main
     ("Mistborn: The Final Empire" ~ "The Final Empire"). A subtitle on one side only is fine when
     it is descriptive ("Sapiens: A Brief History of Humankind"), not when it is short and
     title-like ("Thrawn: Alliances" is the sequel of "Thrawn"). Titles that do not correspond
     get ``title_sim <= 0.55``, so even a perfect author leaves them at <= 0.685, below 0.70.
   * Numbers: digits, number words and roman numerals are compared as numbers, so "Part Two" is
     not "Part One" and "1984" is not "1985". Series numbers ("Book 3", "#3") are compared only
     when both sides have one (one side often omits the series marker).
   * Authors: the best pair over all authors on both sides; "Last, First", initials and several
     authors are handled. First names count: a contradicting first name scores 0.2 ("Christopher
     Tolkien" vs "J.R.R. Tolkien"); an initial compatible with a first name scores 0.9.
     A clearly different author (best pair < 0.5) multiplies the score by 0.75 (max 0.6375), so
     same-title-different-author books ("Nightfall") stay below 0.70.
   * Narrators only confirm: the narrator of b (and the optional narrator of a) can raise the
     author similarity, never lower it. A library author that is also listed as the narrator is
     treated as "filed under the narrator" and is no evidence either way.
   * Missing author on either side: author_sim = 0.1 (`MISSING_AUTHOR_SIM`). An identical title
     then scores 0.73 (>= 0.70, < 0.85): enough for request matching, never for catalog refresh,
     and a title with even a single typo in a one-word title (0.9 * 0.7 + 0.03 = 0.66) stays out.
   * Different valid ASINs on both sides multiply the score by 0.75: evidence against, but not
     proof, because one book has several ASINs (regions, editions, re-recordings), so not 0.
     Only an essentially identical title and author (raw >= 0.934, e.g. identical title and a
     matching author, or a descriptive extra subtitle and the same author) survive at 0.70;
     nothing survives CATALOG_THRESHOLD.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from sys import intern
from typing import NamedTuple

from rapidfuzz.distance import OSA

__all__ = [
    "CATALOG_THRESHOLD",
    "REQUEST_THRESHOLD",
    "Candidate",
    "LibraryIndex",
    "Match",
    "match_score",
    "normalize_asin",
    "normalize_author",
    "normalize_title",
]

REQUEST_THRESHOLD: float = 0.70  # request matching, discovery enrichment, availability
CATALOG_THRESHOLD: float = 0.85  # catalog refresh

TITLE_WEIGHT = 0.7
AUTHOR_WEIGHT = 0.3
# Author similarity used when one side has no author: low, so only an (almost) identical title
# reaches REQUEST_THRESHOLD (1.0 * 0.7 + 0.1 * 0.3 = 0.73) and nothing reaches CATALOG_THRESHOLD.
MISSING_AUTHOR_SIM = 0.1
# Best author pair below this means "clearly a different author".
DIFFERENT_AUTHOR_BELOW = 0.5
DIFFERENT_AUTHOR_FACTOR = 0.75  # max (0.7 + 0.3 * 0.5) * 0.75 = 0.6375 < 0.70
DIFFERENT_ASIN_FACTOR = 0.75  # max 0.75 (< 0.85): only near-identical text survives REQUEST_THRESHOLD
# Title similarity of titles that do not correspond (extra/other content words, other numbers):
# at most 0.55, so with a perfect author the score is at most 0.685 < 0.70.
NONCORRESPONDING_TITLE_CAP = 0.55
# Ranking penalties for weaker (but accepted) title views; they keep exact titles first.
_ONE_SIDED_SUBTITLE = 0.98
_SUBTITLE_AS_TITLE = 0.95
# Highest score a candidate whose title does not correspond can get. The index prunes such
# candidates, which is exact only for thresholds above this value (below it, it scans everything).
_PRUNE_FLOOR = TITLE_WEIGHT * NONCORRESPONDING_TITLE_CAP + AUTHOR_WEIGHT

# ------------------------------------------------------------------ text folding

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


def _fold(text: str) -> str:
    """Lower-case, strip diacritics (NFKD) and apostrophes."""
    if text.isascii():
        return text.translate(_ASCII_MAP).lower()
    text = unicodedata.normalize("NFKD", text.translate(_UNICODE_MAP))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


_TOKEN_RE = re.compile(r"[^\W_]+")

# ------------------------------------------------------------------ numbers

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_SCALES)
# Roman numerals of two letters or more (single "i"/"v"/"x" are words or letters: "I, Robot",
# "V for Vendetta"; they count as numbers only after "Part"/"Vol."/"Book").
_ROMAN_RE = re.compile(r"(?=[ivx]{2,}$)x{0,3}(?:ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
# Words announcing a number that belongs to the title ("Vol. 3", "Part Two"): dropped, the number kept.
_VOLUME_WORDS = frozenset({"vol", "vols", "volume", "part", "pt", "tome", "episode", "chapter"})
_ARTICLES = frozenset({"the", "a", "an"})
# Abbreviations spelled out so "Dr. Sleep" == "Doctor Sleep".
_ABBREVIATIONS = {"dr": "doctor", "mr": "mister", "st": "saint", "mt": "mount", "vs": "versus", "n": "and"}


def _roman(token: str) -> int:
    total = 0
    for ch, nxt in zip(token, token[1:] + " ", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt != " " and _ROMAN_VALUES[nxt] > value else value
    return total


def _single_number(token: str) -> int | None:
    """The value of a lone number token (digits, number word, roman numeral incl. i/v/x)."""
    if token.isdigit():
        return int(token)
    if token in _UNITS:
        return _UNITS[token]
    if token in _TENS:
        return _TENS[token]
    if _ROMAN_RE.fullmatch(token) or token in _ROMAN_VALUES:
        return _roman(token)
    return None


def _number_run(tokens: list[str], start: int) -> tuple[list[int], int]:
    """Parse consecutive number words ("twenty one", "nineteen eighty four") from `start`."""
    out: list[int] = []
    total, cur = 0, -1  # cur < 0: nothing pending
    i, n = start, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in _UNITS:
            v = _UNITS[tok]
            if cur < 0:
                cur = v
            elif (v < 10 and cur % 10 == 0 and cur % 100 != 0) or (cur > 0 and cur % 100 == 0):
                cur += v  # twenty one; nineteen eighty four; hundred nineteen
            elif v >= 10 and 0 < cur < 100:  # year style: nineteen nineteen
                cur = cur * 100 + v
            else:
                out.append(total + cur)
                total, cur = 0, v
        elif tok in _TENS:
            v = _TENS[tok]
            if cur < 0:
                cur = v
            elif cur > 0 and cur % 100 == 0:  # hundred twenty
                cur += v
            elif 0 < cur < 100:  # year style: nineteen eighty
                cur = cur * 100 + v
            else:
                out.append(total + cur)
                total, cur = 0, v
        elif tok == "hundred":
            cur = (cur if cur > 0 else 1) * 100
        elif tok in _SCALES:
            total += (cur if cur > 0 else 1) * _SCALES[tok]
            cur = -1
        elif tok == "and" and (cur >= 100 or (cur < 0 and total)) and i + 1 < n and tokens[i + 1] in _NUMBER_WORDS:
            pass  # "one hundred and one"
        else:
            break
        i += 1
    if cur >= 0 or total:
        out.append(total + max(cur, 0))
    return out, i


# ------------------------------------------------------------------ title normalisation

_NUMWORD_ALT = "|".join(sorted(list(_UNITS) + list(_TENS), key=len, reverse=True))
_MARK_NUM = rf"(\d+(?:\.\d+)?|{_NUMWORD_ALT}|[ivx]{{1,5}})"
# Series markers: "Book 3", "Bk. 3", "#3", "Book Three", "Book III".
_SERIES_RE = re.compile(rf"(?:\b(?:book|bk)\b\.?\s*#?\s*|#\s*){_MARK_NUM}\b")
_VOLUME_RE = re.compile(rf"\b(?:vol(?:ume)?|part|pt|tome)\b\.?\s*{_MARK_NUM}\b")
_BRACKET_RE = re.compile(r"[\(\[\{]([^\(\)\[\]\{\}]*)(?:[\)\]\}]|$)")
# A bare small number ending a bracket is a series position: "(Discworld 3)". Years are longer.
_BRACKET_TAIL_NUM_RE = re.compile(r"\b(\d{1,3}(?:\.\d+)?)\s*$")
# Separators between main title and subtitle. Captured so the caller knows which one it was.
_SPLIT_RE = re.compile(r"\s*(:|;|\s-+\s|,\s*or\b,?)\s*")
_SPLIT_HINT_RE = re.compile(r"[:;]|\s-|,\s*or\b")
_ALT_TITLE_RE = re.compile(r"^or\b[\s,]*")
# Library naming "Wheel of Time 03 - The Dragon Reborn", "03 - Title", "Book 3: Title".
_PREFIX_DASH_RE = re.compile(r"^(?:.*\s)?(?:(?:book|bk|vol|volume|no)\.?\s*)?#?\s*(\d{1,2}(?:\.\d+)?|0\d{2})$")
_PREFIX_BOOK_RE = re.compile(rf"^(?:.*\s)?(?:book|bk)\.?\s*#?\s*{_MARK_NUM}$")
_EDITION_RE = re.compile(
    r"\b(?:"
    r"(?:(?:special|anniversary|\d+(?:st|nd|rd|th)|tenth|twentieth|twenty\s+fifth|fiftieth|collectors?|deluxe"
    r"|expanded|revised|updated|unabridged|abridged|complete|definitive|illustrated|authors\s+preferred"
    r"|uncut|original|international|us|uk|american|british|new|reissue|re-?issue|film|movie|tv"
    r"|tie[\s-]*in|full[\s-]*cast|audio|dramati[sz]ed|enhanced|annotated|premium|bbc|radio)[\s-]+)+edition"
    r"|unabridged|abridged|dramati[sz](?:ed|ation)(?:\s+adaptation)?"
    r"|full[\s-]*cast(?:\s+(?:production|dramati[sz]ation|audio\s+drama|recording|adaptation|performance))?"
    r"|(?:bbc\s+)?(?:radio|audio)\s+(?:drama|dramati[sz]ation|play)"
    r"|(?:movie|film|tv|media)\s+tie[\s-]*in|audiobook|audio\s+edition"
    r")\b"
)
# Every alternative of _EDITION_RE contains one of these words (a cheap pre-test).
_EDITION_HINT_RE = re.compile(r"abridged|drama|cast|edition|play|tie|audiobook")
# Subtitles that only state the genre: ": A Novel", ": A Thriller", ": A Memoir".
_GENRE_SUBTITLES = frozenset({
    "novel", "thriller", "memoir", "mystery", "novella", "romance", "love story", "true story",
    "short story", "novel in stories", "psychological thriller", "novel of suspense",
    "fantasy novel", "science fiction novel", "crime novel", "mystery novel", "thriller novel",
})
# "A Mistborn Novel", "A Jack Reacher Novel": series/genre statements, not part of the title.
_SERIES_NOVEL_RE = re.compile(
    r"^(?:a|an)\s+(?!graphic\b)(?:[\w-]+\s+){0,4}(?:novel|novella|thriller|mystery|story|romance|novel of suspense)$"
)
_THOUSANDS_RE = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_GENRE_TAIL_RE = re.compile(r"\s+(?:a|an)\s+(?:novel|thriller|memoir)$")
# Words that make a subtitle descriptive ("The Story of Success") rather than title-like
# ("Alliances", "The Arctic Incident").
_DESCRIPTIVE_WORDS = frozenset({
    "of", "about", "how", "why", "what", "for", "to", "in", "from", "and", "with", "that", "on", "into",
    "your", "you", "my", "our", "who", "when", "where", "is", "are", "at", "by", "behind", "inside",
    "beyond", "through", "after", "before", "vs", "versus", "between", "guide", "handbook", "primer",
    "introduction", "memoir", "memoirs", "biography", "stories", "essays", "poems", "tales", "letters",
})

_SUB_NONE, _SUB_DESCRIPTIVE, _SUB_TITLELIKE = 0, 1, 2


class _Title(NamedTuple):
    """Pre-computed matching features of a title (sorted content tokens and numbers per view)."""

    main: tuple[str, ...]
    main_nums: tuple[int, ...]
    sub: tuple[str, ...]
    sub_nums: tuple[int, ...]
    full: tuple[str, ...]
    full_nums: tuple[int, ...]
    sub_kind: int
    series: float | None


_EMPTY_TITLE = _Title((), (), (), (), (), (), _SUB_NONE, None)


def _has_series_hint(text: str) -> bool:
    return "book" in text or "#" in text or "bk" in text


def _marker_value(text: str) -> float | None:
    if text.replace(".", "", 1).isdigit():
        return float(text)
    value = _single_number(text)
    return None if value is None else float(value)


def _segment(text: str) -> tuple[list[str], list[int], list[str]]:
    """Tokens of one title segment: (content words, numbers, display words)."""
    raw = [_ABBREVIATIONS.get(t, t) for t in _TOKEN_RE.findall(text)]
    content: list[str] = []
    numbers: list[int] = []
    words = [tok for tok in raw if tok not in _ARTICLES]
    i, n = 0, len(raw)
    while i < n:
        tok = raw[i]
        if tok in _VOLUME_WORDS and i + 1 < n:
            value = _single_number(raw[i + 1])
            if value is not None:  # "Vol. 3", "Part Two", "Part II", "Part I"
                numbers.append(value)
                i += 2
                continue
        if tok.isdigit():
            numbers.append(int(tok))
        elif tok in _NUMBER_WORDS:
            values, nxt = _number_run(raw, i)
            if values:
                numbers.extend(values)
                i = nxt
                continue
            content.append(intern(tok))
        elif len(tok) > 1 and not tok.strip("ivx") and _ROMAN_RE.fullmatch(tok):
            numbers.append(_roman(tok))
        elif tok not in _ARTICLES:
            content.append(intern(tok))
        i += 1
    return content, numbers, words


def _clean_segment(text: str, is_main: bool) -> str:
    """Remove edition markers, and genre-only subtitles ("A Novel") unless this is the main title."""
    if _EDITION_HINT_RE.search(text):
        text = _EDITION_RE.sub(" ", text)
    text = text.strip(" ,.-")
    if is_main:  # "Love Story" is a title, ": A Love Story" a genre statement
        return text
    core = text.strip(" ,.-!")
    if _SERIES_NOVEL_RE.match(core):
        return ""
    for article in ("a ", "an "):
        if core.startswith(article):
            core = core[len(article):]
            break
    return "" if core in _GENRE_SUBTITLES else text


def _analyse_title(title: str | None) -> tuple[_Title, str]:
    """Split, clean and tokenise a title; return its features and its normalised text."""
    if not title:
        return _EMPTY_TITLE, ""
    text = _fold(title)
    # The cheap substring tests skip regexes that cannot apply (most titles are plain words).
    if "&" in text:
        text = text.replace("&", " and ")
    if "," in text or "." in text:
        text = _THOUSANDS_RE.sub("", text)  # "20,000 Leagues" -> "20000 Leagues"
    series: float | None = None
    bracket_nums: list[int] = []
    if "(" in text or "[" in text or "{" in text:
        # Brackets hold edition markers, series names, narrators, years: all dropped, but a
        # series position or a volume/part number inside is remembered.
        for bracket in _BRACKET_RE.finditer(text):
            inner = bracket.group(1)
            found = _SERIES_RE.search(inner) or _BRACKET_TAIL_NUM_RE.search(inner)
            if found and series is None:
                series = _marker_value(found.group(1))
            vol = _VOLUME_RE.search(inner)
            if vol:
                value = _single_number(vol.group(1))
                if value is not None:
                    bracket_nums.append(value)
        text = _BRACKET_RE.sub(" ", text)
    pieces = _SPLIT_RE.split(text) if _SPLIT_HINT_RE.search(text) else [text]
    segments: list[str] = []
    seps: list[str] = []  # seps[i] separates segments[i - 1] and segments[i]
    pending_sep = ""
    for idx, piece in enumerate(pieces):
        if idx % 2:
            pending_sep = pending_sep or piece.strip()
            continue
        cleaned = _clean_segment(piece, not segments)
        if cleaned:
            seps.append(pending_sep)
            segments.append(cleaned)
            pending_sep = ""
    if not segments:
        return _EMPTY_TITLE, ""

    # "Wheel of Time 03 - The Dragon Reborn", "Book 3: Oathbringer": a series prefix.
    if len(segments) > 1:
        m = _PREFIX_BOOK_RE.match(segments[0])
        if m is None and seps[1].startswith("-"):
            m = _PREFIX_DASH_RE.match(segments[0])
        if m is not None:
            series = _marker_value(m.group(1))
            segments.pop(0)
            seps.pop(0)
            seps[0] = ""

    # Subtitles naming the series ("The Wheel of Time, Book 1", "Book One of the Wheel of Time").
    main = segments[0]
    subs: list[str] = []
    alt = False
    for seg, sep in zip(segments[1:], seps[1:], strict=True):
        found = _SERIES_RE.search(seg) if _has_series_hint(seg) else None
        if found:
            if series is None:
                series = _marker_value(found.group(1))
            continue
        if sep.startswith(",") or _ALT_TITLE_RE.match(seg):  # "Frankenstein; or, The Modern Prometheus"
            if not subs:
                alt = True
            seg = _ALT_TITLE_RE.sub("", seg)
        subs.append(seg)

    found = _SERIES_RE.search(main) if _has_series_hint(main) else None
    if found:
        if series is None:
            series = _marker_value(found.group(1))
        before = main[: found.start()].strip(" ,.-")
        if subs and before:
            # "The Stormlight Archive, Book 3: Oathbringer": the main part names the series.
            main = subs.pop(0)
            alt = False
        elif before:  # "Harry Potter and the Goblet of Fire, Book 4 (of the X series)"
            main = before
        else:  # "Book 3 The Dragon Reborn"
            main = main[found.end():].strip(" ,.-") or main
    if main.endswith(("novel", "thriller", "memoir")):
        main = _GENRE_TAIL_RE.sub("", main)

    main_content, main_nums, main_words = _segment(main)
    main_nums.extend(bracket_nums)
    sub_content: list[str] = []
    sub_nums: list[int] = []
    sub_words: list[str] = []
    for seg in subs:
        c, nums, w = _segment(seg)
        sub_content += c
        sub_nums += nums
        sub_words += w
    if not main_content and not main_nums and (sub_content or sub_nums):
        # Nothing left of the main title (e.g. only an article): the subtitle is the title.
        main_content, main_nums, main_words = sub_content, sub_nums, sub_words
        sub_content, sub_nums, sub_words = [], [], []

    if not sub_content and not sub_nums:
        kind = _SUB_NONE
    elif alt or len(sub_content) + len(sub_nums) >= 3 or not _DESCRIPTIVE_WORDS.isdisjoint(sub_content):
        kind = _SUB_DESCRIPTIVE
    else:
        kind = _SUB_TITLELIKE
    main_t = tuple(sorted(main_content))
    main_n = tuple(sorted(main_nums))
    if kind == _SUB_NONE:
        feats = _Title(main_t, main_n, (), (), main_t, main_n, kind, series)
    else:
        feats = _Title(
            main_t, main_n, tuple(sorted(sub_content)), tuple(sorted(sub_nums)),
            tuple(sorted(main_content + sub_content)), tuple(sorted(main_nums + sub_nums)), kind, series,
        )
    return feats, " ".join(main_words + sub_words)


@lru_cache(maxsize=32768)
def _title_features(title: str | None) -> _Title:
    return _analyse_title(title)[0]


def normalize_title(title: str | None) -> str:
    """Normalise a title: case, diacritics, punctuation, edition/series markers, articles removed."""
    return _analyse_title(title)[1]


# ------------------------------------------------------------------ author normalisation


class _Person(NamedTuple):
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


def _person(name: str) -> _Person | None:
    """Parse one "First [Middle] Last" name (already folded, no commas)."""
    raw = [t for t in _TOKEN_RE.findall(name.replace(".", " ").replace("-", " ")) if t not in _HONORIFICS]
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
    return _Person(surname, given, tuple(flags[:start]), tuple(sorted(tokens)), intern(tokens[-1]), " ".join(tokens))


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


@lru_cache(maxsize=65536)
def _people(text: str | None) -> tuple[_Person, ...]:
    """Parse an author/narrator field into persons (several authors, "Last, First", roles)."""
    if not text:
        return ()
    folded = _fold(text)
    folded = re.sub(r"[\(\[][^\)\]]*[\)\]]", " ", folded)
    folded = _ROLE_PHRASE_RE.sub(";", folded)
    names: list[str] = []
    for chunk in _PEOPLE_SPLIT_RE.split(folded):
        listed = _OTHER_ROLE_RE.search(chunk) is not None and "," in chunk
        chunk = _ROLE_WORDS_RE.sub(" ", chunk)
        pieces = [p.strip(" .-") for p in chunk.split(",")]
        pieces = [p for p in pieces if _TOKEN_RE.search(p)]
        if not pieces:
            continue
        # Hyphenated names are one name here ("Sartre, Jean-Paul" is Last, First).
        toks = [_TOKEN_RE.findall(p.replace(".", " ").replace("-", "")) for p in pieces]
        if len(pieces) == 2 and not listed and _looks_last_first(toks[0], toks[1]):
            names.append(f"{pieces[1]} {pieces[0]}")
        elif len(pieces) > 2 and len(pieces) % 2 == 0 and all(len(t) == 1 for t in toks):
            # "Preston, Douglas, Child, Lincoln"
            names.extend(f"{pieces[i + 1]} {pieces[i]}" for i in range(0, len(pieces), 2))
        else:
            names.extend(pieces)
    people: list[_Person] = []
    for name in names:
        if " ".join(_TOKEN_RE.findall(name)) in _PLACEHOLDERS:
            continue
        person = _person(name)
        if person is not None and person not in people:
            people.append(person)
    return tuple(people)


def normalize_author(author: str | None) -> str:
    """Normalise an author field: "Sanderson, Brandon; J.R.R. Tolkien" -> "brandon sanderson; jrr tolkien"."""
    return "; ".join(p.text for p in _people(author))


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


_ASIN_RE = re.compile(r"([A-Za-z0-9]{10})(?:[_\-.][A-Za-z]{2,3})?")

# ------------------------------------------------------------------ similarities


def _token_sim(a: str, b: str) -> float:
    """Similarity of two title words: 1 equal, 0.95 plural, 0.9 one typo (6+ letters), else 0."""
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if long_.startswith(short) and len(short) >= 3:
        suffix = long_[len(short):]
        if suffix == "s" or (suffix == "es" and short.endswith(("s", "x", "z", "ch", "sh"))):
            return 0.95
    if len(short) >= 6 and OSA.distance(a, b, score_cutoff=1) <= 1:
        return 0.9
    return 0.0


def _join_compounds(words: list[str], others: list[str]) -> int:
    """Pair words with two words of the other side ("nighttime" ~ "night time"); count the pairs.

    A compound may be written open, hyphenated or closed ("Night-Time" / "Nighttime").
    """
    joined = 0
    for word in list(words):
        for head in others:
            if len(head) < len(word) and word.startswith(head):
                tail = word[len(head):]
                if tail in others and (tail != head or others.count(head) > 1):
                    words.remove(word)
                    others.remove(head)
                    others.remove(tail)
                    joined += 1
                    break
    return joined


def _correspond(q: tuple[str, ...], qn: tuple[int, ...], c: tuple[str, ...], cn: tuple[int, ...]) -> float:
    """Mean word similarity when every word and number of both views has a partner, else 0."""
    if qn != cn:
        return 0.0
    if not q or not c:
        return 1.0 if not q and not c and qn else 0.0
    if q == c:
        return 1.0
    nq, nc = len(q), len(c)
    if nq > 2 * nc or nc > 2 * nq:
        return 0.0  # even joining every word into compounds cannot pair them all
    # Both are sorted: a merge finds the exact partners, the rest need a compound or fuzzy partner.
    left_q: list[str] = []
    left_c: list[str] = []
    i = j = 0
    while i < nq and j < nc:
        if q[i] == c[j]:
            i += 1
            j += 1
        elif q[i] < c[j]:
            left_q.append(q[i])
            i += 1
        else:
            left_c.append(c[j])
            j += 1
    left_q.extend(q[i:])
    left_c.extend(c[j:])
    if not left_q or not left_c:
        return 0.0  # a word without any partner
    units = nq - len(left_q)
    total = float(units)
    if len(left_q) != len(left_c):
        # Each compound joins one word of the shorter side with two of the longer side.
        short, long_ = (left_q, left_c) if len(left_q) < len(left_c) else (left_c, left_q)
        if len(long_) > 2 * len(short):
            return 0.0
        joined = _join_compounds(short, long_)
        units += joined
        total += 0.95 * joined
        if len(left_q) != len(left_c):
            return 0.0
    for word in left_q:
        best, best_at = 0.0, -1
        for at, other in enumerate(left_c):
            sim = _token_sim(word, other)
            if sim > best:
                best, best_at = sim, at
        if best_at < 0:
            return 0.0
        total += best
        units += 1
        left_c.pop(best_at)
    return total / units if units else 1.0


def _dice(q: tuple[str, ...], c: tuple[str, ...]) -> float:
    """Share of exactly shared words (for the score of titles that do not correspond)."""
    if not q or not c:
        return 0.0
    common = 0
    i = j = 0
    while i < len(q) and j < len(c):
        if q[i] == c[j]:
            common += 1
            i += 1
            j += 1
        elif q[i] < c[j]:
            i += 1
        else:
            j += 1
    return 2.0 * common / (len(q) + len(c))


def _one_sided(with_sub: _Title, other: _Title) -> float:
    """Correspondence when only `with_sub` has a subtitle."""
    words, nums = other.main, other.main_nums
    # "Sapiens A Brief History of Humankind" (punctuation lost) vs "Sapiens: A Brief History ...".
    best = _correspond(with_sub.full, with_sub.full_nums, words, nums)
    if best < 1.0 and with_sub.sub_kind == _SUB_DESCRIPTIVE:  # "Sapiens" vs "Sapiens: A Brief History ..."
        best = max(best, _ONE_SIDED_SUBTITLE * _correspond(with_sub.main, with_sub.main_nums, words, nums))
    if best < _SUBTITLE_AS_TITLE:  # "The Final Empire" vs "Mistborn: The Final Empire"
        best = max(best, _SUBTITLE_AS_TITLE * _correspond(with_sub.sub, with_sub.sub_nums, words, nums))
    return best


def _corresponding_title_sim(a: _Title, b: _Title) -> float:
    """Title similarity when the titles correspond (some view pair), else 0."""
    if a.sub_kind == _SUB_NONE and b.sub_kind == _SUB_NONE:
        sim = _correspond(a.main, a.main_nums, b.main, b.main_nums)
    elif a.sub_kind != _SUB_NONE and b.sub_kind != _SUB_NONE:
        # Both have subtitles: they must correspond too ("Mistborn: The Final Empire" is not
        # "Mistborn: The Well of Ascension").
        sim = _correspond(a.full, a.full_nums, b.full, b.full_nums)
    elif a.sub_kind != _SUB_NONE:
        sim = _one_sided(a, b)
    else:
        sim = _one_sided(b, a)
    if sim and a.series is not None and b.series is not None and a.series != b.series:
        return 0.0  # "(Series, #3)" vs "(Series, #4)": other volumes
    return sim


def _title_sim(a: _Title, b: _Title) -> float:
    """Title similarity in [0, 1]; at most NONCORRESPONDING_TITLE_CAP when the titles do not correspond."""
    sim = _corresponding_title_sim(a, b)
    if sim:
        return sim
    return NONCORRESPONDING_TITLE_CAP * max(_dice(a.full, b.full), _dice(a.main, b.main))


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


def _person_sim(p: _Person, q: _Person) -> float:
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


def _people_sim(a: tuple[_Person, ...], b: tuple[_Person, ...]) -> float:
    """Best pair: matching any one of several authors well counts."""
    best = 0.0
    for p in a:
        for q in b:
            sim = _person_sim(p, q)
            if sim > best:
                best = sim
                if best == 1.0:
                    return best
    return best


def _author_sim(
    authors_a: tuple[_Person, ...], narrators_a: tuple[_Person, ...],
    authors_b: tuple[_Person, ...], narrators_b: tuple[_Person, ...],
) -> tuple[float, bool]:
    """Author similarity and whether the authors are clearly different."""
    if authors_a and authors_b:
        sim = _people_sim(authors_a, authors_b)
        different = sim < DIFFERENT_AUTHOR_BELOW
    else:
        sim, different = MISSING_AUTHOR_SIM, False
    if not narrators_a and not narrators_b:
        return sim, different
    # Narrators only confirm. Plex libraries often file a book under its narrator, so a library
    # "author" who is also a narrator is no evidence against a match; a narrator who is the
    # other side's author is evidence for one. The result is combined with the narrator-free
    # one above so that a narrator can never lower the score.
    confirm = 0.0
    if narrators_b and authors_a:
        confirm = _people_sim(authors_a, narrators_b)
    if narrators_a and authors_b:
        confirm = max(confirm, _people_sim(narrators_a, authors_b))
    readers = narrators_b + narrators_a
    filed = tuple(p for p in authors_b if not any(_person_sim(p, r) >= 0.85 for r in readers))
    if authors_a and filed:
        with_readers = max(_people_sim(authors_a, filed), confirm)
        different_with_readers = with_readers < DIFFERENT_AUTHOR_BELOW
    else:
        with_readers, different_with_readers = max(MISSING_AUTHOR_SIM, confirm), False
    return max(sim, with_readers), different and different_with_readers


def _combine(
    title_sim: float, authors_a: tuple[_Person, ...], narrators_a: tuple[_Person, ...],
    authors_b: tuple[_Person, ...], narrators_b: tuple[_Person, ...], different_asins: bool,
) -> float:
    author, different = _author_sim(authors_a, narrators_a, authors_b, narrators_b)
    return _final_score(title_sim, author, different, different_asins)


def _final_score(title_sim: float, author: float, different_author: bool, different_asins: bool) -> float:
    score = TITLE_WEIGHT * title_sim + AUTHOR_WEIGHT * author
    if different_author:
        score *= DIFFERENT_AUTHOR_FACTOR
    if different_asins:
        score *= DIFFERENT_ASIN_FACTOR
    return min(1.0, score)


def match_score(
    title_a: str | None, author_a: str | None, title_b: str | None, author_b: str | None, *,
    narrator_b: str | None = None, asin_a: str | None = None, asin_b: str | None = None,
    narrator_a: str | None = None,
) -> float:
    """Score in [0, 1] that book a (asked about) is library item b; see the module docstring."""
    na, nb = normalize_asin(asin_a), normalize_asin(asin_b)
    if na is not None and na == nb:
        return 1.0
    title = _title_sim(_title_features(title_a), _title_features(title_b))
    return _combine(
        title, _people(author_a), _people(narrator_a), _people(author_b), _people(narrator_b),
        na is not None and nb is not None,
    )


# ------------------------------------------------------------------ index


@dataclass(frozen=True, slots=True)
class Candidate:
    """A library item as the matcher sees it."""

    key: str
    title: str
    author: str | None = None
    narrator: str | None = None
    asin: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """The best library item for a book: its key, score and how it matched ("asin" or "fuzzy")."""

    key: str
    score: float
    matched_by: str


class _Record(NamedTuple):
    title: _Title
    authors: tuple[_Person, ...]
    narrators: tuple[_Person, ...]
    asin: str | None


def _index_tokens(title: _Title) -> list[str]:
    """Postings keys of a title: its words, and its numbers as "#n" (may repeat)."""
    if not title.full_nums:
        return list(title.full)
    return [*title.full, *(f"#{n}" for n in title.full_nums)]


def _deletes(token: str) -> list[str]:
    """The token and every variant with one character deleted (symmetric-delete typo lookup)."""
    return [token] + [token[:i] + token[i + 1:] for i in range(len(token))]


_TYPO_MIN_LEN = 6  # _token_sim allows one typo only in words of 6+ letters
_CLOSURE_FILTER_ABOVE = 16  # candidate count above which the subset pre-filter pays off


class LibraryIndex:
    """In-memory index of library candidates answering `best_match` without scanning everything.

    A candidate can reach a threshold above ~0.685 only if its title corresponds to the query
    (see the module docstring): every word of one of the query's views (main title or subtitle)
    has a partner among the candidate's words (equal, plural, one typo, or one half of a
    compound). So the index keeps postings word -> keys (numbers as "#n") and a symmetric-delete
    table for one-typo partners, and scores only the keys that hold a partner for every word of
    a query view, starting from the rarest word.
    That pruning is exact: the result is what the best `match_score` over all candidates gives.
    Thresholds at or below ~0.685 cannot be pruned this way and scan every candidate.
    """

    __slots__ = ("_asins", "_deletes", "_postings", "_records", "_subtitled")

    def __init__(self, candidates: Iterable[Candidate] = ()) -> None:
        self._records: dict[str, _Record] = {}
        self._postings: dict[str, set[str]] = {}
        # delete-variant -> space-separated vocabulary words (a str is far smaller than a set)
        self._deletes: dict[str, str] = {}
        self._asins: dict[str, tuple[str, ...]] = {}  # tuples: an ASIN is almost always unique
        self._subtitled: set[str] = set()  # keys whose title has a subtitle
        for candidate in candidates:
            self.add(candidate)

    def __len__(self) -> int:
        """Number of candidates in the index."""
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        """Whether a candidate with this key is in the index."""
        return key in self._records

    def add(self, candidate: Candidate) -> None:
        """Add a candidate, replacing any candidate with the same key."""
        key = candidate.key
        if key in self._records:
            self.remove(key)
        title = _analyse_title(candidate.title)[0]
        record = _Record(title, _people(candidate.author), _people(candidate.narrator), normalize_asin(candidate.asin))
        self._records[key] = record
        if title.sub_kind != _SUB_NONE:
            self._subtitled.add(key)
        for token in _index_tokens(title):
            keys = self._postings.get(token)
            if keys is None:
                self._postings[token] = {key}
                if len(token) >= _TYPO_MIN_LEN and token[0] != "#":
                    for variant in _deletes(token):
                        old = self._deletes.get(variant)
                        self._deletes[variant] = token if old is None else f"{old} {token}"
            else:
                keys.add(key)
        if record.asin is not None:
            self._asins[record.asin] = (*self._asins.get(record.asin, ()), key)

    def remove(self, key: str) -> None:
        """Remove the candidate with this key (no-op when absent)."""
        record = self._records.pop(key, None)
        if record is None:
            return
        self._subtitled.discard(key)
        for token in _index_tokens(record.title):
            keys = self._postings.get(token)
            if keys is None:
                continue
            keys.discard(key)
            if not keys:
                del self._postings[token]
                if len(token) >= _TYPO_MIN_LEN and token[0] != "#":
                    for variant in _deletes(token):
                        rest = " ".join(w for w in self._deletes.get(variant, "").split() if w != token)
                        if rest:
                            self._deletes[variant] = rest
                        else:
                            self._deletes.pop(variant, None)
        if record.asin is not None:
            holders = tuple(k for k in self._asins.get(record.asin, ()) if k != key)
            if holders:
                self._asins[record.asin] = holders
            else:
                self._asins.pop(record.asin, None)

    def _partners(self, word: str, view: tuple[str, ...]) -> list[set[str]]:
        """Postings of every candidate that could hold a partner for `word` (see `_correspond`)."""
        postings = self._postings
        found: list[set[str]] = []
        seen = {word}
        exact = postings.get(word)
        if exact is not None:
            found.append(exact)
        if word[0] == "#":
            return found
        for cut in range(1, len(word)):  # candidate "night time" for query "nighttime"
            head, tail = postings.get(word[:cut]), postings.get(word[cut:])
            if head is not None and tail is not None:
                found.append(head & tail)
        for other in view:  # candidate "nighttime" for query "night time"
            for joined in (word + other, other + word):
                keys = postings.get(joined)
                if keys is not None:
                    found.append(keys)
        variants = [word + "s"]
        if word.endswith(("s", "x", "z", "ch", "sh")):
            variants.append(word + "es")
        if word.endswith("s"):
            variants.append(word[:-1])
            if word.endswith("es"):
                variants.append(word[:-2])
        if len(word) >= _TYPO_MIN_LEN:
            for variant in _deletes(word):
                hit = self._deletes.get(variant)
                if hit is not None:
                    variants.extend(hit.split())
        for other in variants:
            if other in seen:
                continue
            seen.add(other)
            keys = self._postings.get(other)
            if keys is not None and _token_sim(word, other) > 0.0:
                found.append(keys)
        return found

    def _view_keys(self, words: tuple[str, ...], numbers: tuple[int, ...]) -> set[str]:
        """Keys holding a partner for every word and number of one query view."""
        tokens = set(words)
        tokens.update(f"#{n}" for n in numbers)
        if not tokens:
            return set()
        # Start from the rarest word, then keep only keys that also hold the other words.
        groups = sorted((self._partners(t, words) for t in tokens), key=lambda g: sum(len(s) for s in g))
        first = groups[0]
        if not first:
            return set()
        keys: set[str] = first[0].union(*first[1:])
        for group in groups[1:]:
            if not keys:
                break
            # set & set walks the smaller set, in C
            keys = set[str]().union(*(keys & s for s in group))
        return keys

    def _closure(self, title: _Title) -> set[str]:
        """Every word a candidate word could be in order to partner a word of the query.

        A corresponding candidate view consists only of such words, so a cheap subset test can
        drop candidates that merely share the query's (common) words.
        """
        words = title.full
        closure = set(words)
        for word in words:
            closure.update((word + "s", word + "es", word[:-1], word[:-2]))  # plurals
            for cut in range(1, len(word)):  # halves of a compound
                closure.add(word[:cut])
                closure.add(word[cut:])
            for other in words:  # a compound of two query words
                closure.add(word + other)
            if len(word) >= _TYPO_MIN_LEN:  # one typo away
                for variant in _deletes(word):
                    hit = self._deletes.get(variant)
                    if hit is not None:
                        closure.update(hit.split())
        return closure

    def _candidate_keys(self, title: _Title) -> set[str]:
        # Every view pair `_corresponding_title_sim` accepts contains the query's main title or
        # its subtitle as a whole, so a candidate must hold partners for all words of one of them.
        # The query's subtitle alone only ever pairs with the main title of an unsubtitled
        # candidate ("Mistborn: The Final Empire" vs "The Final Empire").
        keys = self._view_keys(title.main, title.main_nums)
        if title.sub_kind != _SUB_NONE:
            keys |= self._view_keys(title.sub, title.sub_nums) - self._subtitled
        return keys

    def best_match(
        self, title: str, author: str | None, *, asin: str | None = None, narrator: str | None = None,
        threshold: float = REQUEST_THRESHOLD,
    ) -> Match | None:
        """The best candidate scoring >= threshold (ties: score, then ASIN match, then lowest key)."""
        query_asin = normalize_asin(asin)
        if query_asin is not None:
            holders = self._asins.get(query_asin)
            if holders and threshold <= 1.0:
                # An ASIN match scores 1.0, the maximum, and wins ties against fuzzy 1.0 scores.
                return Match(min(holders), 1.0, "asin")
        query = _title_features(title)
        keys: Iterable[str]
        scan_all = threshold <= _PRUNE_FLOOR + 1e-9
        # Pruning (and skipping titles that do not correspond) is exact only above the floor.
        keys = self._records if scan_all else self._candidate_keys(query)
        if not scan_all and len(keys) > _CLOSURE_FILTER_ABOVE:
            # Many candidates share only common words ("Night"): drop, with a C-level subset
            # test, those whose main title and subtitle both hold a word no query word partners.
            # A candidate's subtitle alone only pairs with the main title of an unsubtitled query.
            closure = self._closure(query)
            records = self._records
            if query.sub_kind == _SUB_NONE:
                keys = [
                    k for k in keys
                    if closure.issuperset(records[k].title.main) or closure.issuperset(records[k].title.sub or ("",))
                ]
            else:
                keys = [k for k in keys if closure.issuperset(records[k].title.main)]
        authors, narrators = _people(author), _people(narrator)
        title_sim_of = _title_sim if scan_all else _corresponding_title_sim
        # Libraries repeat titles (editions, same-titled books) and authors: both similarities
        # are pure functions, so each distinct title / author field is scored once per query.
        title_memo: dict[_Title, float] = {}
        author_memo: dict[tuple[int, int], tuple[float, bool]] = {}
        best_key: str | None = None
        best_score = -1.0
        for key in keys:
            record = self._records[key]
            title_sim = title_memo.get(record.title)
            if title_sim is None:
                title_sim = title_memo[record.title] = title_sim_of(query, record.title)
            if not title_sim and not scan_all:
                continue  # the title does not correspond: cannot exceed _PRUNE_FLOOR
            # The person tuples are shared per distinct field (lru_cache) and alive in the records.
            people_key = (id(record.authors), id(record.narrators))
            author_sim = author_memo.get(people_key)
            if author_sim is None:
                author_sim = author_memo[people_key] = _author_sim(
                    authors, narrators, record.authors, record.narrators
                )
            score = _final_score(
                title_sim, author_sim[0], author_sim[1],
                query_asin is not None and record.asin is not None and record.asin != query_asin,
            )
            if score < threshold:
                continue
            if score > best_score or (score == best_score and best_key is not None and key < best_key):
                best_key, best_score = key, score
        if best_key is None:
            return None
        return Match(best_key, best_score, "fuzzy")
