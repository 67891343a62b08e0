"""Command-line options shared by the commands that find links in documents (``links``, ``run``)."""

from __future__ import annotations

import argparse


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the documents to read and how their links are read."""
    parser.add_argument("paths", nargs="*", default=["input/"], metavar="PATH",
                        help="documents or folders (recursively); '-' reads stdin (default: input/)")
    parser.add_argument("--base", metavar="URL",
                        help="resolve relative links against URL when a document states no address")
    parser.add_argument("--keep-tracking", action="store_true",
                        help="keep utm_*, fbclid and other tracking parameters in the URLs")
