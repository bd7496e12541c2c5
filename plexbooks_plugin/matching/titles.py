"""Title analysis: a title split into main title and subtitle, cleaned, and reduced to matching features.

The analysis runs in named steps (`_analyse_title`): fold the text, take bracketed notes out,
split at subtitle separators, drop a series prefix, set series subtitles aside, then tokenise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from sys import intern
from typing import NamedTuple

from .markers import NO_MARKERS, Markers, read_markers
from .numbers import MARKER_NUMBER, NUMBER_WORDS, ROMAN_RE, number_run, number_token, roman, single_number
from .subtitles import SUB_DESCRIPTIVE, SUB_NONE, SUB_TITLELIKE, is_genre_statement, series_position, subtitle_kind
from .text import TOKEN_RE, fold
from .words import canonical_spelling, uncensor

__all__ = [
    "SUB_DESCRIPTIVE",
    "SUB_NONE",
    "SUB_TITLELIKE",
    "TitleFeatures",
    "analyse_title",
    "normalize_title",
    "title_features",
]

# Words announcing a number that belongs to the title ("Vol. 3", "Part Two"): dropped, the number kept.
_VOLUME_WORDS = frozenset({"vol", "vols", "volume", "part", "pt", "tome", "episode", "chapter"})
_ARTICLES = frozenset({"the", "a", "an"})
# Abbreviations spelled out so "Dr. Sleep" == "Doctor Sleep".
_ABBREVIATIONS = {"dr": "doctor", "mr": "mister", "st": "saint", "mt": "mount", "vs": "versus", "n": "and"}
# Series markers: "Book 3", "Bk. 3", "#3", "Book Three", "Book III".
_SERIES_RE = re.compile(rf"(?:\b(?:book|bk)\b\.?\s*#?\s*|#\s*){MARKER_NUMBER}\b")
_VOLUME_RE = re.compile(rf"\b(?:vol(?:ume)?|part|pt|tome)\b\.?\s*{MARKER_NUMBER}\b")
_BRACKET_RE = re.compile(r"[\(\[\{]([^\(\)\[\]\{\}]*)(?:[\)\]\}]|$)")
# A bare small number ending a bracket is a series position: "(Discworld 3)". Years are longer.
_BRACKET_TAIL_NUM_RE = re.compile(r"\b(\d{1,3}(?:\.\d+)?)\s*$")
# Separators between main title and subtitle. Captured so the caller knows which one it was.
_SPLIT_RE = re.compile(r"\s*(:|;|\s-+\s|,\s*or\b,?)\s*")
_SPLIT_HINT_RE = re.compile(r"[:;]|\s-|,\s*or\b")
_ALT_TITLE_RE = re.compile(r"^or\b[\s,]*")
# Library naming "Wheel of Time 03 - The Dragon Reborn", "03 - Title", "Book 3: Title".
_PREFIX_DASH_RE = re.compile(r"^(?:.*\s)?(?:(?:book|bk|vol|volume|no)\.?\s*)?#?\s*(\d{1,2}(?:\.\d+)?|0\d{2})$")
_PREFIX_BOOK_RE = re.compile(rf"^(?:.*\s)?(?:book|bk)\.?\s*#?\s*{MARKER_NUMBER}$")
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
_THOUSANDS_RE = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_GENRE_TAIL_RE = re.compile(r"\s+(?:a|an)\s+(?:novel|thriller|memoir)$")
# "The Expanse - 01 - Leviathan Wakes": a bare position between two dashes.
_PREFIX_NUMBER_RE = re.compile(r"^#?\d{1,3}(?:\.\d)?$")
# A lead before " - " that could be a person's name: two to five words, initials allowed, no digits.
_LEAD_NAME_RE = re.compile(r"(?:[^\W\d_]+\.?\s*){2,5}|(?:[^\W\d_]\.\s*)+[^\W\d_]+")


class TitleFeatures(NamedTuple):
    """Pre-computed matching features of a title (sorted content tokens and numbers per view)."""

    main: tuple[str, ...]
    main_nums: tuple[int, ...]
    sub: tuple[str, ...]
    sub_nums: tuple[int, ...]
    full: tuple[str, ...]
    full_nums: tuple[int, ...]
    sub_kind: int
    series: float | None
    markers: Markers = NO_MARKERS
    # "Author - Title" (a ripper's folder name): the lead before " - " and the title after it.
    # Whether the lead is the author is decided against the author fields when scoring.
    lead: str = ""
    rest: TitleFeatures | None = None


EMPTY_TITLE = TitleFeatures((), (), (), (), (), (), SUB_NONE, None)


def _has_series_hint(text: str) -> bool:
    """Cheap pre-test: could `_SERIES_RE` match?"""
    return "book" in text or "#" in text or "bk" in text


def _marker_value(text: str) -> float | None:
    """The value of a series/volume marker's number ("3", "3.5", "three", "iii")."""
    if text.replace(".", "", 1).isdecimal():
        return float(text)
    value = single_number(text)
    return None if value is None else float(value)


