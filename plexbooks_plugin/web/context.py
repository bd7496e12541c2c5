"""Who is asking, as pages show it, and the template helpers (the plugin's pages and the host's badge macro)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request

from ..auth.users import current_plexbooks_user
from ..security import API_KEY_HEADER, current_role
from ..services.requests import NOT_AVAILABLE, availability
from ..state import get_core
from .blueprint import bp


def account_name() -> str | None:
    """Return the display name of the Plex account signed in to plexbooks, if any."""
    user = current_plexbooks_user()
    if user is None:
        return None
    return user.username or "signed in"


def account_label() -> str | None:
    """Return who triggered an action, for scan runs (a username, or "host-key")."""
    name = account_name()
    if name:
        return name[:64]
    if request.headers.get(API_KEY_HEADER):
        return "host-key"
    return None


def format_duration(ms: int | None) -> str:
    """Format milliseconds as '11 h 5 min' (or '' when unknown)."""
    if not ms or ms <= 0:
        return ""
    minutes = int(ms // 60000)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{max(minutes, 1)} min"


def format_count(value: int | None) -> str:
    """Format a count with thousands separators ('48,000')."""
    return "" if value is None else f"{int(value):,}"


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    """Names every plugin page may use."""
    return {
        "pb_role": current_role(),
        "pb_user_name": account_name(),
        "pb_host_name": current_app.config.get("PLEXBOOKS_HOST_NAME"),
        "pb_host_url": current_app.config.get("PLEXBOOKS_HOST_URL"),
        "pb_count": format_count,
    }


@bp.app_template_global("plexbooks_availability")
def plexbooks_availability(book: Any) -> dict[str, Any]:
    """Answer "does Plex have this book?" for a host template (a dict or an object with title/author)."""

    def field(name: str) -> Any:
        value = book.get(name) if isinstance(book, dict) else getattr(book, name, None)
        return str(value) if value not in (None, "") else None

    question = {k: field(k) for k in ("title", "author", "asin", "narrator")}
    if not question["title"]:
        return dict(NOT_AVAILABLE)
    # One index lookup per page render, however many badges the host's list shows.
    index = g.get("_plexbooks_index")
    if index is None:
        index = g._plexbooks_index = get_core().library_index()
    return availability(index, question)
