"""The SQLite catalog (``archive/catalog.sqlite``): an index of the WARC files, never the truth.

It answers what the commands ask quickly: which links exist and where they were written
(``sources``, ``links``, ``occurrences``), every capture of a link and where its record lies
(``captures``), the newest capture per link and the payload to point a revisit at (``refresh``),
link rot (``links.state``, ``links.first_rotted``), and what each run did (``runs``).

Everything in it can be rebuilt from the WARC files alone (``rebuild_catalog``): each row is
derived from a provenance ``metadata`` record (see ``archiver.store``) plus the record it refers
to. WAL mode, one writer at a time (the archive lock), every write one transaction, and a row is
only written once the WARC records it points to are on disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from .rot import GONE_ERRORS, rot_reason

CATALOG_NAME = "catalog.sqlite"
SCHEMA_VERSION = 1

OK = "ok"
"""A final response with a status below 400."""
HTTP_ERROR = "http-error"
"""A final response with a status of 400 or more (archived all the same)."""
FAILED = "failed"
"""No final response (DNS, connect, timeout, refused address, ...): see ``error``/``error_kind``."""
REVISIT = "revisit"
"""A final response below 400 with the same payload as an earlier capture, stored as a revisit
record pointing at it (a repeated error page stays ``http-error``, with ``revisit_of`` set)."""
THIRD_PARTY = "third-party"
"""A copy fetched from another web archive (a Wayback memento) because the page itself was gone
or never archived; its provenance record says whose capture it is and of when."""
OUTCOMES = (OK, HTTP_ERROR, FAILED, REVISIT, THIRD_PARTY)

ALIVE = "alive"
ROTTED = "rotted"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, started TEXT NOT NULL, ended TEXT, options TEXT NOT NULL, counts TEXT
);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, media_type TEXT NOT NULL,
    record_id TEXT, warc_filename TEXT, warc_offset INTEGER, warc_length INTEGER,
    UNIQUE (path, sha256)
);
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, first_seen TEXT NOT NULL,
    state TEXT NOT NULL, first_rotted TEXT
);
CREATE TABLE IF NOT EXISTS occurrences (
    id INTEGER PRIMARY KEY, link_id INTEGER NOT NULL REFERENCES links(id),
    source_path TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL,
    wrapped INTEGER NOT NULL, written TEXT NOT NULL, anchor TEXT, chain TEXT NOT NULL,
    UNIQUE (link_id, source_path, line, col)
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY, link_id INTEGER NOT NULL REFERENCES links(id), run_id TEXT,
    time TEXT NOT NULL, outcome TEXT NOT NULL, status INTEGER, final_url TEXT,
    payload_digest TEXT, record_id TEXT UNIQUE, warc_filename TEXT, warc_offset INTEGER,
    warc_length INTEGER, error TEXT, error_kind TEXT, redirects TEXT NOT NULL,
    changed INTEGER, revisit_of TEXT, metadata_id TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS captures_by_link ON captures (link_id, time);
CREATE INDEX IF NOT EXISTS captures_by_digest ON captures (payload_digest);
"""


class CatalogError(RuntimeError):
    """The catalog file cannot be used (not SQLite, a newer schema, unreadable)."""


@dataclass(frozen=True)
class Location:
    """Where a record lies: its id and its gzip member in a finished WARC file."""

    record_id: str
    filename: str
    offset: int
    length: int


@dataclass(frozen=True)
class SourceEntry:
    """An input document, stored as a ``resource`` record (``location``)."""

    path: str
    sha256: str
    media_type: str
    location: Location | None = None


@dataclass(frozen=True)
class OccurrenceEntry:
    """One place a link is written: source path, 1-based line/column, the text as written,
    the anchor text, and the unwrap chain (``Unwrapped.to_dict()``)."""

    source: str
    line: int
    column: int
    written: str
    anchor: str | None = None
    chain: Mapping[str, Any] = field(default_factory=dict)

    @property
    def wrapped(self) -> bool:
        """True when a gateway or redirector wrapper was peeled off."""
        return bool(self.chain.get("layers"))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "line": self.line, "column": self.column,
            "written": self.written, "anchor": self.anchor, "chain": dict(self.chain),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> OccurrenceEntry:
        return cls(value["source"], int(value["line"]), int(value["column"]), value["written"],
                   value.get("anchor"), value.get("chain") or {})


