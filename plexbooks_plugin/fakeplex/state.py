"""What every part of the emulator shares: the library, the accounts, the faults and the server's identity."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from .accounts import Accounts
from .announce import Announcer
from .faults import FaultBox
from .notifications import Notifier
from .store import FakeLibrary

REQUEST_LOG_SIZE = 10_000


class LoggedRequest(NamedTuple):
    """One request the emulator saw; the query never contains the token."""

    method: str
    path: str
    query: str


@dataclass(eq=False)
class ServerState:
    """The emulator's state; the endpoints read and change it, the control facade exposes it."""

    library: FakeLibrary
    accounts: Accounts
    token: str
    machine_identifier: str
    server_name: str
    xml_only: bool = False
    faults: FaultBox = field(default_factory=FaultBox)
    refresh_calls: list[tuple[str, str | None]] = field(default_factory=list)
    request_log: deque[LoggedRequest] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    host: str = "127.0.0.1"
    port: int | None = None
    started_at: int = field(default_factory=lambda: int(time.time()))
    notifier: Notifier = field(default_factory=Notifier)
    announcer: Announcer = field(init=False)

    def __post_init__(self) -> None:
        self.announcer = Announcer(self.library, self.notifier)

    @property
    def url(self) -> str:
        """Base URL of both the Media Server and plex.tv (e.g. http://127.0.0.1:54321)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port or 32400}"
