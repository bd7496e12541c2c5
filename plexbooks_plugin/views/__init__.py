"""The plexbooks blueprint: pages, the JSON API, the cover proxy and the OpenAPI document."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from . import common


def template_folder() -> str:
    """The packaged templates (the top-level ``templates/`` folder in a source checkout)."""
    return str(files("plexbooks_plugin.templates"))


def static_folder() -> str:
    """The packaged CSS and JavaScript."""
    return str(files("plexbooks_plugin") / "static")


def create_blueprint() -> Blueprint:
    """Build the blueprint the host mounts under PLEXBOOKS_URL_PREFIX.

    Templates are looked up after the host's own, so a host overrides ``plexbooks/base.html`` (or any
    page) by shipping a file of the same name in its template folder.
    """
    bp = Blueprint(
        "plexbooks",
        __name__,
        template_folder=template_folder(),
        static_folder=static_folder(),
        static_url_path="/static",
    )
    bp.before_request(common.check_body_size)

    from .api import register_api, register_error_handlers
    from .auth_views import register_auth_routes
    from .covers import register_covers
    from .openapi import register_openapi
    from .pages import register_pages
    from .settings_views import register_settings

    register_error_handlers(bp)
    register_auth_routes(bp)
    register_pages(bp)
    register_settings(bp)
    register_api(bp)
    register_covers(bp)
    register_openapi(bp)
    _register_template_helpers(bp)

    @bp.get("/health")
    def health() -> ResponseReturnValue:
        """Liveness probe for the host."""
        return jsonify({"status": "ok"})

    return bp


def _register_template_helpers(bp: Blueprint) -> None:
    """Helpers for the plugin's pages, and the app-wide ones the host's badge macro needs."""

    @bp.context_processor
    def _page_helpers() -> dict[str, Any]:
        from flask import current_app

        return {
            "pb_role": common.role(),
            "pb_user_name": common.account_name(),
            "pb_host_name": current_app.config.get("PLEXBOOKS_HOST_NAME"),
            "pb_host_url": current_app.config.get("PLEXBOOKS_HOST_URL"),
            "pb_count": common.format_count,
        }

    @bp.app_template_global("plexbooks_availability")
    def plexbooks_availability(book: Any) -> dict[str, Any]:
        """Answer "does Plex have this book?" for a host template (a dict or an object with title/author)."""
        from .api import availability_result

        def field(name: str) -> Any:
            value = book.get(name) if isinstance(book, dict) else getattr(book, name, None)
            return str(value) if value not in (None, "") else None

        question = {k: field(k) for k in ("title", "author", "asin", "narrator")}
        if not question["title"]:
            return {"available": False, "rating_key": None, "score": None, "matched_by": None}
        # One index lookup per page render, however many badges the host's list shows.
        index = g.get("_plexbooks_index")
        if index is None:
            index = g._plexbooks_index = common.core().library_index()
        return availability_result(index, question)