@dataclass(frozen=True)
class Capture:
    """One attempt to capture a link, and where its response (or revisit) record lies.

    ``url`` is the link (canonical form); ``final_url`` the URL of the last hop; ``time`` the
    WARC-Date of the final record (or when the fetch failed). ``changed`` is filled in by the
    catalog: None for a link's first payload, else whether the payload differs from the
    previous one. ``revisit_of`` is the record id of the original a revisit points at.
    """

    url: str
    time: datetime
    outcome: str
    status: int | None = None
    final_url: str | None = None
    payload_digest: str | None = None
    location: Location | None = None
    error: str | None = None
    error_kind: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()
    revisit_of: str | None = None
    changed: bool | None = None
    run_id: str | None = None
    metadata_id: str | None = None

    # What WarcWriter.write_revisit needs of an original capture.
    @property
    def record_id(self) -> str:
        return self.location.record_id if self.location else ""

    @property
    def target_uri(self) -> str | None:
        return self.final_url

    @property
    def date(self) -> datetime:
        return self.time

    def to_json(self) -> dict[str, Any]:
        """The provenance fields a metadata record carries (location comes from WARC-Refers-To)."""
        return {
            "url": self.url, "time": _iso(self.time), "outcome": self.outcome,
            "status": self.status, "final_url": self.final_url,
            "payload_digest": self.payload_digest, "error": self.error,
            "error_kind": self.error_kind, "redirects": [list(hop) for hop in self.redirects],
            "revisit_of": self.revisit_of, "run_id": self.run_id,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Capture:
        return cls(
            url=value["url"], time=_parse_time(value["time"]), outcome=value["outcome"],
            status=value.get("status"), final_url=value.get("final_url"),
            payload_digest=value.get("payload_digest"), error=value.get("error"),
            error_kind=value.get("error_kind"),
            redirects=tuple((int(s), str(u)) for s, u in value.get("redirects") or ()),
            revisit_of=value.get("revisit_of"), run_id=value.get("run_id"),
        )


@dataclass(frozen=True)
class LinkState:
    """A link's rot state: ``rotted`` once a capture shows the page gone (``archiver.rot``), ``alive``
    again after a good answer; passing failures change nothing. ``first_rotted`` is the time of
    the first capture of the current rotted streak (None while alive)."""

    url: str
    first_seen: datetime
    state: str
    first_rotted: datetime | None
    captures: int


@dataclass(frozen=True)
class Run:
    """One ``archiver run``/``refresh``: when, with which options, and what it counted."""

    id: str
    started: datetime
    ended: datetime | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "started": _iso(self.started),
            "ended": _iso(self.ended) if self.ended else None,
            "options": dict(self.options), "counts": dict(self.counts) if self.counts is not None else None,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Run:
        ended = value.get("ended")
        return cls(value["id"], _parse_time(value["started"]), _parse_time(ended) if ended else None,
                   value.get("options") or {}, value.get("counts"))


class Catalog:
    """The catalog database of one archive folder (a context manager).

    Writers: ``add_source``, ``add_capture`` (with its occurrences), ``save_run``. Readers:
    ``latest_captures``, ``latest_capture``, ``history``, ``original_for``, ``links``,
    ``occurrences``, ``sources``, ``runs``, ``captures``.
    """

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        """Open (or create) the catalog at ``path``. ``durable=False`` skips fsync per commit,
        for a rebuild into a scratch file that is fsynced once at the end."""
        self.path = Path(path)
        try:
            self._depth = 0
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise CatalogError(f"{self.path}: cannot open the catalog: {exc}") from None
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
            self._db.execute("PRAGMA foreign_keys=ON")
            with self._transaction():
                self._create()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise CatalogError(f"{self.path}: not a usable catalog: {exc}") from None

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> Catalog:
        """The catalog of the archive folder ``directory`` (created when missing)."""
        Path(directory).mkdir(parents=True, exist_ok=True)
        return cls(Path(directory) / CATALOG_NAME)

    def close(self) -> None:
        """Close the database; safe to call twice."""
        self._db.close()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (before it is copied or moved)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def add_source(self, source: SourceEntry) -> None:
        """Record an input document (once per path and content)."""
        where = source.location
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO sources (path, sha256, media_type, record_id, warc_filename,"
                " warc_offset, warc_length) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (source.path, source.sha256, source.media_type, *_location_row(where)),
            )

    def add_capture(self, capture: Capture, occurrences: Iterable[OccurrenceEntry] = ()) -> Capture:
        """Record a capture of ``capture.url`` and where the link is written; update its rot state.

        Call only once the records ``capture.location`` points at are on disk
        (``WarcWriter.sync``). Returns the capture with ``changed`` filled in. Adding the same
        metadata record twice is a no-op.
        """
        if capture.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {capture.outcome!r}; expected one of {', '.join(OUTCOMES)}")
        with self._transaction():
            if capture.metadata_id and self._db.execute(
                "SELECT 1 FROM captures WHERE metadata_id = ?", (capture.metadata_id,)
            ).fetchone():
                return capture
            link_id = self._link_id(capture.url, capture.time)
            reference = self._rot_reference(link_id)
            previous = self._previous_own_capture(link_id)
            capture = replace(capture, changed=self._changed(link_id, capture))
            self._db.execute(
                "INSERT INTO captures (link_id, run_id, time, outcome, status, final_url,"
                " payload_digest, record_id, warc_filename, warc_offset, warc_length, error,"
                " error_kind, redirects, changed, revisit_of, metadata_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (link_id, capture.run_id, _iso(capture.time), capture.outcome, capture.status,
                 capture.final_url, capture.payload_digest, *_location_row(capture.location),
                 capture.error, capture.error_kind, json.dumps([list(h) for h in capture.redirects]),
                 None if capture.changed is None else int(capture.changed), capture.revisit_of,
                 capture.metadata_id),
            )
            for occ in occurrences:
                self._db.execute(
                    "INSERT OR IGNORE INTO occurrences (link_id, source_path, line, col, wrapped,"
                    " written, anchor, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (link_id, occ.source, occ.line, occ.column, int(occ.wrapped), occ.written,
                     occ.anchor, json.dumps(dict(occ.chain), sort_keys=True)),
                )
            self._update_state(link_id, capture, reference, previous)
        return capture

    def save_run(self, run: Run) -> None:
        """Insert or update a run (call at its start, and again at its end with counts)."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs (id, started, ended, options, counts) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET ended = excluded.ended, counts = excluded.counts",
                (run.id, _iso(run.started), _iso(run.ended) if run.ended else None,
                 json.dumps(dict(run.options), sort_keys=True),
                 json.dumps(dict(run.counts), sort_keys=True) if run.counts is not None else None),
            )

    # -- reading ------------------------------------------------------------------------------

    def captures(self) -> list[Capture]:
        """Every capture, oldest first (ties in insertion order)."""
        return [_capture(row) for row in self._db.execute(_CAPTURES + " ORDER BY c.time, c.id")]

    def history(self, url: str) -> list[Capture]:
        """Every capture of one link, oldest first."""
        rows = self._db.execute(_CAPTURES + " WHERE l.url = ? ORDER BY c.time, c.id", (url,))
        return [_capture(row) for row in rows]

    def latest_capture(self, url: str) -> Capture | None:
        """The newest capture of ``url``, whatever its outcome (one indexed row, not the history)."""
        row = self._db.execute(
            _CAPTURES + " WHERE l.url = ? ORDER BY c.time DESC, c.id DESC LIMIT 1", (url,)
        ).fetchone()
        return _capture(row) if row else None

    def latest_captures(self) -> list[Capture]:
        """The newest capture of every link, by URL (what ``refresh`` starts from)."""
        rows = self._db.execute(
            _CAPTURES + " WHERE c.id = (SELECT c2.id FROM captures c2 WHERE c2.link_id = c.link_id"
            " ORDER BY c2.time DESC, c2.id DESC LIMIT 1) ORDER BY l.url"
        )
        return [_capture(row) for row in rows]

    def original_for(self, url: str, payload_digest: str) -> Capture | None:
        """The newest full (non-revisit) capture of ``url`` with this payload: a revisit's target."""
        row = self._db.execute(
            _CAPTURES + " WHERE l.url = ? AND c.payload_digest = ? AND c.outcome IN (?, ?)"
            " AND c.revisit_of IS NULL AND c.record_id IS NOT NULL"
            " ORDER BY c.time DESC, c.id DESC LIMIT 1",
            (url, payload_digest, OK, HTTP_ERROR),
        ).fetchone()
        return _capture(row) if row else None

    def links(self) -> list[LinkState]:
        """Every link with its rot state and number of captures, by URL."""
        rows = self._db.execute(
            "SELECT l.*, (SELECT COUNT(*) FROM captures c WHERE c.link_id = l.id) AS n"
            " FROM links l ORDER BY l.url"
        )
        return [
            LinkState(row["url"], _parse_time(row["first_seen"]), row["state"],
                      _parse_time(row["first_rotted"]) if row["first_rotted"] else None, row["n"])
            for row in rows
        ]

    def occurrences(self, url: str | None = None) -> list[tuple[str, OccurrenceEntry]]:
        """(link URL, occurrence) pairs, for one link or all, by URL then source position."""
        sql = ("SELECT l.url, o.* FROM occurrences o JOIN links l ON l.id = o.link_id"
               + (" WHERE l.url = ?" if url else "") + " ORDER BY l.url, o.source_path, o.line, o.col")
        rows = self._db.execute(sql, (url,) if url else ())
        return [
            (row["url"], OccurrenceEntry(row["source_path"], row["line"], row["col"], row["written"],
                                         row["anchor"], json.loads(row["chain"])))
            for row in rows
        ]

    def sources(self) -> list[SourceEntry]:
        """Every input document recorded, by path."""
        rows = self._db.execute("SELECT * FROM sources ORDER BY path, sha256")
        return [SourceEntry(row["path"], row["sha256"], row["media_type"], _location(row)) for row in rows]

    def source_by_digest(self, sha256: str, path: str | None = None) -> SourceEntry | None:
        """A stored source with this content (preferring the one at ``path``), or None."""
        row = self._db.execute(
            "SELECT * FROM sources WHERE sha256 = ? AND record_id IS NOT NULL"
            " ORDER BY path = ? DESC, id LIMIT 1", (sha256, path),
        ).fetchone()
        return SourceEntry(row["path"], row["sha256"], row["media_type"], _location(row)) if row else None

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        rows = self._db.execute("SELECT * FROM runs ORDER BY started, id")
        return [
            Run(row["id"], _parse_time(row["started"]),
                _parse_time(row["ended"]) if row["ended"] else None, json.loads(row["options"]),
                json.loads(row["counts"]) if row["counts"] else None)
            for row in rows
        ]

    # -- internals ----------------------------------------------------------------------------

    def _create(self) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row["value"]) > SCHEMA_VERSION:
            raise CatalogError(f"{self.path}: schema {row['value']} is newer than this archiver's")

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def batch(self) -> _Transaction:
        """A context in which every write joins one transaction: one commit (and one fsync) for
        a group of captures. Use only for rows whose WARC records are already on disk."""
        return _Transaction(self)

    def _link_id(self, url: str, seen: datetime) -> int:
        row = self._db.execute("SELECT id FROM links WHERE url = ?", (url,)).fetchone()
        if row:
            return int(row["id"])
        cursor = self._db.execute(
            "INSERT INTO links (url, first_seen, state) VALUES (?, ?, ?)", (url, _iso(seen), ALIVE)
        )
        return int(cursor.lastrowid or 0)

    def _changed(self, link_id: int, capture: Capture) -> bool | None:
        if capture.payload_digest is None or capture.outcome == THIRD_PARTY:
            return None
        row = self._db.execute(
            "SELECT payload_digest FROM captures WHERE link_id = ? AND payload_digest IS NOT NULL"
            " AND outcome != ? ORDER BY time DESC, id DESC LIMIT 1", (link_id, THIRD_PARTY),
        ).fetchone()
        return None if row is None else row["payload_digest"] != capture.payload_digest

    def _rot_reference(self, link_id: int) -> str | None:
        """Where the link led when first archived fine: redirects are judged against it."""
        row = self._db.execute(
            "SELECT final_url FROM captures WHERE link_id = ? AND outcome IN (?, ?)"
            " ORDER BY time, id LIMIT 1", (link_id, OK, REVISIT),
        ).fetchone()
        return row["final_url"] if row else None

    def _previous_own_capture(self, link_id: int) -> sqlite3.Row | None:
        """The link's newest capture so far that is not another archive's copy."""
        return self._db.execute(
            "SELECT error_kind, time FROM captures WHERE link_id = ? AND outcome != ?"
            " ORDER BY time DESC, id DESC LIMIT 1", (link_id, THIRD_PARTY),
        ).fetchone()

    def _update_state(self, link_id: int, capture: Capture, reference: str | None,
                      previous: sqlite3.Row | None) -> None:
        # See archiver.rot: gone (404/410, DNS twice, redirected away) rots a link that was
        # archived fine, a good answer revives it, and a passing failure (timeout, 5xx, ...)
        # or another archive's copy leaves the verdict as it was.
        if capture.outcome == THIRD_PARTY:
            return
        previous_kind = previous["error_kind"] if previous else None
        reason = rot_reason(capture.status, capture.error_kind, reference, capture.final_url,
                            previous_kind)
        if reason is None:
            if capture.outcome in (OK, REVISIT):
                self._db.execute("UPDATE links SET state = ?, first_rotted = NULL WHERE id = ?",
                                 (ALIVE, link_id))
            return
        # A host that stopped resolving was first seen gone at the first failure of the two.
        since = previous["time"] if capture.error_kind in GONE_ERRORS and previous else _iso(capture.time)
        self._db.execute(
            "UPDATE links SET state = ?, first_rotted = COALESCE(first_rotted, ?) WHERE id = ?",
            (ROTTED, since, link_id),
        )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (the connection is in autocommit).

    Nested uses join the outermost transaction, so ``Catalog.batch`` can group many writes.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __enter__(self) -> None:
        if self._catalog._depth == 0:
            self._catalog._db.execute("BEGIN IMMEDIATE")
        self._catalog._depth += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._catalog._depth -= 1
        if self._catalog._depth == 0:
            self._catalog._db.execute("ROLLBACK" if exc_type else "COMMIT")


