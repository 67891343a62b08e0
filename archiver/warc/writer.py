"""The WARC writer: exchanges, provenance and source documents -> ``.warc.gz`` files in the archive.

One file is open at a time, named ``….warc.gz.open`` while written. Every file starts with a
``warcinfo`` record; a file that reaches ``max_file_size`` is closed and the next record opens a
new one. Closing flushes, fsyncs and atomically renames the file to its final name; a finished
file is never opened again. A record that fails half-way (an unreadable body file, a full disk)
is cut away again, so the file only ever holds whole records.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

from .. import __version__
from ..exchange import Exchange
from . import records as rec
from .records import Fields

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"


@dataclass(frozen=True)
class RecordRef:
    """Where one record landed: its id and type, and its gzip member in the final file."""

    record_id: str
    record_type: str
    target_uri: str | None
    date: datetime
    filename: str
    offset: int
    length: int
    payload_digest: str | None
    block_digest: str | None


class CaptureLike(Protocol):
    """What a revisit needs of the original capture (a RecordRef or a catalog capture row)."""

    @property
    def record_id(self) -> str: ...
    @property
    def target_uri(self) -> str | None: ...
    @property
    def date(self) -> datetime: ...
    @property
    def payload_digest(self) -> str | None: ...


def hostname() -> str:
    """This machine's name, reduced to characters safe in a file name."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "localhost"


