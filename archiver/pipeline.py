"""``archiver run``: sources -> links -> unwrap -> fetch -> store, for one archive folder.

The stages are the library's own functions; this module only wires them together and owns the
run's life cycle: the archive lock, finishing files a crash left open, the spool folder for
bodies, and stopping cleanly on Ctrl-C or SIGTERM (the records in hand are finished, the WARC
file is closed, the catalog is consistent).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__, exitcodes
from .catalog import FAILED, HTTP_ERROR, OK, REVISIT, Capture, Catalog, OccurrenceEntry, Run
from .exchange import FetchResult
from .fetch import FetchOptions, fetch_many
from .links import Link, find_links
from .lock import ArchiveLock
from .sources import Source, SourceProblem, read_sources
from .store import PendingCapture, commit, recover, store_run, store_source, write_fetch
from .warc import WarcWriter

SPOOL_NAME = ".spool"
"""Folder inside the archive where response bodies are streamed before they are written."""

RELATIVE = "relative"
"""A relative link with no known base: listed, never fetched, not counted as a failure."""
NOT_FETCHED = "not-fetched"
"""A link whose wrapper could not be decoded: the wrapper itself is never fetched in its place."""
SKIPPED = "skipped"
"""A link already captured in an earlier run (``refetch`` fetches it again)."""

CLICK_TRACKING_OPAQUE = frozenset({"mimecast"})
"""Opaque wrappers that are per-recipient click trackers: never fetched. (Shorteners are: the
fetcher follows their redirect to the original and archives every hop.)"""

DONE_OUTCOMES = frozenset({OK, REVISIT})
"""Outcomes that count as archived: a final response below 400 (stored in full or as a revisit)."""


@dataclass(frozen=True)
class RunOptions:
    """What shapes a run besides the fetcher: where, what to skip, how links are read."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    refetch: bool = False
    keep_tracking: bool = False
    base: str | None = None
    max_file_size: int = 10**9

    def describe(self) -> dict[str, Any]:
        """The options as plain values, for the warcinfo record and the catalog's run row."""
        fetch = {k: v for k, v in asdict(self.fetch).items() if k != "spool_dir"}
        return {"fetch": fetch, "refetch": self.refetch, "keep_tracking": self.keep_tracking,
                "base": self.base, "max_file_size": self.max_file_size}


@dataclass(frozen=True)
class LinkResult:
    """What this run did with one original URL."""

    url: str
    outcome: str
    status: int | None = None
    final_url: str | None = None
    error: str | None = None
    error_kind: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome not in DONE_OUTCOMES and self.outcome not in (SKIPPED, RELATIVE)

    @classmethod
    def from_capture(cls, capture: Capture) -> LinkResult:
        return cls(capture.url, capture.outcome, capture.status, capture.final_url,
                   capture.error, capture.error_kind)


@dataclass
class RunReport:
    """The outcome of one run, for the summary and the exit status."""

    run_id: str
    archive: Path
    results: list[LinkResult] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        return counts

    @property
    def failures(self) -> list[LinkResult]:
        return [r for r in self.results if r.failed]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return exitcodes.INTERRUPTED
        return exitcodes.FAILED_ITEMS if self.failures or self.problems else exitcodes.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "archive": str(self.archive), "counts": self.counts(),
            "interrupted": self.interrupted, "files": self.files, "repaired": self.repaired,
            "problems": [asdict(p) for p in self.problems],
            "results": [asdict(r) for r in self.results],
        }


ProgressHook = Callable[[LinkResult], None]
AfterHook = Callable[[Catalog, WarcWriter, "RunReport"], None]


def run(
    paths: Sequence[str | os.PathLike[str]],
    archive: str | os.PathLike[str],
    options: RunOptions | None = None,
    *,
    on_start: Callable[[int], None] | None = None,
    on_result: ProgressHook | None = None,
) -> RunReport:
    """Archive every original URL found in ``paths`` into the archive folder ``archive``.

    Takes the archive lock (``LockedError`` if another process holds it), finishes any ``.open``
    WARC file a crash left, stores each source document once, then fetches the links not yet
    captured and stores each result as it arrives. ``on_start`` is told how many links will be
    fetched; ``on_result`` is called once per link. Ctrl-C or SIGTERM stops the fetching: what
    was stored stays, and the report says ``interrupted``.
    """
    options = options or RunOptions()
    sources, problems = read_sources(paths, base=options.base)
    links = find_links(sources, keep_tracking=options.keep_tracking)
    return capture_links(archive, links, options, sources=sources, problems=problems,
                         on_start=on_start, on_result=on_result)


