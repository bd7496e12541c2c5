"""Held-back removals: what a full scan would have removed per library, kept until an admin confirms.

`pending_removal` holds the totals the pages show and, under `sections`, each library's hold: a
library whose removal looked like a mistake (with the rating keys it would delete kept apart in
`pending_removal_keys`), or a library no longer selected (`deselected`: all of its rows).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .. import store as repo
from ..const import SCAN_LEASE, SCAN_LEASE_TTL, SettingKey
from ..services.reconcile import rematch_catalog_quietly
from ..settings import split_ids
from .lease import acquire_scan_lease, new_holder

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)

Holds = dict[str, dict[str, Any]]
HeldKeys = dict[str, list[str]]


def pending_sections(value: Any) -> Holds:
    """The held-back removals per library of a stored `pending_removal` (older single-library records too)."""
    if not isinstance(value, dict):
        return {}
    sections = value.get("sections")
    if isinstance(sections, dict):
        return {str(k): v for k, v in sections.items() if isinstance(v, dict)}
    if "section_id" in value and "run_id" in value:
        return {str(value["section_id"]): value}
    return {}


def pending_keys(value: Any, holds: Holds) -> HeldKeys:
    """The rating keys each library's hold would delete (an older flat list belongs to its only hold)."""
    if isinstance(value, dict):
        return {str(k): [str(key) for key in v] for k, v in value.items() if isinstance(v, list)}
    if isinstance(value, list) and len(holds) == 1:
        return {next(iter(holds)): [str(key) for key in value]}
    return {}


def read_pending(session: Session) -> tuple[Holds, HeldKeys]:
    """The stored holds and their key lists."""
    holds = pending_sections(repo.get_json_setting(session, SettingKey.PENDING_REMOVAL))
    return holds, pending_keys(repo.get_json_setting(session, SettingKey.PENDING_REMOVAL_KEYS), holds)


def write_pending(session: Session, run_id: int, holds: Holds, keys: HeldKeys) -> None:
    """Record (or clear) the held-back removals: totals for the pages, each library's hold, apart its keys."""
    record = None
    if holds:
        record = {
            "run_id": run_id,
            "section_id": next(iter(holds)),
            "count": sum(int(entry["count"]) for entry in holds.values()),
            "previous": sum(int(entry.get("previous", 0)) for entry in holds.values()),
            "seen": sum(int(entry.get("seen", 0)) for entry in holds.values()),
            "recorded_at": repo.now().isoformat(),
            "sections": holds,
        }
    held_keys = {section: keys[section] for section in holds if section in keys}
    repo.set_json_setting(session, SettingKey.PENDING_REMOVAL, record)
    repo.set_json_setting(session, SettingKey.PENDING_REMOVAL_KEYS, held_keys if record is not None else None)


def pending_removal(core: PlexBooksCore) -> dict[str, Any] | None:
    """Return the removal a full scan held back for confirmation, or None."""
    with core.session() as session:
        value = repo.get_json_setting(session, SettingKey.PENDING_REMOVAL)
    return value if isinstance(value, dict) else None


def _confirm_section(session: Session, section: str, entry: dict[str, Any], keys: list[str] | None,
                     selected: list[str]) -> int:
    """Carry out one library's held-back removal if it still applies; return the rows removed."""
    if entry.get("deselected"):
        if section in selected:
            log.info("pending removal of library %s dropped: it is selected again", section)
            return 0
        return repo.remove_other_sections(session, selected, only=section)
    if section not in selected:
        log.info("pending removal of library %s dropped: it is no longer selected", section)
        return 0
    # Of the keys that scan did not see, those no later scan saw either (a removal held back by an
    # older version has no key list: every row that scan did not mark seen).
    unseen = repo.keys_unseen_since(session, section, int(entry["run_id"]), among=keys)
    return repo.remove_library_items(session, section, unseen)


def confirm_pending_removal(core: PlexBooksCore, *, lease_ttl: timedelta | None = None) -> int:
    """Remove the albums a held-back full scan did not see and no later scan saw either; return how many.

    Rows a later scan (full or recently-added) saw are kept: scan ids only grow, so "not seen since
    run N" is `last_seen_scan < N`. A library taken out of the selection loses all its rows. Raises
    ScanRunning while a scan runs.
    """
    pending = pending_removal(core)
    if not pending:
        return 0
    holder = new_holder(core)
    acquire_scan_lease(core, holder, lease_ttl or SCAN_LEASE_TTL)
    removed = 0
    try:
        with core.session() as session:
            # Read again under the lease: a scan or another confirmation may have settled it meanwhile.
            pending = repo.get_json_setting(session, SettingKey.PENDING_REMOVAL)
            if not isinstance(pending, dict):
                return 0
            holds, keys = read_pending(session)
            selected = split_ids(repo.get_setting(session, SettingKey.LIBRARY_IDS))
            for section, entry in holds.items():
                removed += _confirm_section(session, section, entry, keys.get(section), selected)
            if removed:
                repo.bump_library_version(session)
            write_pending(session, 0, {}, {})
    finally:
        with core.session() as session:
            repo.release_lease(session, SCAN_LEASE, holder)
    log.info("confirmed removal of %d albums held back by scan run %s", removed, pending.get("run_id"))
    if removed:
        rematch_catalog_quietly(core)
    return removed
