"""Run pywb's ``wayback`` on loopback over a collection built from WARC files (for replay tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def wayback(root: Path, collection: str, warcs: list[Path]) -> Iterator[str]:
    """Index ``warcs`` into a new pywb collection under ``root``, serve it; yield the base URL."""
    subprocess.run([str(BIN / "wb-manager"), "init", collection], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [str(BIN / "wb-manager"), "add", collection, *map(str, warcs)],
        cwd=root, check=True, capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "wayback"), "--bind", "127.0.0.1", "--port", str(port), "-t", "2"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # pywb takes a few seconds to import on a busy machine
            if server.poll() is not None:
                _, errors = server.communicate()
                raise RuntimeError(f"wayback exited: {errors.decode()[-2000:]}")
            try:
                httpx.get(f"{base}/{collection}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("wayback did not start")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
