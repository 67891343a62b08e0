"""``archiver history URL``: every capture of one link, with changes and link rot."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from .. import exitcodes
from ..catalog import CatalogError
from ..history import HistoryEntry, LinkHistory, link_history
from ._archive_arg import add_archive_argument
from ._output import is_terminal


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="show every capture of one URL: outcome, status, changes, rot, third-party copies",
        description="The outcome of one link over time: each capture (run or refresh) with its "
        "time, outcome (ok, revisit, http-error, failed, third-party), status, where it ended "
        "up, whether the content changed since the previous capture, and whether it showed the "
        "page gone (404/410, no DNS, redirected to an unrelated page).",
        epilog="Exit status: 0 when shown; 1 when the archive has no capture of URL; 4 when the "
        "folder holds no catalog.",
    )
    parser.add_argument("url", metavar="URL", help="the original URL (as archived or in any spelling)")
    add_archive_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the history as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        history = link_history(args.archive, args.url)
    except CatalogError as exc:
        print(f"archiver history: {exc}", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    if history is None:
        print(f"archiver history: no capture of {args.url} in {args.archive}", file=sys.stderr)
        return exitcodes.FAILED_ITEMS
    if args.json:
        print(json.dumps(history.to_json(), ensure_ascii=False, indent=2))
    elif is_terminal():
        _print_table(history, Console(highlight=False))
    else:
        print(_title(history).replace("\n", ": "))
        for row in _rows(history):
            print("\t".join(row))
    return exitcodes.OK


COLUMNS = ("time", "outcome", "status", "changed", "final URL", "note")


def _print_table(history: LinkHistory, console: Console) -> None:
    table = Table(title=_title(history))
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in _rows(history):
        table.add_row(*row)
    console.print(table)


def _title(history: LinkHistory) -> str:
    state = history.state
    since = f" since {state.first_rotted.isoformat(timespec='seconds')}" if state.first_rotted else ""
    return f"{state.url}\n{state.state}{since}, first seen {state.first_seen.isoformat(timespec='seconds')}"


def _rows(history: LinkHistory) -> list[tuple[str, ...]]:
    """One row of COLUMNS per capture, oldest first."""
    rows = []
    for entry in history.entries:
        capture = entry.capture
        final = capture.final_url if capture.final_url != capture.url else None
        status = "" if capture.status is None else str(capture.status)
        if entry.truncated:
            status = f"{status}, truncated ({entry.truncated})".lstrip(", ")
        rows.append((capture.time.isoformat(timespec="seconds"), capture.outcome, status,
                     {None: "", True: "yes", False: "no"}[capture.changed], final or "", _note(entry)))
    return rows


def _note(entry: HistoryEntry) -> str:
    capture = entry.capture
    if entry.rot:
        return f"rot: {entry.rot}"
    if capture.error:
        return capture.error
    if capture.revisit_of:
        return f"same content as {capture.revisit_of}"
    return ""
