"""Scans of the configured Plex section: the runner (lease, run record, threads), the full scan and the recent poll."""

from __future__ import annotations

from ..const import SCAN_LEASE, SCAN_LEASE_TTL
from ..errors import ScanFailed, ScanRunning, ScanStopped
from ..services.reconcile import match_downloaded_requests, refresh_catalog, rematch_catalog
from .pending import confirm_pending_removal, pending_removal
from .runner import cancel_scan, run_full_scan, run_recent_scan, run_scan, start_scan, wait_for_scan

__all__ = [
    "SCAN_LEASE",
    "SCAN_LEASE_TTL",
    "ScanFailed",
    "ScanRunning",
    "ScanStopped",
    "cancel_scan",
    "confirm_pending_removal",
    "match_downloaded_requests",
    "pending_removal",
    "refresh_catalog",
    "rematch_catalog",
    "run_full_scan",
    "run_recent_scan",
    "run_scan",
    "start_scan",
    "wait_for_scan",
]
