"""``archiver links``: list the original URLs found in documents, with where each occurs."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import TextIO

from .. import exitcodes
from ..links import Link, find_links
from ..sources import SourceProblem, read_sources
from ._link_args import add_link_arguments
from ._output import is_terminal, print_json_line

_FORMATS = ("auto", "table", "plain", "json", "jsonl", "csv")
_CSV_FIELDS = (
    "url", "relative", "removed_params", "error", "source", "line", "column",
    "anchor", "fragment", "wrappers", "wrapped",
)  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``links`` subcommand to the ``archiver`` command line."""
    parser = subparsers.add_parser(
        "links",
        help="list the original URLs in documents (wrappers removed, deduplicated)",
        description="Find the links in text, Markdown, HTML and .eml documents, unwrap them and "
        "list each original URL once with every place it occurs. Problems go to stderr; exit 1 "
        "if there were any.",
    )
    add_link_arguments(parser)
    parser.add_argument("--format", choices=_FORMATS, default="auto",
                        help="auto (default): a table on a terminal, plain lines otherwise")
    parser.add_argument("--redact", action="store_true",
                        help="replace recipient addresses, tenant ids and recipient tokens")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``archiver links`` and return its exit status (0, or 1 when something was reported)."""
    sources, problems = read_sources(args.paths, base=args.base)
    links = find_links(sources, keep_tracking=args.keep_tracking)
    fmt = args.format if args.format != "auto" else ("table" if is_terminal() else "plain")
    _WRITERS[fmt](links, args.redact, sys.stdout)
    errors = _report_problems(problems, links, args.redact)
    return exitcodes.FAILED_ITEMS if errors else exitcodes.OK


def _report_problems(problems: list[SourceProblem], links: list[Link], redact: bool) -> int:
    for problem in problems:
        print(f"archiver: warning: {problem.path}: {problem.message}", file=sys.stderr)
    failed = [link for link in links if link.error]
    for link in failed:
        where = link.occurrences[0]
        message = f"{where.source}:{where.line}:{where.column}: cannot unwrap: {link.error}"
        print(f"archiver: error: {_shown(link, message, redact)}", file=sys.stderr)
    return len(problems) + len(failed)


def _shown(link: Link, text: str, redact: bool) -> str:
    """``text`` (about ``link``) with the private values of the link's chains hidden if asked."""
    return link.redactor().text(text) if redact else text


def _where(link: Link, limit: int) -> str:
    shown = [f"{o.source}:{o.line}:{o.column}" for o in link.occurrences[:limit]]
    more = len(link.occurrences) - limit
    return " ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _write_plain(links: list[Link], redact: bool, out: TextIO) -> None:
    """One line per link: URL, count, first places (the URL redacted if it holds an address)."""
    for link in links:
        note = " [relative, no base]" if link.relative else ""
        out.write(f"{_shown(link, link.url, redact)}{note}\t{len(link.occurrences)}\t{_where(link, 3)}\n")


def _write_table(links: list[Link], redact: bool, out: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(links)} link(s)", show_lines=False)
    for column in ("#", "Original URL", "Wrapped by", "Seen", "Where", "Tracking removed"):
        table.add_column(column, overflow="fold")
    for number, link in enumerate(links, 1):
        url = escape(_shown(link, link.url, redact))
        url = f"[yellow]{url}[/] (relative)" if link.relative else url
        if link.error:
            url += f"\n[red]{escape(_shown(link, link.error, redact))}[/]"
        table.add_row(str(number), url, " > ".join(link.kinds) or "-", str(len(link.occurrences)),
                      escape(_where(link, 3)), escape(", ".join(link.removed_params)) or "-")
    Console(file=out).print(table)


def _write_json(links: list[Link], redact: bool, out: TextIO) -> None:
    json.dump([link.to_dict(redact=redact) for link in links], out, ensure_ascii=False, indent=2)
    out.write("\n")


def _write_jsonl(links: list[Link], redact: bool, out: TextIO) -> None:
    for link in links:
        print_json_line(link.to_dict(redact=redact), out)


def _write_csv(links: list[Link], redact: bool, out: TextIO) -> None:
    """One row per occurrence: a spreadsheet can group by url."""
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for link in links:
        shown = link.redactor().text if redact else (lambda text: text)
        for occurrence in link.occurrences:
            writer.writerow({
                "url": shown(link.url),
                "relative": link.relative,
                "removed_params": ";".join(link.removed_params),
                "error": shown(link.error or ""),
                "source": occurrence.source,
                "line": occurrence.line,
                "column": occurrence.column,
                "anchor": shown(occurrence.anchor or ""),
                "fragment": occurrence.fragment or "",
                "wrappers": " > ".join(occurrence.chain.kinds),
                "wrapped": shown(occurrence.wrapped),
            })


_WRITERS = {
    "table": _write_table,
    "plain": _write_plain,
    "json": _write_json,
    "jsonl": _write_jsonl,
    "csv": _write_csv,
}
