"""Fetch original URLs politely and safely with httpx, recording every hop as an Exchange.

``Fetcher`` owns one ``httpx.AsyncClient`` and the run's shared state (concurrency slots,
per-host politeness, robots.txt rules); ``fetch_many`` runs a batch through one. Redirects are
followed here, not by httpx, so that every hop is its own Exchange and every hop's address is
checked. Network trouble never raises: it comes back as ``FetchResult.error``/``error_kind``.
This module knows nothing of WARC; ``archiver.exchange`` is the whole contract.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from urllib.parse import urlsplit

import anyio
import httpx

from .exchange import Exchange, FetchResult
from .fetching import guard, wire
from .fetching.options import FetchOptions, parse_size
from .fetching.politeness import HostGate
from .fetching.problem import FetchProblem
from .fetching.retry import RETRY_STATUSES, backoff_delay, parse_retry_after
from .fetching.robots import ROBOTS_MAX_SIZE, RobotsRules
from .fetching.targets import redirect_target, target_url

__all__ = ["FetchOptions", "Fetcher", "fetch_many", "parse_size"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT_ENCODING = "gzip, deflate"
"""Encodings every WARC reader can undo (no br or zstd: they hurt replay portability)."""


class _Fetch:
    """The state of one URL's fetch: its cookie jar, deadline and attempt count."""

    def __init__(self, result: FetchResult, max_size: int, check_robots: bool) -> None:
        self.result = result
        self.cookies = httpx.Cookies()  # per fetch: cookies set on one hop go to the later ones
        self.deadline: float | None = None
        self.max_size = max_size
        self.check_robots = check_robots

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()


