"""The WARC header fields of one stored record, read at the place the catalog points at.

The catalog keeps what every capture needs; a few facts live only in the record itself (its
block digest, whether the body was cut short: ``WARC-Truncated``). ``report`` and ``history``
read them here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from .catalog import Location


def record_fields(archive: str | os.PathLike[str], where: Location) -> dict[str, str] | None:
    """The WARC header fields of the record at ``where`` in the folder ``archive``.

    None when the file is missing or the bytes there are not a record: 'archiver verify' names
    such damage, a report only shows what it can.
    """
    try:
        with open(Path(archive) / where.filename, "rb") as handle:
            handle.seek(where.offset)
            for record in ArchiveIterator(handle):
                return dict(record.rec_headers.headers)
    except Exception:  # warcio raises several kinds on damaged data; all mean "cannot read it"
        return None
    return None


def body_truncation(fields: Mapping[str, str] | None) -> str | None:
    """Why a response record's body is incomplete (its WARC-Truncated reason), or None.

    A revisit is always marked ``length``: its payload lives in the original record, which is
    not a body cut short.
    """
    if not fields or fields.get("WARC-Type") != "response":
        return None
    return fields.get("WARC-Truncated")


__all__ = ["body_truncation", "record_fields"]
