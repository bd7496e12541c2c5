"""The ``plexbooks`` console script."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from . import store as repo
from .const import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL, SettingKey
from .core import PlexBooksCore
from .crypto import SecretBox, mask, resolve_secret_key
from .db import Database, resolve_database_url
from .errors import ConfigError, PlexbooksError
from .plex.redact import error_line
from .public_json import library_item_json, request_json
from .scanning import run_scan
from .services.libraries import save_library_ids
from .settings import PUBLIC_KEYS, SPECS, spec_for, validate

F = TypeVar("F", bound=Callable[..., Any])

database_option = click.option(
    "--database-url",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL (default: $PLEXBOOKS_DATABASE_URL, else ./instance/plexbooks.db).",
)


class UsageFailure(click.ClickException):
    """A one-line error with exit status 2 (bad URL, unknown key, bad value)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        """Print 'plexbooks: error: ...' on one line."""
        click.echo(f"plexbooks: error: {self.message}", err=True)


class RunFailure(UsageFailure):
    """A one-line error with exit status 1 (a scan that failed, Plex unreachable)."""

    exit_code = 1


def one_line_errors(func: F) -> F:
    """Turn plexbooks errors into one-line messages instead of tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            raise UsageFailure(str(err)) from err
        except PlexbooksError as err:
            raise RunFailure(str(err)) from err
        except Exception as err:  # a database that will not open, a driver error
            if isinstance(err, SQLAlchemyError):
                raise UsageFailure(f"database error: {error_line(err)}") from err
            raise

    return wrapper  # type: ignore[return-value]


def open_core(database_url: str | None, *, migrate: bool = True) -> PlexBooksCore:
    """Open the database the way every command does, bringing it to head first."""
    db = Database(resolve_database_url(database_url))
    if migrate:
        db.upgrade()
    box = SecretBox(resolve_secret_key(None, os.environ.get("PLEXBOOKS_INSTANCE_PATH", "instance")))
    return PlexBooksCore(
        db,
        box,
        plex_tv_url=os.environ.get("PLEXBOOKS_PLEX_TV_URL", DEFAULT_PLEX_TV_URL),
        plex_app_url=os.environ.get("PLEXBOOKS_PLEX_APP_URL", DEFAULT_PLEX_APP_URL),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plexbooks")
def main() -> None:
    """plexbooks: keep a Plex audiobook library mirrored for your request manager."""


# ------------------------------------------------------------------ db


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@database_option
@one_line_errors
def db_upgrade(database_url: str | None) -> None:
    """Create or upgrade the plexbooks tables to the newest schema."""
    database = Database(resolve_database_url(database_url))
    database.upgrade()
    click.echo("plexbooks tables are at the newest schema")


# ------------------------------------------------------------------ config


@main.group()
def config() -> None:
    """Read and change settings."""


@config.command("set")
@click.argument("key")
@click.argument("value")
@database_option
@one_line_errors
def config_set(key: str, value: str, database_url: str | None) -> None:
    """Store KEY = VALUE (secrets are encrypted at rest)."""
    spec = spec_for(key)
    if not spec.public:
        raise ConfigError(f"{key} is managed by plexbooks; known settings: {', '.join(PUBLIC_KEYS)}")
    core = open_core(database_url)
    if (spec.alias_of or key) == SettingKey.LIBRARY_IDS:
        warning = save_library_ids(core, key, value)
        if warning:
            click.echo(f"plexbooks: warning: {warning}", err=True)
    else:
        core.set_setting(key, value)
    shown = mask(value) if spec.secret else core.get_setting(key)
    click.echo(f"{key} = {shown}")


@config.command("get")
@click.argument("key")
@database_option
@one_line_errors
def config_get(key: str, database_url: str | None) -> None:
    """Print a setting (secrets masked)."""
    spec = spec_for(key)
    core = open_core(database_url)
    value = core.get_setting(key)
    click.echo(mask(value) if spec.secret else ("" if value is None else value))


@config.command("list")
@database_option
@one_line_errors
def config_list(database_url: str | None) -> None:
    """Print every setting (secrets masked)."""
    core = open_core(database_url)
    for key in PUBLIC_KEYS:
        value = core.get_setting(key)
        shown = mask(value) if SPECS[key].secret else ("" if value is None else value)
        click.echo(f"{key} = {shown}")


# ------------------------------------------------------------------ library and requests


@main.group()
def library() -> None:
    """The mirrored Plex library."""


@library.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.option("--library", "section_id", default=None, metavar="ID", help="Only the books of this library section.")
@database_option
@one_line_errors
def library_list(as_json: bool, section_id: str | None, database_url: str | None) -> None:
    """List the mirrored audiobooks."""
    if section_id is not None:
        section_id = validate(SettingKey.LIBRARY_ID, section_id)
    core = open_core(database_url)
    with core.session() as session:
        items = [library_item_json(item) for item in repo.iter_library(session, section_id=section_id)]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    for item in items:
        click.echo(f"{item['rating_key']:>8}  {item['title']}  -  {item['author'] or '?'}")
    click.echo(f"{len(items)} books", err=True)


@main.group("requests")
def requests_group() -> None:
    """Tracked requests."""


@requests_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@database_option
@one_line_errors
def requests_list(as_json: bool, database_url: str | None) -> None:
    """List tracked requests and their status."""
    core = open_core(database_url)
    with core.session() as session:
        items = [request_json(r) for r in repo.list_requests(session)]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    for item in items:
        click.echo(f"{item['host_request_id']:>14}  {item['status']:<11} {item['title']}  -  {item['author'] or '?'}")


# ------------------------------------------------------------------ scan


@main.command()
@click.option("--recent", is_flag=True, help="Only check recently added books.")
@click.option("--confirm-removal", is_flag=True, help="Allow removing more than half of the library.")
@database_option
@one_line_errors
def scan(recent: bool, confirm_removal: bool, database_url: str | None) -> None:
    """Scan the Plex library now and print the summary as JSON."""
    core = open_core(database_url)
    summary = run_scan(core, "recent" if recent else "full", triggered_by="cli", confirm_removal=confirm_removal)
    click.echo(json.dumps(summary))


# ------------------------------------------------------------------ demo and emulator


@main.command()
@click.option("--port", default=5055, show_default=True, help="Port of the demo host.")
@click.option("--items", default=300, show_default=True, help="Books in the fake Plex library.")
@database_option
@one_line_errors
def demo(port: int, items: int, database_url: str | None) -> None:
    """Run the demo host with plexbooks and a fake Plex, on SQLite."""
    from .demo import run_demo  # deferred: only this command needs the demo host (waitress, the fake store)

    run_demo(port=port, items=items, database_url=database_url)


@main.command("fake-plex")
@click.option("--port", default=32400, show_default=True)
@click.option("--items", default=300, show_default=True, help="Number of generated audiobooks.")
@click.option("--seed", default=1, show_default=True, help="Seed of the generated library.")
@click.option("--token", default=None, help="Admin token (default: a fixed demo token).")
@click.option("--xml-only", is_flag=True, help="Answer XML even when JSON is asked for.")
@one_line_errors
def fake_plex(port: int, items: int, seed: int, token: str | None, xml_only: bool) -> None:
    """Run the Plex emulator (Media Server and plex.tv) on loopback."""
    from .fakeplex import serve  # deferred: only this command needs the emulator

    serve(port=port, items=items, seed=seed, token=token, xml_only=xml_only)


if __name__ == "__main__":  # pragma: no cover
    main()
