"""Scriptable HTTP/1.1 servers on loopback (127.0.0.x) for tests and benchmarks.

Each ``LoopbackServer`` runs in its own threads, so it serves while the code under test runs
an asyncio loop, and it writes raw bytes, so it can misbehave on purpose (chunked bodies, dropped
connections, endless or hung answers). It records every request it receives, raw.

    from tests.servers import LoopbackServer, Reply, redirect

    with LoopbackServer() as server:                  # 127.0.0.1 on a free port
        server.route("/a", Reply(200, body=b"hi", headers=[("Content-Type", "text/plain")]))
        server.route("/old", redirect("/a", status=301, set_cookie="s=1; Path=/"))
        server.route("/flaky", [Reply(503), Reply(200, body=b"ok")])   # in turn; the last repeats
        server.route("/echo", lambda req: Reply(body=req.headers.get("cookie", "").encode()))
        server.url("/a")                               # "http://127.0.0.1:<port>/a"
        server.requests                                # list[Received], in order of arrival
        server.requests_to("/flaky")                   # those whose path is /flaky

``LoopbackServer(host="127.0.0.2")`` is another host (all of 127.0.0.0/8 is loopback on Linux);
``LoopbackServer(tls=context)`` serves HTTPS with a server-side ``ssl.SSLContext``.
Unrouted paths answer 404. ``Reply`` fields: ``status``, ``reason``, ``headers`` (sent as given,
in order), ``body``; ``chunked=N`` sends the body in N-byte chunks (Transfer-Encoding: chunked);
``delay`` waits before answering; ``drop_after=N`` announces the whole body's Content-Length
but closes the connection after N body bytes; ``stream`` is a callable returning an iterable of
byte strings sent as the body, with ``content_length`` announced if given, else delimited by
closing the connection (an endless generator makes an endless body); ``hang=True`` never answers
(until the server stops); ``close=True`` closes the connection after the answer.
Content-Length is added unless the reply is chunked, streamed, or already sets it.

``Received`` holds ``raw`` (request line and headers, bytes as received), ``method``, ``target``
(path and query), ``path``, ``headers`` (lower-case names), ``started`` and ``finished``
(``time.monotonic()`` when the head arrived and when the answer was fully written, or None).
``max_overlap(requests)`` is the largest number of those requests being served at one instant.
``http_date(seconds)`` makes an HTTP date that far ahead (for Retry-After). ``server.pause(s)``
sleeps up to ``s`` seconds, less if the server stops (for slow ``stream`` generators);
``server.stop()`` stops it early (a URL on a stopped server refuses connections).
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import urlsplit


@dataclass
class Reply:
    """One scripted answer; see the module docstring for what each field does."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    chunked: int | None = None
    delay: float = 0.0
    drop_after: int | None = None
    stream: Callable[[], Iterable[bytes]] | None = None
    content_length: int | None = None
    hang: bool = False
    close: bool = False


def redirect(location: str, status: int = 302, set_cookie: str | None = None) -> Reply:
    """A redirect to ``location``, optionally setting a cookie on the way."""
    headers = [("Location", location)]
    if set_cookie:
        headers.append(("Set-Cookie", set_cookie))
    return Reply(status, headers=headers)


