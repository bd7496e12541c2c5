"""A server-side WebSocket on the socket werkzeug's server hands over, using websockets' Sans-I/O protocol.

werkzeug's threaded server parses the HTTP upgrade request and gives the raw socket in
`environ["werkzeug.socket"]`; websockets' `ServerProtocol` validates the handshake and frames the
messages, and the request's own thread reads the socket until the connection ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from websockets.datastructures import Headers
from websockets.exceptions import InvalidState
from websockets.frames import CloseCode
from websockets.http11 import Request as HandshakeRequest
from websockets.server import ServerProtocol
from werkzeug.wrappers import Request, Response

_READ_SIZE = 65536


class WebSocket:
    """One accepted connection: send text from any thread, read on the request's thread until closed."""

    def __init__(self, sock: socket.socket, protocol: ServerProtocol) -> None:
        self._sock = sock
        self._protocol = protocol
        self._lock = threading.Lock()
        self.silent = False  # when True nothing at all is written (no messages, pongs or close frames)
        self.closed = threading.Event()

    def send_text(self, text: str) -> bool:
        """Send one text message; False when the connection is gone (or closing)."""
        with self._lock:
            if self.closed.is_set():
                return False
            try:
                self._protocol.send_text(text.encode("utf-8"))
            except InvalidState:  # the peer started the closing handshake meanwhile
                return False
            return self.flush()

    def run(self) -> None:
        """Read until the peer closes or the socket fails (pongs and the closing handshake included)."""
        try:
            while not self.closed.is_set():
                data = self._sock.recv(_READ_SIZE)
                with self._lock:
                    if data:
                        self._protocol.receive_data(data)
                    else:
                        self._protocol.receive_eof()
                    self._protocol.events_received()  # pings are answered by the protocol itself
                    self.flush()
                    if not data or self._protocol.close_expected():
                        break
        except OSError:
            pass
        finally:
            self.closed.set()

    def close(self) -> None:
        """Close cleanly: a close frame (1001 going away), then the socket."""
        with self._lock:
            if not self.closed.is_set():
                with contextlib.suppress(InvalidState):  # already closing
                    self._protocol.send_close(CloseCode.GOING_AWAY, "server stopping")
                self.flush()
        self.drop()

    def drop(self) -> None:
        """Close the TCP connection without a close frame, as a network failure would."""
        self.closed.set()
        with contextlib.suppress(OSError):  # already closed by the peer
            self._sock.shutdown(socket.SHUT_RDWR)

    def flush(self) -> bool:
        """Write what the protocol has queued (nothing while silent); False when the socket failed."""
        outgoing = self._protocol.data_to_send()
        if self.silent:
            return True
        try:
            for chunk in outgoing:
                if chunk:
                    self._sock.sendall(chunk)
        except OSError:
            self.closed.set()
            return False
        return True


def accept(request: Request) -> WebSocket | Response:
    """Complete the opening handshake of `request`, or the HTTP answer refusing it (400, 426)."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:  # not under werkzeug's server: no way to take over the connection
        return Response("WebSocket upgrades need the emulator's own server", status=501)
    protocol = ServerProtocol()
    path = request.full_path if request.query_string else request.path
    # werkzeug already read the request: hand it to the protocol as the bytes it would have read.
    protocol.receive_data(HandshakeRequest(path, Headers(list(request.headers.items()))).serialize())
    handshake = protocol.events_received()
    if len(handshake) != 1 or not isinstance(handshake[0], HandshakeRequest):
        return Response("Bad WebSocket handshake", status=400)
    response = protocol.accept(handshake[0])
    if response.status_code != 101:
        return Response(bytes(response.body), status=response.status_code, headers=list(response.headers.raw_items()))
    protocol.send_response(response)
    connection = WebSocket(sock, protocol)
    if not connection.flush():  # the handshake response goes out like any frame
        raise ConnectionError("client left during the WebSocket handshake")
    return connection