class WarcWriter:
    """Write records to WARC/1.1 files in ``directory`` (a context manager; ``close`` is idempotent).

    ``info`` lands in every file's ``warcinfo`` record: the options that shape the capture
    (user agent, limits, ...). Each ``write_*`` call writes whole records and leaves them
    flushed to the OS; call ``sync()`` before recording them anywhere else (the catalog) so a
    crash can never leave an index entry pointing at bytes that are not on disk.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "archiver",
        max_file_size: int = 10**9,
        info: Mapping[str, str] | None = None,
    ) -> None:
        if max_file_size <= 0:
            raise ValueError("max_file_size must be positive")
        if not re.fullmatch(r"[A-Za-z0-9._]+(?:-[A-Za-z0-9._]+)*", prefix):
            raise ValueError(f"prefix {prefix!r}: use letters, digits, '.', '_' and inner '-' only")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_file_size = max_file_size
        self.info = dict(info or {})
        self.host = hostname()
        self.files: list[str] = []
        """Final names of the files this writer finished, in order."""
        self._serial = 0
        self._handle: BinaryIO | None = None
        self._name = ""
        self._warcinfo_id = ""
        self._dirty = False

    # -- public API ---------------------------------------------------------------------------

    def write_exchange(self, ex: Exchange) -> tuple[RecordRef, RecordRef]:
        """Write ``ex`` as a ``request`` and a ``response`` record tied by WARC-Concurrent-To."""
        request_id, response_id = rec.new_record_id(), rec.new_record_id()
        uri = rec.target_uri(ex.target_uri)
        head = rec.http_response_head(ex, ex.body_length)
        digests = rec.digest_body(head, ex.body_path, ex.body_length)
        response = self._fields(
            "response", response_id, ex.date,
            [
                ("WARC-Target-URI", uri),
                ("WARC-Concurrent-To", request_id),
                ("WARC-IP-Address", _ip_address(ex)),
                ("WARC-Protocol", _protocol(ex)),
                ("WARC-Truncated", rec.truncation(ex)),
                ("WARC-Payload-Digest", digests.payload),
                ("WARC-Block-Digest", digests.block),
                ("Content-Type", rec.HTTP_RESPONSE_TYPE),
                ("Content-Length", str(len(head) + ex.body_length)),
            ],
        )
        request = self._request_fields(ex, request_id, uri, response_id)
        refs = self._write_group(
            [
                (request, ex.request_head, ()),
                (response, head, rec.read_body(ex.body_path, ex.body_length)),
            ]
        )
        return refs[0], refs[1]

    def write_revisit(self, ex: Exchange, original: CaptureLike) -> tuple[RecordRef, RecordRef]:
        """Write ``ex`` as a ``request`` and an identical-payload-digest ``revisit`` of ``original``.

        The revisit block holds the HTTP headers only; replay tools take the body from the
        original record (found by WARC-Refers-To-Target-URI, -Date and the payload digest).
        Raises ValueError when ``ex``'s body differs from the original's payload.
        """
        if not original.payload_digest or not original.target_uri:
            raise ValueError("the original capture needs a payload digest and a target URI")
        head = rec.http_response_head(ex, ex.body_length)
        digests = rec.digest_body(head, ex.body_path, ex.body_length)
        if digests.payload != original.payload_digest:
            raise ValueError(
                f"payload {digests.payload} differs from the original's {original.payload_digest}: "
                "not a revisit"
            )
        request_id, revisit_id = rec.new_record_id(), rec.new_record_id()
        uri = rec.target_uri(ex.target_uri)
        revisit = self._fields(
            "revisit", revisit_id, ex.date,
            [
                ("WARC-Target-URI", uri),
                ("WARC-Concurrent-To", request_id),
                ("WARC-IP-Address", _ip_address(ex)),
                ("WARC-Protocol", _protocol(ex)),
                ("WARC-Profile", rec.REVISIT_PROFILE),
                ("WARC-Refers-To", original.record_id),
                ("WARC-Refers-To-Target-URI", rec.target_uri(original.target_uri)),
                ("WARC-Refers-To-Date", rec.warc_date(original.date)),
                ("WARC-Payload-Digest", original.payload_digest),
                # The block holds the HTTP headers only: the payload was cut (WARC 1.1 §6.7.2).
                ("WARC-Truncated", "length"),
                ("WARC-Block-Digest", rec.digest_of(head)),
                ("Content-Type", rec.HTTP_RESPONSE_TYPE),
                ("Content-Length", str(len(head))),
            ],
        )
        request = self._request_fields(ex, request_id, uri, revisit_id)
        refs = self._write_group([(request, ex.request_head, ()), (revisit, head, ())])
        return refs[0], refs[1]

    def write_metadata(
        self, target_uri: str, payload: Mapping[str, object], *, refers_to: str | None = None
    ) -> RecordRef:
        """Write ``payload`` as a JSON ``metadata`` record about ``target_uri``.

        The record's WARC-Target-URI is ``urn:archiver:metadata:<target_uri>`` (see
        ``metadata_uri``), not the URL itself: replay tools such as pywb index metadata records
        and would otherwise serve the JSON in place of the page captured in the same second.
        ``refers_to`` is the record id it describes (the response of a capture), written as
        WARC-Refers-To and WARC-Concurrent-To.
        """
        data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        fields = self._fields(
            "metadata", rec.new_record_id(), datetime.now(timezone.utc),
            [
                ("WARC-Target-URI", rec.metadata_uri(target_uri)),
                ("WARC-Refers-To", refers_to),
                ("WARC-Concurrent-To", refers_to),
                ("WARC-Block-Digest", rec.digest_of(data)),
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
            ],
        )
        return self._write_group([(fields, data, ())])[0]

    def write_resource(self, uri: str, data: bytes, media_type: str) -> RecordRef:
        """Write ``data`` (a source document) as a ``resource`` record at ``uri``."""
        digest = rec.digest_of(data)
        fields = self._fields(
            "resource", rec.new_record_id(), datetime.now(timezone.utc),
            [
                ("WARC-Target-URI", rec.target_uri(uri)),
                ("WARC-Payload-Digest", digest),
                ("WARC-Block-Digest", digest),
                ("Content-Type", media_type),
                ("Content-Length", str(len(data))),
            ],
        )
        return self._write_group([(fields, data, ())])[0]

    def sync(self) -> None:
        """Flush and fsync the open file: everything written so far survives a crash."""
        if self._handle is not None and self._dirty:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._dirty = False

    def close(self) -> None:
        """Finish the open file (fsync, rename without ``.open``); safe to call again."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()
        final = self.directory / self._name
        os.rename(f"{final}{OPEN_SUFFIX}", final)
        fsync_directory(self.directory)
        self.files.append(self._name)
        self._dirty = False

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _fields(
        self, record_type: str, record_id: str, date: datetime, extra: Iterable[tuple[str, str | None]]
    ) -> Fields:
        # The warcinfo id is only known once the file is open, so it is filled in at write time.
        return Fields(tuple(rec.header_fields(record_type, record_id, date, extra)))

    def _request_fields(self, ex: Exchange, request_id: str, uri: str, concurrent_to: str) -> Fields:
        return self._fields(
            "request", request_id, ex.date,
            [
                ("WARC-Target-URI", uri),
                ("WARC-Concurrent-To", concurrent_to),
                ("WARC-IP-Address", _ip_address(ex)),
                ("WARC-Protocol", _protocol(ex)),
                ("WARC-Block-Digest", rec.digest_of(ex.request_head)),
                ("Content-Type", rec.HTTP_REQUEST_TYPE),
                ("Content-Length", str(len(ex.request_head))),
            ],
        )

    def _write_group(self, group: list[tuple[Fields, bytes, Iterable[bytes]]]) -> list[RecordRef]:
        """Write records that belong together into one file; on any failure cut them all away."""
        handle = self._ensure_open()
        start = handle.tell()
        refs: list[RecordRef] = []
        try:
            for fields, head, body in group:
                refs.append(self._write_record(handle, fields, head, body))
            handle.flush()
        except BaseException:
            handle.seek(start)
            handle.truncate(start)
            handle.flush()
            raise
        self._dirty = True
        if handle.tell() >= self.max_file_size:
            self.close()
        return refs

    def _write_record(
        self, handle: BinaryIO, fields: Fields, head: bytes, body: Iterable[bytes]
    ) -> RecordRef:
        if fields.get("WARC-Type") != "warcinfo":
            fields = _with_warcinfo_id(fields, self._warcinfo_id)
        offset = handle.tell()
        for piece in rec.gzip_member(fields, head, body):
            handle.write(piece)
        return RecordRef(
            record_id=fields.get("WARC-Record-ID") or "",
            record_type=fields.get("WARC-Type") or "",
            target_uri=fields.get("WARC-Target-URI"),
            date=rec.parse_warc_date(fields.get("WARC-Date") or ""),
            filename=self._name,
            offset=offset,
            length=handle.tell() - offset,
            payload_digest=fields.get("WARC-Payload-Digest"),
            block_digest=fields.get("WARC-Block-Digest"),
        )

    def _ensure_open(self) -> BinaryIO:
        if self._handle is not None:
            return self._handle
        handle, name = self._create_file()
        self._handle, self._name = handle, name
        self._warcinfo_id = rec.new_record_id()
        body = self._warcinfo_body(name)
        fields = Fields(tuple(rec.header_fields(
            "warcinfo", self._warcinfo_id, datetime.now(timezone.utc),
            [
                ("WARC-Filename", name),
                ("WARC-Block-Digest", rec.digest_of(body)),
                ("Content-Type", "application/warc-fields"),
                ("Content-Length", str(len(body))),
            ],
        )))
        self._write_record(handle, fields, body, ())
        return handle

    def _create_file(self) -> tuple[BinaryIO, str]:
        """Create a new ``.open`` file whose final name exists nowhere yet (O_EXCL, fresh token)."""
        while True:
            now = datetime.now(timezone.utc)
            stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
            name = (
                f"{self.prefix}-{stamp}-{self._serial:05d}-{os.getpid()}-"
                f"{secrets.token_hex(3)}-{self.host}{WARC_SUFFIX}"
            )
            final = self.directory / name
            if final.exists():
                continue
            try:
                fd = os.open(f"{final}{OPEN_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            self._serial += 1
            return os.fdopen(fd, "wb"), name

    def _warcinfo_body(self, name: str) -> bytes:
        fields = {
            "software": f"archiver/{__version__}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "filename": name,
            **self.info,
        }
        return "".join(f"{key}: {_one_line(value)}\r\n" for key, value in fields.items()).encode("utf-8")


def _protocol(ex: Exchange) -> str | None:
    if ex.http_version == "HTTP/2":
        return ex.protocol if ex.protocol.lower().startswith("h2") else "h2"
    return ex.protocol or None


def _ip_address(ex: Exchange) -> str | None:
    """The peer address in RFC 5952 form (IPv6 compressed, lower case); None when unknown or invalid."""
    try:
        return ipaddress.ip_address(ex.peer_ip).compressed if ex.peer_ip else None
    except ValueError:
        return None


def _with_warcinfo_id(fields: Fields, warcinfo_id: str) -> Fields:
    items = list(fields.items)
    # After the three leading mandatory fields.
    items.insert(3, ("WARC-Warcinfo-ID", warcinfo_id))
    return Fields(tuple(items))


def _one_line(value: object) -> str:
    return str(value).replace("\r", " ").replace("\n", " ")


def fsync_directory(directory: Path) -> None:
    """Make a rename durable: fsync the directory entry (a no-op where directories can't be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
