"""``archiver refresh``: capture again the links an archive already knows, once or on a period.

A refresh picks the absolute http(s) links of the catalog whose newest capture is older than a
given age (all by default), optionally narrowed by a URL pattern, and hands them to the
pipeline's ``capture_links``: same lock, crash repair, fetcher and store. An unchanged page
becomes a small revisit record, a changed one a full response flagged ``changed``, and the
catalog marks links that have rotted (see ``archiver.rot``). No occurrences are passed: their
provenance is already archived, so each URL costs only its records and a compact metadata
record. With a Wayback fallback, rotted and never-archived links get a third party's copy.
"""

from __future__ import annotations

import fnmatch
import os
import re
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from . import exitcodes
from .catalog import (
    CATALOG_NAME, OK, REVISIT, ROTTED, THIRD_PARTY, Capture, Catalog, CatalogError, LinkState,
)
from .links import Link
from .pipeline import SPOOL_NAME, ProgressHook, RunOptions, RunReport, capture_links
from .warc import WarcWriter
from .wayback import FallbackResult, archive_fallbacks

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_GLOB_CHARS = frozenset("*?[")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``6h``, ``1d``, ``2w`` or plain seconds (``90``, ``1.5``) as a timedelta.

    Raises ValueError with a message naming the accepted forms; zero is refused (a period of
    nothing would spin).
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: use e.g. 30m, 6h, 1d or plain seconds")
    seconds = float(match[1]) * _UNIT_SECONDS[match[2].lower()]
    if seconds <= 0:
        raise ValueError(f"{text!r}: a duration must be more than zero")
    return timedelta(seconds=seconds)


def url_matches(url: str, pattern: str) -> bool:
    """Whether ``url`` is selected by ``pattern``: an fnmatch glob on the whole URL when the
    pattern has ``*``, ``?`` or ``[``, else a plain substring (both case-sensitive)."""
    if _GLOB_CHARS.intersection(pattern):
        return fnmatch.fnmatchcase(url, pattern)
    return pattern in url


