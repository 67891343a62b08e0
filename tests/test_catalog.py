"""Catalog + store: captures, revisits, link rot, sources, runs; rebuilt exactly from the WARC files."""

from __future__ import annotations

import gzip
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archiver import exitcodes
from archiver.catalog import (
    ALIVE, CATALOG_NAME, FAILED, HTTP_ERROR, OK, REVISIT, ROTTED, Capture, Catalog, CatalogError,
    OccurrenceEntry, Run, rebuild_catalog,
)
from archiver.cli import main
from archiver.exchange import FetchResult
from archiver.lock import ArchiveLock
from archiver.store import store_fetch, store_run, store_source
from archiver.warc import WarcWriter, iter_records, warc_files
from tests.warcutil import make_exchange, read_ref

URL = "https://example.test/page"
OCC = OccurrenceEntry(
    "input/mail.eml", 3, 7, "https://eur01.safelinks.protection.outlook.com/?url=x", "the page",
    {"input": "https://eur01...", "url": URL, "layers": [{"kind": "safelinks"}]},
)


def fetch(tmp_path: Path, body: bytes | None = b"v1", status: int = 200, url: str = URL) -> FetchResult:
    if body is None:
        return FetchResult(url, error="connection refused by example.test", error_kind="connect", attempts=3)
    return FetchResult(url, [make_exchange(tmp_path, url, body, status=status)], attempts=1)


def build_archive(tmp_path: Path) -> Path:
    """An archive with a source, a run, redirects, rot and recovery, a revisit and a change."""
    archive = tmp_path / "archive"
    run = Run("run-1", datetime(2026, 11, 1, tzinfo=timezone.utc), options={"delay": 1.0})
    with WarcWriter(archive, max_file_size=4000) as writer, Catalog.open(archive) as catalog:
        store_run(writer, catalog, run)
        store_source(writer, catalog, "input/mail.eml", b"Subject: x\n\nsee the page", "message/rfc822")
        redirect = make_exchange(tmp_path, "http://example.test/old", b"", status=301,
                                 headers=[("Location", URL)])
        store_fetch(writer, catalog, "http://example.test/old",
                    FetchResult("http://example.test/old", [redirect, make_exchange(tmp_path, URL, b"v1")]),
                    [OCC], run_id=run.id)
        for body, status in ((b"v1", 200), (b"gone", 404), (None, 0), (b"v1", 200), (b"v2", 200)):
            store_fetch(writer, catalog, URL, fetch(tmp_path, body, status), [OCC], run_id=run.id)
        store_run(writer, catalog, Run(run.id, run.started, datetime(2026, 11, 2, tzinfo=timezone.utc),
                                       run.options, {"links": 2, "failed": 1}))
    return archive


