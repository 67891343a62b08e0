"""Replay the archive in a browser: pywb's ``wayback`` on loopback over the archive's WARC files.

The WARC files are not copied: a throw-away folder holds a fresh CDXJ index and a pywb config
whose one collection (``archive``) reads the files where they are. pywb runs as a child process
in its own session (so a Ctrl-C reaches us first and we stop it in order) and, on Linux, is told
to die with us should we be killed outright. Captures made while it runs appear after a restart.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import httpx

from .export import require, write_cdxj

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
"""pywb's own default port; the HTML report's replay links use it."""
COLLECTION = "archive"
_PR_SET_PDEATHSIG = 1


class ReplayError(Exception):
    """pywb could not be started; the message says why."""


def timestamp14(moment: datetime) -> str:
    """``moment`` as the 14-digit UTC timestamp of wayback URLs (``YYYYMMDDhhmmss``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def replay_url(url: str, moment: datetime, port: int = DEFAULT_PORT) -> str:
    """Where ``archiver replay`` on ``port`` shows the capture of ``url`` made at ``moment``."""
    return f"http://{HOST}:{port}/{COLLECTION}/{timestamp14(moment)}/{url}"


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: stopping relies on our own clean-up alone


class ReplayServer:
    """pywb serving the archive in ``directory`` on ``127.0.0.1:port``; a context manager.

    ``start()`` returns the collection's base URL once pywb answers; ``stop()`` ends pywb and
    removes the throw-away folder (idempotent).
    """

    def __init__(self, directory: str | os.PathLike[str], port: int = DEFAULT_PORT) -> None:
        if not 0 < port < 65536:
            raise ReplayError(f"port {port}: choose a number from 1 to 65535")
        self.directory = Path(directory).resolve()
        self.port = port
        self.base_url = f"http://{HOST}:{port}/{COLLECTION}/"
        self._work: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> str:
        """Index the WARC files, start pywb and wait until it answers; return the base URL.

        Raises ExportError when the archive cannot be indexed, ReplayError when pywb cannot run,
        MissingPackageError when pywb or cdxj-indexer is not installed.
        """
        require("pywb", "pywb")
        _check_port_free(self.port)
        self._work = Path(tempfile.mkdtemp(prefix="archiver-replay-"))
        try:
            self._prepare(self._work)
            log = open(self._work / "wayback.log", "wb")
            with log:
                self._process = subprocess.Popen(
                    [sys.executable, "-c", "from pywb.apps.cli import wayback; wayback()",
                     "--bind", HOST, "--port", str(self.port), "--threads", "4"],
                    cwd=self._work, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True, preexec_fn=_die_with_parent,
                )
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def wait(self) -> int:
        """Block until pywb exits (it only does when stopped or broken); return its status."""
        if self._process is None:
            raise ReplayError("not started")
        return self._process.wait()

    def stop(self) -> None:
        """Stop pywb (SIGTERM, then SIGKILL after 10 s) and remove the throw-away folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        work, self._work = self._work, None
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self, work: Path) -> None:
        index = work / "index.cdxj"
        with open(index, "w", encoding="utf-8") as out:
            write_cdxj(self.directory, out)
        config = {
            "collections": {
                COLLECTION: {
                    "index_paths": str(index),
                    # A folder prefix: the index names files relative to the archive folder.
                    "archive_paths": f"{self.directory}{os.sep}",
                }
            },
        }
        # JSON is YAML, and json.dumps quotes any path safely.
        (work / "config.yaml").write_text(json.dumps(config, indent=2), encoding="utf-8")

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ReplayError(f"pywb stopped at start: {self._log_tail()}")
            try:
                httpx.get(self.base_url, timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise ReplayError(f"pywb did not answer within {timeout:.0f} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            text = (self._work / "wayback.log").read_text(errors="replace") if self._work else ""
        except OSError:
            return "(no log)"
        return " / ".join(text.strip().splitlines()[-3:]) or "(no output)"


def _check_port_free(port: int) -> None:
    """Fail early, with a clear message, when something already listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise ReplayError(f"port {port} on {HOST} is in use; choose another with --port") from None
