"""The store stage: write a fetch (or a source document, or a run) to WARC, then to the catalog.

The order is the crash-safety rule: WARC records first, then the provenance ``metadata``
record, then ``WarcWriter.sync()`` (fsync), and only then the catalog row. A crash can leave
WARC records the catalog does not know (``archiver reindex`` recovers them), never a catalog row
pointing at bytes that are not on disk. The provenance record carries everything the catalog
row holds, which is what makes ``rebuild_catalog`` exact.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from .catalog import (
    FAILED, HTTP_ERROR, OK, REVISIT, THIRD_PARTY, Capture, Catalog, Location, OccurrenceEntry, Run,
    SourceEntry, capture_payload, rebuild_catalog, run_payload, source_payload,
)
from .exchange import FetchResult
from .warc import RecordRef, WarcWriter, repair_open_files
from .warc.records import payload_digest

GROUP_END_TYPES = frozenset({"warcinfo", "metadata"})
"""Every group of records this module writes (a capture's exchanges, a source document, a run)
ends with its provenance ``metadata`` record, and every file starts with ``warcinfo``: after a
crash, a file is cut back to the end of such a record, so no capture is kept half-written."""

SOURCE_URI_PREFIX = "urn:archiver:source:"
RUN_URI_PREFIX = "urn:archiver:run:"


def source_uri(sha256: str) -> str:
    """The WARC-Target-URI of a source document: ``urn:archiver:source:<sha256 hex>``.

    Named by content, not path: paths are private and not unique across machines, while pywb
    indexes and replays ``urn:`` URIs as they are.
    """
    return SOURCE_URI_PREFIX + sha256


def recover(directory: str | os.PathLike[str]) -> list[str]:
    """Finish the WARC files a crash left open (``.open``), cut back to their last whole group.

    When there were any, the catalog is rebuilt from the WARC files: captures written but not
    yet catalogued when the process died are then known (and not fetched again). Returns one
    line per repaired file, plus one per problem the rebuild met.
    """
    repaired = repair_open_files(directory, group_ends=GROUP_END_TYPES)
    if repaired:
        problems: list[str] = []
        rebuild_catalog(directory, problems).close()
        repaired += [f"catalog rebuilt: {problem}" for problem in problems]
    return repaired


def store_source(
    writer: WarcWriter, catalog: Catalog, path: str, data: bytes, media_type: str
) -> SourceEntry:
    """Archive an input document as a ``resource`` record (once per content) and catalog it."""
    sha256 = hashlib.sha256(data).hexdigest()
    known = catalog.source_by_digest(sha256, path)
    if known and known.path == path:
        return known
    uri = source_uri(sha256)
    where = known.location if known else _location(writer.write_resource(uri, data, media_type))
    entry = SourceEntry(path, sha256, media_type, where)
    writer.write_metadata(uri, source_payload(entry), refers_to=where.record_id if where else None)
    writer.sync()
    catalog.add_source(entry)
    return entry


@dataclass(frozen=True)
class PendingCapture:
    """A capture whose WARC records are written but not yet synced nor in the catalog."""

    capture: Capture
    occurrences: tuple[OccurrenceEntry, ...]


def store_fetch(
    writer: WarcWriter,
    catalog: Catalog,
    url: str,
    result: FetchResult,
    occurrences: Sequence[OccurrenceEntry] = (),
    *,
    run_id: str | None = None,
    revisits: bool = True,
    third_party: Mapping[str, Any] | None = None,
) -> Capture:
    """Archive every hop of ``result`` and record the capture of link ``url``; return it.

    ``write_fetch`` then ``commit`` for a single capture: see them for what is written.
    """
    pending = write_fetch(writer, catalog, url, result, occurrences, run_id=run_id,
                          revisits=revisits, third_party=third_party)
    return commit(writer, catalog, [pending])[0]


def write_fetch(
    writer: WarcWriter,
    catalog: Catalog,
    url: str,
    result: FetchResult,
    occurrences: Sequence[OccurrenceEntry] = (),
    *,
    run_id: str | None = None,
    revisits: bool = True,
    third_party: Mapping[str, Any] | None = None,
) -> PendingCapture:
    """Write every hop of ``result`` and its provenance record to WARC; ``commit`` catalogs it.

    With ``revisits``, a final response whose payload equals an earlier full capture of the
    same link is written as an identical-payload-digest revisit of it. Body files are left in
    place (``Exchange.discard`` is the caller's). ``third_party`` marks a copy fetched from
    another web archive: stored in full as outcome ``third-party`` (it never changes the link's
    rot state), and the mapping (whose capture, of when) is added to the provenance record.
    """
    last_response: RecordRef | None = None
    revisit_of: str | None = None
    final = result.final
    # Hashing the body is a second read of it: only worth it when there is something to match.
    dedup = revisits and third_party is None and catalog.latest_capture(url) is not None
    for ex in result.exchanges:
        original = None
        if dedup and ex is final and not ex.truncated:
            original = catalog.original_for(url, payload_digest(ex))
        if original is not None:
            _, last_response = writer.write_revisit(ex, original)
            revisit_of = original.record_id
        else:
            _, last_response = writer.write_exchange(ex)
    status = result.status
    if third_party is not None:
        outcome = THIRD_PARTY  # whatever it answered, it says nothing about the live page
    elif result.error is not None:
        outcome = FAILED
    elif status is not None and status >= 400:
        outcome = HTTP_ERROR  # an error page stays an error even when stored as a revisit
    else:
        outcome = REVISIT if revisit_of is not None else OK
    capture = Capture(
        url=url,
        time=last_response.date if last_response else datetime.now(timezone.utc),
        outcome=outcome,
        status=status,
        final_url=result.final_url,
        payload_digest=last_response.payload_digest if last_response else None,
        location=_location(last_response) if last_response else None,
        error=result.error,
        error_kind=result.error_kind,
        redirects=tuple(result.redirect_chain),
        revisit_of=revisit_of,
        run_id=run_id,
    )
    meta = writer.write_metadata(
        url, {**capture_payload(capture, occurrences), **(third_party or {})},
        refers_to=last_response.record_id if last_response else None,
    )
    return PendingCapture(replace(capture, metadata_id=meta.record_id), tuple(occurrences))


def commit(writer: WarcWriter, catalog: Catalog, pending: Sequence[PendingCapture]) -> list[Capture]:
    """Make written captures durable: one fsync of the WARC file, then their catalog rows in one
    transaction (the crash-safety order). Returns the captures with ``changed`` filled in."""
    writer.sync()
    with catalog.batch():
        return [catalog.add_capture(p.capture, p.occurrences) for p in pending]



def store_run(writer: WarcWriter, catalog: Catalog, run: Run) -> None:
    """Record a run in the WARC and the catalog: call at its start and again when it ends."""
    writer.write_metadata(RUN_URI_PREFIX + run.id, run_payload(run))
    writer.sync()
    catalog.save_run(run)


def _location(ref: RecordRef) -> Location:
    return Location(ref.record_id, ref.filename, ref.offset, ref.length)