def capture_links(
    archive: str | os.PathLike[str],
    links: Iterable[Link],
    options: RunOptions,
    *,
    sources: Iterable[Source] = (),
    problems: Sequence[SourceProblem] = (),
    on_start: Callable[[int], None] | None = None,
    on_result: ProgressHook | None = None,
    after: AfterHook | None = None,
) -> RunReport:
    """The fetch-and-store half of ``run``, over links already found (``refresh`` uses it too).

    ``after`` runs under the lock with the open catalog and WARC writer once the fetching
    ended without interruption (``refresh`` archives its Wayback fallbacks there).
    """
    archive = Path(archive)
    report = RunReport(run_id=str(uuid.uuid4()), archive=archive, problems=list(problems))
    spool = archive / SPOOL_NAME
    fetch_options = replace(options.fetch, spool_dir=spool)
    with ArchiveLock(archive):
        report.repaired = recover(archive)
        shutil.rmtree(spool, ignore_errors=True)  # bodies a killed run left behind
        spool.mkdir(parents=True)
        try:
            with Catalog.open(archive) as catalog, WarcWriter(
                archive, max_file_size=options.max_file_size, info=_warcinfo(options)
            ) as writer:
                _capture(catalog, writer, report, list(links), list(sources), options,
                         fetch_options, on_start, on_result, after)
            report.files = writer.files
        finally:
            shutil.rmtree(spool, ignore_errors=True)
    return report


