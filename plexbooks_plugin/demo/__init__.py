"""The demo host: a small audiobook request manager with plexbooks mounted from plugin.yaml.

``plexbooks demo`` (`run_demo`) starts the Plex emulator and this host on loopback with SQLite in
its own folder (never the configured database), so a newcomer can sign in, scan, see badges and
watch a request become available.
"""

from __future__ import annotations

from .app import create_demo_app
from .catalog import CatalogBook, build_catalog
from .manifest import LoadedPlugin, load_plugin, read_manifest
from .server import DemoServer, run_demo

__all__ = [
    "CatalogBook",
    "DemoServer",
    "LoadedPlugin",
    "build_catalog",
    "create_demo_app",
    "load_plugin",
    "read_manifest",
    "run_demo",
]
