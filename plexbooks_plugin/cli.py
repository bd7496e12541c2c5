"""The ``plexbooks`` console script."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from . import store as repo
from .const import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL, SettingKey
from .core import PlexBooksCore
from .crypto import mask
from .db import Database, resolve_database_url
from .errors import ConfigError, PlexAuthError, PlexbooksError
from .keys import key_sources, secret_box, sqlite_file, user_config_dir
from .plex.redact import error_line
from .public_json import library_item_json, request_json
from .scanning import run_scan
from .services.libraries import save_library_ids
from .settings import PUBLIC_KEYS, SPECS, SettingSpec, spec_for, validate

F = TypeVar("F", bound=Callable[..., Any])

database_option = click.option(
    "--database-url",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL (default: $PLEXBOOKS_DATABASE_URL, else ./instance/plexbooks.db).",
)


PORT = click.IntRange(0, 65535)  # 0: any free port
DEMO_ITEMS = click.IntRange(1, 100_000)
EMULATOR_ITEMS = click.IntRange(0, 1_000_000)
# -v given to the group: log to stderr and show tracebacks (set by `main`, read when a command fails).
_verbosity = {"level": 0}


def configure_logging(verbose: int) -> None:
    """Quiet by default (a failure is the one error line); -v logs INFO, -vv DEBUG to stderr."""
    root = logging.getLogger()
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    elif not root.handlers:
        # Without any handler, logging's last resort would print warnings (retries, the failed run)
        # on stderr next to the command's own error line.
        root.addHandler(logging.NullHandler())


class OneLineGroup(click.Group):
    """A command group whose failures, usage errors included, print one line on stderr (more with -v)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Run the command; turn any failure into 'plexbooks: error: ...' and its exit status."""
        _verbosity["level"] = 0
        kwargs["standalone_mode"] = False
        try:
            result = super().main(args, *rest, **kwargs)
        except click.exceptions.Abort:
            click.echo("plexbooks: error: aborted", err=True)
            sys.exit(1)
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            _fail(err, f"{err.format_message()}{hint}", err.exit_code)
        except click.ClickException as err:
            _fail(err, err.format_message(), err.exit_code)
        except Exception as err:  # a bug: still one line, the traceback with -v
            _fail(err, f"unexpected {type(err).__name__}: {err} (run with -v for the traceback)", 1)
        if isinstance(result, int):  # --help and --version end with click's Exit, returned as its code
            sys.exit(result)
        return result


def _fail(err: BaseException, message: str, exit_code: int) -> None:
    if _verbosity["level"]:
        traceback.print_exception(err.__cause__ or err, file=sys.stderr)
    first_line = (message.strip().splitlines() or [""])[0]
    click.echo(f"plexbooks: error: {first_line}", err=True)
    sys.exit(exit_code)


#: What to do about a refused token, said where a CLI user is.
CLI_TOKEN_ADVICE = (
    "Set a new token with `plexbooks config set plex_token TOKEN`, or use Sign in with Plex on the Settings page."
)


class UsageFailure(click.ClickException):
    """A one-line error with exit status 2 (bad URL, unknown key, bad value)."""

    exit_code = 2


class RunFailure(UsageFailure):
    """A one-line error with exit status 1 (a scan that failed, Plex unreachable)."""

    exit_code = 1


def _refused_token(err: BaseException | None) -> PlexAuthError | None:
    """The PlexAuthError behind an error (a failed scan wraps it), if any."""
    while err is not None:
        if isinstance(err, PlexAuthError):
            return err
        err = err.__cause__
    return None


def one_line_errors(func: F) -> F:
    """Turn plexbooks errors into one-line messages instead of tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            raise UsageFailure(str(err)) from err
        except PlexbooksError as err:
            refused = _refused_token(err)
            if refused is not None:
                raise RunFailure(f"{refused.fact} {CLI_TOKEN_ADVICE}") from err
            raise RunFailure(str(err)) from err
        except Exception as err:  # a database that will not open, a driver error
            if isinstance(err, SQLAlchemyError):
                raise UsageFailure(f"database error: {error_line(err)}") from err
            raise

    return wrapper  # type: ignore[return-value]


