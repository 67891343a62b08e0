"""Helpers for the WARC tests: Exchange values with real body files, and reading records back."""

from __future__ import annotations

import gzip
import itertools
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archiver.exchange import Exchange
from archiver.warc import RecordRef

_counter = itertools.count()


def make_exchange(
    tmp_path: Path,
    url: str = "http://example.test/page",
    body: bytes = b"<html>hello</html>",
    *,
    status: int = 200,
    reason: str = "OK",
    headers: list[tuple[str, str]] | None = None,
    http_version: str = "HTTP/1.1",
    date: datetime | None = None,
    truncated: str | None = None,
    peer_ip: str | None = "127.0.0.1",
) -> Exchange:
    """An Exchange as the fetcher would hand it over, its body spooled to a file in ``tmp_path``."""
    body_path = tmp_path / f"body-{next(_counter)}"
    body_path.write_bytes(body)
    path = url.split("//", 1)[1].split("/", 1)[1] if url.count("/") >= 3 else ""
    host = url.split("//", 1)[1].split("/", 1)[0]
    request = f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip, deflate\r\n\r\n"
    return Exchange(
        target_uri=url,
        date=date or datetime.now(timezone.utc),
        request_head=request.encode("latin-1"),
        http_version=http_version,
        status=status,
        reason=reason,
        response_headers=headers if headers is not None else [("Content-Type", "text/html")],
        body_path=body_path,
        body_length=len(body),
        truncated=truncated,
        peer_ip=peer_ip,
        protocol="h2" if http_version == "HTTP/2" else "http/1.1",
    )


def member_bytes(path: Path, offset: int, length: int) -> bytes:
    """Inflate the single gzip member at ``offset`` (it must be exactly ``length`` bytes long)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(length)
    return gzip.decompress(data)


def read_ref(directory: Path, ref: RecordRef, suffix: str = "") -> tuple[dict[str, str], bytes]:
    """(WARC header fields, block) of the record ``ref`` points at (``suffix=".open"`` while written)."""
    return split_record(member_bytes(directory / f"{ref.filename}{suffix}", ref.offset, ref.length))


def split_record(raw: bytes) -> tuple[dict[str, str], bytes]:
    """(WARC header fields, block) of one uncompressed record."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    assert lines[0] == "WARC/1.1"
    fields = dict(line.split(": ", 1) for line in lines[1:])
    length = int(fields["Content-Length"])
    assert rest[length:] == b"\r\n\r\n"
    return fields, rest[:length]


def archive_records(archive: Path) -> list[tuple[str, str | None, bytes, dict[str, str]]]:
    """(type, target URI, content, headers) of every record in every finished WARC file of an
    archive folder, read back with warcio."""
    found = []
    for path in sorted(archive.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                headers = dict(record.rec_headers.headers)
                found.append((record.rec_type, headers.get("WARC-Target-URI"),
                              record.content_stream().read(), headers))
    return found


def check_archive(archive: Path) -> None:
    """Assert that the archive folder has finished WARC files and that `warcio check` passes them."""
    files = sorted(map(str, archive.glob("*.warc.gz")))
    assert files, "no finished WARC file"
    proc = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *files],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
