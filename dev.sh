#!/usr/bin/env bash
# The two commands a newcomer needs:
#   ./dev.sh demo   install plexbooks and start the demo at http://127.0.0.1:5055 (no Plex needed)
#   ./dev.sh test   install plexbooks with its test tools and run the whole test suite
# Extra arguments go to `plexbooks demo` or to pytest.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${PLEXBOOKS_VENV:-.venv}"

install() {
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".$1"
}

ensure_chromium() {
    # The browser tests drive Debian's Chromium with Playwright; Playwright's own browser download
    # is not used (it is not reachable from every network).
    command -v chromium >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "dev.sh: installing Debian's chromium for the browser tests" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "dev.sh: the browser tests need Chromium: sudo apt-get install chromium" >&2
    fi
}

AXE_VERSION="4.10.3"
ensure_axe() {
    # The accessibility check injects axe-core (from the npm registry) into each plugin page; it lives in
    # the git-ignored .tools/axe. Without npm the check fails and says how to install it.
    [ -f .tools/axe/node_modules/axe-core/axe.min.js ] && return 0
    if command -v npm >/dev/null 2>&1; then
        echo "dev.sh: installing axe-core $AXE_VERSION for the accessibility check" >&2
        mkdir -p .tools/axe
        npm install --silent --no-audit --no-fund --prefix .tools/axe "axe-core@$AXE_VERSION" >/dev/null
    else
        echo "dev.sh: the accessibility check needs npm (apt-get install npm) to fetch axe-core" >&2
    fi
}

case "${1:-}" in
    demo)
        shift
        install ""
        exec "$VENV/bin/plexbooks" demo "$@"
        ;;
    test)
        shift
        ensure_chromium
        ensure_axe
        install "[test]"
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo [--port 5055] | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
