"""An in-memory index over the mirrored library answering "is this book in the library?" exactly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

from .bitmaps import from_bitmap, to_bitmap
from .people import Person
from .score import (
    PRUNE_FLOOR,
    REQUEST_THRESHOLD,
    Side,
    author_sim,
    corresponding_title_sim,
    final_score,
    is_short,
    make_side,
    other_recording,
    resolve_lead,
    side,
    title_sim,
    token_sim,
)
from .titles import SUB_NONE, TitleFeatures, analyse_title

__all__ = ["Candidate", "LibraryIndex", "Match"]


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


def _index_tokens(title: TitleFeatures) -> list[str]:
    """Postings keys of a title (and of its "Author - Title" rest): words, numbers as "#n" (may repeat)."""
    tokens = [*title.full, *(f"#{n}" for n in title.full_nums)] if title.full_nums else list(title.full)
    if title.rest is not None:
        tokens += [*title.rest.full, *(f"#{n}" for n in title.rest.full_nums)]
    return tokens


def _always_subtitled(title: TitleFeatures) -> bool:
    """Has the title a subtitle however it is read (with or without an "Author - " lead)?"""
    return title.sub_kind != SUB_NONE and (title.rest is None or title.rest.sub_kind != SUB_NONE)


def _fits(closure: set[str], title: TitleFeatures, lenient: bool) -> bool:
    """Could a view of `title` consist only of words of `closure` (see `LibraryIndex._closure`)?"""
    return closure.issuperset(title.main) or (lenient and closure.issuperset(title.sub or ("",)))


def _deletes(token: str) -> set[str]:
    """The token and every distinct variant with one character deleted (symmetric-delete typo lookup)."""
    # Distinct: "book" gives "bok" twice, and "9999..." would give one variant thousands of times.
    variants = {token[:i] + token[i + 1:] for i in range(len(token))}
    variants.add(token)
    return variants


_TYPO_MIN_LEN = 6  # token_sim allows one typo only in words of 6+ letters
_CLOSURE_FILTER_ABOVE = 16  # candidate count above which the subset pre-filter pays off
# Query views whose rarest word has at least this many candidates (and 1/128 of the slots) are
# intersected as bitmaps: ANDs of ints instead of set intersections walking thousands of keys.
_BITMAP_MIN = 64
_BITMAP_DENSITY_SHIFT = 7
_ANSWERS_KEPT = 4096  # answers remembered (all forgotten at once when full: a bound, not an LRU)

Partner = str | tuple[str, str]  # a postings token, or the two halves of a compound (both needed)


# A candidate in `_best_of`: (bound, key, title similarity, short title, query's people, candidate's people).
_Scored = tuple[float, str, float, bool, tuple[Person, ...], tuple[Person, ...]]


def _partner_size(group: list[tuple[Partner, set[str]]]) -> int:
    return sum(len(keys) for _, keys in group)


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

    __slots__ = (
        "_answers", "_asins", "_bitmaps", "_deletes", "_generation", "_postings", "_records", "_slot_keys", "_slots",
        "_subtitled",
    )

    def __init__(self, candidates: Iterable[Candidate] = ()) -> None:
        self._records: dict[str, Side] = {}
        self._postings: dict[str, set[str]] = {}
        # delete-variant -> space-separated vocabulary words (a str is far smaller than a set)
        self._deletes: dict[str, str] = {}
        self._asins: dict[str, tuple[str, ...]] = {}  # tuples: an ASIN is almost always unique
        self._subtitled: set[str] = set()  # keys whose title has a subtitle
        # Every key ever added has a bit position (kept when removed, reused when added again).
        self._slots: dict[str, int] = {}
        self._slot_keys: list[str] = []
        self._bitmaps: dict[str, int] = {}  # token -> bitmap of its postings (common tokens, made on demand)
        # Answers given since the index last changed: hosts ask about the same books again and again
        # (every page of a wanted list). Each remembers the generation it was computed in, so an
        # answer computed while another thread changed the index is never given again.
        self._generation = 0
        self._answers: dict[tuple[str, str | None, str | None, str | None, float], tuple[int, Match | None]] = {}
        self.extend(candidates)

    def __len__(self) -> int:
        """Number of candidates in the index."""
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        """Whether a candidate with this key is in the index."""
        return key in self._records

    def extend(self, candidates: Iterable[Candidate]) -> None:
        """Add many candidates (a build), then make the bitmaps of the common words."""
        # Libraries repeat titles (editions, same-titled books): each distinct title is analysed
        # once, and its records share one analysis (a smaller index and saved file, too).
        analysed: dict[str, TitleFeatures] = {}
        for candidate in candidates:
            title = analysed.get(candidate.title)
            if title is None:
                title = analysed[candidate.title] = analyse_title(candidate.title)[0]
            self.add(candidate, title)
        self.prepare()

    def add(self, candidate: Candidate, title: TitleFeatures | None = None) -> None:
        """Add a candidate, replacing any candidate with the same key (`title`: its analysis, when known)."""
        key = candidate.key
        if key in self._records:
            self.remove(key)
        self._generation += 1
        if title is None:
            title = analyse_title(candidate.title)[0]
        record = make_side(title, candidate.author, candidate.narrator, candidate.asin)
        self._records[key] = record
        if key not in self._slots:
            self._slots[key] = len(self._slot_keys)
            self._slot_keys.append(key)
        bitmaps = self._bitmaps
        if title.sub_kind != SUB_NONE and _always_subtitled(title):
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
                bits = bitmaps.get(token) if bitmaps else None
                if bits is not None:
                    bitmaps[token] = bits | (1 << self._slots[key])
        if record.asin is not None:
            self._asins[record.asin] = (*self._asins.get(record.asin, ()), key)

    def remove(self, key: str) -> None:
        """Remove the candidate with this key (no-op when absent)."""
        record = self._records.pop(key, None)
        if record is None:
            return
        self._generation += 1
        self._subtitled.discard(key)
        for token in _index_tokens(record.title):
            keys = self._postings.get(token)
            if keys is None:
                continue
            keys.discard(key)
            bits = self._bitmaps.get(token)
            if bits is not None:
                self._bitmaps[token] = bits & ~(1 << self._slots[key])
            if not keys:
                del self._postings[token]
                self._bitmaps.pop(token, None)
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

    def _partners(self, word: str, view: tuple[str, ...]) -> list[tuple[Partner, set[str]]]:
        """Postings of every candidate that could hold a partner for `word` (see `_correspond`)."""
        postings = self._postings
        found: list[tuple[Partner, set[str]]] = []
        seen = {word}
        exact = postings.get(word)
        if exact is not None:
            found.append((word, exact))
        if word[0] == "#":
            return found
        for cut in range(1, len(word)):  # candidate "night time" for query "nighttime"
            head, tail = postings.get(word[:cut]), postings.get(word[cut:])
            if head is not None and tail is not None:
                found.append(((word[:cut], word[cut:]), head & tail))
        for other in view:  # candidate "nighttime" for query "night time"
            for joined in (word + other, other + word):
                keys = postings.get(joined)
                if keys is not None:
                    found.append((joined, keys))
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
            keys = postings.get(other)
            if keys is not None and token_sim(word, other) > 0.0:
                found.append((other, keys))
        return found

    def _view_keys(self, words: tuple[str, ...], numbers: tuple[int, ...]) -> set[str]:
        """Keys holding a partner for every word and number of one query view."""
        tokens = set(words)
        tokens.update(f"#{n}" for n in numbers)
        if not tokens:
            return set()
        # Start from the rarest word, then keep only keys that also hold the other words.
        groups = sorted((self._partners(t, words) for t in tokens), key=_partner_size)
        first = groups[0]
        if not first:
            return set()
        if len(groups) > 1 and _partner_size(first) >= self._bitmap_min():
            return self._view_keys_by_bitmaps(groups)
        keys: set[str] = first[0][1].union(*(s for _, s in first[1:]))
        for group in groups[1:]:
            if not keys:
                break
            # set & set walks the smaller set, in C
            keys = set[str]().union(*(keys & s for _, s in group))
        return keys

    def prepare(self) -> None:
        """Make the bitmaps of the common tokens now (after a build), not in the first questions."""
        least = self._bitmap_min()
        for token, keys in self._postings.items():
            if len(keys) >= least and token not in self._bitmaps:
                self._bitmaps[token] = to_bitmap(keys, self._slots, len(self._slot_keys))

    def _bitmap_min(self) -> int:
        """Fewest postings a token needs for its bitmap to be kept (and a view to be intersected as bitmaps)."""
        return max(_BITMAP_MIN, len(self._slot_keys) >> _BITMAP_DENSITY_SHIFT)

    def _bitmap(self, token: str) -> int:
        """The postings of `token` as a bitmap of slots (kept for common tokens until their postings change)."""
        bits = self._bitmaps.get(token)
        if bits is None:
            keys = self._postings[token]
            bits = to_bitmap(keys, self._slots, len(self._slot_keys))
            if len(keys) >= self._bitmap_min():
                self._bitmaps[token] = bits
        return bits

    def _view_keys_by_bitmaps(self, groups: list[list[tuple[Partner, set[str]]]]) -> set[str]:
        """`_view_keys` for views of common words only: the same keys, from ANDs and ORs of bitmaps."""
        found = -1
        for group in groups:
            union = 0
            for partner, _ in group:
                if isinstance(partner, str):
                    union |= self._bitmap(partner)
                else:
                    union |= self._bitmap(partner[0]) & self._bitmap(partner[1])
            found &= union
            if not found:
                return set()
        return from_bitmap(found, self._slot_keys)

    def _closure(self, title: TitleFeatures) -> set[str]:
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

    def _candidate_keys(self, title: TitleFeatures) -> set[str]:
        # Every view pair `corresponding_title_sim` accepts contains the query's main title or
        # its subtitle as a whole, so a candidate must hold partners for all words of one of them.
        # The query's subtitle alone only ever pairs with the main title of an unsubtitled
        # candidate ("Mistborn: The Final Empire" vs "The Final Empire").
        keys = self._view_keys(title.main, title.main_nums)
        if title.sub_kind != SUB_NONE:
            keys |= self._view_keys(title.sub, title.sub_nums) - self._subtitled
        return keys

    def _pruned_keys(self, query: TitleFeatures) -> Iterable[str]:
        """Keys of the candidates whose title (or "Author - Title" rest) can correspond to the query's."""
        views = [query] if query.rest is None else [query, query.rest]
        keys = self._candidate_keys(views[0])
        for view in views[1:]:
            keys |= self._candidate_keys(view)
        if len(keys) <= _CLOSURE_FILTER_ABOVE:
            return keys
        # Many candidates share only common words ("Night"): drop, with a C-level subset test,
        # those whose main title and subtitle both hold a word no query word partners. A
        # candidate's subtitle alone only pairs with the main title of an unsubtitled query.
        closure = self._closure(views[0])
        for view in views[1:]:
            closure |= self._closure(view)
        lenient = any(view.sub_kind == SUB_NONE for view in views)
        records = self._records
        superset = closure.issuperset
        if lenient:
            return [
                k for k in keys
                if superset((t := records[k].title).main) or superset(t.sub or ("",))
                or (t.rest is not None and _fits(closure, t.rest, lenient))
            ]
        return [
            k for k in keys
            if superset((t := records[k].title).main) or (t.rest is not None and _fits(closure, t.rest, lenient))
        ]

    def best_match(
        self, title: str, author: str | None, *, asin: str | None = None, narrator: str | None = None,
        threshold: float = REQUEST_THRESHOLD,
    ) -> Match | None:
        """The best candidate scoring >= threshold (ties: score, then ASIN match, then lowest key)."""
        asked = (title, author, asin, narrator, threshold)
        generation = self._generation
        known = self._answers.get(asked)
        if known is not None and known[0] == generation:
            return known[1]
        answer = self._answer(title, author, asin, narrator, threshold)
        if len(self._answers) >= _ANSWERS_KEPT:
            self._answers.clear()
        self._answers[asked] = (generation, answer)
        return answer

    def _answer(
        self, title: str, author: str | None, asin: str | None, narrator: str | None, threshold: float,
    ) -> Match | None:
        query = side(title, author, narrator, asin)
        if query.asin is not None:
            holders = self._asins.get(query.asin)
            if holders and threshold <= 1.0:
                # An ASIN match scores 1.0, the maximum, and wins ties against fuzzy 1.0 scores.
                return Match(min(holders), 1.0, "asin")
        scan_all = threshold <= PRUNE_FLOOR + 1e-9
        # Pruning (and skipping titles that do not correspond) is exact only above the floor.
        keys = self._records if scan_all else self._pruned_keys(query.title)
        best = self._best_of(query, keys, threshold, scan_all)
        return None if best is None else Match(best[0], best[1], "fuzzy")

    def _best_of(self, query: Side, keys: Iterable[str], threshold: float, scan_all: bool) -> tuple[str, float] | None:
        """The best (key, score) >= threshold among `keys`: `score_sides` with memoised parts.

        The authors are compared last, best titles first: `final_score` with a perfect author bounds
        what a candidate can reach, so candidates whose bound is below the best score so far (or
        the threshold) are never compared. The result is the same in any order.
        """
        scored = self._title_scores(query, keys, scan_all)
        scored.sort(key=itemgetter(0), reverse=True)
        # The person tuples are shared per distinct field (lru_cache) and alive in the records.
        author_memo: dict[tuple[int, int, int], tuple[float, bool]] = {}
        records = self._records
        best_key = ""
        best_score = floor = -1.0
        for bound, key, title, short, people_q, people_c in scored:
            if bound < floor or bound < threshold:
                break  # sorted: no later candidate can reach the best score either
            if bound == best_score and key > best_key:
                continue  # at best a tie, which the lower key already wins
            record = records[key]
            people_key = (id(people_q), id(people_c), id(record.narrators))
            author_value = author_memo.get(people_key)
            if author_value is None:
                author_value = author_memo[people_key] = author_sim(
                    people_q, query.narrators, people_c, record.narrators
                )
            score = final_score(
                title, author_value[0], author_value[1], query.asin is not None and record.asin is not None,
                other_recording=other_recording(query, record), short_title=short,
            )
            if score < threshold:
                continue
            if score > best_score or (score == best_score and key < best_key):
                best_key, best_score = key, score
                floor = best_score
        return None if best_score < 0.0 else (best_key, best_score)

    def _title_scores(self, query: Side, keys: Iterable[str], scan_all: bool) -> list[_Scored]:
        """Each candidate's title similarity and the score it could reach with a perfect author."""
        title_sim_of = title_sim if scan_all else corresponding_title_sim
        # Libraries repeat titles (editions, same-titled books): the similarity is a pure
        # function, so each distinct title is scored once per query.
        title_memo: dict[tuple[bool, TitleFeatures], tuple[float, bool]] = {}
        records = self._records
        scored: list[_Scored] = []
        for key in keys:
            record = records[key]
            title_q, people_q = resolve_lead(query, record.authors)
            title_c, people_c = resolve_lead(record, query.authors)
            memo_key = (title_q is query.title, title_c)
            title_value = title_memo.get(memo_key)
            if title_value is None:
                title_value = title_memo[memo_key] = (
                    title_sim_of(title_q, title_c), is_short(title_q) or is_short(title_c)
                )
            title = title_value[0]
            if not title and not scan_all:
                continue  # the title does not correspond: cannot exceed PRUNE_FLOOR
            bound = final_score(
                title, 1.0, False, query.asin is not None and record.asin is not None,
                other_recording=other_recording(query, record),
            )
            scored.append((bound, key, title, title_value[1], people_q, people_c))
        return scored
