"""repair_open_files: a crashed writer's .open file is cut back to whole records and finished."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from archiver.warc import WarcWriter, iter_records, repair_open_files, warc_files
from tests.warcutil import make_exchange

BIN = Path(sys.executable).parent


def crashed_file(tmp_path: Path, exchanges: int = 3) -> tuple[Path, list[int]]:
    """Write records, then copy the live .open file as a crash would leave it. Returns (copy, ends)."""
    source = tmp_path / "live"
    writer = WarcWriter(source)
    ends = []
    for i in range(exchanges):
        _, response = writer.write_exchange(make_exchange(tmp_path, body=random.Random(i).randbytes(3000)))
        ends.append(response.offset + response.length)
    writer.sync()
    [live] = source.glob("*.warc.gz.open")
    archive = tmp_path / "archive"
    archive.mkdir()
    copy = archive / live.name
    shutil.copyfile(live, copy)
    writer.close()
    return copy, ends


def kinds(path: Path) -> list[str]:
    return [stored.ref.record_type for stored in iter_records(path)]


def test_cut_mid_record(tmp_path: Path) -> None:
    path, ends = crashed_file(tmp_path)
    with open(path, "r+b") as handle:
        handle.truncate(ends[1] + 100)  # inside the third request record
    report = repair_open_files(path.parent)
    [final] = warc_files(path.parent)
    assert final.name == path.name.removesuffix(".open")
    assert not path.exists()
    assert final.stat().st_size == ends[1]
    assert kinds(final) == ["warcinfo", "request", "response", "request", "response"]
    assert report == [f"{final.name}: 5 whole records kept, cut 100 bytes after record 5, closed"]
    assert subprocess.run([str(BIN / "warcio"), "check", str(final)]).returncode == 0


def test_cut_inside_a_large_body(tmp_path: Path) -> None:
    path, ends = crashed_file(tmp_path)
    with open(path, "r+b") as handle:
        handle.truncate(ends[2] - 10)  # the last response lost its gzip trailer
    repair_open_files(path.parent)
    [final] = warc_files(path.parent)
    # Kept: everything up to the last request, whose response was cut.
    assert kinds(final) == ["warcinfo"] + ["request", "response"] * 2 + ["request"]
    assert ends[1] < final.stat().st_size < ends[2] - 3000


def test_junk_after_last_record(tmp_path: Path) -> None:
    path, ends = crashed_file(tmp_path)
    junk = b"\x1f\x8b\x08\x00garbage that is no gzip member" * 3
    with open(path, "ab") as handle:
        handle.write(junk)
    report = repair_open_files(path.parent)
    [final] = warc_files(path.parent)
    assert final.stat().st_size == ends[2]
    assert len(kinds(final)) == 7
    assert f"cut {len(junk)} bytes after record 7" in report[0]


def test_gzip_member_that_is_no_whole_record(tmp_path: Path) -> None:
    import gzip

    path, ends = crashed_file(tmp_path)
    with open(path, "ab") as handle:
        # Valid gzip, but the record inside claims more block bytes than it holds.
        record = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 50\r\n\r\nshort\r\n\r\n"
        handle.write(gzip.compress(record))
    repair_open_files(path.parent)
    [final] = warc_files(path.parent)
    assert final.stat().st_size == ends[2]


def test_whole_file_is_kept_and_closed(tmp_path: Path) -> None:
    path, ends = crashed_file(tmp_path, exchanges=1)
    report = repair_open_files(path.parent)
    assert report[0].endswith("3 whole records kept, nothing cut, closed")
    assert warc_files(path.parent)[0].stat().st_size == ends[0]


def test_file_without_any_whole_record_is_removed(tmp_path: Path) -> None:
    path, _ = crashed_file(tmp_path, exchanges=1)
    with open(path, "r+b") as handle:
        handle.truncate(40)  # inside the warcinfo record
    report = repair_open_files(path.parent)
    assert list(path.parent.iterdir()) == []
    assert report == [f"{path.name}: no whole record (40 bytes), removed"]


def test_finished_files_are_never_touched(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        writer.write_exchange(make_exchange(tmp_path))
    [final] = warc_files(tmp_path)
    before = final.read_bytes()
    assert repair_open_files(tmp_path) == []
    assert final.read_bytes() == before


WRITE_UNTIL_KILLED = """
import sys
from pathlib import Path
from tests.warcutil import make_exchange
from archiver.warc import WarcWriter
tmp = Path(sys.argv[1])
writer = WarcWriter(tmp / "archive")
writer.write_exchange(make_exchange(tmp, "http://example.test/small", b"small"))
writer.sync()
print("first", flush=True)
big = make_exchange(tmp, "http://example.test/big", (tmp / "big").read_bytes())
while True:
    writer.write_exchange(big)
"""


def test_writer_killed_while_writing(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(random.Random(7).randbytes(4 << 20))
    child = subprocess.Popen(
        [sys.executable, "-c", WRITE_UNTIL_KILLED, str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
    )
    assert child.stdout is not None and child.stdout.readline() == "first\n"
    [live] = (tmp_path / "archive").glob("*.open")
    while live.stat().st_size < (6 << 20):  # well into the big records
        time.sleep(0.01)
    child.kill()
    child.wait(timeout=30)
    repair_open_files(tmp_path / "archive")
    [final] = warc_files(tmp_path / "archive")
    found = kinds(final)
    assert found[:3] == ["warcinfo", "request", "response"]
    assert len(found) % 2 == 1 or found[-1] == "request"  # whole records only, pairs or a lone request
    assert subprocess.run([str(BIN / "warcio"), "check", str(final)]).returncode == 0
