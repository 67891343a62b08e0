"""robots.txt rules (RFC 9309), fetched once per site and run, read with urllib.robotparser.

A missing robots.txt (any 4xx, or redirects that loop or lead nowhere allowed) allows
everything; a 5xx means the site is off-limits for now (RFC 9309 §2.3.1). When the site cannot
be reached at all (DNS, connection, time-out), that problem is reported for the page: the page
lives on the same unreachable site.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable
from urllib.robotparser import RobotFileParser

import httpx

from ..exchange import FetchResult
from .problem import FetchProblem

UNREACHABLE = frozenset({"dns", "connect", "timeout", "protocol"})
"""Errors fetching robots.txt that mean the site itself cannot be reached."""

ROBOTS_MAX_SIZE = 512 * 1024
"""RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt."""


def decode_content(body: bytes, content_encoding: str | None) -> bytes:
    """Undo a gzip or deflate Content-Encoding (robots.txt is stored raw like any body)."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate"):
        try:
            # wbits 47 accepts gzip and zlib framing; a bare deflate stream needs -15.
            return zlib.decompressobj(47).decompress(body)
        except zlib.error:
            try:
                return zlib.decompressobj(-15).decompress(body)
            except zlib.error:
                return b""
    return body


class _Verdict:
    """What one site's robots.txt says: rules to apply, or a refusal for every path."""

    def __init__(self, parser: RobotFileParser | None = None, refusal: FetchProblem | None = None):
        self.parser = parser
        self.refusal = refusal


class RobotsRules:
    """Checks URLs against their site's robots.txt, fetching each site's file once.

    ``fetch`` fetches a robots.txt URL (following redirects, without a robots check of its own)
    and returns its FetchResult; the spooled bodies are discarded here. ``on_crawl_delay`` is
    told (host, seconds) when a robots.txt sets a Crawl-delay for us.
    """

    def __init__(
        self,
        user_agent: str,
        fetch: Callable[[str], Awaitable[FetchResult]],
        on_crawl_delay: Callable[[str, float], None],
    ) -> None:
        self._user_agent = user_agent
        self._fetch = fetch
        self._on_crawl_delay = on_crawl_delay
        self._sites: dict[str, asyncio.Task[_Verdict]] = {}

    async def check(self, url: httpx.URL) -> None:
        """Return if robots.txt allows ``url``; raise FetchProblem (kind ``robots``, or the
        problem met fetching robots.txt) if not."""
        site = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if site not in self._sites:
            # One task per site, shared: concurrent fetches to a site wait for the same answer.
            self._sites[site] = asyncio.ensure_future(self._load(site, url.host))
        verdict = await asyncio.shield(self._sites[site])
        if verdict.refusal is not None:
            raise verdict.refusal
        if verdict.parser is not None and not verdict.parser.can_fetch(self._user_agent, str(url)):
            raise FetchProblem(
                "robots",
                f"robots.txt of {site} disallows {url}; pass --robots ignore to fetch it anyway",
            )

    async def _load(self, site: str, host: str) -> _Verdict:
        robots_url = f"{site}/robots.txt"
        result = await self._fetch(robots_url)
        try:
            if result.error is not None and result.error_kind in UNREACHABLE:
                return _Verdict(refusal=FetchProblem(result.error_kind, result.error))
            if result.error is not None:
                return _Verdict()  # a redirect loop or a refused hop: no usable robots.txt
            final = result.exchanges[-1]
            if 400 <= final.status < 500 or 300 <= final.status < 400:
                return _Verdict()  # no robots.txt (or an endless redirect): everything allowed
            if final.status >= 500:
                return _Verdict(
                    refusal=FetchProblem(
                        "robots",
                        f"{robots_url} answered {final.status}, so the site is off-limits for now; "
                        "pass --robots ignore to fetch anyway",
                    )
                )
            encoding = next(
                (v for k, v in final.response_headers if k.lower() == "content-encoding"), None
            )
            text = decode_content(final.body_path.read_bytes(), encoding).decode("utf-8", "replace")
            parser = RobotFileParser(robots_url)
            parser.parse(text.splitlines())
            parser.modified()  # can_fetch() answers False for a parser never marked as read
            delay = parser.crawl_delay(self._user_agent)
            if delay:
                self._on_crawl_delay(host, float(delay))
            return _Verdict(parser=parser)
        finally:
            for exchange in result.exchanges:
                exchange.discard()
