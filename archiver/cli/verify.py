"""``archiver verify``: check every record's digests and that the catalog and the WARC files agree."""

from __future__ import annotations

import argparse
import json
import sys

from .. import exitcodes
from ..lock import ArchiveLock, LockedError
from ..verify import verify_archive
from ._archive_arg import add_archive_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check digests, the catalog against the WARC files, and leftover .open files",
        description="Read every WARC record and check its block and payload digests; check that "
        "every catalog row points at the right record and every response is catalogued; report "
        f"any .open file. Exit {exitcodes.ARCHIVE_PROBLEM} if anything is wrong. Takes the "
        "archive lock, so it waits for no one: a running 'archiver run' makes it exit "
        f"{exitcodes.LOCKED}.",
    )
    add_archive_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.archive.is_dir():
        print(f"archiver verify: error: {args.archive}: no such archive folder", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    try:
        with ArchiveLock(args.archive):
            result = verify_archive(args.archive)
    except LockedError as exc:
        print(f"archiver verify: error: {exc}", file=sys.stderr)
        return exitcodes.LOCKED
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in result.problems:
            print(problem)
        verdict = "OK" if result.ok else f"{len(result.problems)} problem(s)"
        print(f"{args.archive}: {result.files} WARC file(s), {result.records} record(s), "
              f"{result.catalog_rows} catalog row(s) checked: {verdict}", file=sys.stderr)
    return exitcodes.OK if result.ok else exitcodes.ARCHIVE_PROBLEM
