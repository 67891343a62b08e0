"""The values that pass from the fetcher to the WARC writer: one HTTP exchange, one fetch.

``fetch`` fills these in and knows nothing of WARC; ``warc`` writes them and knows nothing of
httpx. Bodies live in files, never whole in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Exchange:
    """One HTTP request and the response to it, as they crossed the wire.

    ``request_head`` is the request line and headers exactly as sent (``GET /p?q HTTP/1.1`` CRLF,
    ``Host:``, then every header httpx sent, CRLF CRLF). ``response_headers`` keeps the raw names,
    order and values received. ``body_path`` holds the body after transfer decoding and before
    content decoding (the WARC payload); ``truncated`` is ``"length"``, ``"time"`` or
    ``"disconnect"`` when the body is incomplete.
    """

    target_uri: str
    date: datetime
    request_head: bytes
    http_version: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body_path: Path
    body_length: int
    truncated: str | None = None
    peer_ip: str | None = None
    protocol: str = "http/1.1"

    def discard(self) -> None:
        """Delete the spooled body file once it has been written (or is no longer needed)."""
        try:
            os.unlink(self.body_path)
        except FileNotFoundError:
            pass


@dataclass
class FetchResult:
    """Everything that happened while fetching one original URL.

    ``exchanges`` holds every hop in order (redirects included; the last is the final answer).
    ``error`` is None when a final response was received, whatever its status; otherwise it says
    what went wrong in words a user can act on, and ``error_kind`` classifies it (``dns``,
    ``connect``, ``timeout``, ``refused-address``, ``bad-scheme``, ``redirect-loop``,
    ``too-many-redirects``, ``robots``, ``protocol``, ``bad-url``).
    """

    url: str
    exchanges: list[Exchange] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 0

    @property
    def final(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges and self.error is None else None

    @property
    def final_url(self) -> str | None:
        return self.exchanges[-1].target_uri if self.exchanges else None

    @property
    def status(self) -> int | None:
        return self.exchanges[-1].status if self.exchanges else None

    @property
    def redirect_chain(self) -> list[tuple[int, str]]:
        """(status, URL) for every hop, in order."""
        return [(ex.status, ex.target_uri) for ex in self.exchanges]
