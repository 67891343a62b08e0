"""Reading our WARC files back: every record's header fields and position, for reindex and checks.

Built on warcio's ``ArchiveIterator`` so that what we read is what other tools read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from .records import parse_warc_date
from .writer import WARC_SUFFIX, RecordRef

_SMALL_BLOCK = 1 << 20


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


def iter_records(path: Path) -> Iterator[StoredRecord]:
    """Every record in the WARC file ``path``, in order.

    Raises ``warcio.exceptions.ArchiveLoadFailed`` (a ValueError-like error with a message)
    when the file is damaged.
    """
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, no_record_parse=False, ensure_http_headers=False)
        for record in iterator:
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
                offset=iterator.get_record_offset(),
                length=iterator.get_record_length(),
                payload_digest=fields.get("WARC-Payload-Digest"),
                block_digest=fields.get("WARC-Block-Digest"),
            )
            yield StoredRecord(ref, fields, status, block)


__all__ = ["ArchiveLoadFailed", "StoredRecord", "iter_records", "parse_warc_date", "warc_files"]
