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
from collections.abc import Iterable, Sequence

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
    """The normalised title and author of every mirrored album, searchable by substring.

    Besides the joined texts, each column keeps its words (split at spaces) with the rows holding
    them, in page order: a part without a space occurs in a row exactly when it occurs in one of
    the row's words, so its hits are the rows of the (few) vocabulary words containing it, found by
    one `str.find` pass over the vocabulary instead of over every row. A part with spaces takes the
    rows holding all of its pieces and checks each of them.
    """

    __slots__ = ("_authors", "_ids", "_titles")

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
        self._titles = _Column(titles)
        self._authors = _Column(authors)

    def __len__(self) -> int:
        """Number of albums searchable."""
        return len(self._ids)

    def matching_ids(self, title_part: str, author_part: str) -> list[int]:
        """Ids of the rows whose title contains `title_part` or whose author contains `author_part`, in page order.

        An empty part matches nothing: a query of leading articles only ("the") folds to an empty
        title, which must not list every book.
        """
        ids = self._ids
        return [ids[row] for row in self._matching_rows(title_part, author_part)]

    def page_of_matches(self, title_part: str, author_part: str, offset: int, limit: int) -> tuple[list[int], int]:
        """The ids of `matching_ids(...)[offset:offset + limit]`, and how many match in all.

        Only the page's ids are looked up: a common word matches thousands of rows.
        """
        rows = self._matching_rows(title_part, author_part)
        ids = self._ids
        return [ids[row] for row in rows[offset : offset + limit]], len(rows)

    def _matching_rows(self, title_part: str, author_part: str) -> Sequence[int]:
        """Positions of the matching rows, ascending (page order)."""
        title_rows = self._titles.rows_containing(title_part) if title_part else []
        author_rows = self._authors.rows_containing(author_part) if author_part else []
        if not author_rows:
            return title_rows
        if not title_rows:
            return author_rows
        return sorted(set(title_rows).union(author_rows))


class _Column:
    """One column's texts (joined, with the offset of each row) and its words' rows."""

    __slots__ = ("_blob", "_starts", "_vocabulary", "_words")

    def __init__(self, texts: list[str]) -> None:
        self._blob, self._starts = _joined(texts)
        words: dict[str, array[int]] = {}
        for row, text in enumerate(texts):
            for word in set(text.split(" ")):
                held = words.get(word)
                if held is None:
                    words[word] = array("l", (row,))
                else:
                    held.append(row)
        words.pop("", None)
        self._words = words
        self._vocabulary = "\n".join(words)  # one word a line, in the dict's order

    def rows_containing(self, part: str) -> list[int] | array[int]:
        """Rows whose text contains `part`, ascending (none when `part` holds a separator)."""
        if "\n" in part or _BETWEEN in part:
            return []
        if " " not in part:
            return self._rows_of_words_containing(part)
        pieces = [piece for piece in part.split(" ") if piece]
        if not pieces:  # only spaces: no word says where to look
            return _hits(self._blob, self._starts, part)
        candidates = min((self._rows_of_words_containing(piece) for piece in pieces), key=len)
        blob, starts, last = self._blob, self._starts, len(self._starts) - 1
        return [
            row for row in candidates
            if blob.find(part, starts[row], starts[row + 1] - 1 if row < last else len(blob)) != -1
        ]

    def _rows_of_words_containing(self, piece: str) -> list[int] | array[int]:
        """Rows holding a word that contains `piece` (which has no space)."""
        found = _words_containing(self._vocabulary, piece)
        words = self._words
        if len(found) == 1:
            return words[found[0]]  # the usual case: one word (often `piece` itself) contains it
        rows: set[int] = set()
        for word in found:
            rows.update(words[word])
        return sorted(rows)


def _words_containing(vocabulary: str, piece: str) -> list[str]:
    """The lines of `vocabulary` that contain `piece`."""
    found: list[str] = []
    at = vocabulary.find(piece)
    while at != -1:
        start = vocabulary.rfind("\n", 0, at) + 1
        end = vocabulary.find("\n", at)
        if end == -1:
            end = len(vocabulary)
        found.append(vocabulary[start:end])
        at = vocabulary.find(piece, end)
    return found


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
