"""``archiver unwrap``: print the original URL inside each wrapped link, offline."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator

from .. import exitcodes
from ..unwrap import unwrap_chain
from ._output import print_json_line

_SHOWN_INPUT = 200
"""Longest part of a bad input quoted in an error message."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``unwrap`` subcommand."""
    parser = subparsers.add_parser(
        "unwrap",
        help="print the original URL inside wrapped links (Safe Links, Proofpoint, redirectors)",
        description=(
            "Print the original URL inside each wrapped link, one result a line, in input order. "
            "Reads the URLs given as arguments, or one URL a line from standard input when there "
            "are none. Works offline. A link that cannot be decoded is printed as far as it could "
            "be decoded, with an error on standard error naming it."
        ),
        epilog="Exit status: 0 when every input decoded, 1 when any did not (all are still printed).",
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="wrapped URLs (default: read standard input)")
    parser.add_argument(
        "--json",
        action="store_true",
        help=(
            "print one JSON object a line: input, url, ok, layers (kind, wrapped URL, fields), "
            "repairs, error, opaque"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Unwrap every input, print each result, and return the exit status."""
    if hasattr(sys.stdout, "reconfigure"):
        # Bytes from a non-UTF-8 command line must not stop the run half-way through printing.
        sys.stdout.reconfigure(errors="backslashreplace")
    failed = False
    for text in args.urls or _stdin_lines():
        result = unwrap_chain(text)
        if args.json:
            print_json_line(result.to_dict())
        else:
            sys.stdout.write(result.url + "\n")
        if result.error is not None:
            failed = True
            shown = text if len(text) <= _SHOWN_INPUT else text[:_SHOWN_INPUT] + "..."
            print(f"archiver unwrap: {_escaped(shown)}: {_escaped(result.error)}", file=sys.stderr)
    return exitcodes.FAILED_ITEMS if failed else exitcodes.OK


def _stdin_lines() -> Iterator[str]:
    """Non-blank lines of standard input, without their line ends; undecodable bytes replaced."""
    buffer = getattr(sys.stdin, "buffer", None)
    stream: Iterable[str] = (
        io.TextIOWrapper(buffer, encoding="utf-8", errors="replace") if buffer is not None else sys.stdin
    )
    for number, line in enumerate(stream):
        line = line.rstrip("\r\n")
        if number == 0:
            line = line.removeprefix("\ufeff")  # a byte-order mark is not part of the first URL
        if line.strip():
            yield line


def _escaped(text: str) -> str:
    """``text`` with unprintable characters written as escapes (``\\x1b``, ``\\ufeff``): binary
    input must not send control sequences to the terminal, and an invisible character that broke
    a URL should be seen."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
