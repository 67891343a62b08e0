"""The Wayback fallback: a public web archive's copy of a page we could not (or can no longer) get.

For a rotted or never-archived link, ask the archive's availability API for the memento closest
to a date, fetch that memento raw (``id_`` mode: the bytes the archive captured, without its
replay banner or rewritten links) with our own guarded fetcher, and store it under the link as a
``third-party`` capture whose provenance record says whose capture it is and of when.

The lookup and parsing are pure functions; ``archive_fallbacks`` does the two fetch rounds
(lookups, then mementos) with the pipeline's signal handling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from .catalog import Catalog
from .exchange import FetchResult
from .fetch import FetchOptions
from .fetching.robots import decode_content
from .pipeline import fetch_until_signalled
from .store import store_fetch
from .warc import WarcWriter

DEFAULT_ENDPOINT = "https://archive.org/wayback/available"
"""The Internet Archive's availability API."""
MAX_ANSWER = 1 << 20
"""Largest availability answer read (they are a few hundred bytes)."""

# A memento URL: <archive>/<collection path>/<14-digit timestamp><optional mode>/<original URL>.
_MEMENTO = re.compile(r"^(?P<prefix>https?://[^/?#]+/(?:[^/?#]+/)*?)(?P<ts>\d{4,14})(?:[a-z]{2}_)?/(?P<target>.+)$")


class WaybackError(ValueError):
    """An availability answer or memento URL that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Memento:
    """The closest memento the archive offers for ``original_url``."""

    original_url: str
    url: str
    timestamp: str

    @property
    def raw_url(self) -> str:
        """The memento URL in ``id_`` mode: the archived bytes as captured, no replay rewriting."""
        return raw_memento_url(self.url)

    @property
    def datetime(self) -> datetime:
        """When the archive captured it (from the 14-digit timestamp, UTC)."""
        return parse_timestamp(self.timestamp)


@dataclass(frozen=True)
class FallbackResult:
    """What the fallback did for one link: the memento archived, or why none was."""

    url: str
    memento_url: str | None = None
    memento_datetime: datetime | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "memento_url": self.memento_url, "error": self.error,
                "memento_datetime": _iso(self.memento_datetime) if self.memento_datetime else None}


def availability_url(endpoint: str, url: str, when: datetime) -> str:
    """The availability API query for the memento of ``url`` closest to ``when``."""
    stamp = when.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    joiner = "&" if urlsplit(endpoint).query else "?"
    return f"{endpoint}{joiner}{urlencode({'url': url, 'timestamp': stamp})}"


def parse_availability(original_url: str, body: bytes) -> Memento | None:
    """The closest usable memento in an availability answer, or None when there is none.

    A memento the archive itself recorded as an error (status 4xx/5xx) is no copy of the page:
    None. Raises WaybackError for an answer that is not the API's JSON shape.
    """
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WaybackError(f"the availability answer is not JSON ({exc})") from None
    snapshots = answer.get("archived_snapshots") if isinstance(answer, dict) else None
    if not isinstance(snapshots, dict):
        raise WaybackError("the availability answer has no 'archived_snapshots' object")
    closest = snapshots.get("closest")
    if not isinstance(closest, dict) or not closest.get("available"):
        return None
    url, timestamp, status = closest.get("url"), closest.get("timestamp"), str(closest.get("status", "200"))
    if not isinstance(url, str) or not isinstance(timestamp, str):
        raise WaybackError("the closest snapshot has no 'url' or 'timestamp'")
    if not status.isdigit() or int(status) >= 400:
        return None
    parse_timestamp(timestamp)
    raw_memento_url(url)  # refuse an unusable memento URL here, before fetching anything
    return Memento(original_url, url, timestamp)


def raw_memento_url(memento_url: str) -> str:
    """``…/web/20231106123456/https://x`` -> ``…/web/20231106123456id_/https://x``.

    Any replay mode already there (``im_``, ``if_``, ...) is replaced. Raises WaybackError for a
    URL without a timestamp path segment.
    """
    match = _MEMENTO.match(memento_url)
    if match is None:
        raise WaybackError(f"{memento_url!r} is not a memento URL (<archive>/<timestamp>/<url>)")
    return f"{match['prefix']}{match['ts']}id_/{match['target']}"


def parse_timestamp(stamp: str) -> datetime:
    """A Wayback timestamp (``YYYYMMDDhhmmss``, possibly shortened) as a UTC datetime."""
    if not stamp.isdigit() or len(stamp) not in (4, 6, 8, 10, 12, 14):
        raise WaybackError(f"{stamp!r} is not a Wayback timestamp (YYYYMMDDhhmmss)")
    padded = stamp + "0101000000"[len(stamp) - 4:]
    try:
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise WaybackError(f"{stamp!r} is not a valid date") from None


def third_party_note(memento: Memento, fetched_url: str, endpoint: str) -> dict[str, Any]:
    """What a third-party capture's provenance record adds: whose capture, of when, of what."""
    match = _MEMENTO.match(fetched_url)  # the archive may redirect to a nearby timestamp
    when = parse_timestamp(match["ts"]) if match else memento.datetime
    parts = urlsplit(fetched_url)
    return {
        "third_party_capture": True,
        "archive": f"{parts.scheme}://{parts.netloc}",
        "memento_datetime": _iso(when),
        "memento_url": fetched_url,
        "original_url": memento.original_url,
        "lookup": endpoint,
    }


