"""``archiver report``: what the archive holds per source document, as a table, JSON or an HTML page."""

from __future__ import annotations

import argparse
import json
import os
import sys

from rich.console import Console

from .. import exitcodes
from ..replay import DEFAULT_PORT
from ..report import ReportError, build_report, print_report, report_to_json
from ..report_html import render_html
from ._archive_arg import add_archive_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="show each original URL per source document: status, captures, changes, rot",
        description="Report on the archive: per source document, each original URL with its "
        "status, last capture time, number of captures, and whether it changed or rotted. "
        "Recipient data in wrapped links is redacted unless --no-redact is given.",
    )
    add_archive_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON (for scripts)")
    parser.add_argument("--html", metavar="FILE",
                        help="write ONE self-contained HTML page (sortable, filterable, with "
                        "wrapped forms, unwrap and redirect chains, digests, replay links)")
    parser.add_argument("--no-redact", dest="redact", action="store_false",
                        help="show recipient addresses, message and tenant ids, Proofpoint tokens and customer ids as found")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                        help=f"the 'archiver replay --port' the HTML replay links use (default {DEFAULT_PORT})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = build_report(args.archive, redact=args.redact, replay_port=args.port)
    except ReportError as exc:
        print(f"archiver report: error: {exc}", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    if args.html:
        partial = f"{args.html}.part"
        try:
            with open(partial, "w", encoding="utf-8") as out:
                out.write(render_html(report))
            os.replace(partial, args.html)
        except OSError as exc:
            print(f"archiver report: error: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return exitcodes.FAILED_ITEMS
        print(f"archiver report: wrote {args.html}", file=sys.stderr)
    if args.json:
        json.dump(report_to_json(report), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif not args.html:
        print_report(report, Console(highlight=False))
    return exitcodes.OK
