"""The plexbooks blueprint, defined once at module level; every area module adds its views to it.

Templates are looked up after the host's own, so a host overrides ``plexbooks/base.html`` (or any
page) by shipping a file of the same name in its template folder.
"""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint

BLUEPRINT_NAME = "plexbooks"


def template_folder() -> str:
    """The packaged templates (the top-level ``templates/`` folder in a source checkout)."""
    return str(files("plexbooks_plugin.templates"))


def static_folder() -> str:
    """The packaged CSS and JavaScript."""
    return str(files("plexbooks_plugin") / "static")


bp = Blueprint(
    BLUEPRINT_NAME,
    "plexbooks_plugin.web",
    template_folder=template_folder(),
    static_folder=static_folder(),
    static_url_path="/static",
)
