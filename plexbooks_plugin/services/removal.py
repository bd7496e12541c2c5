"""Removal safety: when a full scan may delete the albums it did not see, and when it must ask first."""

from __future__ import annotations


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
