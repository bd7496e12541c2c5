"""The pairwise score: title similarity, author similarity and the rules that combine them."""

from __future__ import annotations

from typing import NamedTuple

from rapidfuzz.distance import OSA

from .people import Person, people, people_sim, person_sim
from .text import normalize_asin
from .titles import SUB_DESCRIPTIVE, SUB_NONE, TitleFeatures, title_features

__all__ = [
    "AUTHOR_WEIGHT",
    "CATALOG_THRESHOLD",
    "NONCORRESPONDING_TITLE_CAP",
    "PRUNE_FLOOR",
    "REQUEST_THRESHOLD",
    "TITLE_WEIGHT",
    "Side",
    "author_sim",
    "corresponding_title_sim",
    "final_score",
    "is_short",
    "make_side",
    "match_score",
    "other_recording",
    "resolve_lead",
    "score_sides",
    "side",
    "title_sim",
    "token_sim",
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
_TRUNCATED_SUBTITLE = 0.97
_TRUNCATED_MIN_WORDS = 2
# Different ASINs and a recording marker on one side (abridged, dramatised, another language): another
# recording. Together with DIFFERENT_ASIN_FACTOR the best score is 0.5625 < 0.70.
DIFFERENT_RECORDING_FACTOR = 0.75
# How well the lead of "Author - Title" must match an author for it to be taken as that author.
LEAD_IS_AUTHOR = 0.85
# Highest score a candidate whose title does not correspond can get. The index prunes such
# candidates, which is exact only for thresholds above this value (below it, it scans everything).
PRUNE_FLOOR = TITLE_WEIGHT * NONCORRESPONDING_TITLE_CAP + AUTHOR_WEIGHT


def token_sim(a: str, b: str) -> float:
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


def _unpartnered(q: tuple[str, ...], c: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The words of two sorted views without an exact partner in the other (a merge)."""
    left_q: list[str] = []
    left_c: list[str] = []
    i = j = 0
    nq, nc = len(q), len(c)
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
    return left_q, left_c


def _fuzzy_total(left_q: list[str], left_c: list[str], total: float) -> float | None:
    """`total` plus the best one-to-one word similarities (plural, typo); None when a word has no partner."""
    for word in left_q:
        best, best_at = 0.0, -1
        for at, other in enumerate(left_c):
            sim = token_sim(word, other)
            if sim > best:
                best, best_at = sim, at
        if best_at < 0:
            return None
        total += best
        left_c.pop(best_at)
    return total


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
    left_q, left_c = _unpartnered(q, c)
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
    summed = _fuzzy_total(left_q, left_c, total)
    if summed is None:
        return 0.0
    units += len(left_q)
    return summed / units if units else 1.0


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


def _one_sided(with_sub: TitleFeatures, other: TitleFeatures) -> float:
    """Correspondence when only `with_sub` has a subtitle."""
    words, nums = other.main, other.main_nums
    # "Sapiens A Brief History of Humankind" (punctuation lost) vs "Sapiens: A Brief History ...".
    best = _correspond(with_sub.full, with_sub.full_nums, words, nums)
    if best < 1.0 and with_sub.sub_kind == SUB_DESCRIPTIVE:  # "Sapiens" vs "Sapiens: A Brief History ..."
        best = max(best, _ONE_SIDED_SUBTITLE * _correspond(with_sub.main, with_sub.main_nums, words, nums))
    if best < _SUBTITLE_AS_TITLE:  # "The Final Empire" vs "Mistborn: The Final Empire"
        best = max(best, _SUBTITLE_AS_TITLE * _correspond(with_sub.sub, with_sub.sub_nums, words, nums))
    return best


def _both_subtitled(a: TitleFeatures, b: TitleFeatures) -> float:
    """Both titles have subtitles: the full titles must correspond, or one subtitle is a shortened
    copy of the other ("Quiet: The Power of Introverts" / "Quiet: The Power of Introverts in a World ...")."""
    # "Mistborn: The Final Empire" is not "Mistborn: The Well of Ascension".
    sim = _correspond(a.full, a.full_nums, b.full, b.full_nums)
    if sim or a.sub_kind != SUB_DESCRIPTIVE or b.sub_kind != SUB_DESCRIPTIVE:
        return sim
    short, long_ = (a, b) if len(a.sub) <= len(b.sub) else (b, a)
    if len(short.sub) < _TRUNCATED_MIN_WORDS or not set(short.sub) <= set(long_.sub):
        return 0.0
    if not set(short.sub_nums) <= set(long_.sub_nums):
        return 0.0
    return _TRUNCATED_SUBTITLE * _correspond(a.main, a.main_nums, b.main, b.main_nums)


def corresponding_title_sim(a: TitleFeatures, b: TitleFeatures) -> float:
    """Title similarity when the titles correspond (some view pair), else 0."""
    if a.markers.product != b.markers.product:
        return 0.0  # a young readers' edition, a summary, a box set: another product
    if a.sub_kind == SUB_NONE and b.sub_kind == SUB_NONE:
        sim = _correspond(a.main, a.main_nums, b.main, b.main_nums)
    elif a.sub_kind != SUB_NONE and b.sub_kind != SUB_NONE:
        sim = _both_subtitled(a, b)
    elif a.sub_kind != SUB_NONE:
        sim = _one_sided(a, b)
    else:
        sim = _one_sided(b, a)
    if sim and a.series is not None and b.series is not None and a.series != b.series:
        return 0.0  # "(Series, #3)" vs "(Series, #4)": other volumes
    return sim


def title_sim(a: TitleFeatures, b: TitleFeatures) -> float:
    """Title similarity in [0, 1]; at most NONCORRESPONDING_TITLE_CAP when the titles do not correspond."""
    sim = corresponding_title_sim(a, b)
    if sim:
        return sim
    return NONCORRESPONDING_TITLE_CAP * max(_dice(a.full, b.full), _dice(a.main, b.main))


def author_sim(
    authors_a: tuple[Person, ...], narrators_a: tuple[Person, ...],
    authors_b: tuple[Person, ...], narrators_b: tuple[Person, ...],
) -> tuple[float, bool]:
    """Author similarity and whether the authors are clearly different."""
    if authors_a and authors_b:
        sim = people_sim(authors_a, authors_b)
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
        confirm = people_sim(authors_a, narrators_b)
    if narrators_a and authors_b:
        confirm = max(confirm, people_sim(narrators_a, authors_b))
    readers = narrators_b + narrators_a
    filed = tuple(p for p in authors_b if not any(person_sim(p, r) >= 0.85 for r in readers))
    if authors_a and filed:
        with_readers = max(people_sim(authors_a, filed), confirm)
        different_with_readers = with_readers < DIFFERENT_AUTHOR_BELOW
    else:
        with_readers, different_with_readers = max(MISSING_AUTHOR_SIM, confirm), False
    return max(sim, with_readers), different and different_with_readers


class Side(NamedTuple):
    """One book as the score sees it: parsed title, people and ASIN (from the field or the title)."""

    title: TitleFeatures
    authors: tuple[Person, ...]
    narrators: tuple[Person, ...]
    asin: str | None
    lead_people: tuple[Person, ...]  # the lead of an "Author - Title" title read as people


def side(title: str | None, author: str | None, narrator: str | None, asin: str | None) -> Side:
    """Parse one book's fields for scoring."""
    return make_side(title_features(title), author, narrator, asin)


def make_side(features: TitleFeatures, author: str | None, narrator: str | None, asin: str | None) -> Side:
    """A side from already analysed title features (an "Author - Title" lead resolved when it can be)."""
    authors, narrators = people(author), people(narrator)
    if features.rest is None:  # most titles
        return Side(features, authors, narrators, normalize_asin(asin) or features.markers.asin, ())
    lead = people(features.lead)
    if lead and (authors or narrators):
        # The side's own people decide whether the lead is its author: resolve once, here.
        if people_sim(lead, authors + narrators) >= LEAD_IS_AUTHOR:
            features = features.rest or features
        return Side(features, authors, narrators, normalize_asin(asin) or features.markers.asin, ())
    return Side(features, authors, narrators, normalize_asin(asin) or features.markers.asin, lead)


def resolve_lead(one: Side, other_authors: tuple[Person, ...]) -> tuple[TitleFeatures, tuple[Person, ...]]:
    """The title and authors of one side, an "Author - Title" lead taken out when it names the author.

    The lead names the author when it matches the side's own author or narrator field, or, when
    the side has no author, the other side's author (and then it is this side's author).
    """
    title = one.title
    if not one.lead_people or title.rest is None:  # no lead, or resolved by `make_side`
        return title, one.authors
    if other_authors and people_sim(one.lead_people, other_authors) >= LEAD_IS_AUTHOR:
        return title.rest, one.lead_people
    return title, one.authors


def is_short(title: TitleFeatures) -> bool:
    """A title of at most two letters ("It", "Us", "V."): many books share it."""
    return not title.full_nums and 0 < sum(len(w) for w in title.full) <= 2


def other_recording(a: Side, b: Side) -> bool:
    """Different ASINs and different recording markers (abridged, dramatised, language)."""
    return a.asin is not None and b.asin is not None and a.asin != b.asin and (
        a.title.markers.recording != b.title.markers.recording
    )


def final_score(
    title: float, author: float, different_author: bool, different_asins: bool, *,
    other_recording: bool = False, short_title: bool = False,
) -> float:
    """Weighted title and author similarity with the penalties of the module docstring."""
    score = TITLE_WEIGHT * title + AUTHOR_WEIGHT * author
    if different_author or (short_title and author < DIFFERENT_AUTHOR_BELOW):
        score *= DIFFERENT_AUTHOR_FACTOR
    if different_asins:
        score *= DIFFERENT_ASIN_FACTOR
    if other_recording:
        score *= DIFFERENT_RECORDING_FACTOR
    return min(1.0, score)


def score_sides(a: Side, b: Side) -> float:
    """Score that side a (asked about) is side b (a library item): `match_score` on parsed sides."""
    if a.asin is not None and a.asin == b.asin:
        return 1.0
    title_a, authors_a = resolve_lead(a, b.authors)
    title_b, authors_b = resolve_lead(b, a.authors)
    title = title_sim(title_a, title_b)
    author, different = author_sim(authors_a, a.narrators, authors_b, b.narrators)
    return final_score(
        title, author, different, a.asin is not None and b.asin is not None,
        other_recording=other_recording(a, b), short_title=is_short(title_a) or is_short(title_b),
    )


def match_score(
    title_a: str | None, author_a: str | None, title_b: str | None, author_b: str | None, *,
    narrator_b: str | None = None, asin_a: str | None = None, asin_b: str | None = None,
    narrator_a: str | None = None,
) -> float:
    """Score in [0, 1] that book a (asked about) is library item b; see the package docstring."""
    return score_sides(side(title_a, author_a, narrator_a, asin_a), side(title_b, author_b, narrator_b, asin_b))