def archive_fallbacks(
    catalog: Catalog,
    writer: WarcWriter,
    wanted: Sequence[tuple[str, datetime]],
    options: FetchOptions,
    *,
    endpoint: str = DEFAULT_ENDPOINT,
    run_id: str | None = None,
    on_result: Callable[[FallbackResult], None] | None = None,
) -> tuple[list[FallbackResult], bool]:
    """Look up and archive the closest memento of each ``(url, date)``; (results, interrupted).

    Two fetch rounds with ``options`` (the same guard, limits and politeness as any fetch):
    every lookup, then every memento found. Each memento is stored as it arrives. A link
    without a usable memento gets a result with ``error`` and nothing stored.
    """
    results: list[FallbackResult] = []

    def done(result: FallbackResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    lookups = {availability_url(endpoint, url, when): url for url, when in wanted}
    found: dict[str, Memento] = {}

    def read_answer(result: FetchResult) -> None:
        url = lookups[result.url]
        try:
            memento = parse_availability(url, _answer_body(result))
        except WaybackError as exc:
            done(FallbackResult(url, error=f"lookup failed: {exc}"))
            return
        finally:
            for exchange in result.exchanges:
                exchange.discard()
        if memento is None:
            done(FallbackResult(url, error="the archive has no usable copy"))
        else:
            found[memento.raw_url] = memento

    interrupted = fetch_until_signalled(list(lookups), options, read_answer)
    if interrupted:
        return results, True

    def store(result: FetchResult) -> None:
        memento = found[result.url]
        try:
            final = result.final
            if final is None or final.status >= 400:
                why = result.error or f"HTTP {result.status}"
                done(FallbackResult(memento.original_url, error=f"memento not fetched: {why}"))
                return
            note = third_party_note(memento, final.target_uri, endpoint)
            store_fetch(writer, catalog, memento.original_url, result, run_id=run_id, third_party=note)
        finally:
            for exchange in result.exchanges:
                exchange.discard()
        done(FallbackResult(memento.original_url, final.target_uri,
                            datetime.fromisoformat(note["memento_datetime"])))

    interrupted = fetch_until_signalled(list(found), options, store)
    return results, interrupted


def _answer_body(result: FetchResult) -> bytes:
    """The body of a successful lookup, or WaybackError saying why there is none."""
    final = result.final
    if final is None:
        raise WaybackError(result.error or "no answer")
    if final.status != 200:
        raise WaybackError(f"HTTP {final.status}")
    if final.truncated:
        raise WaybackError("the answer was cut short")
    with open(final.body_path, "rb") as body:
        data = body.read(MAX_ANSWER)
    encoding = next((v for k, v in final.response_headers if k.lower() == "content-encoding"), None)
    return decode_content(data, encoding)  # bodies are spooled as sent (maybe gzip)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


__all__ = [
    "DEFAULT_ENDPOINT", "FallbackResult", "Memento", "WaybackError", "archive_fallbacks",
    "availability_url", "parse_availability", "parse_timestamp", "raw_memento_url",
    "third_party_note",
]
