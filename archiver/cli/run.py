"""``archiver run``: find the links in documents, fetch the originals, store WARC snapshots."""

from __future__ import annotations

import argparse
import json
import sys

from .. import exitcodes
from ..catalog import CatalogError
from ..lock import LockedError
from ..pipeline import RunOptions, run as run_pipeline
from ._link_args import add_link_arguments
from ._capture_args import add_capture_arguments, fetch_options
from ._progress import RunProgress, print_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="archive every original URL found in documents as WARC snapshots",
        description="Find the links in the documents, unwrap them, fetch each original URL and "
        "store what the server sent in WARC files in the archive folder, with the source "
        "documents, the provenance of every link and a SQLite catalog. Links captured by an "
        "earlier run are skipped (--refetch fetches them again); failed ones are tried again.",
        epilog="Exit status: 0 when every link was archived with a status below 400; 1 when any "
        "link failed or a document could not be read; 3 when the archive is locked by another "
        "process; 4 when the archive cannot be written; 130 when interrupted.",
    )
    add_link_arguments(parser)
    add_capture_arguments(parser)
    parser.add_argument("--refetch", action="store_true",
                        help="fetch links again even when an earlier run captured them")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as one JSON object (every link's outcome)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        options = RunOptions(fetch=fetch_options(args), refetch=args.refetch,
                             keep_tracking=args.keep_tracking, base=args.base,
                             max_file_size=args.warc_size)
    except ValueError as exc:
        print(f"archiver run: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    try:
        with RunProgress() as progress:
            report = run_pipeline(args.paths, args.archive, options,
                                  on_start=progress.start, on_result=progress.result)
    except LockedError as exc:
        print(f"archiver run: {exc}; try again when it has finished", file=sys.stderr)
        return exitcodes.LOCKED
    except (CatalogError, OSError) as exc:
        print(f"archiver run: cannot write the archive: {exc}", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_summary(report)
    return report.exit_code
