"""Per-host politeness: at most ``per_host`` requests at once to one host name, and at least
``delay`` seconds between the starts of two requests to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostGate:
    """Hands out request slots per host name; a host asked to slow down (Retry-After) can be deferred."""

    def __init__(self, per_host: int, delay: float) -> None:
        self._per_host = per_host
        self._delay = delay
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._delays: dict[str, float] = {}  # hosts that asked for more (robots.txt Crawl-delay)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for a free slot on ``host`` and for its delay to pass; hold the slot in the block."""
        host = host.lower()
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self._per_host))
        async with semaphore:
            while True:
                now = time.monotonic()
                wait = self._next_start.get(host, 0.0) - now
                if wait <= 0:
                    break
                # Re-check after sleeping: another slot holder may have started meanwhile.
                await asyncio.sleep(wait)
            self._next_start[host] = now + self._delays.get(host, self._delay)
            yield

    def defer(self, host: str, seconds: float) -> None:
        """Start no new request to ``host`` for ``seconds`` (the server asked us to wait)."""
        host = host.lower()
        until = time.monotonic() + seconds
        self._next_start[host] = max(self._next_start.get(host, 0.0), until)

    def slow_down(self, host: str, delay: float) -> None:
        """Keep at least ``delay`` seconds between request starts to ``host`` from now on."""
        host = host.lower()
        self._delays[host] = max(self._delay, delay)
