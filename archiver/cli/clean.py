"""``archiver clean``: write a document back with every wrapped URL replaced by its original."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .. import exitcodes
from ..cleaning import clean
from ..sources import read_sources


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``clean`` subcommand to the ``archiver`` command line."""
    parser = subparsers.add_parser(
        "clean",
        help="replace every wrapped URL in a document by its original",
        description="Write FILE back with every wrapped URL (Safe Links, Proofpoint, redirectors) "
        "replaced by the original and nothing else changed: same structure, line endings and "
        "encoding. Writes to stdout unless -o or --in-place is given. '-' reads stdin.",
    )
    parser.add_argument("file", metavar="FILE", help="the document to clean ('-' for stdin)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT", help="write the cleaned document to OUT")
    where.add_argument("--in-place", action="store_true",
                       help="overwrite FILE, keeping the original as FILE.bak")
    parser.add_argument("--no-backup", action="store_true", help="with --in-place: keep no FILE.bak")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``archiver clean``; exit status 0, 1 when a problem was reported, 2 for a bad FILE."""
    if args.no_backup and not args.in_place:
        print("archiver clean: error: --no-backup only applies with --in-place", file=sys.stderr)
        return exitcodes.USAGE
    if args.in_place and args.file == "-":
        print("archiver clean: error: --in-place needs a file, not stdin", file=sys.stderr)
        return exitcodes.USAGE
    if os.path.isdir(args.file):
        print(f"archiver clean: error: {args.file}: a folder; give one file", file=sys.stderr)
        return exitcodes.USAGE
    sources, problems = read_sources([args.file])
    if problems:
        print(f"archiver clean: error: {problems[0].path}: {problems[0].message}", file=sys.stderr)
        return exitcodes.FAILED_ITEMS
    source = sources[0]
    result = clean(source)
    try:
        if args.in_place:
            if result.replaced:
                if not args.no_backup:
                    Path(f"{args.file}.bak").write_bytes(source.data)
                _replace_file(args.file, result.data)
        elif args.output and args.output != "-":
            Path(args.output).write_bytes(result.data)
        else:
            sys.stdout.buffer.write(result.data)
            sys.stdout.flush()
    except OSError as exc:
        print(f"archiver clean: error: cannot write: {exc}", file=sys.stderr)
        return exitcodes.FAILED_ITEMS
    for problem in result.problems:
        print(f"archiver clean: warning: {source.path}: {problem}", file=sys.stderr)
    print(f"archiver clean: {source.path}: {result.replaced} wrapped URL(s) replaced", file=sys.stderr)
    return exitcodes.FAILED_ITEMS if result.problems else exitcodes.OK


def _replace_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a crash leaves the old file or the new one, never half."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".clean-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