def _capture(
    catalog: Catalog,
    writer: WarcWriter,
    report: RunReport,
    links: list[Link],
    sources: list[Source],
    options: RunOptions,
    fetch_options: FetchOptions,
    on_start: Callable[[int], None] | None,
    on_result: ProgressHook | None,
    after: AfterHook | None,
) -> None:
    run_record = Run(report.run_id, datetime.now(timezone.utc), options=options.describe())
    store_run(writer, catalog, run_record)
    for source in sources:
        store_source(writer, catalog, source.path, source.data, source.media_type)

    def record(result: LinkResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    to_fetch: dict[str, Link] = {}
    for link in links:
        if link.relative:
            record(LinkResult(link.url, RELATIVE, error="relative link and no base URL is known "
                              "(give --base)", error_kind=RELATIVE))
            continue
        refusal = _not_fetchable(link)
        if refusal:
            record(LinkResult(link.url, NOT_FETCHED, error=refusal, error_kind=NOT_FETCHED))
            continue
        latest = catalog.latest_capture(link.url)
        if not options.refetch and latest is not None and latest.outcome in DONE_OUTCOMES:
            record(LinkResult(link.url, SKIPPED, latest.status, latest.final_url))
            continue
        to_fetch[link.url] = link

    if on_start is not None:
        on_start(len(to_fetch))

    group = GroupCommit(writer, catalog, lambda capture: record(LinkResult.from_capture(capture)))

    def store(result: FetchResult) -> None:
        try:
            group.add(write_fetch(writer, catalog, result.url, result,
                                  _occurrences(to_fetch[result.url]), run_id=report.run_id))
        except (ValueError, OSError) as exc:
            # One link that cannot be stored must not stop the others (the writer has already
            # cut its partial record away); it is reported and tried again next run.
            record(LinkResult(result.url, FAILED, error=f"could not store: {exc}",
                              error_kind="store"))
        finally:
            for exchange in result.exchanges:
                exchange.discard()

    try:
        try:
            report.interrupted = fetch_until_signalled(list(to_fetch), fetch_options, store,
                                                       group.flush_if_due)
        finally:
            group.flush()
        if after is not None and not report.interrupted:
            after(catalog, writer, report)
    finally:
        ended = replace(run_record, ended=datetime.now(timezone.utc), counts=report.counts())
        store_run(writer, catalog, ended)


class GroupCommit:
    """Makes written captures durable in groups: one fsync and one catalog transaction for up to
    ``size`` captures or ``delay`` seconds, instead of two fsyncs per capture (which would cost
    more than the fetching itself). Until then a capture's records may be lost to a crash, and
    the next run fetches the URL again; a catalog row never points at bytes not on disk.
    """

    def __init__(self, writer: WarcWriter, catalog: Catalog, on_commit: Callable[[Capture], None],
                 *, size: int = 64, delay: float = 0.5) -> None:
        self._writer, self._catalog, self._on_commit = writer, catalog, on_commit
        self._size, self._delay = size, delay
        self._pending: list[PendingCapture] = []
        self._oldest = 0.0

    def add(self, pending: PendingCapture) -> None:
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(pending)
        if len(self._pending) >= self._size:
            self.flush()

    def flush_if_due(self) -> None:
        if self._pending and time.monotonic() - self._oldest >= self._delay:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            for capture in commit(self._writer, self._catalog, pending):
                self._on_commit(capture)


FLUSH_PERIOD = 0.1
"""How often ``fetch_until_signalled`` calls its ``tick`` while fetching, in seconds."""


def fetch_until_signalled(
    urls: list[str],
    options: FetchOptions,
    store: Callable[[FetchResult], None],
    tick: Callable[[], None] | None = None,
) -> bool:
    """Fetch ``urls``, storing each result as it completes; True if a signal stopped it early.

    ``store`` is synchronous, so a signal is only acted on between two stored results: a
    record is never left half-written by Ctrl-C or SIGTERM. ``tick`` is called every
    ``FLUSH_PERIOD`` seconds while fetching (to make stored results durable in time).
    """
    if not urls:
        return False

    async def main() -> bool:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        stopped = []

        def stop() -> None:
            stopped.append(True)
            task.cancel()

        def on_signal(signum: int, frame: object) -> None:
            # Runs between two bytecodes of whatever the loop is doing: only schedule the stop.
            loop.call_soon_threadsafe(stop)

        # signal.signal, not loop.add_signal_handler: removing the latter resets the signal to
        # its default action before the caller's handler can be put back, and a SIGTERM in that
        # gap would kill the process with a WARC file still open.
        installed = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                installed[signum] = signal.signal(signum, on_signal)
            except ValueError:
                pass  # not the main thread (a library caller's worker): no signal handling
        ticker = asyncio.create_task(_tick_forever(tick)) if tick is not None else None
        try:
            await fetch_many(urls, options, on_result=store)
        except asyncio.CancelledError:
            if not stopped:
                raise
        finally:
            if ticker is not None:
                ticker.cancel()
            for signum, previous in installed.items():
                # One atomic swap back to the caller's handler (None: set outside Python).
                signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        return bool(stopped)

    return asyncio.run(main())


def _not_fetchable(link: Link) -> str | None:
    """Why a link must not be fetched: fetching a wrapper would "click" it for the recipient."""
    if link.error:
        return f"could not unwrap: {link.error}"
    if any(o.chain.opaque in CLICK_TRACKING_OPAQUE for o in link.occurrences):
        return ("a Mimecast link is resolved only by clicking it, which Mimecast records as the "
                "recipient's click: open it yourself and archive the page it leads to")
    return None


async def _tick_forever(tick: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(FLUSH_PERIOD)
        tick()


def _occurrences(link: Link) -> list[OccurrenceEntry]:
    return [
        OccurrenceEntry(o.source, o.line, o.column, o.wrapped, o.anchor, o.chain.to_dict())
        for o in link.occurrences
    ]


def _warcinfo(options: RunOptions) -> dict[str, str]:
    fetch = options.fetch
    return {
        "software": f"archiver/{__version__}",
        "http-header-user-agent": fetch.user_agent,
        "robots": fetch.robots,
        "description": "Original URLs unwrapped from e-mail security links, with their provenance",
        "archiver-options": _compact(options.describe()),
    }


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


__all__ = [
    "DONE_OUTCOMES", "FAILED", "HTTP_ERROR", "NOT_FETCHED", "RELATIVE", "SKIPPED", "LinkResult", "RunOptions",
    "RunReport", "capture_links", "fetch_until_signalled", "run",
]
