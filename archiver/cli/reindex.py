"""``archiver reindex``: rebuild the catalog from the WARC files alone (after a crash, or a lost catalog)."""

from __future__ import annotations

import argparse
import sys

from .. import exitcodes
from ..catalog import CATALOG_NAME, CatalogError, rebuild_catalog
from ..lock import ArchiveLock, LockedError
from ..store import GROUP_END_TYPES
from ..warc import repair_open_files
from ..warc.writer import WARC_SUFFIX
from ._archive_arg import add_archive_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reindex",
        help="rebuild the catalog from the WARC files",
        description="Finish WARC files left open by a crash (cut back to their last whole capture), "
        "then rebuild catalog.sqlite from the WARC files alone. The old catalog is replaced only "
        "when the new one is complete.",
    )
    add_archive_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.archive.is_dir():
        print(f"archiver reindex: error: {args.archive}: no such archive folder", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    # Checked before the lock, whose file would already be a write into a folder not ours;
    # the glob also finds the .warc.gz.open files a crash left (reindex finishes those).
    if not (args.archive / CATALOG_NAME).exists() and not any(args.archive.glob(f"*{WARC_SUFFIX}*")):
        print(f"archiver reindex: error: {args.archive} holds no WARC files and no catalog: "
              "not an archive folder", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    problems: list[str] = []
    try:
        with ArchiveLock(args.archive):
            for line in repair_open_files(args.archive, group_ends=GROUP_END_TYPES):
                print(f"archiver reindex: repaired {line}", file=sys.stderr)
            with rebuild_catalog(args.archive, problems) as catalog:
                captures, links = len(catalog.captures()), len(catalog.links())
                sources = len(catalog.sources())
    except LockedError as exc:
        print(f"archiver reindex: error: {exc}", file=sys.stderr)
        return exitcodes.LOCKED
    except (CatalogError, OSError) as exc:
        print(f"archiver reindex: error: {exc}", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    for problem in problems:
        print(f"archiver reindex: warning: {problem}", file=sys.stderr)
    print(f"archiver reindex: {captures} captures of {links} links, {sources} sources indexed")
    return exitcodes.ARCHIVE_PROBLEM if problems else exitcodes.OK
