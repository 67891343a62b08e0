"""The ``--archive DIR`` option of the commands that read an archive (report, index, export, replay, verify)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_archive_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--archive DIR`` (default ``archive/``), the folder of WARC files and catalog."""
    parser.add_argument("--archive", type=Path, default=Path("archive"), metavar="DIR",
                        help="the archive folder: WARC files and catalog (default: archive/)")
