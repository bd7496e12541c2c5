"""In-memory word search of the mirrored library: the same answers as `LIKE '%word%'`, without a table scan.

The library page searches the normalised title and author columns for a substring. In SQL that is
two `LIKE '%...%'` scans of every row plus a COUNT (40 ms at 100,000 albums). Here every row's
normalised title and author are kept in two newline-joined strings, in the database's own
`ORDER BY norm_title, id` order, so one `str.find` per hit (C speed) finds the matching rows already
in page order: the total is the number of hits and a page is a slice. Only the page's rows are then
read from the database, by primary key.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans({"'": "", "`": "", "\u2019": "", "\u2018": "", "\u02bc": ""})
_LEADING_ARTICLES = frozenset({"the", "a", "an"})
_BETWEEN = "\x1f"  # between a row's title and author: no search text holds it


def search_text(text: str | None) -> str:
    """What the library search compares and sorts by: lower-case words, no accents or punctuation, no leading article.

    "The Assassin's Apprentice (Unabridged)" -> "assassins apprentice unabridged". Far cheaper than the
    matching analysis (`normalize_title`), which a first scan paid for every album.
    """
    if not text:
        return ""
    text = text.translate(_APOSTROPHES)
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    words = _WORD.findall(text.casefold())
    if len(words) > 1 and words[0] in _LEADING_ARTICLES:
        del words[0]
    return " ".join(words)


class LibrarySearch:
    """The normalised title and author of every mirrored album, searchable by substring."""

    __slots__ = ("_author_starts", "_authors", "_both", "_both_starts", "_ids", "_title_starts", "_titles")

    def __init__(self, rows: Iterable[tuple[int, str | None, str | None]]) -> None:
        """Take (id, norm_title, norm_author) rows in the order pages list them (norm_title, id)."""
        ids = array("q")
        titles: list[str] = []
        authors: list[str] = []
        for row_id, title, author in rows:
            ids.append(row_id)
            # Normalised text holds no separator; strip any so one row can never match across two.
            titles.append((title or "").replace("\n", " ").replace(_BETWEEN, " "))
            authors.append((author or "").replace("\n", " ").replace(_BETWEEN, " "))
        self._ids = ids
        self._titles, self._title_starts = _joined(titles)
        self._authors, self._author_starts = _joined(authors)
        # Title and author of each row side by side: one pass when both parts are the same word(s).
        self._both, self._both_starts = _joined([f"{t}{_BETWEEN}{a}" for t, a in zip(titles, authors, strict=True)])

    def __len__(self) -> int:
        """Number of albums searchable."""
        return len(self._ids)

    def matching_ids(self, title_part: str, author_part: str) -> list[int]:
        """Ids of the rows whose title contains `title_part` or whose author contains `author_part`, in page order.

        An empty part matches nothing: a query of leading articles only ("the") folds to an empty
        title, which must not list every book.
        """
        ids = self._ids
        if not title_part or not author_part:
            if title_part:
                return [ids[row] for row in _hits(self._titles, self._title_starts, title_part)]
            return [ids[row] for row in _hits(self._authors, self._author_starts, author_part)] if author_part else []
        if title_part == author_part:  # most searches: one word, folded alike for both columns
            return [ids[row] for row in _hits(self._both, self._both_starts, title_part)]
        rows = set(_hits(self._titles, self._title_starts, title_part))
        rows.update(_hits(self._authors, self._author_starts, author_part))
        return [ids[row] for row in sorted(rows)]


def _joined(texts: list[str]) -> tuple[str, array[int]]:
    """The texts joined by newlines, and the offset where each one starts."""
    starts = array("q")
    offset = 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    return "\n".join(texts), starts


def _hits(blob: str, starts: array[int], part: str) -> list[int]:
    """Indexes of the rows of `blob` that contain `part`, ascending (none when `part` holds a separator)."""
    found: list[int] = []
    if "\n" in part or _BETWEEN in part:
        return found
    count = len(starts)
    position = blob.find(part)
    while position != -1:
        row = bisect_right(starts, position) - 1
        found.append(row)
        if row + 1 >= count:
            break
        position = blob.find(part, starts[row + 1])  # the next row: one hit per row is enough
    return found
