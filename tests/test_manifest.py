"""plugin.yaml: the manifest a host reads must point at things that exist."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml

import plexbooks_plugin

ROOT = Path(__file__).resolve().parents[1]


def _resolve(dotted: str) -> Any:
    module_name, _, attribute = dotted.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        target = getattr(target, part)
    return target


def _dotted_paths(manifest: dict[str, Any]) -> list[str]:
    paths = [manifest["extension"], manifest["blueprint"]["factory"]]
    paths += list(manifest["hooks"].values())
    paths += list(manifest["signals"].values())
    paths += [job["function"] for job in manifest["jobs"]]
    paths.append(manifest["migrations"]["upgrade"])
    return paths


def test_manifest_paths_import() -> None:
    manifest = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    for dotted in _dotted_paths(manifest):
        assert callable(_resolve(dotted)) or hasattr(_resolve(dotted), "send"), dotted
    importlib.import_module(manifest["migrations"]["package"])
    importlib.import_module(manifest["templates"]["package"])


def test_manifest_matches_package() -> None:
    manifest = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    assert manifest["version"] == plexbooks_plugin.__version__
    assert manifest["blueprint"]["url_prefix"] == "/plexbooks"
    assert manifest["migrations"]["version_table"] == "plexbooks_alembic_version"
    assert {job["name"]: job.get("every_hours", job.get("every_minutes")) for job in manifest["jobs"]} == {
        "full_scan": 6,
        "recent_scan": 5,
    }
    assert manifest["settings_page"] == "/plexbooks/settings"
    assert any(action["url"] == "/plexbooks/api/scan" for action in manifest["admin_actions"])


def test_packaged_manifest_is_the_same_file() -> None:
    packaged = Path(plexbooks_plugin.__file__).parent / "plugin.yaml"
    assert packaged.read_text() == (ROOT / "plugin.yaml").read_text()
