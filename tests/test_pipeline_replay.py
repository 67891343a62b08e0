"""An archive made by ``archiver run`` against loopback servers replays in pywb as the servers sent it."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from archiver.catalog import Catalog
from archiver.fetch import FetchOptions
from archiver.pipeline import RunOptions, run
from tests.pywbserver import wayback
from tests.servers import LoopbackServer, Reply

BIN = Path(sys.executable).parent
PAGE = "<html><body>" + "Привет, мир! " * 200 + "</body></html>"
GZIPPED = gzip.compress(b"<html>" + b"compressed " * 500 + b"</html>")
CHUNKED = b"<html>" + b"chunk " * 3000 + b"</html>"
CYRILLIC = PAGE.encode("windows-1251")
MISSING = b"<html>no such page</html>"
BIG = b"x" * 300_000


@dataclass
class Replayed:
    base: str
    site: LoopbackServer
    archive: Path


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    tmp = tmp_path_factory.mktemp("run-replay")
    with LoopbackServer() as site:
        site.route("/gz", Reply(200, body=GZIPPED, headers=[
            ("Content-Type", "text/html"), ("Content-Encoding", "gzip")]))
        site.route("/chunked", Reply(200, body=CHUNKED, chunked=1000,
                                     headers=[("Content-Type", "text/html")]))
        site.route("/ru", Reply(200, body=CYRILLIC,
                                headers=[("Content-Type", "text/html; charset=windows-1251")]))
        site.route("/missing", Reply(404, body=MISSING, headers=[("Content-Type", "text/html")]))
        site.route("/big", Reply(200, body=BIG, headers=[("Content-Type", "text/plain")]))
        docs = tmp / "docs"
        docs.mkdir()
        (docs / "links.txt").write_text(
            "\n".join(site.url(p) for p in ("/gz", "/chunked", "/ru", "/missing", "/big")) + "\n")
        archive = tmp / "archive"
        run([docs], archive, RunOptions(fetch=FetchOptions(
            allow_private=True, host_delay=0, retries=0, robots="ignore", max_size=100_000)))
        with wayback(tmp, "coll", sorted(archive.glob("*.warc.gz"))) as base:
            yield Replayed(base, site, archive)


def replay_raw(replayed: Replayed, path: str) -> tuple[httpx.Response, bytes]:
    url = replayed.site.url(path)
    with Catalog.open(replayed.archive) as catalog:
        stamp = catalog.latest_capture(url).time.strftime("%Y%m%d%H%M%S")
    with httpx.stream("GET", f"{replayed.base}/coll/{stamp}id_/{url}", timeout=30) as response:
        return response, b"".join(response.iter_raw())


def test_archive_passes_warcio_check_and_cdxj_indexer(replayed: Replayed) -> None:
    files = [str(p) for p in sorted(replayed.archive.glob("*.warc.gz"))]
    assert subprocess.run([str(BIN / "warcio"), "check", *files], capture_output=True).returncode == 0
    index = subprocess.run([str(BIN / "cdxj-indexer"), *files], capture_output=True, text=True, check=True)
    for path in ("/gz", "/chunked", "/ru", "/missing", "/big"):
        assert f'"url": "{replayed.site.url(path)}"' in index.stdout


def test_gzip_body_replays_byte_for_byte_still_encoded(replayed: Replayed) -> None:
    response, body = replay_raw(replayed, "/gz")
    assert response.headers["content-encoding"] == "gzip"
    assert body == GZIPPED


def test_chunked_body_replays_dechunked(replayed: Replayed) -> None:
    response, body = replay_raw(replayed, "/chunked")
    assert response.status_code == 200 and body == CHUNKED


def test_windows_1251_page_replays_byte_for_byte(replayed: Replayed) -> None:
    response, body = replay_raw(replayed, "/ru")
    assert body == CYRILLIC
    assert body.decode("windows-1251") == PAGE


def test_404_replays_with_its_status_and_body(replayed: Replayed) -> None:
    response, body = replay_raw(replayed, "/missing")
    assert response.status_code == 404 and body == MISSING


def test_body_over_the_size_limit_is_cut_and_replays_as_stored(replayed: Replayed) -> None:
    response, body = replay_raw(replayed, "/big")
    assert body == BIG[:100_000]
