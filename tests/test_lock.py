"""ArchiveLock: one process per archive; a dead holder's lock is free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archiver.lock import ArchiveLock, LockedError

HOLD = textwrap.dedent(
    """
    import sys
    from archiver.lock import ArchiveLock
    lock = ArchiveLock(sys.argv[1])
    lock.acquire()
    print("held", flush=True)
    sys.stdin.readline()  # hold until told to stop
    """
)


def start_holder(directory: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(directory)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_second_process_is_refused_with_holder_named(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    try:
        with pytest.raises(LockedError) as caught:
            ArchiveLock(tmp_path).acquire()
        message = str(caught.value)
        assert message.startswith(f"archive {tmp_path} is in use by pid {holder.pid} since ")
        assert message.endswith("+00:00")
    finally:
        holder.communicate("\n", timeout=30)
    # Released on exit: now ours.
    with ArchiveLock(tmp_path) as lock:
        assert lock.held
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()


def test_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    holder.kill()
    holder.wait(timeout=30)
    # The stale file still names the dead process ...
    assert json.loads((tmp_path / ".lock").read_text())["pid"] == holder.pid
    # ... but the kernel dropped its flock.
    with ArchiveLock(tmp_path):
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()


def test_stale_lock_file_with_junk_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text("not json at all")
    lock = ArchiveLock(tmp_path)
    lock.acquire()
    lock.acquire()  # already ours: no error
    lock.release()
    lock.release()  # idempotent
    assert not lock.held


def test_same_process_second_lock_object_is_refused(tmp_path: Path) -> None:
    with ArchiveLock(tmp_path):
        with pytest.raises(LockedError, match=f"pid {os.getpid()}"):
            ArchiveLock(tmp_path).acquire()