def http_date(seconds_from_now: float) -> str:
    """An HTTP date (as in Retry-After) ``seconds_from_now`` in the future."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


@dataclass
class Received:
    """One request as the server received it."""

    raw: bytes
    method: str
    target: str
    headers: dict[str, str]
    started: float
    finished: float | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


def max_overlap(requests: Sequence[Received]) -> int:
    """The most requests of ``requests`` that were being served at the same instant."""
    events = []
    for request in requests:
        events.append((request.started, 1))
        events.append((request.finished if request.finished is not None else float("inf"), -1))
    # Ends sort before starts at the same instant: touching intervals do not overlap.
    events.sort(key=lambda event: (event[0], event[1]))
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


Handler = Reply | Sequence[Reply] | Callable[[Received], Reply]


class _Connection(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        sock: socket.socket = self.request
        # Without this, Nagle's algorithm and delayed ACKs hold small writes back by ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        owner._track(sock)
        buffer = b""
        try:
            while not owner._stopping.is_set():
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                received = _parse_head(head + b"\r\n\r\n")
                owner._record(received)
                keep_open = self._answer(sock, owner._reply_for(received), received)
                received.finished = time.monotonic()
                if not keep_open or received.headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return  # the client went away: nothing to serve
        finally:
            owner._untrack(sock)

    def _answer(self, sock: socket.socket, reply: Reply, received: Received) -> bool:
        """Write ``reply``; return whether the connection may serve another request."""
        owner = self.server.owner
        if reply.hang:
            owner._stopping.wait()
            return False
        if reply.delay:
            owner._stopping.wait(reply.delay)
        reason = reply.reason if reply.reason is not None else _REASONS.get(reply.status, "Unknown")
        head = [f"HTTP/1.1 {reply.status} {reason}"] + [f"{k}: {v}" for k, v in reply.headers]
        named = {k.lower() for k, _ in reply.headers}
        if reply.chunked:
            head.append("Transfer-Encoding: chunked")
        elif reply.stream is not None:
            if reply.content_length is not None:
                head.append(f"Content-Length: {reply.content_length}")
            else:
                head.append("Connection: close")
        elif "content-length" not in named:
            head.append(f"Content-Length: {len(reply.body)}")
        head_bytes = "\r\n".join(head).encode("latin-1") + b"\r\n\r\n"
        if not (reply.chunked or reply.stream is not None or reply.drop_after is not None):
            sock.sendall(head_bytes + reply.body)
            return not reply.close
        sock.sendall(head_bytes)
        if reply.chunked:
            for start in range(0, len(reply.body), reply.chunked):
                piece = reply.body[start : start + reply.chunked]
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        elif reply.stream is not None:
            for piece in reply.stream():
                if owner._stopping.is_set():
                    return False
                sock.sendall(piece)
            return reply.content_length is not None and not reply.close
        elif reply.drop_after is not None:
            sock.sendall(reply.body[: reply.drop_after])
            sock.shutdown(socket.SHUT_RDWR)
            return False
        return not reply.close


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
            308: "Permanent Redirect", 404: "Not Found", 410: "Gone", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


def _parse_head(raw: bytes) -> Received:
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return Received(raw=raw, method=method, target=target, headers=headers, started=time.monotonic())


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: LoopbackServer
    tls: ssl.SSLContext | None

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake happens on first use, in the connection's own thread.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address


class LoopbackServer:
    """A scriptable HTTP/1.1 server on a loopback address; a context manager that starts and stops it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self._server = _TCPServer((host, port), _Connection, bind_and_activate=True)
        self._server.owner = self
        self._server.tls = tls
        self.port: int = self._server.server_address[1]
        self.requests: list[Received] = []
        self._routes: dict[str, Handler] = {}
        self._turns: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        # A short poll interval makes stop() quick (serve_forever checks for shutdown at each poll).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close every open connection (hung answers end too)."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for sock in list(self._sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or until the server stops, whichever comes first."""
        self._stopping.wait(seconds)

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests for ``path`` (query ignored) with a Reply, Replies in turn, or a function."""
        with self._lock:
            self._routes[path] = handler
            self._turns[path] = 0

    def requests_to(self, path: str) -> list[Received]:
        """The requests received for ``path``, in order of arrival."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _reply_for(self, received: Received) -> Reply:
        with self._lock:
            handler = self._routes.get(received.path)
            if handler is None:
                return Reply(404, body=b"not found")
            if isinstance(handler, Reply):
                return handler
            if callable(handler):
                return handler(received)
            turn = self._turns[received.path]
            self._turns[received.path] = turn + 1
            return handler[min(turn, len(handler) - 1)]

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
