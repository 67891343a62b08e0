"""``archiver replay``: pywb on loopback over the archive, started and stopped like a user would."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psutil
import pytest

from archiver import exitcodes
from archiver.catalog import Catalog
from archiver.replay import replay_url, timestamp14
from tests.archive_fixture import BuiltArchive, build_archive
from tests.pywbserver import free_port

ARCHIVER = [sys.executable, "-m", "archiver"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("replay"))


def start(archive: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``archiver replay`` and wait for the line with the address to open."""
    process = subprocess.Popen([*ARCHIVER, "replay", "--archive", str(archive), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("Replaying"):
        process.kill()
        raise AssertionError(f"no address printed: {line!r} {process.stderr.read()}")  # type: ignore[union-attr]
    return process, line.split(" at ", 1)[1].strip()


def replay_tree(process: subprocess.Popen[str]) -> list[psutil.Process]:
    return [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]


def stop_and_check(process: subprocess.Popen[str], how: signal.Signals, tree: list[psutil.Process], port: int) -> None:
    process.send_signal(how)
    assert process.wait(timeout=20) in (exitcodes.OK, exitcodes.INTERRUPTED)
    gone, alive = psutil.wait_procs(tree, timeout=5)
    assert not alive, f"left running: {alive}"
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", port))


def test_replay_serves_captures_and_stops_on_ctrl_c(built: BuiltArchive) -> None:
    before = set(Path(tempfile.gettempdir()).glob("archiver-replay-*"))
    port = free_port()
    process, base = start(built.directory, port)
    tree = replay_tree(process)
    try:
        assert base == f"http://127.0.0.1:{port}/archive/"
        assert len(tree) >= 2  # our process and pywb under it
        with Catalog.open(built.directory) as catalog:
            changing = catalog.latest_capture(built.changing)
            stable = catalog.latest_capture(built.stable)
        assert changing is not None and stable is not None and stable.outcome == "revisit"
        # id_ mode returns the archived bytes as the server sent them.
        raw = replay_url(built.changing, changing.time, port).replace(
            f"/{timestamp14(changing.time)}/", f"/{timestamp14(changing.time)}id_/")
        answer = httpx.get(raw, timeout=30)
        assert answer.status_code == 200 and answer.content == built.bodies["second"]
        # A revisit replays as the original's content.
        raw = f"{base}{timestamp14(stable.time)}id_/{built.stable}"
        assert httpx.get(raw, timeout=30).content == built.bodies["stable"]
        # The report's link form (framed replay) answers too.
        assert httpx.get(replay_url(built.changing, changing.time, port), timeout=30).status_code == 200
    finally:
        stop_and_check(process, signal.SIGINT, tree, port)
    assert "stopped" in process.stderr.read()  # type: ignore[union-attr]
    assert set(Path(tempfile.gettempdir()).glob("archiver-replay-*")) == before


def test_replay_stops_on_sigterm(built: BuiltArchive) -> None:
    port = free_port()
    process, base = start(built.directory, port)
    tree = replay_tree(process)
    try:
        assert httpx.get(base, timeout=30).status_code == 200
    finally:
        stop_and_check(process, signal.SIGTERM, tree, port)


def test_busy_port_is_refused_with_a_clear_message(built: BuiltArchive) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run([*ARCHIVER, "replay", "--archive", str(built.directory), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == exitcodes.FAILED_ITEMS
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr


def test_empty_archive_is_refused_before_pywb_starts(tmp_path: Path) -> None:
    done = subprocess.run([*ARCHIVER, "replay", "--archive", str(tmp_path), "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == exitcodes.ARCHIVE_PROBLEM and "no finished .warc.gz" in done.stderr
