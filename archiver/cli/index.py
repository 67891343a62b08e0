"""``archiver index``: a CDXJ index of the archive's WARC files, the format pywb reads."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import exitcodes
from ..export import ExportError, MissingPackageError, write_cdxj
from ._archive_arg import add_archive_argument, share_failure


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "index",
        help="write a CDXJ index of the archive's WARC files (pywb's format)",
        description="Index every finished WARC file of the archive as sorted CDXJ lines (response, "
        "revisit, resource and metadata records), with file names relative to the archive folder.",
    )
    add_archive_argument(parser)
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write the index to FILE (replaced only when complete; default: stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.output is None:
            count = write_cdxj(args.archive, sys.stdout)
        else:
            partial = args.output.with_name(args.output.name + ".part")
            try:
                with open(partial, "w", encoding="utf-8") as out:
                    count = write_cdxj(args.archive, out)
                os.replace(partial, args.output)
            finally:
                partial.unlink(missing_ok=True)
    except (ExportError, MissingPackageError, OSError) as exc:
        return share_failure("index", exc, args.output)
    print(f"archiver index: {count} WARC file(s) indexed", file=sys.stderr)
    return exitcodes.OK
