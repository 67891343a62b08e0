"""``archiver refresh``: capture the archive's links again, once (cron) or every period (container)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from .. import exitcodes
from ..catalog import CatalogError
from ..lock import LockedError
from ..pipeline import RunOptions
from ..refresh import RefreshOptions, RefreshReport, parse_duration, refresh, run_periodically
from ..wayback import DEFAULT_ENDPOINT, FallbackResult
from ._capture_args import add_capture_arguments, fetch_options
from ._link_args import absolute_http_url
from ._output import print_json_line
from ._progress import RunProgress, print_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "refresh",
        help="capture again the links already in the archive (revisits, changes, link rot)",
        description="Fetch again every absolute http(s) link the archive's catalog knows whose "
        "newest capture is older than --older-than (all by default). An unchanged page is stored "
        "as a small revisit record of the earlier capture, a changed one in full and flagged as "
        "changed; a link that now answers 404/410, no longer resolves or redirects to an "
        "unrelated page (the site's home page, another domain) is marked rotted. Runs once and "
        "exits (for cron), or with --every keeps refreshing on that period until Ctrl-C/SIGTERM.",
        epilog="Exit status: 0 when every link was archived and none has rotted; 1 when a link "
        "failed or rotted, or a fallback found no copy; 3 when the archive is locked by another "
        "process; 4 when the archive has no catalog or cannot be written; 130 when interrupted "
        "(with --every: whenever a signal stops it).",
    )
    add_capture_arguments(parser)
    parser.add_argument("--older-than", type=_duration, metavar="AGE",
                        help="only links whose newest capture is older than AGE: 30m, 6h, 1d, 2w "
                        "or seconds (default: every link)")
    parser.add_argument("--only", metavar="PATTERN",
                        help="only URLs matching PATTERN: a glob on the whole URL when it has * ? "
                        "or [ (e.g. 'https://example.com/*'), else a substring (e.g. example.com)")
    parser.add_argument("--every", type=_duration, metavar="PERIOD",
                        help="stay in the foreground and refresh every PERIOD (start to start) "
                        "until Ctrl-C or SIGTERM; a round that finds the archive locked is skipped")
    parser.add_argument("--fallback", choices=("wayback",),
                        help="for rotted or never-archived links, archive the closest copy a "
                        "public web archive holds (marked as a third party's capture)")
    parser.add_argument("--wayback-endpoint", default=DEFAULT_ENDPOINT, metavar="URL",
                        type=absolute_http_url,  # a wrong one would only fail later, link by link
                        help=f"the availability API asked by --fallback wayback (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--json", action="store_true",
                        help="print each round's summary as one line of JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        options = RefreshOptions(
            run=RunOptions(fetch=fetch_options(args), max_file_size=args.warc_size), older_than=args.older_than, only=args.only,
            fallback_endpoint=args.wayback_endpoint if args.fallback == "wayback" else None,
        )
    except ValueError as exc:
        print(f"archiver refresh: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    if args.every is None:
        return _round(args, options, locked_is_fatal=True)
    codes: list[int] = []

    def one_round() -> bool:
        codes.append(_round(args, options, locked_is_fatal=False))
        return codes[-1] == exitcodes.INTERRUPTED

    run_periodically(one_round, args.every)
    print("archiver refresh: stopped", file=sys.stderr)
    return exitcodes.INTERRUPTED


def _round(args: argparse.Namespace, options: RefreshOptions, *, locked_is_fatal: bool) -> int:
    """One refresh with progress and summary; its exit status."""
    try:
        with RunProgress() as progress:
            report = refresh(args.archive, options, on_start=progress.start,
                             on_result=progress.result, on_fallback=_print_fallback)
    except LockedError as exc:
        tail = "try again when it has finished" if locked_is_fatal else "skipping this round"
        print(f"archiver refresh: {exc}; {tail}", file=sys.stderr)
        return exitcodes.LOCKED
    except (CatalogError, OSError) as exc:
        print(f"archiver refresh: cannot use the archive: {exc}", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    if args.json:
        print_json_line(report.to_dict())
    else:
        _print_report(report)
    sys.stdout.flush()
    return report.exit_code


def _print_report(report: RefreshReport) -> None:
    print(f"refresh: {report.selected} link(s) selected")
    if report.selected:  # else no run was made
        print_summary(report.run)
    for state in report.rotted:
        since = state.first_rotted.isoformat(timespec="seconds") if state.first_rotted else "?"
        print(f"rotted: {state.url} (since {since}; its earlier captures are kept)")
    for fallback in report.fallbacks:
        if fallback.error:
            print(f"no third-party copy: {fallback.url}: {fallback.error}")
        else:
            print(f"third-party copy: {fallback.url} <- {fallback.memento_url}")


def _print_fallback(result: FallbackResult) -> None:
    what = result.error or f"archived {result.memento_url}"
    print(f"archiver: fallback {result.url}: {what}", file=sys.stderr)


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
