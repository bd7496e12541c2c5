"""The plexbooks blueprint: pages and the JSON API."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue


def create_blueprint() -> Blueprint:
    """Build the blueprint the host mounts under PLEXBOOKS_URL_PREFIX."""
    bp = Blueprint("plexbooks", __name__)

    @bp.get("/health")
    def health() -> ResponseReturnValue:
        return jsonify({"status": "ok"})

    return bp