def test_captures_outcomes_revisits_and_rot(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    with Catalog.open(archive) as catalog:
        history = catalog.history(URL)
        assert [c.outcome for c in history] == [OK, HTTP_ERROR, FAILED, REVISIT, OK]
        assert [c.changed for c in history] == [None, True, None, True, True]
        first, not_found, failed, revisit, changed = history
        assert failed.location is None and failed.error_kind == "connect"
        assert revisit.revisit_of == first.record_id and revisit.payload_digest == first.payload_digest
        # v1 came back after "gone": that is a change from the previous payload, and a revisit.
        assert changed.payload_digest != first.payload_digest
        assert catalog.original_for(URL, first.payload_digest or "") == first  # never a revisit
        assert catalog.latest_capture(URL) == changed
        [redirected] = catalog.history("http://example.test/old")
        assert redirected.redirects == ((301, "http://example.test/old"), (200, URL))
        assert redirected.final_url == URL and redirected.status == 200
        assert {c.url for c in catalog.latest_captures()} == {URL, "http://example.test/old"}
        states = {s.url: s for s in catalog.links()}
        assert states[URL].state == ALIVE and states[URL].first_rotted is None
        assert states[URL].captures == 5
        assert catalog.occurrences(URL) == [(URL, OCC)]
        assert OCC.wrapped
        [source] = catalog.sources()
        assert source.path == "input/mail.eml" and source.location is not None
        [run] = catalog.runs()
        assert run.counts == {"links": 2, "failed": 1} and run.options == {"delay": 1.0}


def test_rot_streak_keeps_its_first_date(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with WarcWriter(archive) as writer, Catalog.open(archive) as catalog:
        store_fetch(writer, catalog, URL, fetch(tmp_path, b"ok"))
        first_bad = store_fetch(writer, catalog, URL, fetch(tmp_path, b"x", 410))
        store_fetch(writer, catalog, URL, fetch(tmp_path, None))
        [state] = catalog.links()
        assert state.state == ROTTED and state.first_rotted == first_bad.time


def test_a_link_never_archived_fine_cannot_rot(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with WarcWriter(archive) as writer, Catalog.open(archive) as catalog:
        store_fetch(writer, catalog, URL, fetch(tmp_path, b"not here", 404))
        store_fetch(writer, catalog, URL, fetch(tmp_path, b"still not here", 410))
        [state] = catalog.links()
        assert state.state != ROTTED and state.first_rotted is None


def test_repeated_error_page_is_a_revisit_but_still_rotted(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with WarcWriter(archive) as writer, Catalog.open(archive) as catalog:
        store_fetch(writer, catalog, URL, fetch(tmp_path, b"the page", 200))  # archived fine once
        first = store_fetch(writer, catalog, URL, fetch(tmp_path, b"not here", 404))
        again = store_fetch(writer, catalog, URL, fetch(tmp_path, b"not here", 404))
        assert again.outcome == HTTP_ERROR and again.revisit_of == first.record_id
        assert again.changed is False
        [state] = catalog.links()
        assert state.state == ROTTED and state.first_rotted == first.time
        # Only full records are originals: a third fetch points at the first, not the revisit.
        third = store_fetch(writer, catalog, URL, fetch(tmp_path, b"not here", 404))
        assert third.revisit_of == first.record_id


def test_catalog_locations_point_at_the_records(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    with Catalog.open(archive) as catalog:
        located = [c for c in catalog.captures() if c.location] + [s for s in catalog.sources()]
        assert len(located) == 6
        for item in located:
            where = item.location
            assert where is not None
            fields, _ = read_ref(archive, where)
            assert fields["WARC-Record-ID"] == where.record_id
    kinds = [s.ref.record_type for f in warc_files(archive) for s in iter_records(f)]
    assert kinds.count("revisit") == 1


def test_row_is_written_only_after_its_records_reach_the_file(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with WarcWriter(archive) as writer, Catalog.open(archive) as catalog:
        capture = store_fetch(writer, catalog, URL, fetch(tmp_path, b"body"))
        where = capture.location
        assert where is not None
        # The file is still open; another reader sees the record the row points at.
        fields, block = read_ref(archive, where, ".open")
        assert fields["WARC-Record-ID"] == where.record_id and block.endswith(b"body")


def everything(catalog: Catalog) -> tuple[object, ...]:
    return catalog.captures(), catalog.links(), catalog.occurrences(), catalog.sources(), catalog.runs()


def test_rebuild_gives_the_same_catalog(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    with Catalog.open(archive) as catalog:
        before = everything(catalog)
    assert len(warc_files(archive)) > 1  # roll-over happened: rebuild reads across files
    for name in os.listdir(archive):
        if name.startswith(CATALOG_NAME):
            os.unlink(archive / name)
    problems: list[str] = []
    with rebuild_catalog(archive, problems) as catalog:
        after = everything(catalog)
    assert problems == []
    assert after == before


def test_reindex_command_repairs_and_rebuilds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = build_archive(tmp_path)
    # A crashed writer's file: one whole capture and a cut-off tail.
    crashed = WarcWriter(archive)  # never closed: the process "dies"
    with Catalog.open(archive) as catalog:
        late = fetch(tmp_path, b"late", url="https://example.test/late")
        store_fetch(crashed, catalog, "https://example.test/late", late)
    [open_file] = archive.glob("*.open")
    with open(open_file, "ab") as handle:
        handle.write(gzip.compress(b"WARC/1.1\r\n")[:-5])
    (archive / CATALOG_NAME).write_bytes(b"a damaged catalog")
    assert main(["reindex", "--archive", str(archive)]) == 0
    out = capsys.readouterr()
    assert "repaired" in out.err
    assert "7 captures of 3 links, 1 sources indexed" in out.out
    with Catalog.open(archive) as catalog:
        assert catalog.latest_capture("https://example.test/late") is not None


def test_reindex_refuses_a_locked_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = build_archive(tmp_path)
    with ArchiveLock(archive):
        assert main(["reindex", "--archive", str(archive)]) == 3
    assert "is in use by pid" in capsys.readouterr().err


def test_reindex_of_a_missing_folder_is_an_archive_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reindex", "--archive", str(tmp_path / "nothing")]) == exitcodes.ARCHIVE_PROBLEM
    assert "no such archive folder" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()


def test_reindex_refuses_a_folder_that_is_not_an_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a WARC file", encoding="utf-8")
    assert main(["reindex", "--archive", str(folder)]) == exitcodes.ARCHIVE_PROBLEM
    assert "holds no WARC files and no catalog: not an archive folder" in capsys.readouterr().err
    assert sorted(path.name for path in folder.iterdir()) == ["notes.txt"]  # untouched: no catalog, no lock


def test_damaged_warc_is_reported_not_fatal(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    last = warc_files(archive)[-1]
    last.write_bytes(last.read_bytes()[:-30] + b"junk" * 10)
    problems: list[str] = []
    with rebuild_catalog(archive, problems) as catalog:
        assert len(catalog.captures()) >= 5
    assert problems and last.name in problems[0]


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CatalogError, match="not a usable catalog"):
        Catalog(tmp_path / "junk.sqlite")
    with pytest.raises(CatalogError, match="cannot open"):
        Catalog(tmp_path / "no such folder" / "catalog.sqlite")
    with Catalog(tmp_path / "c.sqlite") as catalog, pytest.raises(ValueError, match="unknown outcome"):
        catalog.add_capture(Capture(URL, datetime.now(timezone.utc), "fine"))
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_flipped_byte_costs_the_rebuild_one_record_not_the_rest_of_the_file(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with WarcWriter(archive) as writer, Catalog.open(archive) as catalog:  # one file, six captures
        for n in range(6):
            url = f"http://example.test/{n}"
            store_fetch(writer, catalog, url, FetchResult(url, [make_exchange(tmp_path, url, b"page %d" % n)]))
    (path,) = warc_files(archive)
    members = [s.ref for s in iter_records(path)]
    hit = next(r for r in members if r.record_type == "metadata" and "example.test/2" in (r.target_uri or ""))
    data = bytearray(path.read_bytes())
    data[hit.offset + hit.length // 2] ^= 0xFF  # inside the provenance record of capture 2
    path.write_bytes(bytes(data))
    problems: list[str] = []
    with rebuild_catalog(archive, problems) as catalog:
        urls = {c.url for c in catalog.captures()}
    assert urls == {f"http://example.test/{n}" for n in (0, 1, 3, 4, 5)}
    assert len(problems) == 1 and f"at {hit.offset}" in problems[0] and "skipped to offset" in problems[0]