_CAPTURES = "SELECT l.url, c.* FROM captures c JOIN links l ON l.id = c.link_id"


def _capture(row: sqlite3.Row) -> Capture:
    return Capture(
        url=row["url"], time=_parse_time(row["time"]), outcome=row["outcome"], status=row["status"],
        final_url=row["final_url"], payload_digest=row["payload_digest"], location=_location(row),
        error=row["error"], error_kind=row["error_kind"],
        redirects=tuple((int(s), str(u)) for s, u in json.loads(row["redirects"])),
        revisit_of=row["revisit_of"], changed=None if row["changed"] is None else bool(row["changed"]),
        run_id=row["run_id"], metadata_id=row["metadata_id"],
    )


def _location(row: sqlite3.Row) -> Location | None:
    if row["record_id"] is None:
        return None
    return Location(row["record_id"], row["warc_filename"], row["warc_offset"], row["warc_length"])


def _location_row(where: Location | None) -> tuple[Any, ...]:
    return (where.record_id, where.filename, where.offset, where.length) if where else (None,) * 4


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


# -- provenance payloads: what metadata records carry so the catalog can be rebuilt ------------

KIND = "archiver"
"""The payload key naming what a metadata record describes: ``source``, ``capture`` or ``run``."""


def source_payload(source: SourceEntry) -> dict[str, Any]:
    """The metadata payload recording an input document (refers to its resource record)."""
    return {KIND: "source", "source": {"path": source.path, "sha256": source.sha256,
                                       "media_type": source.media_type}}


