"""Check an archive end to end: every record's digests, the WARC files against the catalog.

Each ``.warc.gz`` file is read gzip member by gzip member with zlib (not through warcio), so a
damaged member is named by its offset and the check goes on at the next member instead of
giving up on the file. For every record the block digest is recomputed over the block, and the
payload digest over the payload (the block after the HTTP header for ``application/http``
records, the whole block otherwise; revisits carry the original's digest, so they are checked
against the record they refer to). Then the catalog must agree with what was read: every capture
and source row points at a record with that id, type and URI at that offset, and every response
and revisit record is known to the catalog (as a capture, or as a redirect hop of one). Problems
are values: the check reports all of them and never stops at the first.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .catalog import CATALOG_NAME, REVISIT, Catalog, Location
from .warc import target_uri, warc_files
from .warc.reader import next_member
from .warc.writer import OPEN_SUFFIX, WARC_SUFFIX

_CHUNK = 1 << 16
_HEAD_LIMIT = 1 << 20
_TRAILER = b"\r\n\r\n"


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the file (a WARC file name or the catalog), the offset if any, what."""

    file: str
    offset: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.file} at offset {self.offset}" if self.offset is not None else self.file
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class FoundRecord:
    """A whole record read from a WARC file: where it starts and what its header says."""

    filename: str
    offset: int
    length: int
    record_id: str
    record_type: str
    uri: str | None
    payload_digest: str | None
    refers_to: str | None
    status: int | None


@dataclass
class VerifyResult:
    """What ``verify_archive`` checked and every problem it found."""

    files: int = 0
    records: int = 0
    catalog_rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok, "files": self.files, "records": self.records,
            "catalog_rows": self.catalog_rows,
            "problems": [{"file": p.file, "offset": p.offset, "problem": p.problem} for p in self.problems],
        }