def open_core(database_url: str | None, *, writer: bool) -> PlexBooksCore:
    """Open the database the way every command does, bringing it to head first.

    A reader (`writer=False`) creates nothing: no folder, no database file, no key file.
    """
    url = resolve_database_url(database_url, create_folder=writer)
    database_file = sqlite_file(url)
    if not writer and database_file is not None and not database_file.is_file():
        raise ConfigError(
            f"no plexbooks database at {database_file}: pass --database-url (or set PLEXBOOKS_DATABASE_URL), "
            "or create it with `plexbooks db upgrade`"
        )
    db = Database(url)
    click.get_current_context().call_on_close(db.dispose)  # SQLite removes its -wal/-shm files on close
    db.upgrade()
    sources = key_sources(None, database_url=url, folder=user_config_dir())
    box = secret_box(db, sources, writer=writer)
    return PlexBooksCore(
        db,
        box,
        plex_tv_url=os.environ.get("PLEXBOOKS_PLEX_TV_URL", DEFAULT_PLEX_TV_URL),
        plex_app_url=os.environ.get("PLEXBOOKS_PLEX_APP_URL", DEFAULT_PLEX_APP_URL),
    )


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plexbooks")
@click.option("-v", "--verbose", count=True, help="Log what happens on stderr (-vv: debug) and show tracebacks.")
def main(verbose: int) -> None:
    """plexbooks: keep a Plex audiobook library mirrored for your request manager."""
    _verbosity["level"] = verbose
    configure_logging(verbose)


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


# ignore_unknown_options: a value such as "-5" is the VALUE (then refused by validation), not an option.
@config.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")
@database_option
@one_line_errors
def config_set(key: str, value: str, database_url: str | None) -> None:
    """Store KEY = VALUE (secrets are encrypted at rest)."""
    spec = spec_for(key)
    if not spec.public:
        raise ConfigError(f"{key} is managed by plexbooks; known settings: {', '.join(PUBLIC_KEYS)}")
    core = open_core(database_url, writer=True)
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
    core = open_core(database_url, writer=False)
    click.echo(_shown(spec, core.get_setting(key)))


@config.command("list")
@database_option
@one_line_errors
def config_list(database_url: str | None) -> None:
    """Print every setting (secrets masked)."""
    core = open_core(database_url, writer=False)
    for key in PUBLIC_KEYS:
        click.echo(f"{key} = {_shown(SPECS[key], core.get_setting(key))}")


def _shown(spec: SettingSpec, value: str | None) -> str:
    """A stored setting as the CLI prints it: secrets masked, unset as an empty string."""
    return mask(value) if spec.secret else ("" if value is None else value)


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
    core = open_core(database_url, writer=False)
    with core.session() as session:
        items = [library_item_json(item) for item in repo.iter_library(session, section_id=section_id)]
    _echo_items(items, as_json, lambda item: f"{item['rating_key']:>8}  {item['title']}  -  {item['author'] or '?'}")
    if not as_json:
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
    core = open_core(database_url, writer=False)
    with core.session() as session:
        items = [request_json(r) for r in repo.list_requests(session)]
    _echo_items(
        items, as_json,
        lambda item: f"{item['host_request_id']:>14}  {item['status']:<11} {item['title']}  -  {item['author'] or '?'}",
    )


def _echo_items(items: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    """Print `items` as one JSON array (`as_json`) or one `line` each."""
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    for item in items:
        click.echo(line(item))


# ------------------------------------------------------------------ scan


@main.command()
@click.option("--recent", is_flag=True, help="Only check recently added books.")
@click.option("--confirm-removal", is_flag=True, help="Allow removing more than half of the library.")
@database_option
@one_line_errors
def scan(recent: bool, confirm_removal: bool, database_url: str | None) -> None:
    """Scan the Plex library now and print the summary as JSON."""
    core = open_core(database_url, writer=True)
    summary = run_scan(core, "recent" if recent else "full", triggered_by="cli", confirm_removal=confirm_removal)
    click.echo(json.dumps(summary))


# ------------------------------------------------------------------ demo and emulator


@main.command()
@click.option("--port", default=5055, show_default=True, type=PORT, help="Port of the demo host (0: any free port).")
@click.option("--plex-port", default=0, show_default=True, type=PORT,
              help="Port of the demo's fake Plex server (0: any free port).")
@click.option("--items", default=300, show_default=True, type=DEMO_ITEMS, help="Books in the fake Plex library.")
@database_option
@one_line_errors
def demo(port: int, plex_port: int, items: int, database_url: str | None) -> None:
    """Run the demo host with plexbooks and a fake Plex, on SQLite."""
    from .demo import run_demo  # deferred: only this command needs the demo host (waitress, the fake store)

    run_demo(port=port, items=items, database_url=database_url, plex_port=plex_port)


@main.command("fake-plex")
@click.option("--port", default=32400, show_default=True, type=PORT,
              help="Port the fake Plex listens on, on 127.0.0.1 (32400 is real Plex's port).")
@click.option("--items", default=300, show_default=True, type=EMULATOR_ITEMS, help="Number of generated audiobooks.")
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
