"""Reading our WARC files back: every record's header fields and position, for reindex and checks.

Built on warcio's ``ArchiveIterator`` so that what we read is what other tools read.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.exceptions import ArchiveLoadFailed

from .records import parse_warc_date
from .writer import WARC_SUFFIX, RecordRef

_SMALL_BLOCK = 1 << 20
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b\x08"


@dataclass(frozen=True)
class StoredRecord:
    """One record as found in a file: where it is, its WARC header fields, and small blocks.

    ``block`` is kept for ``metadata`` and ``warcinfo`` records of at most 1 MiB (what an
    index rebuild needs); ``None`` otherwise. ``status`` is the HTTP status of responses and
    revisits.
    """

    ref: RecordRef
    fields: dict[str, str]
    status: int | None
    block: bytes | None


def warc_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The finished ``.warc.gz`` files in ``directory``, oldest name first."""
    return sorted(Path(directory).glob(f"*{WARC_SUFFIX}"))


def iter_records(path: Path, problems: list[str] | None = None) -> Iterator[StoredRecord]:
    """Every record in the WARC file ``path``, in order.

    A damaged file raises ``warcio.exceptions.ArchiveLoadFailed`` (a ValueError-like error with
    a message) — unless ``problems`` is given: then the damaged stretch is described there and
    reading goes on at the next gzip member that holds a WARC record, so one flipped byte costs
    one record, not the rest of the file.
    """
    start = 0
    while start is not None:
        resume: int | None = None
        with open(path, "rb") as handle:
            handle.seek(start)
            iterator = ArchiveIterator(handle, no_record_parse=False, ensure_http_headers=False)
            good_end = start
            try:
                for record in iterator:
                    stored = _stored(record, iterator, path, start)
                    good_end = stored.ref.offset + stored.ref.length
                    yield stored
            except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as exc:
                if problems is None:
                    raise
                resume = next_member(handle, good_end + 1)
                skipped = f"skipped to offset {resume}" if resume is not None else "nothing after it"
                problems.append(f"{path.name} at {good_end}: damaged record ({_printable(exc)}); {skipped}")
        start = resume


def next_member(handle: BinaryIO, start: int) -> int | None:
    """The offset of the next gzip member at or after ``start`` that inflates to a WARC record."""
    position = start
    while True:
        handle.seek(position)
        window = handle.read(_CHUNK + len(_GZIP_MAGIC))
        if len(window) < len(_GZIP_MAGIC):
            return None
        hit = window.find(_GZIP_MAGIC)
        if hit < 0:
            position += _CHUNK
            continue
        candidate = position + hit
        handle.seek(candidate)
        try:
            head = zlib.decompressobj(31).decompress(handle.read(4096), 16)
        except zlib.error:
            head = b""
        if head.startswith(b"WARC/"):
            return candidate
        position = candidate + 1


def _stored(record: ArcWarcRecord, iterator: ArchiveIterator, path: Path, start: int) -> StoredRecord:
    fields = {name: value for name, value in record.rec_headers.headers}
    keep = record.rec_type in ("metadata", "warcinfo") and record.length <= _SMALL_BLOCK
    block = record.content_stream().read() if keep else None
    status = None
    if record.rec_type in ("response", "revisit") and record.http_headers is not None:
        code = record.http_headers.get_statuscode()
        status = int(code) if code and code.isdigit() else None
    iterator.read_to_end(record)
    ref = RecordRef(
        record_id=fields.get("WARC-Record-ID", ""),
        record_type=record.rec_type,
        target_uri=fields.get("WARC-Target-URI"),
        date=parse_warc_date(fields.get("WARC-Date", "1970-01-01T00:00:00Z")),
        filename=path.name,
        offset=start + iterator.get_record_offset(),
        length=iterator.get_record_length(),
        payload_digest=fields.get("WARC-Payload-Digest"),
        block_digest=fields.get("WARC-Block-Digest"),
    )
    return StoredRecord(ref, fields, status, block)


def _printable(exc: BaseException) -> str:
    """An exception's message with control characters and binary escaped, kept short."""
    return ascii(str(exc))[1:-1][:200]


__all__ = ["ArchiveLoadFailed", "StoredRecord", "iter_records", "next_member", "parse_warc_date", "warc_files"]
