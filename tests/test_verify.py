"""``archiver verify``: a sound archive passes; each kind of damage is found and named."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from archiver import exitcodes
from archiver.catalog import CATALOG_NAME, Catalog
from archiver.cli import main
from archiver.warc import iter_records, warc_files
from tests.archive_fixture import BuiltArchive, build_archive


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("verify"))


@pytest.fixture
def archive(built: BuiltArchive, tmp_path: Path) -> Path:
    """A fresh copy of the built archive, free to damage."""
    copy = tmp_path / "archive"
    shutil.copytree(built.directory, copy)
    return copy


def verify(archive: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["verify", "--archive", str(archive), "--json"])
    return code, json.loads(capsys.readouterr().out)


def capture_of(archive: Path, url: str):
    with Catalog.open(archive) as catalog:
        capture = catalog.latest_capture(url)
    assert capture is not None and capture.location is not None
    return capture


def problems_at(result: dict, file: str, offset: int | None) -> list[str]:
    return [p["problem"] for p in result["problems"] if p["file"] == file and p["offset"] == offset]


def test_sound_archive_passes(archive: Path, capsys) -> None:
    code, result = verify(archive, capsys)
    assert code == exitcodes.OK and result["ok"] and result["problems"] == []
    records = sum(1 for path in warc_files(archive) for _ in iter_records(path))
    assert result["records"] == records and result["files"] == len(warc_files(archive)) == 2
    assert result["catalog_rows"] == 6 * 2 + 2  # six links (one in both sources) captured twice, two sources


def test_flipped_byte_in_a_response_is_found_with_file_and_offset(archive: Path, built: BuiltArchive, capsys) -> None:
    where = capture_of(archive, built.changing).location
    path = archive / where.filename
    data = bytearray(path.read_bytes())
    data[where.offset + where.length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, result = verify(archive, capsys)
    assert code == exitcodes.ARCHIVE_PROBLEM
    assert any("damaged gzip member" in p for p in problems_at(result, where.filename, where.offset))
    # The catalog row pointing at it is named too; the records after it are still checked.
    assert any(built.changing in p["problem"] and "no whole record" in p["problem"] for p in result["problems"])
    clean = [p for p in result["problems"] if p["offset"] not in (None, where.offset)]
    assert clean == []


def test_changed_content_under_a_sound_gzip_member_fails_its_digests(archive: Path, built: BuiltArchive, capsys) -> None:
    where = capture_of(archive, built.changing).location
    path = archive / where.filename
    data = path.read_bytes()
    record = gzip.decompress(data[where.offset:where.offset + where.length])
    tampered = record.replace(b"second version", b"SECOND version")
    assert tampered != record
    path.write_bytes(data[:where.offset] + gzip.compress(tampered) + data[where.offset + where.length:])
    code, result = verify(archive, capsys)
    assert code == exitcodes.ARCHIVE_PROBLEM
    found = problems_at(result, where.filename, where.offset)
    assert any(p.startswith("block digest mismatch") for p in found)
    assert any(p.startswith("payload digest mismatch") for p in found)


def test_truncated_file_is_found(archive: Path, capsys) -> None:
    path = warc_files(archive)[-1]
    last = list(iter_records(path))[-1].ref
    path.write_bytes(path.read_bytes()[: last.offset + last.length - 40])
    code, result = verify(archive, capsys)
    assert code == exitcodes.ARCHIVE_PROBLEM
    assert any("truncated" in p for p in problems_at(result, path.name, last.offset))


def test_catalog_row_whose_record_is_missing_is_named(archive: Path, built: BuiltArchive, capsys) -> None:
    where = capture_of(archive, built.stable).location
    with sqlite3.connect(archive / CATALOG_NAME) as db:
        db.execute("UPDATE captures SET warc_offset = warc_offset + 5 WHERE record_id = ?", (where.record_id,))
    db.close()
    code, result = verify(archive, capsys)
    assert code == exitcodes.ARCHIVE_PROBLEM
    catalog_problems = problems_at(result, CATALOG_NAME, None)
    assert any(built.stable in p and f"{where.filename} offset {where.offset + 5}" in p for p in catalog_problems)
    assert len(result["problems"]) == 1


def test_response_missing_from_the_catalog_is_named(archive: Path, built: BuiltArchive, capsys) -> None:
    where = capture_of(archive, built.rotting).location
    with sqlite3.connect(archive / CATALOG_NAME) as db:
        db.execute("DELETE FROM captures WHERE record_id = ?", (where.record_id,))
    db.close()
    code, result = verify(archive, capsys)
    assert code == exitcodes.ARCHIVE_PROBLEM
    [problem] = result["problems"]
    assert (problem["file"], problem["offset"]) == (where.filename, where.offset)
    assert built.rotting in problem["problem"] and "not in the catalog" in problem["problem"]


def test_left_open_file_is_named_and_text_output_lists_problems(archive: Path, capsys) -> None:
    leftover = archive / "archiver-20260101000000000-00000-1-abcdef-host.warc.gz.open"
    leftover.write_bytes(b"")
    assert main(["verify", "--archive", str(archive)]) == exitcodes.ARCHIVE_PROBLEM
    captured = capsys.readouterr()
    assert f"{leftover.name}: unfinished file left open" in captured.out
    assert "1 problem(s)" in captured.err


def test_missing_archive_folder(tmp_path: Path, capsys) -> None:
    assert main(["verify", "--archive", str(tmp_path / "nope")]) == exitcodes.ARCHIVE_PROBLEM
    assert "no such archive folder" in capsys.readouterr().err


def test_lost_warc_file_is_found_through_the_rows_and_revisits_that_need_it(
    archive: Path, built: BuiltArchive, capsys
) -> None:
    first, second = warc_files(archive)
    first.unlink()
    code, result = verify(archive, capsys)
    assert code == exitcodes.ARCHIVE_PROBLEM
    revisits = [s.ref for s in iter_records(second) if s.ref.record_type == "revisit"]
    assert revisits
    for ref in revisits:  # each unchanged page's revisit points at an original in the lost file
        assert any("which is in no WARC file" in p for p in problems_at(result, second.name, ref.offset))
    assert any(f"no whole record at {first.name}" in p for p in problems_at(result, CATALOG_NAME, None))
