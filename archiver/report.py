"""What the archive holds, per source document: each original URL, its status, captures and rot.

``build_report`` reads the catalog (and, for block digests and truncation, the record headers
it points at) into plain values; ``report_to_json`` and ``print_report`` show them (JSON for
scripts, a rich table for people); ``archiver.report_html`` renders the same values as one
self-contained page. Redaction (on by default) hides the recipient addresses, tenant ids and
tokens that wrapped links carry, in every field shown.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .catalog import CATALOG_NAME, FAILED, HTTP_ERROR, OK, REVISIT, ROTTED, Capture, Catalog, LinkState
from .record_fields import body_truncation, record_fields
from .redact import Redactor, redactor_for
from .replay import DEFAULT_PORT, replay_url

NO_SOURCE = "(no source document)"
"""The group of links the catalog knows no occurrence for."""

# Status categories: the word a reader sees, and the colour that only repeats it.
ARCHIVED = "archived"
UNCHANGED = "unchanged"
CHANGED = "changed"
HTTP_ERROR_WORD = "http error"
FAILED_WORD = "failed"
_STYLES = {ARCHIVED: "green", UNCHANGED: "green", CHANGED: "yellow", HTTP_ERROR_WORD: "red",
           FAILED_WORD: "bold red"}


class ReportError(Exception):
    """The archive cannot be reported on (no catalog, unreadable catalog)."""


@dataclass(frozen=True)
class Mention:
    """One place a link is written in a source: position, text as written, anchor, unwrap chain."""

    line: int
    column: int
    written: str
    anchor: str | None
    wrappers: tuple[str, ...]
    chain: Mapping[str, Any]


@dataclass(frozen=True)
class LinkRow:
    """One original URL as it stands in the archive, seen from one source document.

    ``status`` is a category word (``archived``, ``unchanged``, ``changed``, ``http error``,
    ``failed``); ``http_status`` the final HTTP status; ``changes`` how many captures found a
    payload different from the one before; ``replay`` where ``archiver replay`` shows the newest
    capture (None when nothing was stored); ``truncated`` the WARC-Truncated reason of its
    record (``length`` for --max-size, ``disconnect``, ``time``), None when the body is whole.
    """

    url: str
    status: str
    http_status: int | None
    outcome: str
    last_capture: datetime
    captures: int
    changes: int
    rotted: bool
    first_rotted: datetime | None
    final_url: str | None
    redirects: tuple[tuple[int, str], ...]
    error: str | None
    error_kind: str | None
    payload_digest: str | None
    block_digest: str | None
    truncated: str | None
    record_id: str | None
    warc_file: str | None
    warc_offset: int | None
    replay: str | None
    mentions: tuple[Mention, ...]

    @property
    def status_text(self) -> str:
        """The status as a reader sees it: the word, then the HTTP status or the error kind."""
        detail = str(self.http_status) if self.http_status is not None else ""
        if self.status == FAILED_WORD:
            detail = self.error_kind or "no answer"
        shown = f"{self.status} ({detail})" if detail else self.status
        return f"{shown}, truncated ({self.truncated})" if self.truncated else shown


@dataclass(frozen=True)
class SourceSection:
    """A source document and the links written in it, by URL."""

    path: str
    links: tuple[LinkRow, ...]


@dataclass(frozen=True)
class Report:
    """The whole report: the archive, when it was made, and one section per source document."""

    archive: str
    generated: datetime
    redacted: bool
    replay_port: int
    sections: tuple[SourceSection, ...]

    def totals(self) -> dict[str, int]:
        """Links per status word, and rotted links, over every section (a link once per source)."""
        counts: dict[str, int] = defaultdict(int)
        for section in self.sections:
            for link in section.links:
                counts[link.status] += 1
                counts["rotted"] += int(link.rotted)
                counts["links"] += 1
        return dict(counts)


def build_report(
    directory: str | os.PathLike[str], *, redact: bool = True, replay_port: int = DEFAULT_PORT
) -> Report:
    """Read the archive in ``directory`` into a Report (ReportError when it has no catalog)."""
    folder = Path(directory)
    if not (folder / CATALOG_NAME).is_file():
        raise ReportError(f"{folder}: no {CATALOG_NAME}; run 'archiver run' (or 'archiver reindex')")
    try:
        with Catalog(folder / CATALOG_NAME) as catalog:
            states = {state.url: state for state in catalog.links()}
            history: dict[str, list[Capture]] = defaultdict(list)
            for capture in catalog.captures():
                history[capture.url].append(capture)
            mentions: dict[tuple[str, str], list[Mention]] = defaultdict(list)
            for url, occ in catalog.occurrences():
                mentions[(occ.source, url)].append(Mention(
                    occ.line, occ.column, occ.written, occ.anchor,
                    tuple(str(layer.get("kind", "?")) for layer in occ.chain.get("layers") or ()),
                    occ.chain,
                ))
    except Exception as exc:  # sqlite3 and CatalogError both mean "cannot read it"
        raise ReportError(f"{folder / CATALOG_NAME}: cannot read the catalog: {exc}") from exc

    by_source: dict[str, list[LinkRow]] = defaultdict(list)
    placed: set[str] = set()
    for (source, url), found in mentions.items():
        if history.get(url):
            by_source[source].append(_row(folder, history[url], states[url], found, replay_port))
            placed.add(url)
    for url, captures in history.items():
        if url not in placed:
            by_source[NO_SOURCE].append(_row(folder, captures, states[url], [], replay_port))
    # One redactor for the whole report: a value one link's chain names is hidden everywhere.
    redactor = redactor_for(m.chain for found in mentions.values() for m in found) if redact else None
    sections = tuple(
        SourceSection(redactor.text(source) if redactor else source, tuple(sorted(
            (_redacted(row, redactor) if redactor else row for row in rows), key=lambda row: row.url)))
        for source, rows in sorted(by_source.items(), key=lambda item: (item[0] == NO_SOURCE, item[0]))
    )
    return Report(str(folder), datetime.now(timezone.utc), redact, replay_port, sections)


def _row(
    folder: Path, captures: Sequence[Capture], state: LinkState, mentions: Sequence[Mention], replay_port: int
) -> LinkRow:
    # The status is the page's own: a copy found in another web archive (a newer outcome
    # than these four) is counted as a capture but does not speak for the live page.
    own = [capture for capture in captures if capture.outcome in (OK, HTTP_ERROR, FAILED, REVISIT)]
    latest = own[-1] if own else captures[-1]
    where = latest.location
    fields = record_fields(folder, where) if where else None
    return LinkRow(
        url=state.url,
        status=_status_word(latest),
        http_status=latest.status,
        outcome=latest.outcome,
        last_capture=latest.time,
        captures=len(captures),
        changes=sum(1 for capture in captures if capture.changed),
        rotted=state.state == ROTTED,
        first_rotted=state.first_rotted,
        final_url=latest.final_url,
        redirects=latest.redirects,
        error=latest.error,
        error_kind=latest.error_kind,
        payload_digest=latest.payload_digest,
        block_digest=fields.get("WARC-Block-Digest") if fields else None,
        truncated=body_truncation(fields),
        record_id=where.record_id if where else None,
        warc_file=where.filename if where else None,
        warc_offset=where.offset if where else None,
        replay=replay_url(latest.final_url, latest.time, replay_port) if where and latest.final_url else None,
        mentions=tuple(sorted(mentions, key=lambda m: (m.line, m.column))),
    )


def _status_word(latest: Capture) -> str:
    """The category word of a link's newest capture; an outcome we have no word for is shown as is."""
    if latest.outcome == OK:
        return CHANGED if latest.changed else ARCHIVED
    words = {FAILED: FAILED_WORD, HTTP_ERROR: HTTP_ERROR_WORD, REVISIT: UNCHANGED}
    return words.get(latest.outcome, latest.outcome.replace("-", " "))


