"""The specification the availability index is checked against: the best `match_score` over every candidate."""

from __future__ import annotations

from collections.abc import Sequence

from plexbooks_plugin.matching import Candidate, Match, match_score, normalize_asin


def brute_force_match(
    library: Sequence[Candidate], title: str, author: str | None, asin: str | None, threshold: float,
) -> Match | None:
    """Best match_score over every candidate at or above `threshold`; ties: ASIN match, then lowest key."""
    best: tuple[float, bool, str] | None = None
    query_asin = normalize_asin(asin)
    for c in library:
        score = match_score(title, author, c.title, c.author, narrator_b=c.narrator, asin_a=asin, asin_b=c.asin)
        if score < threshold:
            continue
        by_asin = query_asin is not None and query_asin == normalize_asin(c.asin)
        if best is None or (-score, not by_asin, c.key) < (-best[0], not best[1], best[2]):
            best = (score, by_asin, c.key)
    return None if best is None else Match(best[2], best[0], "asin" if best[1] else "fuzzy")
