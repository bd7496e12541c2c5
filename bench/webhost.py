"""A minimal host app for the HTTP benchmarks: `python bench/webhost.py --db URL --port P --secret S`.

A Flask app with `PlexBooks(app)` mounted at /plexbooks (no scheduler: nothing but the requests
the benchmark sends, and plexbooks' warm-up at start, runs in it), served by waitress on 127.0.0.1 with four threads, as
`plexbooks demo` does. `GET /ping` answers without touching plexbooks, so the benchmark can tell
when the server is up. The process runs until it is terminated.
"""

from __future__ import annotations

import argparse
import sys
import time

STARTED = time.perf_counter()


def create_app(db_url: str, secret: str, instance: str) -> object:
    """The host app: plexbooks on `db_url`, settings encrypted with `secret`, no scheduler."""
    from flask import Flask

    from plexbooks_plugin import PlexBooks

    app = Flask("plexbooks-bench-host", instance_path=instance)
    app.config.update(
        SECRET_KEY=secret,
        PLEXBOOKS_SECRET_KEY=secret,
        PLEXBOOKS_DATABASE_URL=db_url,
        PLEXBOOKS_SCHEDULER=False,
        PLEXBOOKS_AUTO_MIGRATE=False,  # the benchmark's database is migrated already
    )
    PlexBooks(app)

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the bench host until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--instance", required=True, help="the app's instance folder (where the index is saved)")
    parser.add_argument("--threads", type=int, default=4)
    ns = parser.parse_args(argv)
    app = create_app(ns.db, ns.secret, ns.instance)
    sys.stderr.write(f"bench host app created in {time.perf_counter() - STARTED:.2f} s\n")
    from waitress import serve

    serve(app, host="127.0.0.1", port=ns.port, threads=ns.threads, _quiet=True)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