def _redacted(row: LinkRow, redactor: Redactor) -> LinkRow:
    """``row`` with private data hidden; its replay link is dropped if its own URL had any."""
    redact_text, redact_value = redactor.text, redactor.value
    url = redact_text(row.url)
    final_url = redact_text(row.final_url) if row.final_url else None
    return LinkRow(
        url=url, status=row.status, http_status=row.http_status, outcome=row.outcome,
        last_capture=row.last_capture, captures=row.captures, changes=row.changes, rotted=row.rotted,
        first_rotted=row.first_rotted, final_url=final_url,
        redirects=tuple((status, redact_text(hop)) for status, hop in row.redirects),
        error=redact_text(row.error) if row.error else None, error_kind=row.error_kind,
        payload_digest=row.payload_digest, block_digest=row.block_digest, truncated=row.truncated,
        record_id=row.record_id,
        warc_file=row.warc_file, warc_offset=row.warc_offset,
        replay=row.replay if (url, final_url) == (row.url, row.final_url) else None,
        mentions=tuple(
            Mention(m.line, m.column, redact_text(m.written),
                    redact_text(m.anchor) if m.anchor else m.anchor, m.wrappers,
                    redact_value(dict(m.chain)))
            for m in row.mentions
        ),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values (times in ISO 8601 UTC)."""
    return {
        "archive": report.archive,
        "generated": _iso(report.generated),
        "redacted": report.redacted,
        "replay_port": report.replay_port,
        "totals": report.totals(),
        "sources": [
            {"path": section.path, "links": [_link_json(link) for link in section.links]}
            for section in report.sections
        ],
    }


def _link_json(link: LinkRow) -> dict[str, Any]:
    return {
        "url": link.url, "status": link.status, "http_status": link.http_status,
        "outcome": link.outcome, "last_capture": _iso(link.last_capture),
        "captures": link.captures, "changes": link.changes, "rotted": link.rotted,
        "first_rotted": _iso(link.first_rotted), "final_url": link.final_url,
        "redirects": [[status, url] for status, url in link.redirects], "error": link.error,
        "error_kind": link.error_kind,
        "payload_digest": link.payload_digest, "block_digest": link.block_digest,
        "truncated": link.truncated,
        "record_id": link.record_id, "warc_file": link.warc_file, "warc_offset": link.warc_offset,
        "replay": link.replay,
        "mentions": [
            {"line": m.line, "column": m.column, "written": m.written, "anchor": m.anchor,
             "wrappers": list(m.wrappers), "chain": dict(m.chain)}
            for m in link.mentions
        ],
    }


def print_report(report: Report, console: Console) -> None:
    """Print one table per source document: URL, status, last capture, captures, changed, rotted."""
    if not report.sections:
        console.print("The archive holds no captures yet.")
        return
    for section in report.sections:
        table = Table(title=Text(section.path), title_justify="left", expand=False)
        table.add_column("Original URL", overflow="fold")
        table.add_column("Status")
        table.add_column("Last capture (UTC)")
        table.add_column("Captures", justify="right")
        table.add_column("Changed")
        table.add_column("Rotted")
        for link in section.links:
            table.add_row(
                Text(link.url),
                Text(link.status_text, style=_STYLES.get(link.status, "")),
                link.last_capture.strftime("%Y-%m-%d %H:%M:%S"),
                str(link.captures),
                f"yes ({link.changes}x)" if link.changes else "no",
                Text(f"yes, since {link.first_rotted:%Y-%m-%d}" if link.rotted and link.first_rotted
                     else "yes" if link.rotted else "no", style="red" if link.rotted else ""),
            )
        console.print(table)
    totals = report.totals()
    parts = [f"{totals.get(word, 0)} {word}" for word in _STYLES if totals.get(word)]
    console.print(f"{totals.get('links', 0)} link(s): " + ", ".join(parts)
                  + f"; {totals.get('rotted', 0)} rotted")
