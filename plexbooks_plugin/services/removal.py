"""Removal safety: when a full scan may delete the albums it did not see, and when it must ask first."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def incomplete_listing(*, unreadable: int, reported_total: int, seen: int) -> str | None:
    """Say why a full listing cannot be trusted for removals (unreadable albums, paging skips), or None."""
    if unreadable:
        return f"{unreadable} albums could not be read from Plex, so nothing was removed"
    if reported_total and seen < reported_total:
        # Offset paging skips items when the library changes during the scan.
        return (
            f"Plex reported {reported_total} albums but the scan saw {seen} (the library changed "
            "during the scan), so nothing was removed"
        )
    return None


def suspicious_removal(*, previous: int, seen: int, unseen: int) -> str | None:
    """Say why removing `unseen` of `previous` albums looks like a mistake (empty listing, more than half gone)."""
    if unseen <= 0:
        return None
    if seen == 0:
        return "Plex listed no albums"
    if unseen * 2 > previous:
        return f"{unseen} of {previous} albums are gone from Plex"
    return None


def held_back_warning(reason: str) -> str:
    """The scan's warning for a removal held back for confirmation."""
    return (
        f"{reason}; nothing was removed. If that is right, confirm the removal "
        "(or run a full scan with confirm_removal)"
    )


# A full scan confirms every missing album up to this many with its own request, and a random sample
# of this size beyond it: a listing can leave albums out (a proxy, a paging bug), a 404 cannot lie.
VERIFY_SAMPLE = 20


def verification_sample(
    missing: Sequence[str], size: int = VERIFY_SAMPLE, *, rng: random.Random | None = None
) -> list[str]:
    """The missing keys to ask Plex about one by one: all of them, or a random sample when there are many."""
    if len(missing) <= size:
        return list(missing)
    return (rng or random.Random()).sample(list(missing), size)


@dataclass(frozen=True)
class RemovalVerdict:
    """Which missing albums to remove, which Plex still has, and a warning when some were kept."""

    remove: list[str]
    still_there: list[str]
    warning: str | None = None


def verified_removals(missing: Sequence[str], answers: Mapping[str, bool | None]) -> RemovalVerdict:
    """Decide from Plex's answers (key -> False for a 404, True when it answered, None on any failure).

    Only a 404 means gone. When every missing key was asked, the 404s go. When only a sample was
    asked, all missing keys go only if every sampled one answered 404; otherwise only the sampled 404s.
    """
    gone = [key for key in missing if answers.get(key) is False]
    present = [key for key, exists in answers.items() if exists]
    kept = len(missing) - len(gone)
    if len(answers) < len(missing) and answers and all(exists is False for exists in answers.values()):
        return RemovalVerdict(list(missing), present)
    if kept == 0:
        return RemovalVerdict(gone, present)
    return RemovalVerdict(
        gone,
        present,
        f"{kept} albums missing from the listing were kept: Plex did not answer 404 for "
        f"{'them' if len(answers) >= len(missing) else 'every one asked about'}",
    )
