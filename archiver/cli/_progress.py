"""Progress and summaries for the commands that fetch: a bar on a terminal, log lines otherwise."""

from __future__ import annotations

import sys
from collections import Counter
from types import TracebackType
from typing import TextIO

from ..pipeline import LinkResult, RunReport
from ._output import is_terminal


class RunProgress:
    """Shows one line per link (piped) or a rich progress bar (terminal), on standard error."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._bar = None
        self._task = None

    def __enter__(self) -> RunProgress:
        if is_terminal(self.stream):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._bar = Progress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(file=self.stream), transient=True,
            )
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, total: int) -> None:
        """Called once the number of links to fetch is known."""
        if self._bar is not None:
            self._task = self._bar.add_task("archiving", total=total)
        else:
            self.stream.write(f"archiver: fetching {total} link(s)\n")

    def result(self, result: LinkResult) -> None:
        """Called once per link, fetched or not."""
        if self._bar is not None:
            if self._task is not None and result.outcome not in ("skipped", "relative", "not-fetched"):
                self._bar.advance(self._task)
            if result.failed:
                self._bar.console.print(f"[red]failed[/red] {_escape(result.url)}: {_escape(result.error or '')}")
            return
        self.stream.write(f"archiver: {_describe(result)}\n")
        self.stream.flush()


def _describe(result: LinkResult) -> str:
    status = f" {result.status}" if result.status is not None else ""
    tail = f": {result.error}" if result.error else ""
    moved = f" -> {result.final_url}" if result.final_url and result.final_url != result.url else ""
    return f"{result.outcome}{status} {result.url}{moved}{tail}"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def print_summary(report: RunReport, stream: TextIO | None = None) -> None:
    """The end-of-run summary: counts by outcome, then every failure and why."""
    stream = stream or sys.stdout
    counts = report.counts()
    failures = report.failures
    if is_terminal(stream):
        from rich.console import Console
        from rich.table import Table

        console = Console(file=stream)
        table = Table(title=f"archiver run {report.run_id[:8]} into {report.archive}")
        table.add_column("outcome")
        table.add_column("links", justify="right")
        for outcome, count in sorted(counts.items()):
            table.add_row(outcome, str(count))
        console.print(table)
        if failures:
            failed = Table(title="not archived", show_lines=False)
            failed.add_column("URL", overflow="fold")
            failed.add_column("why", overflow="fold")
            for result in failures:
                failed.add_row(result.url, _why(result))
            console.print(failed)
    else:
        shown = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        stream.write(f"run {report.run_id} into {report.archive}: {shown or 'no links'}\n")
        for result in failures:
            stream.write(f"not archived: {result.url}: {_why(result)}\n")
    for problem in report.problems:
        stream.write(f"unreadable source: {problem.path}: {problem.message}\n")
    for repaired in report.repaired:
        stream.write(f"repaired: {repaired}\n")
    hint = _network_hint(failures)
    if hint:
        stream.write(hint + "\n")
    if report.interrupted:
        stream.write("interrupted: what was stored so far is kept; run again to carry on\n")


def _why(result: LinkResult) -> str:
    if result.error:
        return result.error
    return f"HTTP {result.status}" if result.status is not None else result.outcome


def _network_hint(failures: list[LinkResult]) -> str | None:
    """Say it plainly when no host could be reached at all: the machine is probably offline."""
    kinds = Counter(result.error_kind for result in failures)
    unreachable = kinds["dns"] + kinds["connect"]
    if failures and unreachable == len(failures):
        return (f"none of the {unreachable} host(s) could be reached (DNS or connection failed): "
                "is this machine offline? The source documents and provenance are archived; "
                "run again when the network is back.")
    return None