def _no_client_cookies() -> CookieJar:
    """A jar that stores nothing, for the shared client: cookies must not leak between fetches."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _network_problem(exc: httpx.TransportError, url: httpx.URL, options: FetchOptions) -> FetchProblem:
    """Say in words what went wrong before a response arrived, and whether retrying may help."""
    where = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchProblem("timeout", f"no connection to {where} within {options.connect_timeout:g}s", True)
    if isinstance(exc, httpx.TimeoutException):
        return FetchProblem("timeout", f"{where} sent no response within {options.read_timeout:g}s", True)
    if isinstance(exc, httpx.ProxyError):
        return FetchProblem("connect", f"the proxy {options.proxy} failed for {where}: {exc}", True)
    tls = _tls_error(exc)
    if tls is not None:
        # A certificate that fails verification will fail again: no retry.
        reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
        return FetchProblem("connect", f"TLS with {where} failed: {reason}")
    if isinstance(exc, httpx.ConnectError) and _caused_by(exc, socket.gaierror):
        # httpx resolved the name itself (the guard's lookup is skipped under allow_private).
        return FetchProblem("dns", f"could not resolve host {url.host} ({exc})")
    if isinstance(exc, httpx.ConnectError):
        return FetchProblem("connect", f"could not connect to {where}: {exc or 'connection failed'}", True)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return FetchProblem("protocol", f"{where} closed or broke the connection before answering: {exc}", True)
    return FetchProblem("protocol", f"HTTP failure talking to {where}: {exc!r}", True)


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind an httpx error, if TLS is what failed (httpx chains the cause)."""
    found = _caused_by(exc, ssl.SSLError)
    return found if isinstance(found, ssl.SSLError) else None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of ``kind`` in ``exc``'s chain of causes, or None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class Fetcher:
    """Fetches URLs with one shared client, limits and politeness; use ``async with``.

    Bounds: ``options.concurrency`` requests in flight in all, ``options.per_host`` per host
    name, ``options.host_delay`` seconds between the starts of two requests to one host.
    """

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        self._client: httpx.AsyncClient | None = None
        self._transport: httpx.AsyncHTTPTransport | None = None
        self._gate = HostGate(self.options.per_host, self.options.host_delay)
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._robots = RobotsRules(self.options.user_agent, self._fetch_robots_txt, self._crawl_delay)

    async def __aenter__(self) -> Fetcher:
        o = self.options
        # Requests go straight to the transport: the client's redirect handling would parse
        # every Location header itself and raise on one it cannot use (javascript:, a bad
        # port), losing the response; redirects are ours to judge (see fetching.targets).
        self._transport = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=max(20, o.concurrency)),
            proxy=o.proxy,
            trust_env=False,  # no proxy or CA settings picked up from the environment behind our back
        )
        # The client builds requests (default headers, time-outs) and closes the transport.
        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(o.read_timeout, connect=o.connect_timeout, pool=None),
            headers={"User-Agent": o.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            cookies=_no_client_cookies(),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = self._transport = None

    async def fetch(self, url: str) -> FetchResult:
        """Fetch ``url``, following redirects; every hop is an Exchange with its body spooled.

        Never raises for network trouble: ``error``/``error_kind`` say what went wrong, and the
        hops received before it stay in ``exchanges`` (their spool files are the caller's, to
        write and ``discard``). ``attempts`` counts every request sent, retries and hops included.
        """
        return await self._run(url, self.options.max_size, check_robots=self.options.robots == "obey")

    def _crawl_delay(self, host: str, seconds: float) -> None:
        # Honoured up to the cap we give Retry-After: a site cannot stall a run for hours.
        self._gate.slow_down(host, min(seconds, self.options.retry_after_cap))

    async def _fetch_robots_txt(self, url: str) -> FetchResult:
        return await self._run(url, ROBOTS_MAX_SIZE, check_robots=False)

    async def _run(self, url: str, max_size: int, check_robots: bool) -> FetchResult:
        state = _Fetch(FetchResult(url=url), max_size, check_robots)
        try:
            await self._follow(url, state)
        except FetchProblem as problem:
            state.result.error, state.result.error_kind = problem.message, problem.kind
        return state.result

    async def _follow(self, url: str, state: _Fetch) -> None:
        """Fetch ``url`` and the redirects it leads to, appending each hop to the result."""
        seen: set[tuple[str, str | None]] = set()
        target = target_url(url)
        while True:
            # A loop is the same URL asked again with the same cookies: a cookie-setting
            # detour back to the first URL is how many sites work, not a loop.
            visit = (str(target), self._cookie_header(target, state))
            if visit in seen:
                raise FetchProblem("redirect-loop", f"redirect loop: {target} leads back to itself")
            seen.add(visit)
            if state.check_robots:
                await self._robots.check(target)
            exchange = await self._with_retries(target, state)
            state.result.exchanges.append(exchange)
            location = dict((k.lower(), v) for k, v in exchange.response_headers).get("location")
            if exchange.status not in REDIRECT_STATUSES or not location:
                return
            if len(state.result.exchanges) > self.options.max_redirects:
                raise FetchProblem(
                    "too-many-redirects", f"more than {self.options.max_redirects} redirects from {url}"
                )
            target = redirect_target(target, location)

    def _cookie_header(self, target: httpx.URL, state: _Fetch) -> str | None:
        if not state.cookies.jar:
            return None  # the common case, and cookiejar look-ups are not cheap
        probe = httpx.Request("GET", target)
        state.cookies.set_cookie_header(probe)
        return probe.headers.get("cookie")

    async def _with_retries(self, target: httpx.URL, state: _Fetch) -> Exchange:
        """One hop: send, and try again on connection trouble, 429 and 5xx while retries last."""
        o = self.options
        for attempt in range(o.retries + 1):
            last = attempt == o.retries
            try:
                exchange = await self._send(target, state)
            except FetchProblem as problem:
                if last or not problem.retryable:
                    raise
                wait, failure = backoff_delay(attempt, o.backoff), problem
            else:
                if last or exchange.status not in RETRY_STATUSES:
                    return exchange
                headers = {k.lower(): v for k, v in exchange.response_headers}
                asked = parse_retry_after(headers.get("retry-after"))
                if asked is not None and asked > o.retry_after_cap:
                    return exchange  # asked to wait longer than we will: keep what it said
                wait = backoff_delay(attempt, o.backoff) if asked is None else asked
                if asked is not None:
                    self._gate.defer(target.host, asked)  # the whole host asked us to wait
                failure = None
            if wait >= state.remaining():
                if failure is not None:
                    raise failure
                return exchange  # no time left for another try: keep this answer
            if failure is None:
                exchange.discard()  # superseded by the retry
            await anyio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send(self, target: httpx.URL, state: _Fetch) -> Exchange:
        """Send one request and spool its response, holding a host slot and a global slot."""
        assert self._client is not None and self._transport is not None, "use Fetcher inside 'async with'"
        o = self.options
        host = target.host
        async with self._gate.slot(host), self._slots:
            if state.deadline is None:
                state.deadline = time.monotonic() + o.timeout  # the whole-fetch clock starts now
            if state.remaining() <= 0:
                raise FetchProblem("timeout", f"gave up on {state.result.url} after {o.timeout:g}s")
            if o.proxy and not o.allow_private:
                guard.check_literal(host)  # the proxy resolves names; only literals can be judged
            elif not o.allow_private:
                port = target.port or (443 if target.scheme == "https" else 80)
                # The ASCII (IDNA 2008) name httpx will connect to, not Python's IDNA 2003 encoding.
                name = target.raw_host.decode("ascii")
                await guard.check_host(name, port, min(o.connect_timeout, state.remaining()))
            state.result.attempts += 1
            request = self._client.build_request("GET", target)
            if not (o.allow_private or o.proxy):
                request.extensions["trace"] = guard.peer_check(host)  # DNS may change by connect time
            if state.cookies.jar:
                state.cookies.set_cookie_header(request)
            date = datetime.now(timezone.utc)
            response = None
            with anyio.move_on_after(state.remaining()):
                try:
                    response = await self._transport.handle_async_request(request)
                except httpx.TransportError as exc:
                    raise _network_problem(exc, target, o) from None
                response.request = request  # cookie extraction reads it
            if response is None:
                raise FetchProblem("timeout", f"no response from {host} within the {o.timeout:g}s fetch limit")
            try:
                peer = None if o.proxy else wire.peer_address(response)
                if "set-cookie" in response.headers:
                    state.cookies.extract_cookies(response)
                body = await wire.spool_body(response, o.spool_dir, state.max_size, state.deadline)
            finally:
                await response.aclose()
        return Exchange(
            target_uri=str(request.url),
            date=date,
            request_head=wire.request_head(request),
            http_version=response.http_version,
            status=response.status_code,
            reason=wire.reason_phrase(response),
            response_headers=wire.raw_headers(response),
            body_path=body.path,
            body_length=body.length,
            truncated=body.truncated,
            peer_ip=peer,
            protocol=wire.protocol(response),
        )


async def fetch_many(
    urls: Iterable[str],
    options: FetchOptions | None = None,
    on_result: Callable[[FetchResult], Awaitable[None] | None] | None = None,
) -> list[FetchResult]:
    """Fetch every URL with one Fetcher; return the results in the order of ``urls``.

    ``on_result`` (plain or async) is called with each result as it completes, in order of
    completion, e.g. to write it to WARC and discard its spool files at once. URLs are taken
    round-robin across hosts and up to four fetches per concurrency slot are under way, so a
    run of URLs to one host, held back by its politeness limits, does not starve the others.
    """
    items = list(enumerate(urls))
    results: list[FetchResult | None] = [None] * len(items)
    fetcher = Fetcher(options)
    queue = iter(_interleave_by_host(items))

    async def worker() -> None:
        for index, url in queue:  # shared iterator: each URL is taken by exactly one worker
            result = await fetcher.fetch(url)
            results[index] = result
            if on_result is not None:
                returned = on_result(result)
                if inspect.isawaitable(returned):
                    await returned

    async with fetcher, anyio.create_task_group() as group:
        for _ in range(min(len(items), 4 * fetcher.options.concurrency)):
            group.start_soon(worker)
    return [result for result in results if result is not None]


def _interleave_by_host(items: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Reorder (index, URL) pairs round-robin across hosts, keeping each host's own order."""
    by_host: dict[str, list[tuple[int, str]]] = {}
    for item in items:
        try:
            host = (urlsplit(item[1]).hostname or "") if isinstance(item[1], str) else ""
        except ValueError:
            host = ""  # unparsable: it fails fast anyway
        by_host.setdefault(host, []).append(item)
    rounds = itertools.zip_longest(*by_host.values())
    return [item for round_ in rounds for item in round_ if item is not None]