def verify_archive(directory: str | os.PathLike[str]) -> VerifyResult:
    """Check every WARC file, record and catalog row of the archive in ``directory``.

    Run it under the archive lock (a live writer's ``.open`` file and not yet committed rows
    would otherwise show up as problems).
    """
    folder = Path(directory)
    result = VerifyResult()
    if not folder.is_dir():
        result.problems.append(Problem(str(folder), None, "no such archive folder"))
        return result
    for path in sorted(folder.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        result.problems.append(Problem(path.name, None, "unfinished file left open (by a crash, or a run "
                                       "still writing): 'archiver run' or 'archiver reindex' finishes it"))
    found: dict[tuple[str, int], FoundRecord] = {}
    for path in warc_files(folder):
        result.files += 1
        for item in scan_warc(path):
            if isinstance(item, Problem):
                result.problems.append(item)
            else:
                result.records += 1
                found[(item.filename, item.offset)] = item
    result.problems.extend(_check_revisits(found))
    if (folder / CATALOG_NAME).is_file():
        _check_catalog(folder, found, result)
    else:
        result.problems.append(Problem(CATALOG_NAME, None, "no catalog: 'archiver reindex' rebuilds it from the WARC files"))
    return result


# -- one WARC file ------------------------------------------------------------------------------


def scan_warc(path: Path) -> Iterator[FoundRecord | Problem]:
    """Every record of ``path`` (one per gzip member), and a Problem for each thing wrong.

    After a damaged member the scan goes on at the next gzip member that holds a WARC record.
    """
    with open(path, "rb") as handle:
        offset = 0
        while True:
            handle.seek(offset)
            if not handle.read(1):
                return
            end, findings = _read_member(handle, offset, path.name)
            yield from findings
            if end is not None:
                offset = end
                continue
            resume = next_member(handle, offset + 1)
            if resume is None:
                return
            offset = resume


def _read_member(handle: BinaryIO, offset: int, name: str) -> tuple[int | None, list[FoundRecord | Problem]]:
    """Inflate the member at ``offset`` and check its record.

    Returns (end offset, findings) when the member is whole (findings: the record and any digest
    problems), or (None, [problem]) when it is damaged or cut short.
    """
    handle.seek(offset)
    inflater = zlib.decompressobj(31)
    check = _RecordCheck()
    consumed = 0
    while True:
        data = handle.read(_CHUNK)
        if not data:
            return None, [Problem(name, offset, "file ends inside this record (truncated file)")]
        try:
            check.feed(inflater.decompress(data))
        except zlib.error as exc:
            return None, [Problem(name, offset, f"damaged gzip member: {exc}")]
        if inflater.eof:
            consumed += len(data) - len(inflater.unused_data)
            break
        consumed += len(data)
    end = offset + consumed
    record, problems = check.finish(name, offset, consumed)
    return end, [*([record] if record else []), *(Problem(name, offset, p) for p in problems)]


class _RecordCheck:
    """Fed the inflated bytes of one gzip member: parses the record and hashes block and payload."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.fields: dict[str, str] | None = None
        self.length = 0
        self.block_seen = 0
        self.tail = bytearray()
        self.block_hash: _Digest | None = None
        self.payload_hash: _Digest | None = None
        self.http_head: bytearray | None = None
        self.status: int | None = None
        self.after_block = 0
        self.problems: list[str] = []

    def feed(self, data: bytes) -> None:
        if self.fields is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > _HEAD_LIMIT:
                    self.problems.append("no end of the WARC header within 1 MiB")
                    self.fields = {}  # unreadable: the rest of the member is skipped
                return
            data = bytes(self.head[end + 4:])
            self._start(bytes(self.head[: end + 2]))
        if self.fields is None:
            return
        room = max(self.length - self.block_seen, 0)
        block, rest = data[:room], data[room:]
        if block:
            self._block(block)
        self.tail += rest
        del self.tail[:-8]
        self.after_block += len(rest)

    def _start(self, head: bytes) -> None:
        lines = head.decode("utf-8", "replace").split("\r\n")
        if not lines[0].startswith("WARC/"):
            self.problems.append("not a WARC record (no WARC/ version line)")
            self.fields = {}
            return
        self.fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.fields[name.strip().lower()] = value.strip()
        try:
            self.length = int(self.fields.get("content-length", ""))
        except ValueError:
            self.problems.append("no valid Content-Length")
        self.block_hash = _Digest.of(self.fields.get("warc-block-digest"), self.problems, "block")
        if self.fields.get("warc-type") != "revisit":
            self.payload_hash = _Digest.of(self.fields.get("warc-payload-digest"), self.problems, "payload")
        if self.fields.get("content-type", "").startswith("application/http"):
            self.http_head = bytearray()

    def _block(self, data: bytes) -> None:
        self.block_seen += len(data)
        if self.block_hash:
            self.block_hash.update(data)
        if self.http_head is not None:
            # The payload starts after the HTTP header's blank line.
            self.http_head += data
            end = self.http_head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.http_head) > _HEAD_LIMIT:
                    self.http_head = None
                    self.payload_hash = None
                    self.problems.append("no HTTP header end within 1 MiB")
                return
            data = bytes(self.http_head[end + 4:])
            self.status = _status(bytes(self.http_head[:end]))
            self.http_head = None
        if self.payload_hash:
            self.payload_hash.update(data)

    def finish(self, name: str, offset: int, consumed: int) -> tuple[FoundRecord | None, list[str]]:
        if self.fields is None:
            return None, ["gzip member holds no WARC header"]
        problems = self.problems
        if not self.fields:
            return None, problems
        if self.block_seen < self.length:
            problems.append(f"block is {self.block_seen} bytes, Content-Length says {self.length}")
        elif bytes(self.tail) != _TRAILER or self.after_block != len(_TRAILER):
            problems.append("record does not end with exactly CRLF CRLF after its block")
        if self.block_hash and not self.block_hash.matches():
            problems.append(f"block digest mismatch: header says {self.block_hash.label}, "
                            f"block hashes to {self.block_hash.actual()}")
        if self.http_head is not None and self.payload_hash:
            problems.append("no end of the HTTP header in the block")
        elif self.payload_hash and not self.payload_hash.matches():
            problems.append(f"payload digest mismatch: header says {self.payload_hash.label}, "
                            f"payload hashes to {self.payload_hash.actual()}")
        fields = self.fields
        record = FoundRecord(
            filename=name, offset=offset, length=consumed,
            record_id=fields.get("warc-record-id", ""), record_type=fields.get("warc-type", ""),
            uri=fields.get("warc-target-uri"), payload_digest=fields.get("warc-payload-digest"),
            refers_to=fields.get("warc-refers-to"), status=self.status,
        )
        return record, problems


def _status(http_head: bytes) -> int | None:
    match = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", http_head)
    return int(match.group(1)) if match else None


class _Digest:
    """A running hash checked against a labelled digest (``algo:`` + base16 or base32)."""

    def __init__(self, label: str, algorithm: str, expected: str) -> None:
        self.label = label
        self.algorithm = algorithm
        self.expected = expected
        self.hash = hashlib.new(algorithm)

    @classmethod
    def of(cls, label: str | None, problems: list[str], what: str) -> _Digest | None:
        if not label:
            return None
        algorithm, _, expected = label.partition(":")
        try:
            return cls(label, algorithm.lower().replace("-", ""), expected)
        except ValueError:
            problems.append(f"{what} digest {label!r}: unknown algorithm, not checked")
            return None

    def update(self, data: bytes) -> None:
        self.hash.update(data)

    def actual(self) -> str:
        return f"{self.algorithm}:{self.hash.hexdigest()}"

    def matches(self) -> bool:
        raw = self.hash.digest()
        return self.expected.lower() == raw.hex() or \
            self.expected.upper().rstrip("=") == base64.b32encode(raw).decode().rstrip("=")


# -- across records and against the catalog -----------------------------------------------------


def _check_revisits(found: dict[tuple[str, int], FoundRecord]) -> Iterator[Problem]:
    """Each revisit must refer to a record in the archive that has the same payload digest."""
    by_id = {record.record_id: record for record in found.values()}
    for record in found.values():
        if record.record_type != "revisit":
            continue
        original = by_id.get(record.refers_to or "")
        if original is None:
            yield Problem(record.filename, record.offset,
                          f"revisit refers to {record.refers_to}, which is in no WARC file")
        elif original.payload_digest != record.payload_digest:
            yield Problem(record.filename, record.offset,
                          f"revisit's payload digest differs from its original's ({original.filename} "
                          f"at offset {original.offset})")


def _check_catalog(folder: Path, found: dict[tuple[str, int], FoundRecord], result: VerifyResult) -> None:
    try:
        with Catalog(folder / CATALOG_NAME) as catalog:
            captures = catalog.captures()
            sources = catalog.sources()
    except Exception as exc:  # CatalogError or sqlite3 errors: the catalog cannot be read
        result.problems.append(Problem(CATALOG_NAME, None, f"cannot read the catalog: {exc}"))
        return
    known: set[str] = set()
    hops: set[tuple[int, str]] = set()
    for capture in captures:
        result.catalog_rows += 1
        for status, url in capture.redirects[:-1]:
            hops.add((status, _uri(url)))
        if capture.location is None:
            continue
        known.add(capture.location.record_id)
        wanted = "revisit" if capture.outcome == REVISIT or capture.revisit_of else "response"
        result.problems.extend(_check_row(found, capture.location, wanted, capture.final_url,
                                          f"capture of {capture.url}"))
    for source in sources:
        result.catalog_rows += 1
        if source.location is not None:
            result.problems.extend(_check_row(found, source.location, "resource", None, f"source {source.path}"))
    for record in found.values():
        if record.record_type not in ("response", "revisit") or record.record_id in known:
            continue
        if (record.status, record.uri) in hops:
            continue  # a redirect hop, catalogued in its capture's redirect chain
        result.problems.append(Problem(record.filename, record.offset,
                                       f"{record.record_type} record for {record.uri} is not in the catalog "
                                       "('archiver reindex' rebuilds it)"))


def _check_row(found: dict[tuple[str, int], FoundRecord], where: Location, wanted: str,
               url: str | None, what: str) -> Iterator[Problem]:
    record = found.get((where.filename, where.offset))
    if record is None:
        yield Problem(CATALOG_NAME, None, f"{what}: no whole record at {where.filename} offset {where.offset}")
        return
    if record.record_id != where.record_id:
        yield Problem(where.filename, where.offset,
                      f"{what}: catalog expects record {where.record_id}, found {record.record_id}")
    if record.record_type != wanted:
        yield Problem(where.filename, where.offset,
                      f"{what}: catalog expects a {wanted} record, found {record.record_type}")
    if url is not None and record.uri != _uri(url):
        yield Problem(where.filename, where.offset, f"{what}: catalog expects URI {url}, found {record.uri}")
    if record.length != where.length:
        yield Problem(where.filename, where.offset,
                      f"{what}: catalog says {where.length} bytes, the record is {record.length}")


def _uri(url: str) -> str:
    try:
        return target_uri(url)
    except ValueError:
        return url
