"""The ``--archive DIR`` option of the commands that read an archive (report, index, export, replay, verify)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import exitcodes


def add_archive_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--archive DIR`` (default ``archive/``), the folder of WARC files and catalog."""
    parser.add_argument("--archive", type=Path, default=Path("archive"), metavar="DIR",
                        help="the archive folder: WARC files and catalog (default: archive/)")


def share_failure(command: str, exc: Exception, target: object) -> int:
    """Report an error of ``index``/``export`` on stderr and return its exit status.

    A damaged or missing archive is the archive's problem (4); a package that is not installed
    or an output that cannot be written is this command's failure (1).
    """
    from ..export import MissingPackageError

    if isinstance(exc, MissingPackageError):
        status, message = exitcodes.FAILED_ITEMS, str(exc)
    elif isinstance(exc, OSError):
        status, message = exitcodes.FAILED_ITEMS, f"cannot write {target}: {exc.strerror}"
    else:
        status, message = exitcodes.ARCHIVE_PROBLEM, str(exc)
    print(f"archiver {command}: error: {message}", file=sys.stderr)
    return status
