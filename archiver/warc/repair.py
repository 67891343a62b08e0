"""Crash recovery: cut each unfinished ``.warc.gz.open`` file back to its last whole record.

A writer killed mid-record leaves a file whose tail is a partial gzip member (or, after some
disk failures, junk). Since every record is its own gzip member, the file is scanned member by
member; a member counts only if it inflates completely and holds exactly one WARC record whose
``Content-Length`` matches. Everything from the first bad member on is cut away, and the file
is finished like any other (fsync, rename without ``.open``). Run it under the archive lock, so
no live writer owns the files.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from .writer import OPEN_SUFFIX, fsync_directory

_CHUNK = 1 << 16
_HEAD_LIMIT = 1 << 16
_CONTENT_LENGTH = re.compile(rb"\r\nContent-Length:[ \t]*(\d+)[ \t]*\r\n", re.IGNORECASE)
_WARC_TYPE = re.compile(rb"\r\nWARC-Type:[ \t]*([!-~]+)", re.IGNORECASE)


@dataclass
class _Member:
    """What one gzip member inflated to, kept small: its head, its size and its last bytes."""

    head: bytearray
    size: int = 0
    tail: bytes = b""

    def feed(self, data: bytes) -> None:
        if len(self.head) < _HEAD_LIMIT:
            self.head += data[: _HEAD_LIMIT - len(self.head)]
        self.size += len(data)
        self.tail = (self.tail + data)[-4:]

    def is_whole_record(self) -> bool:
        """One complete WARC record: version line, header, block of Content-Length, CRLF CRLF."""
        if not self.head.startswith(b"WARC/"):
            return False
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            return False
        match = _CONTENT_LENGTH.search(bytes(self.head[: end + 2]))
        if match is None:
            return False
        return self.size == end + 4 + int(match.group(1)) + 4 and self.tail == b"\r\n\r\n"

    def record_type(self) -> str:
        match = _WARC_TYPE.search(bytes(self.head[: self.head.find(b"\r\n\r\n") + 2]))
        return match.group(1).decode("ascii").lower() if match else ""


def whole_records_end(path: Path, group_ends: Collection[str] | None = None) -> tuple[int, int]:
    """(byte offset just after the last whole record, number of whole records) of a .warc.gz file.

    With ``group_ends``, only a record of one of those types ends a keepable stretch: records
    after the last such one (a group the writer did not finish) are not counted either.
    """
    good_end = 0
    count = 0
    seen = 0
    offset = 0  # compressed bytes consumed before the current member
    inflater = zlib.decompressobj(31)
    member = _Member(bytearray())
    with open(path, "rb") as handle:
        pending = b""
        while True:
            if not pending:
                pending = handle.read(_CHUNK)
                if not pending:
                    break
            try:
                member.feed(inflater.decompress(pending))
            except zlib.error:
                break
            if not inflater.eof:
                offset += len(pending)
                pending = b""
                continue
            used = len(pending) - len(inflater.unused_data)
            offset += used
            if not member.is_whole_record():
                break
            seen += 1
            if group_ends is None or member.record_type() in group_ends:
                good_end, count = offset, seen
            pending = inflater.unused_data
            inflater = zlib.decompressobj(31)
            member = _Member(bytearray())
    return good_end, count


def repair_open_files(
    directory: str | os.PathLike[str], *, group_ends: Collection[str] | None = None
) -> list[str]:
    """Finish every ``*.warc.gz.open`` file in ``directory``; return one line per file saying what was done.

    A file is cut to its last whole record (with ``group_ends``: to its last whole record of one
    of those types, so that a group of records is kept whole or not at all), fsynced and renamed
    to its final name. A file
    without a single whole record (not even its warcinfo) holds nothing worth keeping and is
    removed. A final name that already exists is never overwritten: the file is then left as is
    and reported.
    """
    folder = Path(directory)
    report: list[str] = []
    for path in sorted(folder.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
        size = path.stat().st_size
        end, count = whole_records_end(path, group_ends)
        if count == 0:
            path.unlink()
            report.append(f"{path.name}: no whole record ({size} bytes), removed")
            continue
        if final.exists():
            report.append(f"{path.name}: not renamed, {final.name} already exists")
            continue
        with open(path, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(path, final)
        cut = f"cut {size - end} bytes after record {count}" if end < size else "nothing cut"
        report.append(f"{final.name}: {count} whole records kept, {cut}, closed")
    if report:
        fsync_directory(folder)
    return report
