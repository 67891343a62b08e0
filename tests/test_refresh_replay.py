"""A refresh's revisit replays in pywb as the original page: the revisit record carries only
headers, and pywb finds the body through WARC-Refers-To-Target-URI/-Date and the digest."""

from __future__ import annotations

import json
import time

import httpx

from archiver.catalog import OK, REVISIT, Catalog
from archiver.fetch import FetchOptions
from archiver.pipeline import RunOptions, run
from archiver.refresh import RefreshOptions, refresh
from archiver.warc import warc_files
from tests.pywbserver import wayback
from tests.servers import LoopbackServer, Reply

BODY = b"<html><body>" + "the same page, twice ".encode() * 50 + b"</body></html>"


def test_revisit_replays_as_the_original_content(tmp_path):
    options = RunOptions(fetch=FetchOptions(allow_private=True, host_delay=0.0, retries=0, timeout=10.0,
                                            robots="ignore"))
    archive = tmp_path / "archive"
    with LoopbackServer() as site:
        site.route("/page", Reply(200, body=BODY, headers=[("Content-Type", "text/html")]))
        url = site.url("/page")
        docs = tmp_path / "docs"
        docs.mkdir()
        (docs / "mail.txt").write_text(url + "\n")
        run([docs], archive, options)
        time.sleep(1.1)  # WARC/CDX timestamps have one-second steps: keep the two captures apart
        refresh(archive, RefreshOptions(run=options))
    with Catalog.open(archive) as catalog:
        original, revisit = catalog.history(url)
    assert (original.outcome, revisit.outcome) == (OK, REVISIT)
    stamps = [c.time.strftime("%Y%m%d%H%M%S") for c in (original, revisit)]
    assert stamps[0] != stamps[1]

    with wayback(tmp_path, "coll", warc_files(archive)) as base:
        index = httpx.get(f"{base}/coll/cdx", params={"url": url, "output": "json"}, timeout=30)
        rows = [line for line in index.text.splitlines() if line.strip()]
        assert sorted(stamps) == sorted(json.loads(r)["timestamp"] for r in rows)
        assert any('"warc/revisit"' in r for r in rows)
        replayed = httpx.get(f"{base}/coll/{stamps[1]}id_/{url}", timeout=30)

    assert replayed.status_code == 200
    assert replayed.content == BODY
    # Served at the revisit's own time, with the original's body.
    assert replayed.headers["memento-datetime"] == revisit.time.strftime("%a, %d %b %Y %H:%M:%S GMT")
