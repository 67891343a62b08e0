"""Command-line options shared by the commands that fetch and store (``run``, ``refresh``)."""

from __future__ import annotations

import argparse

from ..fetch import FetchOptions, parse_size
from ._archive_arg import add_archive_argument


def add_capture_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the archive folder and every fetcher option, with the library's defaults shown."""
    defaults = FetchOptions()
    add_archive_argument(parser)
    parser.add_argument("--warc-size", type=_size, default=10**9, metavar="SIZE",
                        help="start a new WARC file when one reaches SIZE (default 1GB)")
    group = parser.add_argument_group("fetching")
    group.add_argument("--concurrency", type=int, default=defaults.concurrency, metavar="N",
                       help=f"fetches under way at once (default {defaults.concurrency})")
    group.add_argument("--per-host", type=int, default=defaults.per_host, metavar="N",
                       help=f"fetches under way at once to one host (default {defaults.per_host})")
    group.add_argument("--host-delay", type=float, default=defaults.host_delay, metavar="SECONDS",
                       help=f"minimum time between requests to one host (default {defaults.host_delay})")
    group.add_argument("--timeout", type=float, default=defaults.timeout, metavar="SECONDS",
                       help=f"bound on one whole fetch, redirects and retries included (default {defaults.timeout:g})")
    group.add_argument("--max-size", type=_size, default=defaults.max_size, metavar="SIZE",
                       help="largest body kept, e.g. 5MB or 1GiB; longer bodies are cut and marked "
                       f"truncated (default {defaults.max_size // 2**20}MiB)")
    group.add_argument("--max-redirects", type=int, default=defaults.max_redirects, metavar="N",
                       help=f"redirect hops followed (default {defaults.max_redirects})")
    group.add_argument("--retries", type=int, default=defaults.retries, metavar="N",
                       help=f"retries after a connection error, time-out, 429 or 5xx (default {defaults.retries})")
    group.add_argument("--user-agent", default=defaults.user_agent, metavar="TEXT",
                       help=f"User-Agent header (default {defaults.user_agent!r})")
    group.add_argument("--robots", choices=("obey", "ignore"), default=defaults.robots,
                       help=f"whether robots.txt is obeyed (default {defaults.robots})")
    group.add_argument("--proxy", metavar="URL", help="send every request through this HTTP(S) proxy")
    group.add_argument("--allow-private", action="store_true",
                       help="allow private, loopback and link-local addresses (refused by default)")


def fetch_options(args: argparse.Namespace) -> FetchOptions:
    """The FetchOptions the parsed arguments ask for; ValueError names a bad one."""
    return FetchOptions(
        concurrency=args.concurrency,
        per_host=args.per_host,
        host_delay=args.host_delay,
        timeout=args.timeout,
        max_size=args.max_size,
        max_redirects=args.max_redirects,
        retries=args.retries,
        user_agent=args.user_agent,
        robots=args.robots,
        proxy=args.proxy,
        allow_private=args.allow_private,
        spool_dir=args.archive / ".spool",
    )


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
