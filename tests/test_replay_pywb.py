"""Our WARC files replay in pywb: id_ mode gives back exactly the bytes the server sent.

One pywb (``wayback`` on 127.0.0.1) serves a collection built from Exchanges for the whole module.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from archiver.warc import WarcWriter, warc_files
from tests.pywbserver import wayback
from tests.warcutil import make_exchange

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
RUSSIAN = "<html><meta charset=windows-1251><body>Привет, мир</body></html>".encode("cp1251")
GZIPPED = gzip.compress(b"<html><body>" + b"compressed " * 200 + b"</body></html>")
CHUNKED = b"<html>" + b"de-chunked body " * 300 + b"</html>"
NOT_FOUND = b"<html>no such page</html>"
SOURCE = b"See https://example.test/gz for details.\n"


@dataclass(frozen=True)
class Replay:
    base: str
    now: datetime


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    tmp = tmp_path_factory.mktemp("replay")
    now = datetime.now(timezone.utc)
    with WarcWriter(tmp / "archive", info={"user-agent": "archiver-test"}) as writer:
        _, original = writer.write_exchange(make_exchange(
            tmp, "http://example.test/gz", GZIPPED, date=T0,
            headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                     ("Content-Length", str(len(GZIPPED)))],
        ))
        writer.write_exchange(make_exchange(
            tmp, "http://example.test/chunked", CHUNKED, date=T0,
            headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
        ))
        writer.write_exchange(make_exchange(
            tmp, "http://example.test/missing", NOT_FOUND, date=T0, status=404, reason="Not Found",
            headers=[("Content-Type", "text/html")],
        ))
        writer.write_exchange(make_exchange(
            tmp, "http://example.test/ru", RUSSIAN, date=T0,
            headers=[("Content-Type", "text/html; charset=windows-1251")],
        ))
        writer.write_revisit(make_exchange(
            tmp, "http://example.test/gz", GZIPPED, date=T0 + timedelta(days=30),
            headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        ), original)
        # A capture with its provenance record written right after, in the same second, as the
        # pipeline does: replay must still give the page, not the JSON.
        fresh_page = make_exchange(tmp, "http://example.test/fresh", b"fresh page", date=now)
        _, fresh = writer.write_exchange(fresh_page)
        writer.write_metadata("http://example.test/fresh", {"outcome": "ok"}, refers_to=fresh.record_id)
        writer.write_resource("urn:archiver:source:test", SOURCE, "text/plain")
    with wayback(tmp, "coll", warc_files(tmp / "archive")) as base:
        yield Replay(base, now)


def fetch_raw(replay: Replay, when: datetime, url: str) -> tuple[httpx.Response, bytes]:
    stamp = when.strftime("%Y%m%d%H%M%S")
    with httpx.stream("GET", f"{replay.base}/coll/{stamp}id_/{url}", timeout=30) as response:
        return response, b"".join(response.iter_raw())


def test_gzip_body_replays_still_encoded(replay: Replay) -> None:
    response, body = fetch_raw(replay, T0, "http://example.test/gz")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert body == GZIPPED


def test_dechunked_body_replays(replay: Replay) -> None:
    response, body = fetch_raw(replay, T0, "http://example.test/chunked")
    assert response.status_code == 200
    assert body == CHUNKED


def test_404_replays_with_its_status(replay: Replay) -> None:
    response, body = fetch_raw(replay, T0, "http://example.test/missing")
    assert response.status_code == 404
    assert body == NOT_FOUND


def test_windows_1251_page_replays_byte_for_byte(replay: Replay) -> None:
    response, body = fetch_raw(replay, T0, "http://example.test/ru")
    assert body == RUSSIAN
    assert "windows-1251" in response.headers["content-type"]


def test_revisit_replays_as_the_original_content(replay: Replay) -> None:
    response, body = fetch_raw(replay, T0 + timedelta(days=30), "http://example.test/gz")
    assert response.status_code == 200
    assert response.headers["memento-datetime"] == "Tue, 31 Mar 2026 12:00:00 GMT"  # the revisit's date
    assert body == GZIPPED


def test_metadata_record_does_not_shadow_the_page(replay: Replay) -> None:
    response, body = fetch_raw(replay, replay.now, "http://example.test/fresh")
    assert response.status_code == 200
    assert body == b"fresh page"


def test_source_document_resource_replays(replay: Replay) -> None:
    response, body = fetch_raw(replay, replay.now, "urn:archiver:source:test")
    assert response.status_code == 200
    assert body == SOURCE
