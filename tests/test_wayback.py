"""The Wayback fallback: availability answers, memento URLs, and ``refresh --fallback wayback``
against a loopback stand-in that answers like the Internet Archive's API and serves mementos."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver import exitcodes
from archiver.catalog import ALIVE, FAILED, HTTP_ERROR, OK, ROTTED, THIRD_PARTY, Catalog, rebuild_catalog
from archiver.fetch import FetchOptions
from archiver.pipeline import RunOptions, run
from archiver.refresh import RefreshOptions, refresh
from archiver.wayback import (
    Memento, WaybackError, availability_url, parse_availability, parse_timestamp, raw_memento_url,
)
from tests.servers import LoopbackServer, Reply

BIN = Path(sys.executable).parent
FAST = dict(allow_private=True, host_delay=0.0, retries=0, timeout=10.0, robots="ignore")
STAMP = "20231106123456"
WHEN = datetime(2023, 11, 6, 12, 34, 56, tzinfo=timezone.utc)


def answer(url: str, timestamp: str = STAMP, status: str = "200", available: bool = True) -> bytes:
    return json.dumps({"url": url, "archived_snapshots": {"closest": {
        "available": available, "url": f"http://web.archive.org/web/{timestamp}/{url}",
        "timestamp": timestamp, "status": status}}}).encode()


# -- pure parts -----------------------------------------------------------------------------------


def test_availability_url_asks_for_the_url_near_the_date():
    query = availability_url("https://archive.org/wayback/available", "https://ex.com/a?b=1&c=2", WHEN)
    parts = urlsplit(query)
    assert (parts.netloc, parts.path) == ("archive.org", "/wayback/available")
    assert parse_qs(parts.query) == {"url": ["https://ex.com/a?b=1&c=2"], "timestamp": [STAMP]}
    assert "&url=" in availability_url("http://127.0.0.1:9/api?key=k", "http://x/", WHEN)


def test_parse_availability_reads_the_closest_memento():
    memento = parse_availability("https://ex.com/a", answer("https://ex.com/a"))
    assert memento == Memento("https://ex.com/a", f"http://web.archive.org/web/{STAMP}/https://ex.com/a", STAMP)
    assert memento.raw_url == f"http://web.archive.org/web/{STAMP}id_/https://ex.com/a"
    assert memento.datetime == WHEN


@pytest.mark.parametrize("body", [
    b'{"url": "https://ex.com/a", "archived_snapshots": {}}',
    answer("https://ex.com/a", available=False),
    answer("https://ex.com/a", status="404"),  # the archive only holds an error page
])
def test_no_usable_memento_is_none(body):
    assert parse_availability("https://ex.com/a", body) is None


@pytest.mark.parametrize("body, message", [
    (b"<html>busy</html>", "not JSON"),
    (b"[1, 2]", "archived_snapshots"),
    (b'{"archived_snapshots": {"closest": {"available": true, "url": "x"}}}', "timestamp"),
    (b'{"archived_snapshots": {"closest": {"available": true, "url": "ftp://x", "timestamp": "2023"}}}',
     "not a memento URL"),
    (b'{"archived_snapshots": {"closest": {"available": true, "url": "http://a/web/2023/x",'
     b' "timestamp": "yesterday"}}}', "not a Wayback timestamp"),
])
def test_malformed_answers_are_named_errors(body, message):
    with pytest.raises(WaybackError, match=message):
        parse_availability("https://ex.com/a", body)


def test_raw_memento_url_puts_id_after_the_timestamp():
    assert raw_memento_url(f"https://web.archive.org/web/{STAMP}im_/http://x/y/2023/z") == (
        f"https://web.archive.org/web/{STAMP}id_/http://x/y/2023/z")
    assert raw_memento_url("http://arquivo.pt/wayback/20200101/http://x/") == (
        "http://arquivo.pt/wayback/20200101id_/http://x/")
    with pytest.raises(WaybackError):
        raw_memento_url("http://web.archive.org/web/http://x/")


def test_timestamps_may_be_shortened_but_must_be_dates():
    assert parse_timestamp("2023") == datetime(2023, 1, 1, tzinfo=timezone.utc)
    assert parse_timestamp("20231106") == datetime(2023, 11, 6, tzinfo=timezone.utc)
    for bad in ("20231306123456", "202", "2023110612345"):
        with pytest.raises(WaybackError):
            parse_timestamp(bad)


# -- refresh --fallback wayback, end to end ---------------------------------------------------------


@pytest.fixture
def web():
    """The site (127.0.0.1) and a stand-in web archive (127.0.0.2) with its availability API."""
    with LoopbackServer() as site, LoopbackServer(host="127.0.0.2") as archive_org:
        site.route("/gone", Reply(200, body=b"<html>the page, alive</html>"))
        site.route("/fine", Reply(200, body=b"<html>still here</html>"))
        yield site, archive_org


def stand_in(archive_org: LoopbackServer, mementos: dict[str, bytes]) -> None:
    """Answer the availability API like archive.org, and serve each memento raw (``id_``)."""
    def available(request):
        url = parse_qs(urlsplit(request.target).query)["url"][0]
        if url not in mementos:
            return Reply(200, body=b'{"url": "%s", "archived_snapshots": {}}' % url.encode())
        body = json.dumps({"url": url, "archived_snapshots": {"closest": {
            "available": True, "url": archive_org.url(f"/web/{STAMP}/{url}"), "timestamp": STAMP,
            "status": "200"}}}).encode()
        # Compressed, as the real API answers: the lookup must undo the Content-Encoding.
        return Reply(200, body=gzip.compress(body),
                     headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
    archive_org.route("/wayback/available", available)
    for url, body in mementos.items():
        archive_org.route(f"/web/{STAMP}id_/{url}", Reply(200, body=body, headers=[
            ("Content-Type", "text/html"), ("Memento-Datetime", "Mon, 06 Nov 2023 12:34:56 GMT")]))


def test_fallback_archives_the_memento_of_a_rotted_and_a_never_archived_link(tmp_path, web):
    site, archive_org = web
    never = "http://127.0.0.3:9/never-worked"  # nothing listens there
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mail.txt").write_text(f"{site.url('/gone')}\n{site.url('/fine')}\n{never}\n")
    archive = tmp_path / "archive"
    options = RunOptions(fetch=FetchOptions(**FAST))
    run([docs], archive, options)
    site.route("/gone", Reply(404, body=b"not found"))
    stand_in(archive_org, {site.url("/gone"): b"<html>the page, as archive.org saw it</html>",
                           never: b"<html>what the sender linked to</html>"})
    endpoint = archive_org.url("/wayback/available")

    report = refresh(archive, RefreshOptions(run=options, fallback_endpoint=endpoint))

    assert sorted((f.url, f.error) for f in report.fallbacks) == [(site.url("/gone"), None), (never, None)]
    with Catalog.open(archive) as catalog:
        gone = catalog.history(site.url("/gone"))
        assert [c.outcome for c in gone] == [OK, HTTP_ERROR, THIRD_PARTY]
        assert gone[-1].final_url == archive_org.url(f"/web/{STAMP}id_/{site.url('/gone')}")
        assert [c.outcome for c in catalog.history(never)] == [FAILED, FAILED, THIRD_PARTY]
        states = {s.url: s.state for s in catalog.links()}
        # Another archive's copy does not bring the page back to life.
        assert states[site.url("/gone")] == ROTTED and states[site.url("/fine")] == ALIVE
        first_rotted = {s.url: s.first_rotted for s in catalog.links()}[site.url("/gone")]
    # The lookup asked for the version closest to the day the page rotted.
    lookups = archive_org.requests_to("/wayback/available")
    asked = {parse_qs(urlsplit(r.target).query)["url"][0]: parse_qs(urlsplit(r.target).query)["timestamp"][0]
             for r in lookups}
    assert asked[site.url("/gone")] == first_rotted.strftime("%Y%m%d%H%M%S")
    assert site.url("/fine") not in asked  # alive links are not looked up

    found = {}
    for path in sorted(archive.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                found[record.rec_headers.get_header("WARC-Record-ID")] = (
                    record.rec_type, record.rec_headers, record.content_stream().read())
    notes = [json.loads(body) for kind, _, body in found.values()
             if kind == "metadata" and b"third_party_capture" in body]
    note = next(n for n in notes if n["original_url"] == site.url("/gone"))
    assert note["third_party_capture"] is True and note["archive"] == archive_org.url("/").rstrip("/")
    assert note["memento_datetime"] == "2023-11-06T12:34:56Z"
    assert note["capture"]["outcome"] == THIRD_PARTY and note["occurrences"] == []
    memento_record = next(v for v in found.values() if v[0] == "response"
                          and v[1].get_header("WARC-Target-URI") == note["memento_url"])
    assert memento_record[2] == b"<html>the page, as archive.org saw it</html>"

    # The next refresh does not fetch the same third-party copy again, and a rebuilt catalog
    # tells the same story from the WARC files alone.
    again = refresh(archive, RefreshOptions(run=options, fallback_endpoint=endpoint))
    assert again.fallbacks == [] and len(archive_org.requests_to("/wayback/available")) == 2
    with rebuild_catalog(archive) as rebuilt:
        assert [c.outcome for c in rebuilt.history(site.url("/gone"))] == [OK, HTTP_ERROR, THIRD_PARTY, HTTP_ERROR]
        assert {s.url: s.state for s in rebuilt.links()}[site.url("/gone")] == ROTTED


def test_no_copy_anywhere_is_reported_and_the_exit_status_says_so(tmp_path, web):
    site, archive_org = web
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mail.txt").write_text(f"{site.url('/gone')}\n")
    archive = tmp_path / "archive"
    run([docs], archive, RunOptions(fetch=FetchOptions(**FAST)))
    site.route("/gone", Reply(410, body=b"gone"))
    stand_in(archive_org, {})

    proc = subprocess.run(
        [str(BIN / "archiver"), "refresh", "--archive", str(archive), "--allow-private", "--robots",
         "ignore", "--retries", "0", "--fallback", "wayback", "--wayback-endpoint",
         archive_org.url("/wayback/available")], capture_output=True, text=True, timeout=120,
    )

    assert proc.returncode == exitcodes.FAILED_ITEMS, proc.stderr
    assert f"rotted: {site.url('/gone')}" in proc.stdout
    assert f"no third-party copy: {site.url('/gone')}: the archive has no usable copy" in proc.stdout
    with Catalog.open(archive) as catalog:
        assert THIRD_PARTY not in {c.outcome for c in catalog.history(site.url("/gone"))}
