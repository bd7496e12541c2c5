"""Book matching: normalisation, the pairwise score and an index over the mirrored library.

Modules: `text` (folding, ASINs), `numbers` (digits, number words, ordinals, roman numerals), `words`
(censored swear words, British/American spellings), `markers` (adaptations, box sets, recording and
language markers, ASINs and split parts in titles), `subtitles` (genre, series, descriptive or
title-like), `titles` (title analysis in named steps), `people` (author/narrator fields), `score`
(`match_score` and its rules), `index` (`LibraryIndex`). This package re-exports the public names.
The judgement calls are explained for admins in the README ("How matching decides").

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
3. How real libraries name things (round two):

   * "Author - Title": the lead is dropped when it names the item's author or narrator (or, with
     no author field, the other side's author, and then it is the item's author).
   * A product marker (young readers' edition, summary, workbook, graphic novel, box set) on one
     side only makes the titles not correspond: another product.
   * A recording marker (abridged, dramatised, a language edition) differing between the sides,
     together with two different ASINs, multiplies the score by another 0.75 (max 0.5625).
   * A title of at most two letters without a matching author (best pair < 0.5) is treated like a
     different author (x 0.75): "It" alone says nothing.
   * Two descriptive subtitles correspond when one is a shortened copy of the other (0.97).
"""

from .index import Candidate, LibraryIndex, Match
from .people import normalize_author
from .score import CATALOG_THRESHOLD, REQUEST_THRESHOLD, match_score
from .text import normalize_asin
from .titles import normalize_title

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
