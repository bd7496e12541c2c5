"""`python -m plexbooks_plugin.fakeplex`: the emulator alone (same options as `plexbooks fake-plex`)."""

from __future__ import annotations

import argparse

from . import serve


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m plexbooks_plugin.fakeplex", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    parser.add_argument("--port", type=int, default=32400)
    parser.add_argument("--items", type=int, default=300, help="number of audiobooks to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=None, help="admin token (default fake-admin-token)")
    parser.add_argument("--xml-only", action="store_true", help="ignore Accept: application/json")
    parser.add_argument("--second-audiobooks", type=int, default=0, metavar="N",
                        help="add a second audiobook library (section 5) with N books")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, items=args.items, seed=args.seed, token=args.token,
          xml_only=args.xml_only, second_audiobooks=args.second_audiobooks)


if __name__ == "__main__":
    main()
