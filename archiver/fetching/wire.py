"""What crossed the wire for one request: the request head as sent, the response as received,
and the raw body streamed to a spool file (never held whole in memory)."""

from __future__ import annotations

import http
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx


def request_head(request: httpx.Request) -> bytes:
    """The request line and headers exactly as httpx sends them, ending with the blank line.

    ``GET /path?query HTTP/1.1`` CRLF, then every header of the request in order with its
    raw name (Host, Accept, Accept-Encoding, Connection, User-Agent, Cookie ...), then CRLF.
    """
    lines = [request.method.encode("ascii") + b" " + request.url.raw_path + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def reason_phrase(response: httpx.Response) -> str:
    """The reason phrase received, or the standard one for the status (HTTP/2 sends none)."""
    if response.reason_phrase:
        return response.reason_phrase
    try:
        return http.HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""


def protocol(response: httpx.Response) -> str:
    """``"h2"`` for HTTP/2, else ``"http/1.1"`` (HTTP/1.0 answers travel the same way)."""
    return "h2" if response.http_version == "HTTP/2" else "http/1.1"


def raw_headers(response: httpx.Response) -> list[tuple[str, str]]:
    """Response headers with their names, order and values as received (latin-1, lossless)."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers.raw]


def peer_address(response: httpx.Response) -> str | None:
    """The IP address the response came from, or None when httpx cannot tell."""
    stream = response.extensions.get("network_stream")
    address = stream.get_extra_info("server_addr") if stream is not None else None
    return str(address[0]) if address else None


@dataclass
class SpooledBody:
    """A response body in a file: its length and, if it is incomplete, why."""

    path: Path
    length: int
    truncated: str | None


async def spool_body(
    response: httpx.Response, directory: Path | None, max_size: int, deadline: float
) -> SpooledBody:
    """Stream the raw body (de-chunked, still content-encoded) to a new file in ``directory``.

    Stops at ``max_size`` bytes (``truncated="length"``), when the connection ends before the
    body does (``"disconnect"``), or at the monotonic ``deadline`` or a read time-out
    (``"time"``); what arrived is kept. The file is removed if this is interrupted.
    """
    fd, name = tempfile.mkstemp(prefix="body-", suffix=".part", dir=directory)
    length = 0
    truncated: str | None = None
    try:
        with os.fdopen(fd, "wb") as out:
            with anyio.move_on_after(deadline - time.monotonic()) as scope:
                try:
                    async for chunk in response.aiter_raw():
                        room = max_size - length
                        if len(chunk) > room:
                            out.write(chunk[:room])
                            length += room
                            truncated = "length"
                            break
                        out.write(chunk)
                        length += len(chunk)
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    truncated = "disconnect"
                except httpx.ReadTimeout:
                    truncated = "time"
            if scope.cancelled_caught:
                truncated = "time"
    except BaseException:
        os.unlink(name)
        raise
    return SpooledBody(Path(name), length, truncated)