def select_urls(
    latest: Iterable[Capture],
    *,
    now: datetime,
    older_than: timedelta | None = None,
    only: str | None = None,
) -> list[str]:
    """The links to refresh, from each link's newest capture: absolute http(s) URLs whose newest
    capture is older than ``older_than`` (any age when None) and that match ``only``."""
    chosen = []
    for capture in latest:
        parts = urlsplit(capture.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        if older_than is not None and now - capture.time < older_than:
            continue
        if only is not None and not url_matches(capture.url, only):
            continue
        chosen.append(capture.url)
    return chosen


@dataclass(frozen=True)
class RefreshOptions:
    """What a refresh captures (selection) and how (``run``: the fetcher and file options).

    ``fallback_endpoint`` turns the Wayback fallback on, with that availability API.
    """

    run: RunOptions = field(default_factory=RunOptions)
    older_than: timedelta | None = None
    only: str | None = None
    fallback_endpoint: str | None = None


@dataclass
class RefreshReport:
    """One refresh round: the run it made, which links are rotted now, and the fallbacks.

    A round that selected no link makes no run and writes nothing (a periodic refresh would
    otherwise leave a near-empty WARC file every round): its ``run`` is empty, with run_id "".
    """

    run: RunReport
    selected: int
    rotted: list[LinkState] = field(default_factory=list)
    fallbacks: list[FallbackResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """130 when interrupted; 1 when a link failed, rotted or a fallback found nothing; else 0."""
        if self.run.interrupted:
            return exitcodes.INTERRUPTED
        if self.run.exit_code != exitcodes.OK or self.rotted or any(f.error for f in self.fallbacks):
            return exitcodes.FAILED_ITEMS
        return exitcodes.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.run.to_dict(), "selected": self.selected,
            "rotted": [{"url": s.url, "first_rotted": s.first_rotted.isoformat() if s.first_rotted else None}
                       for s in self.rotted],
            "fallbacks": [f.to_dict() for f in self.fallbacks],
        }


def refresh(
    archive: str | os.PathLike[str],
    options: RefreshOptions | None = None,
    *,
    now: datetime | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: ProgressHook | None = None,
    on_fallback: Callable[[FallbackResult], None] | None = None,
) -> RefreshReport:
    """Capture again the links of ``archive`` that ``options`` selects; one round.

    Raises CatalogError when the folder holds no catalog, LockedError when another process
    holds the archive (not when nothing is selected: the archive is then only read). Ctrl-C or SIGTERM stops the round as in ``run`` (``interrupted``).
    """
    options = options or RefreshOptions()
    folder = Path(archive)
    if not (folder / CATALOG_NAME).is_file():
        raise CatalogError(f"{folder} holds no catalog: archive links with 'archiver run' first")
    with Catalog.open(folder) as catalog:
        urls = select_urls(catalog.latest_captures(), now=now or datetime.now(timezone.utc),
                           older_than=options.older_than, only=options.only)
    if not urls:  # the fallbacks look only among the selected links: nothing to do at all
        return RefreshReport(RunReport(run_id="", archive=folder), 0)
    rotted: list[LinkState] = []
    fallbacks: list[FallbackResult] = []

    def after(catalog: Catalog, writer: WarcWriter, run: RunReport) -> None:
        states = {state.url: state for state in catalog.links()}
        rotted.extend(states[url] for url in urls if states[url].state == ROTTED)
        if options.fallback_endpoint is None:
            return
        wanted = _fallback_candidates(catalog, [states[url] for url in urls])
        found, run.interrupted = archive_fallbacks(
            catalog, writer, wanted, replace(options.run.fetch, spool_dir=folder / SPOOL_NAME),
            endpoint=options.fallback_endpoint, run_id=run.run_id, on_result=on_fallback)
        fallbacks.extend(found)

    run_options = replace(options.run, refetch=True)  # every selected link is fetched again
    report = capture_links(folder, (Link(url) for url in urls), run_options,
                           on_start=on_start, on_result=on_result, after=after)
    return RefreshReport(report, len(urls), rotted, fallbacks)


def _fallback_candidates(catalog: Catalog, states: Sequence[LinkState]) -> list[tuple[str, datetime]]:
    """(URL, date to look near) for each rotted or never-archived link without a third-party copy.

    A rotted link is looked up near the day it rotted (the last version before it died), a
    never-archived one near the day it was first seen (the version its sender linked to).
    """
    wanted = []
    for state in states:
        outcomes = {capture.outcome for capture in catalog.history(state.url)}
        if THIRD_PARTY in outcomes:
            continue  # one third-party copy is enough; it is not fetched again every round
        if state.state == ROTTED and state.first_rotted is not None:
            wanted.append((state.url, state.first_rotted))
        elif not outcomes & {OK, REVISIT}:
            wanted.append((state.url, state.first_seen))
    return wanted


def run_periodically(round_: Callable[[], bool], every: timedelta,
                     sleep: Callable[[float], None] = time.sleep) -> None:
    """Call ``round_`` now and then every ``every`` (start to start) until Ctrl-C or SIGTERM.

    ``round_`` returns True when a signal stopped it half-way. Between rounds a signal ends
    the wait at once; a signal during a round is the pipeline's to handle (it finishes the
    records in hand), and a round that ends normally while one arrived is the last.
    """
    stop: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.append(signum)

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            started = time.monotonic()
            if round_():
                return
            wake = started + every.total_seconds()
            while not stop and (left := wake - time.monotonic()) > 0:
                sleep(min(left, 1.0))  # short naps: a signal handler cannot end a long sleep
            if stop:
                return
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


__all__ = [
    "RefreshOptions", "RefreshReport", "parse_duration",
    "refresh", "run_periodically", "select_urls", "url_matches",
]
