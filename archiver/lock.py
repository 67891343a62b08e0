"""The archive lock: one archiver process writes to an archive folder at a time.

The lock is ``fcntl.flock`` on ``DIR/.lock``, so the kernel drops it when the holder dies: a lock
file left by a crashed process is simply taken over. The file's content (pid, host, time) is
only there to tell a user who holds the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

LOCK_NAME = ".lock"


class LockedError(RuntimeError):
    """The archive is locked by another live process (the message names it)."""


class ArchiveLock:
    """Exclusive lock on an archive folder; a context manager. ``release`` is idempotent."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise LockedError at once (never waits)."""
        if self._fd is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockedError(f"archive {self.directory} is in use by {holder}") from None
        except BaseException:
            os.close(fd)
            raise
        # Ours now: replace whatever a previous (dead) holder wrote.
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up. The file stays: deleting it would race with the next taker."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """'pid N since T' (plus the host when it is another machine) from the lock file's content."""
    try:
        record = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        pid, since, host = record["pid"], record["since"], record.get("host")
    except (ValueError, KeyError, TypeError, OSError):
        return "another process"
    where = "" if host in (None, socket.gethostname()) else f" on {host}"
    return f"pid {pid}{where} since {since}"
