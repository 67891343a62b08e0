"""``archiver replay``: browse the archive's captures in pywb on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from .. import exitcodes
from ..export import ExportError, MissingPackageError
from ..replay import DEFAULT_PORT, ReplayError, ReplayServer
from ._archive_arg import add_archive_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="serve the archive with pywb on 127.0.0.1 and print the address to open",
        description="Start pywb on the loopback address over the archive's WARC files (not "
        "copied; indexed afresh at start) and print the address to open in a browser. "
        "Ctrl-C or SIGTERM stops it and cleans up.",
    )
    add_archive_argument(parser)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}, which the HTML report's links use)")
    parser.set_defaults(func=run)


class _Stop(Exception):
    """SIGTERM arrived: leave the wait and stop like Ctrl-C does."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run(args: argparse.Namespace) -> int:
    try:
        server = ReplayServer(args.archive, args.port)
    except ReplayError as exc:
        print(f"archiver replay: error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        base = server.start()
        print(f"Replaying {args.archive} at {base}", flush=True)
        print(f"Open a capture as {base}<14-digit timestamp>/<url>, or list them at {base}*/<url>. "
              "Ctrl-C stops.", flush=True)
        status = server.wait()
        print(f"archiver replay: error: pywb stopped by itself (status {status})", file=sys.stderr)
        return exitcodes.FAILED_ITEMS
    except ExportError as exc:
        print(f"archiver replay: error: {exc}", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    except (ReplayError, MissingPackageError) as exc:
        print(f"archiver replay: error: {exc}", file=sys.stderr)
        return exitcodes.FAILED_ITEMS
    except (KeyboardInterrupt, _Stop):
        print("archiver replay: stopped", file=sys.stderr)
        return exitcodes.OK
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
