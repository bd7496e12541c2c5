"""Load plexbooks from its plugin.yaml, the way a real host's plugin loader would."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import yaml
from flask import Flask


def resolve(reference: str) -> Any:
    """Import ``"package.module:attribute.path"`` and return the attribute."""
    module_name, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        target = getattr(target, part)
    return target


def read_manifest(text: str | None = None) -> dict[str, Any]:
    """Parse the packaged plugin.yaml (or `text`)."""
    if text is None:
        text = (files("plexbooks_plugin") / "plugin.yaml").read_text(encoding="utf-8")
    manifest = yaml.safe_load(text)
    if not isinstance(manifest, dict) or "extension" not in manifest:
        raise ValueError("plugin.yaml must be a mapping with an 'extension' entry")
    return manifest


@dataclass
class LoadedPlugin:
    """What the host keeps of a loaded plugin: its manifest, extension, hooks, signals and admin actions."""

    manifest: dict[str, Any]
    extension: Any
    hooks: dict[str, Any] = field(default_factory=dict)
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The plugin's name from the manifest."""
        return str(self.manifest.get("name", "plugin"))

    @property
    def settings_page(self) -> str | None:
        """Where the plugin's settings live, for the host's admin menu."""
        page = self.manifest.get("settings_page")
        return str(page) if page else None

    @property
    def admin_actions(self) -> list[dict[str, Any]]:
        """Buttons the host shows its admins (label, method, url, json body)."""
        return [dict(action) for action in self.manifest.get("admin_actions") or []]

    def hook(self, name: str, **kwargs: Any) -> Any:
        """Call one of the plugin's hooks by its manifest name."""
        return self.hooks[name](**kwargs)


def load_plugin(app: Flask, manifest: dict[str, Any] | None = None) -> LoadedPlugin:
    """Mount the plugin on `app` from its manifest: URL prefix, extension, hooks and signals."""
    manifest = manifest or read_manifest()
    blueprint = manifest.get("blueprint") or {}
    if blueprint.get("url_prefix"):
        app.config.setdefault("PLEXBOOKS_URL_PREFIX", blueprint["url_prefix"])
    # The extension registers its own blueprint (manifest "blueprint.factory") during init_app.
    extension = resolve(manifest["extension"])(app)
    hooks = {name: resolve(ref) for name, ref in (manifest.get("hooks") or {}).items()}
    signals = {name: resolve(ref) for name, ref in (manifest.get("signals") or {}).items()}
    return LoadedPlugin(manifest=manifest, extension=extension, hooks=hooks, signals=signals)