def capture_payload(capture: Capture, occurrences: Iterable[OccurrenceEntry]) -> dict[str, Any]:
    """The metadata payload recording a capture (refers to its final response or revisit)."""
    return {KIND: "capture", "capture": capture.to_json(),
            "occurrences": [occ.to_json() for occ in occurrences]}


def run_payload(run: Run) -> dict[str, Any]:
    """The metadata payload recording a run (written at its start and again at its end)."""
    return {KIND: "run", "run": run.to_json()}


def rebuild_catalog(directory: str | os.PathLike[str], problems: list[str] | None = None) -> Catalog:
    """Rebuild ``directory/catalog.sqlite`` from the finished WARC files alone and open it.

    The new catalog is built in a scratch file and then replaces the old one atomically, so a
    crash midway leaves the old catalog. A damaged WARC file (or a provenance record that cannot
    be read) is skipped from that point on and described in ``problems``. Run under the archive
    lock, after ``repair_open_files``.
    """
    from .warc import iter_records, metadata_subject, warc_files  # the catalog indexes the WARC files

    folder = Path(directory)
    scratch = folder / f"{CATALOG_NAME}.rebuild"
    for stale in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        stale.unlink(missing_ok=True)
    located: dict[str, Location] = {}
    notes = problems if problems is not None else []
    with Catalog(scratch, durable=False) as catalog:
        for path in warc_files(folder):
            try:
                for stored in iter_records(path, notes):
                    ref = stored.ref
                    if ref.record_type in ("response", "revisit", "resource"):
                        located[ref.record_id] = Location(ref.record_id, ref.filename, ref.offset, ref.length)
                    elif ref.record_type == "metadata" and metadata_subject(ref.target_uri or "") is not None:
                        problem = _apply(catalog, stored.block, stored.fields, located)
                        if problem:
                            notes.append(f"{path.name} at {ref.offset}: {problem}")
            except OSError as exc:
                notes.append(f"{path.name}: cannot be read: {exc.strerror}")
        catalog.checkpoint()
    with open(scratch, "rb+") as handle:
        os.fsync(handle.fileno())
    final = folder / CATALOG_NAME
    for stale in (Path(f"{final}-wal"), Path(f"{final}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(scratch, final)
    return Catalog(final)


def _apply(catalog: Catalog, block: bytes | None, fields: Mapping[str, str],
           located: Mapping[str, Location]) -> str | None:
    """Replay one provenance metadata record into ``catalog``; a problem description or None."""
    try:
        payload = json.loads(block or b"")
        kind = payload.get(KIND)
        where = located.get(fields.get("WARC-Refers-To", ""))
        if kind == "source":
            value = payload["source"]
            catalog.add_source(SourceEntry(value["path"], value["sha256"], value["media_type"], where))
        elif kind == "capture":
            capture = replace(Capture.from_json(payload["capture"]), location=where,
                              metadata_id=fields.get("WARC-Record-ID"))
            catalog.add_capture(capture, [OccurrenceEntry.from_json(o) for o in payload["occurrences"]])
        elif kind == "run":
            catalog.save_run(Run.from_json(payload["run"]))
        else:
            return f"metadata record of unknown kind {kind!r} ignored"
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"unreadable provenance record ignored ({type(exc).__name__}: {exc})"
    return None