def _segment(text: str) -> tuple[list[str], list[int], list[str]]:
    """Tokens of one title segment: (content words, numbers, display words)."""
    raw = [_ABBREVIATIONS.get(t, t) for t in TOKEN_RE.findall(text)]
    content: list[str] = []
    numbers: list[int] = []
    words = [tok for tok in raw if tok not in _ARTICLES]
    i, n = 0, len(raw)
    while i < n:
        tok = raw[i]
        if tok in _VOLUME_WORDS and i + 1 < n:
            value = single_number(raw[i + 1])
            if value is not None:  # "Vol. 3", "Part Two", "Part II", "Part I"
                numbers.append(value)
                i += 2
                continue
        number = number_token(tok) if tok[0].isdecimal() else None
        if number is not None:
            numbers.append(number)
        elif tok in NUMBER_WORDS:
            values, nxt = number_run(raw, i)
            if values:
                numbers.extend(values)
                i = nxt
                continue
            content.append(intern(tok))
        elif len(tok) > 1 and not tok.strip("ivx") and ROMAN_RE.fullmatch(tok):
            numbers.append(roman(tok))
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
    return "" if is_genre_statement(text.strip(" ,.-!")) else text


@dataclass(slots=True)
class _Draft:
    """A title in the middle of its analysis; each step of `analyse_title` refines it."""

    text: str
    series: float | None = None
    numbers: list[int] = field(default_factory=list)  # volume/part numbers found in brackets
    segments: list[str] = field(default_factory=list)
    seps: list[str] = field(default_factory=list)  # seps[i] separates segments[i - 1] and segments[i]
    main: str = ""
    subs: list[str] = field(default_factory=list)
    alt: bool = False  # the first subtitle is an alternative title ("; or, The Modern Prometheus")


def _fold_title(title: str) -> str:
    """Fold case and diacritics, restore censored words, spell out "&", drop thousands separators."""
    text = uncensor(fold(title))
    # The cheap substring tests skip regexes that cannot apply (most titles are plain words).
    if "&" in text:
        text = text.replace("&", " and ")
    if "," in text or "." in text:
        text = _THOUSANDS_RE.sub("", text)  # "20,000 Leagues" -> "20000 Leagues"
    return text


def _take_brackets(draft: _Draft) -> None:
    """Drop bracketed notes, remembering a series position or a volume/part number inside.

    Brackets hold edition markers, series names, narrators, years: none of them is the title.
    """
    text = draft.text
    if "(" not in text and "[" not in text and "{" not in text:
        return
    for bracket in _BRACKET_RE.finditer(text):
        inner = bracket.group(1)
        found = _SERIES_RE.search(inner) or _BRACKET_TAIL_NUM_RE.search(inner)
        if found and draft.series is None:
            draft.series = _marker_value(found.group(1))
        vol = _VOLUME_RE.search(inner)
        if vol:
            value = single_number(vol.group(1))
            if value is not None:
                draft.numbers.append(value)
    draft.text = _BRACKET_RE.sub(" ", text)


