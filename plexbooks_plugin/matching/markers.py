"""Product markers read from a whole title (brackets included) before it is split and cleaned.

They say what kind of product a title names, beyond its words:

- adaptation: a young readers' edition, a summary or study guide, a workbook, a graphic novel;
- omnibus: a box set, an omnibus, "Books 1-3", a trilogy named as such;
- recording: abridged, dramatised / full cast, or a language edition;
- an ASIN written into the title by a ripper ("Title [B0XXXXXXXX]") or left as the whole title;
- a split part ("(1 of 2)", "Part 1 of 3"): removed, because owning a part means owning the product.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .numbers import MARKER_NUMBER
from .text import TOKEN_RE

__all__ = ["NO_MARKERS", "Markers", "read_markers"]


class Markers(NamedTuple):
    """What a title says about its product (all empty for a plain title)."""

    product: str  # "" or the adaptation kind / "omnibus": another product than the plain book
    recording: str  # "" or e.g. "abridged", "drama", "lang:de": another recording of the same book
    asin: str | None  # an ASIN written in the title


NO_MARKERS = Markers("", "", None)

_ADAPTATIONS = (
    ("young", re.compile(
        r"\b(?:young\s+readers?|young\s+adult\s+(?:adaptation|edition|version)|adapted\s+for\s+(?:young|teen|kids"
        r"|children)|for\s+(?:young\s+readers|kids|teens)|(?:kids|childrens?|teen|ya)\s+(?:edition|version))\b")),
    ("graphic", re.compile(r"\b(?:graphic\s+(?:novel|history|adaptation|edition)|manga\s+(?:edition|adaptation))\b")),
    ("summary", re.compile(
        r"\b(?:summary|summaries|study\s+guide|sparknotes|cliffs\s*notes|key\s+takeaways|book\s+analysis"
        r"|analysis\s+(?:of|and)\b|summary\s+and\s+analysis)")),
    ("workbook", re.compile(r"\b(?:workbook|journal\s+companion|discussion\s+guide)\b")),
)
_RANGE = rf"{MARKER_NUMBER}\s*(?:-|to|through|thru|&|and)\s*{MARKER_NUMBER}"
# Markers of a set of books wherever they stand.
_OMNIBUS_RE = re.compile(
    rf"\b(?:box(?:ed)?[\s-]*set|boxset|omnibus|bundle|complete\s+(?:series|collection|saga|trilogy|novels)"
    rf"|(?:books|volumes|vols|novels|titles)\s+{_RANGE}|(?:book|vol|volume|series|collection)\s+{_RANGE}"
    rf"|\d+[\s-]+(?:book|novel)\s+(?:set|collection|series|bundle))\b"
)
# Words naming a set of books when they stand in the main title ("The Hunger Games Trilogy"), not
# in a subtitle or bracket, where they usually name the series of a single book.
_SET_WORD_RE = re.compile(r"\b(?:trilogy|duology|quartet|quintet|collection|anthology|omnibus)\s*$")

_ABRIDGED_RE = re.compile(r"(?<!un)abridged|\bgekurzt")
_DRAMA_RE = re.compile(r"dramati[sz]|full[\s-]*cast|(?:radio|audio)\s+(?:drama|play)|bbc\s+radio|horspiel")
_LANGUAGES = {
    "german": "de", "deutsch": "de", "deutsche": "de", "spanish": "es", "espanol": "es", "castellano": "es",
    "french": "fr", "francais": "fr", "francaise": "fr", "italian": "it", "italiano": "it", "italiana": "it",
    "portuguese": "pt", "portugues": "pt", "dutch": "nl", "nederlands": "nl", "polish": "pl", "polski": "pl",
    "russian": "ru", "japanese": "ja", "chinese": "zh", "swedish": "sv", "danish": "da", "norwegian": "no",
    "finnish": "fi", "turkish": "tr",
}
_LANGUAGE_RE = re.compile(
    r"\b(" + "|".join(_LANGUAGES) + r")\s+"
    r"(?:edition|version|translation|language|audiobook|audio\s+edition|ausgabe|edicion|edizione)\b"
    r"|\b(?:edition|edicion|version|ausgabe|edizione|narracion|traduccion|livre\s+audio)\s+(?:en\s+)?("
    + "|".join(_LANGUAGES) + r")\b|[\(\[]\s*(" + "|".join(_LANGUAGES) + r")\s*[\)\]]"
    r"|\b(ungekurzte?|gekurzte?|lesung|horbuch|horspiel)\b"
)
# Each family of markers needs one of its words in the title: a cheap pre-test (most titles have none).
_ADAPTATION_WORDS = frozenset({
    "young", "adapted", "adaptation", "kids", "children", "childrens", "teen", "teens", "ya", "graphic", "manga",
    "summary", "summaries", "guide", "sparknotes", "cliffsnotes", "cliffs", "notes", "takeaways", "analysis",
    "workbook", "journal", "companion",
})
_OMNIBUS_WORDS = frozenset({
    "box", "boxed", "boxset", "omnibus", "bundle", "complete", "book", "books", "vol", "vols", "volume", "volumes",
    "novel", "novels", "titles", "series", "collection", "trilogy", "duology", "quartet", "quintet", "anthology",
})
_RECORDING_WORDS = frozenset({
    "abridged", "gekurzt", "gekurzte", "ungekurzt", "ungekurzte", "dramatised", "dramatized", "dramatisation",
    "dramatization", "dramatisations", "dramatizations", "cast", "radio", "audio", "drama", "horspiel", "edition",
    "edicion", "version", "ausgabe", "edizione", "narracion", "traduccion", "livre", "translation", "language",
    "audiobook", "lesung", "horbuch", *_LANGUAGES,
})
_HINT_WORDS = _ADAPTATION_WORDS | _OMNIBUS_WORDS | _RECORDING_WORDS
_TITLE_ASIN = r"(b0[0-9a-z]{8}|\d{9}[0-9x])(?:[_\-.][a-z]{2,3})?"
_RAW_ASIN_RE = re.compile(rf"\s*{_TITLE_ASIN}\s*")
_BRACKET_ASIN_RE = re.compile(rf"[\(\[\{{]\s*(?:asin\s*[:=]?\s*)?{_TITLE_ASIN}\s*[\)\]\}}]")
_PART_NUM = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)"
# "(1 of 2)", "Part 1 of 3", "Disc 2/4", "Pt. 1 of 2"; not "Book 1 of 3" (a series position).
_PART_RE = re.compile(
    rf"\b(?:(?:part|pt|disc|disk|cd)\.?\s*{_PART_NUM}\s*(?:of|/)\s*{_PART_NUM}"
    rf"|(?<!book\s)(?<!vol\s)(?<!volume\s){_PART_NUM}\s+of\s+{_PART_NUM})\b"
)


_PART_NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}) | {
    f"{n}" for n in range(1000)} | {f"{n:02d}" for n in range(100)} | {f"{n:03d}" for n in range(1000)}
_PART_WORDS = frozenset({"part", "pt", "disc", "disk", "cd"})


def _adaptation(text: str) -> str:
    for kind, pattern in _ADAPTATIONS:
        if pattern.search(text):
            return kind
    return ""


def _is_omnibus(text: str) -> bool:
    if _OMNIBUS_RE.search(text):
        return True
    main = re.split(r"[\(\[\{:;]|\s-\s|,", text, maxsplit=1)[0]
    return _SET_WORD_RE.search(main.strip()) is not None


def _recording(text: str) -> str:
    kinds = []
    if ("bridged" in text or "gekurzt" in text) and _ABRIDGED_RE.search(text):
        kinds.append("abridged")
    if _DRAMA_RE.search(text):
        kinds.append("drama")
    m = _LANGUAGE_RE.search(text)
    if m is not None:
        word = next(g for g in m.groups() if g)
        kinds.append("lang:" + _LANGUAGES.get(word, "de"))  # the German-only words are German
    return " ".join(kinds)


def read_markers(text: str) -> tuple[str, Markers]:
    """Read the product markers of a folded title; return it without parts and ASINs, and the markers."""
    if text[:2] == "b0" or text[:1].isdecimal():
        raw = _RAW_ASIN_RE.fullmatch(text)
        if raw is not None:  # the Audnexus agent sometimes leaves the ASIN as the album title
            return "", Markers("", "", raw.group(1).upper())
    words = TOKEN_RE.findall(text)
    text, asin = _take_bracket_asin(text, words)
    if _may_hold_part(text, words):
        text = _PART_RE.sub(" ", text)
    if _HINT_WORDS.isdisjoint(words):
        return text, NO_MARKERS if asin is None else Markers("", "", asin)
    product = _adaptation(text) if not _ADAPTATION_WORDS.isdisjoint(words) else ""
    if not product and not _OMNIBUS_WORDS.isdisjoint(words) and _is_omnibus(text):
        product = "omnibus"
    recording = _recording(text) if not _RECORDING_WORDS.isdisjoint(words) else ""
    if not product and not recording and asin is None:
        return text, NO_MARKERS
    return text, Markers(product, recording, asin)


def _take_bracket_asin(text: str, words: list[str]) -> tuple[str, str | None]:
    """Take a ripper's "[B0XXXXXXXX]" out of the title; return the title and the ASIN."""
    if ("(" in text or "[" in text or "{" in text) and any(len(w) == 10 for w in words):
        found = _BRACKET_ASIN_RE.search(text)
        if found is not None:
            return text[: found.start()] + " " + text[found.end():], found.group(1).upper()
    return text, None


def _may_hold_part(text: str, words: list[str]) -> bool:
    """Cheap pre-test for `_PART_RE`: "N of M" or "Part N/M" may be in the title."""
    if "of" in words:
        return not _PART_NUMBER_WORDS.isdisjoint(words)
    return "/" in text and not _PART_WORDS.isdisjoint(words)
