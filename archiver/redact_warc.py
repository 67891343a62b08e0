"""Redacted copies of WARC files, for a package that is shared (``archiver export --redact``).

Metadata records (provenance JSON) and resource records (the source documents) hold the links as
written, recipient data included: their blocks are redacted and the records rebuilt with a new
Content-Length and digests. Every other record (request, response, revisit, warcinfo) is copied
byte for byte, so captured pages replay exactly as archived. Record ids are kept: the
provenance still refers to the same records. The originals are only read.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import BinaryIO

from .redact import Redactor
from .warc import iter_records
from .warc.records import Fields, digest_of, gzip_member

REDACTED_TYPES = frozenset({"metadata", "resource"})
"""The record types whose content is rewritten; the others are copied unchanged."""
_CHUNK = 1 << 20


def redact_warc(source: Path, target: Path, redactor: Redactor) -> int:
    """Write ``source`` to ``target`` with its metadata and resource records redacted.

    Returns the number of records rewritten. Raises ValueError (or warcio's ArchiveLoadFailed)
    when ``source`` is damaged.
    """
    rewritten = 0
    with open(source, "rb") as original, open(target, "wb") as out:
        for stored in iter_records(source):
            ref = stored.ref
            original.seek(ref.offset)
            if ref.record_type not in REDACTED_TYPES:
                _copy(original, out, ref.length)
                continue
            member = original.read(ref.length)
            out.writelines(_redacted_member(member, redactor))
            rewritten += 1
    return rewritten


def _copy(handle: BinaryIO, out: BinaryIO, length: int) -> None:
    """Copy ``length`` bytes from ``handle``'s position to ``out`` in chunks."""
    while length:
        chunk = handle.read(min(_CHUNK, length))
        if not chunk:
            raise ValueError("the WARC file ends inside a record")
        out.write(chunk)
        length -= len(chunk)


def _redacted_member(member: bytes, redactor: Redactor) -> list[bytes]:
    """One gzip member (a whole record) rebuilt with its block redacted."""
    record = zlib.decompressobj(31).decompress(member)
    head, separator, rest = record.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("a WARC record without the blank line that ends its header")
    items = []
    for line in head.split(b"\r\n")[1:]:  # the first line is the WARC version
        name, _, value = line.decode("utf-8").partition(":")
        items.append((name.strip(), value.strip()))
    fields = Fields(tuple(items))
    block = rest[: int(fields.get("Content-Length") or 0)]
    block = _redacted_block(block, fields.get("Content-Type") or "", redactor)
    digest = digest_of(block)
    replaced = {
        "content-length": str(len(block)),
        "warc-block-digest": digest,
        # A resource record's payload is its whole block (WARC 1.1 section 6.4).
        "warc-payload-digest": digest,
    }
    new_items = []
    for name, value in items:
        key = name.lower()
        if key == "warc-target-uri":  # a metadata record's names the link, maybe with an address
            value = redactor.text(value)
        new_items.append((name, replaced.get(key, value)))
    return list(gzip_member(Fields(tuple(new_items)), block))


def _redacted_block(block: bytes, media_type: str, redactor: Redactor) -> bytes:
    """JSON is walked (a private field's value goes whole); any other text is redacted as text.

    Bytes that are not UTF-8 survive unchanged (surrogateescape): a document in another
    encoding keeps its ASCII link text redacted and the rest as it was.
    """
    if media_type.split(";")[0].strip().lower() == "application/json":
        try:
            value = json.loads(block)
        except ValueError:
            pass
        else:
            return json.dumps(redactor.value(value), ensure_ascii=False, sort_keys=True).encode("utf-8")
    text = block.decode("utf-8", "surrogateescape")
    return redactor.text(text).encode("utf-8", "surrogateescape")