def _split_segments(draft: _Draft) -> None:
    """Split at subtitle separators (":", ";", " - ", ", or"); clean segments, drop empty ones."""
    text = draft.text
    pieces = _SPLIT_RE.split(text) if _SPLIT_HINT_RE.search(text) else [text]
    pending_sep = ""
    for idx, piece in enumerate(pieces):
        if idx % 2:  # a captured separator
            pending_sep = pending_sep or piece.strip()
            continue
        cleaned = _clean_segment(piece, not draft.segments)
        if cleaned:
            draft.seps.append(pending_sep)
            draft.segments.append(cleaned)
            pending_sep = ""


def _drop_series_prefix(draft: _Draft) -> None:
    """Drop a leading series position: "Wheel of Time 03 - The Dragon Reborn", "Book 3: Oathbringer",
    "The Expanse - 01 - Leviathan Wakes"."""
    segments, seps = draft.segments, draft.seps
    if len(segments) < 2:
        return
    if len(segments) > 2 and seps[2].startswith("-") and _PREFIX_NUMBER_RE.match(segments[1]):
        draft.series = _marker_value(segments[1].lstrip("#"))
        del segments[:2], seps[:2]
        seps[0] = ""
        return
    m = _PREFIX_BOOK_RE.match(segments[0])
    if m is None and seps[1].startswith("-"):
        m = _PREFIX_DASH_RE.match(segments[0])
    if m is not None:
        draft.series = _marker_value(m.group(1))
        segments.pop(0)
        seps.pop(0)
        seps[0] = ""


def _set_series_subtitles_aside(draft: _Draft) -> None:
    """Split main title from subtitles; subtitles naming the series ("The Wheel of Time, Book 1",
    "Red Rising Saga", "Expanse 3") go, their position kept."""
    draft.main = draft.segments[0]
    for seg, sep in zip(draft.segments[1:], draft.seps[1:], strict=True):
        found = _SERIES_RE.search(seg) if _has_series_hint(seg) else None
        if found:
            if draft.series is None:
                draft.series = _marker_value(found.group(1))
            continue
        is_series, position = series_position(seg)
        if is_series:
            if draft.series is None and position is not None:
                draft.series = _marker_value(position)
            continue
        if sep.startswith(",") or _ALT_TITLE_RE.match(seg):  # "Frankenstein; or, The Modern Prometheus"
            if not draft.subs:
                draft.alt = True
            seg = _ALT_TITLE_RE.sub("", seg)
        draft.subs.append(seg)


def _take_series_marker_from_main(draft: _Draft) -> None:
    """A series marker in the main title: keep the book's own title, remember the position."""
    main = draft.main
    found = _SERIES_RE.search(main) if _has_series_hint(main) else None
    if not found:
        return
    if draft.series is None:
        draft.series = _marker_value(found.group(1))
    before = main[: found.start()].strip(" ,.-")
    if draft.subs and before:
        # "The Stormlight Archive, Book 3: Oathbringer": the main part names the series.
        draft.main = draft.subs.pop(0)
        draft.alt = False
    elif before:  # "Harry Potter and the Goblet of Fire, Book 4 (of the X series)"
        draft.main = before
    else:  # "Book 3 The Dragon Reborn"
        draft.main = main[found.end():].strip(" ,.-") or main


def _drop_genre_tail(draft: _Draft) -> None:
    """Drop "a novel", "a thriller" or "a memoir" ending the main title (its colon lost)."""
    if draft.main.endswith(("novel", "thriller", "memoir")):
        draft.main = _GENRE_TAIL_RE.sub("", draft.main)


