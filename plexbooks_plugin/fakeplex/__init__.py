"""A Plex Media Server + plex.tv emulator for tests, the demo and benchmarks (never production).

`FakePlex(items=300, seed=1, token=DEFAULT_TOKEN, *, xml_only=False, machine_identifier=None,
server_name="Fake Plex", second_audiobooks=0)` serves both on one loopback port
(`start(host, port=0)`/`stop()`, or `with FakePlex(...) as fake:`); `fake.url`, `fake.token`,
`fake.machine_identifier`. Sections: 1 Movies, 2 Music (music agent, real albums of short songs),
4 Audiobooks (Audnexus, `items` books); `second_audiobooks=N` adds 5 "Kids Audiobooks" (Audnexus,
two folders) with N books, off by default so existing counts stay.

Layout: `server` (FakePlex and its lifecycle), `control`/`control_live` (the test hooks),
`routes` (the routing table, one row per endpoint with its auth rule, and the WSGI dispatcher),
`pms`/`pms_root`/`hubs`/`query` (Media Server endpoints and filters), `pms_notifications`/
`notifications`/`announce`/`delayed`/`websocket` (the notification WebSocket), `plextv`/
`plextv_home`/`signin` (plex.tv, Plex Home and the sign-in page), `store`/`library`/`data` (the
generated library), `render` (PMS XML/JSON),
`responses` (HTTP answers), `accounts`, `faults`, `state`.

Listings take Plex's media-query filters, ANDed: `addedAt>>=`, `updatedAt>>=` (strictly after),
`addedAt<<=`, `updatedAt<<=` (strictly before; epoch seconds or relative `-30d`), `id=`,
`artist.id=` (python-plexapi's `Artist.albums()`); `/library/metadata/{a,b,c}` answers the keys
that exist (404 only when none does); `/hubs/search` answers artist and album hubs.

Control hooks (methods of FakePlex):
- library: `sections`, `albums(section_id)`, `album(key)`,
  `add_album(title, author, *, narrator, asin, guid, added_at, section_id, **fields)` -> rating key,
  `update_album(key, **fields)` (updatedAt moves on), `remove_album(key)`; `refresh_calls`.
- library ids: `music_section_id` ("4", the audiobooks), `second_audiobook_section_id` ("5" or
  None), `songs_section_id` ("2", the Music library).
- plex.tv: `owner`, `shared_user`, `stranger`, `add_user(...)`, `approve_pin(pin_id, user)`,
  `expire_pin(pin_id)`, `revoke_token(token)`.
- Plex Home (`/api/v2/home/users`, POST `/api/v2/home/users/{uuid}/switch[?pin=]`): the owner's
  Home holds `kid_profile` (managed, no PIN) and `teen_profile` (managed, PIN `home_pin`); the
  stranger's Home holds `other_home_profile` (no access to this server). A switch answers 201 with
  the profile's `/api/v2/user` (its own authToken); a protected profile without the right PIN gets
  plex.tv's 403 `{"errors": [{"code": 1041, ...}]}`; a uuid outside the caller's Home 404. Profiles'
  tokens reach this server through `/api/v2/resources` (accessToken = `profile.server_token`).
  `add_home_user(title, *, admin=None, pin=None, has_access=None)` adds one.
- faults: `set_fault(kind, *, on_path, on_page, count, delay, status, size, with_length, depth)`
  (latency, status/500/502/503, drop, truncate, html, entity_bomb, deep_xml, huge, unauthorized,
  trickle, hold, unpaged, stuck_paging, capped_paging, whole_records), `clear_faults()`. Section
  listings honour includeFields/excludeFields/includeElements/excludeElements (as PMS 1.41.9 does)
  unless `whole_records` is armed.
- observing: `request_log`, `requests_to(path)`, `clear_log()`, `reset()` (no faults, empty log,
  notification controls back to their defaults).
- notification WebSocket `/:/websockets/notifications` (X-Plex-Token header or query parameter):
  adding, updating and removing albums through the hooks above announces them as PMS does (timeline
  entries for the new artist, the album and its tracks: state 0 "created", 1 progress, 5 "processed"
  after the processing delay, 9 "deleted" (tracks, album, then an emptied artist); an update sends
  the album's 1 then 5; scan `activity` and `status` messages; a section refresh announces a scan).
  `websocket_clients`, `wait_for_websocket_clients(count, timeout)`,
  `drop_websockets()` (cut without a close frame), `mute_websockets(muted=True)` (accept, send
  nothing, not even pongs), `reject_websockets(status=403)` (None accepts again),
  `set_processing_delay(seconds)` (default 0.5), `never_process(True)` (as a library without an
  agent: never state 5; sections with agent `com.plexapp.agents.none` behave so anyway),
  `finish_processing()` (send pending state-5 entries now), `notify(container)`,
  `notifications_sent`, `notifications_sent_at` ((epoch seconds, container) pairs, for latency),
  `timeline_sent(state=None, kind=None)`.
"""

from __future__ import annotations

import sys
import time

from .accounts import PlexTvUser
from .faults import Fault
from .library import FakeAlbum, FakeSection
from .server import DEFAULT_TOKEN, FakePlex, LoggedRequest


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 32400,
    items: int = 300,
    seed: int = 1,
    token: str | None = None,
    xml_only: bool = False,
    second_audiobooks: int = 0,
) -> None:
    """Run the emulator in the foreground until Ctrl-C, printing how to reach it."""
    started = time.monotonic()
    fake = FakePlex(
        items=items, seed=seed, token=token or DEFAULT_TOKEN, xml_only=xml_only, second_audiobooks=second_audiobooks
    )
    fake.start(host, port)
    elapsed = time.monotonic() - started
    lines = [
        f"Fake Plex is serving {items} audiobooks at {fake.url} (started in {elapsed:.2f} s)",
        f"  machine identifier: {fake.machine_identifier}",
        f"  admin token:        {fake.token}",
        f"  audiobook library:  section {fake.music_section_id} ('Audiobooks')"
        + (f", section {fake.second_audiobook_section_id} ('Kids Audiobooks')" if second_audiobooks else ""),
        f"  plex.tv and sign-in page on the same port: PLEXBOOKS_PLEX_TV_URL={fake.url} "
        f"PLEXBOOKS_PLEX_APP_URL={fake.url}",
        f"  users: {fake.owner.username} (owner), {fake.shared_user.username} (shared), "
        f"{fake.stranger.username} (no access)",
        f"  Plex Home profiles: {fake.kid_profile.username} (no PIN), {fake.teen_profile.username} "
        f"(PIN {fake.home_pin})",
        "  XML only (Accept header ignored)" if xml_only else "  JSON on Accept: application/json, XML otherwise",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopping fake Plex.", file=sys.stderr)
    finally:
        fake.stop()


__all__ = [
    "DEFAULT_TOKEN",
    "FakeAlbum",
    "FakePlex",
    "FakeSection",
    "Fault",
    "LoggedRequest",
    "PlexTvUser",
    "serve",
]
