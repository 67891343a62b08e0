"""Command-line options shared by the commands that find links in documents (``links``, ``run``)."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the documents to read and how their links are read."""
    parser.add_argument("paths", nargs="*", default=["input/"], metavar="PATH",
                        help="documents or folders (recursively); '-' reads stdin (default: input/)")
    parser.add_argument("--base", metavar="URL", type=absolute_http_url,
                        help="resolve relative links against URL when a document states no address")
    parser.add_argument("--keep-tracking", action="store_true",
                        help="keep utm_*, fbclid and other tracking parameters in the URLs")


def absolute_http_url(text: str) -> str:
    """An argparse type: ``text`` if it is an absolute http(s) URL with a host (else a usage error).

    Links resolved against anything else could never be fetched, so say so at once.
    """
    try:
        parts = urlsplit(text.strip())
        host, _ = parts.hostname, parts.port
    except ValueError as exc:  # a malformed [IPv6] host or port
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an absolute http(s) URL such as https://example.org/dir/")
    return text.strip()