def _content(words: list[str]) -> tuple[str, ...]:
    """Sorted content words in one spelling (British and American variants agree)."""
    return tuple(sorted(map(canonical_spelling, words)))


def _features(draft: _Draft, markers: Markers) -> tuple[TitleFeatures, str]:
    """Tokenise the main title and subtitles into the matching features and the normalised text."""
    main_content, main_nums, main_words = _segment(draft.main)
    main_nums.extend(draft.numbers)
    sub_content: list[str] = []
    sub_nums: list[int] = []
    sub_words: list[str] = []
    for seg in draft.subs:
        c, nums, w = _segment(seg)
        sub_content += c
        sub_nums += nums
        sub_words += w
    if not main_content and not main_nums and (sub_content or sub_nums):
        # Nothing left of the main title (e.g. only an article): the subtitle is the title.
        main_content, main_nums, main_words = sub_content, sub_nums, sub_words
        sub_content, sub_nums, sub_words = [], [], []
    kind = subtitle_kind(sub_content, sub_nums, draft.alt)
    main_t = _content(main_content)
    main_n = tuple(sorted(main_nums))
    if kind == SUB_NONE:
        feats = TitleFeatures(main_t, main_n, (), (), main_t, main_n, kind, draft.series, markers)
    else:
        feats = TitleFeatures(
            main_t, main_n, _content(sub_content), tuple(sorted(sub_nums)),
            _content(main_content + sub_content), tuple(sorted(main_nums + sub_nums)), kind, draft.series, markers,
        )
    return feats, " ".join(main_words + sub_words)


def _lead_and_rest(text: str) -> tuple[str, TitleFeatures | None]:
    """ "Brandon Sanderson - The Way of Kings": a lead that may be a name, and the rest's features."""
    lead, sep, rest = text.partition(" - ")
    if not sep or not _LEAD_NAME_RE.fullmatch(lead.strip()):
        return "", None
    features = _analyse(rest, with_lead=False)[0]
    return (lead.strip(), features) if features.full or features.full_nums else ("", None)


def _analyse(text: str, *, with_lead: bool) -> tuple[TitleFeatures, str]:
    text, markers = read_markers(text)
    draft = _Draft(text)
    _take_brackets(draft)
    _split_segments(draft)
    if not draft.segments:
        return (EMPTY_TITLE if markers is NO_MARKERS else EMPTY_TITLE._replace(markers=markers)), ""
    if len(draft.segments) > 1:
        _drop_series_prefix(draft)
        _set_series_subtitles_aside(draft)
    else:  # most titles: one segment, no subtitle to set aside
        draft.main = draft.segments[0]
    _take_series_marker_from_main(draft)
    _drop_genre_tail(draft)
    features, normalized = _features(draft, markers)
    if with_lead and " - " in text:
        lead, rest = _lead_and_rest(text)
        if rest is not None:
            features = features._replace(lead=lead, rest=rest)
    return features, normalized


def analyse_title(title: str | None) -> tuple[TitleFeatures, str]:
    """Split, clean and tokenise a title; return its features and its normalised text.

    The steps: fold (and restore censored words), read product markers (adaptation, box set,
    recording, ASIN, split part), drop bracketed notes, split at subtitle separators, drop a
    series prefix, set series subtitles aside, take a series marker out of the main title,
    drop a genre tail, tokenise; for "Lead - Rest" titles the rest is analysed too.
    """
    if not title:
        return EMPTY_TITLE, ""
    return _analyse(_fold_title(title), with_lead=True)


@lru_cache(maxsize=32768)
def title_features(title: str | None) -> TitleFeatures:
    """The matching features of a title (cached: libraries and queries repeat titles)."""
    return analyse_title(title)[0]


def normalize_title(title: str | None) -> str:
    """Normalise a title: case, diacritics, punctuation, edition/series markers, articles removed."""
    return analyse_title(title)[1]
