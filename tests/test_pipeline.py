"""``archiver run`` end to end: documents with wrapped links -> loopback servers -> WARC + catalog."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver import exitcodes
from archiver.catalog import Catalog
from archiver.fetch import FetchOptions
from archiver.lock import ArchiveLock
from archiver.exchange import FetchResult
from archiver.pipeline import GroupCommit, RunOptions, fetch_until_signalled, run
from archiver.store import write_fetch
from archiver.verify import verify_archive
from archiver.warc import WarcWriter
from tests.encoders.proofpoint import encode_v3
from tests.encoders.safelinks import wrap_safelinks
from tests.servers import LoopbackServer, Reply, redirect
from tests.warcutil import archive_records, check_archive, make_exchange

BIN = Path(sys.executable).parent
FAST = dict(allow_private=True, host_delay=0.0, retries=0, timeout=10.0, robots="ignore")


def options(**fetch: object) -> RunOptions:
    return RunOptions(fetch=FetchOptions(**{**FAST, **fetch}))


@pytest.fixture
def site():
    with LoopbackServer() as server:
        server.route("/article", Reply(200, body=b"<html>the article</html>",
                                       headers=[("Content-Type", "text/html")]))
        server.route("/moved", redirect("/article", status=301, set_cookie="consent=yes; Path=/"))
        server.route("/gone", Reply(410, body=b"gone"))
        yield server


def write_doc(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_run_archives_the_original_behind_safelinks_and_proofpoint(tmp_path, site):
    original = site.url("/article")
    wrapped = wrap_safelinks(encode_v3(original))
    docs = tmp_path / "docs"
    write_doc(docs, "mail.md", f"Intro line\n\nRead [this]({wrapped}) today.\n")
    archive = tmp_path / "archive"

    report = run([docs], archive, options())

    assert report.exit_code == exitcodes.OK
    assert [(r.url, r.outcome, r.status) for r in report.results] == [(original, "ok", 200)]
    check_archive(archive)
    found = archive_records(archive)
    responses = [r for r in found if r[0] == "response"]
    assert [r[1] for r in responses] == [original]  # the real target, never the wrapper
    assert responses[0][2] == b"<html>the article</html>"
    requests = [r for r in found if r[0] == "request"]
    assert requests[0][3]["WARC-Concurrent-To"] == responses[0][3]["WARC-Record-ID"]
    # The source document is stored once, byte for byte.
    resources = [r for r in found if r[0] == "resource"]
    assert [r[2] for r in resources] == [(docs / "mail.md").read_bytes()]
    # Provenance: where the link was written, the wrapped form and the decode chain.
    provenance = [json.loads(r[2]) for r in found
                  if r[0] == "metadata" and r[3].get("WARC-Refers-To") == responses[0][3]["WARC-Record-ID"]]
    assert len(provenance) == 1
    text = json.dumps(provenance[0])
    assert wrapped in text
    assert '"safelinks"' in text and '"proofpoint-v3"' in text
    assert str(docs / "mail.md") in text
    with Catalog.open(archive) as catalog:
        (capture,) = catalog.history(original)
        assert capture.outcome == "ok" and capture.location is not None
        assert capture.location.filename in {p.name for p in archive.glob("*.warc.gz")}
        (occurrence,) = [o for url, o in catalog.occurrences(original)]
        assert (occurrence.line, occurrence.written) == (3, wrapped)
    assert not list(archive.glob("*.open")) and not (archive / ".spool").exists()


def test_redirect_hops_are_archived_each_with_cookies_carried(tmp_path, site):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", f"see {site.url('/moved')}\n")
    archive = tmp_path / "archive"

    report = run([docs], archive, options())

    assert [(r.outcome, r.status, r.final_url) for r in report.results] == [("ok", 200, site.url("/article"))]
    responses = [(r[1], r[2]) for r in archive_records(archive) if r[0] == "response"]
    assert [uri for uri, _ in responses] == [site.url("/moved"), site.url("/article")]
    assert site.requests_to("/article")[0].headers.get("cookie") == "consent=yes"


def test_second_run_skips_captured_links_and_retries_failed_ones(tmp_path, site):
    site.route("/flaky", [Reply(503, body=b"busy"), Reply(200, body=b"fine")])
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", f"{site.url('/article')}\n{site.url('/flaky')}\n")
    archive = tmp_path / "archive"

    first = run([docs], archive, options())
    assert first.exit_code == exitcodes.FAILED_ITEMS
    assert {r.url: r.outcome for r in first.results} == {
        site.url("/article"): "ok", site.url("/flaky"): "http-error"}
    fetched_before = len(site.requests_to("/article"))

    second = run([docs], archive, options())

    assert second.exit_code == exitcodes.OK
    assert {r.url: r.outcome for r in second.results} == {
        site.url("/article"): "skipped", site.url("/flaky"): "ok"}
    assert len(site.requests_to("/article")) == fetched_before
    # The first run's files are untouched, the source document is not stored twice.
    assert len([r for r in archive_records(archive) if r[0] == "resource"]) == 1
    check_archive(archive)

    third = run([docs], archive, RunOptions(fetch=FetchOptions(**FAST), refetch=True))
    assert {r.outcome for r in third.results} <= {"ok", "revisit"}
    assert len(site.requests_to("/article")) == fetched_before + 1


def test_private_address_refused_without_the_flag_and_reported(tmp_path, site):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", f"{site.url('/article')}\n")
    archive = tmp_path / "archive"

    report = run([docs], archive, RunOptions(fetch=FetchOptions(retries=0)))

    (result,) = report.results
    assert (result.outcome, result.error_kind) == ("failed", "refused-address")
    assert "--allow-private" in (result.error or "")
    assert site.requests == []
    assert report.exit_code == exitcodes.FAILED_ITEMS
    # The failure is itself recorded with its provenance.
    metadata = [json.loads(r[2]) for r in archive_records(archive) if r[0] == "metadata"]
    assert any("refused-address" in json.dumps(m) for m in metadata)


def test_unresolvable_host_leaves_a_valid_archive_with_sources_and_provenance(tmp_path):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", "see https://no-such-host.invalid/page\n")
    archive = tmp_path / "archive"

    report = run([docs], archive, RunOptions(fetch=FetchOptions(retries=0)))

    (result,) = report.results
    assert result.outcome == "failed" and result.error_kind == "dns"
    check_archive(archive)
    kinds = [r[0] for r in archive_records(archive)]
    assert kinds[0] == "warcinfo" and "resource" in kinds and "metadata" in kinds


def test_relative_links_are_listed_not_fetched_nor_failed(tmp_path):
    docs = tmp_path / "docs"
    write_doc(docs, "a.md", "[Anna \\(/experts/anna\\)](#)\n")
    report = run([docs], tmp_path / "archive", options())
    assert [(r.url, r.outcome) for r in report.results] == [("/experts/anna", "relative")]
    assert report.exit_code == exitcodes.OK


def test_a_locked_archive_is_refused_with_its_exit_status(tmp_path, site):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", f"{site.url('/article')}\n")
    archive = tmp_path / "archive"
    with ArchiveLock(archive):
        proc = subprocess.run(
            [str(BIN / "archiver"), "run", str(docs), "--archive", str(archive), "--allow-private"],
            capture_output=True, text=True,
        )
    assert proc.returncode == exitcodes.LOCKED
    assert "in use by pid" in proc.stderr
    assert site.requests == []


def _start_run(docs: Path, archive: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "archiver"), "run", str(docs), "--archive", str(archive), "--allow-private",
         "--robots", "ignore", "--retries", "0", "--host-delay", "0", "--timeout", "60",
         "--concurrency", "1", "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _captured(archive: Path) -> int:
    path = archive / "catalog.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM captures").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.fixture
def slow_site():
    """Two quick pages, then one that never answers: a run is caught in the middle."""
    with LoopbackServer() as server:
        server.route("/one", Reply(200, body=b"one"))
        server.route("/two", Reply(200, body=b"two"))
        server.route("/hang", Reply(hang=True))
        yield server


def _run_caught_in_the_middle(tmp_path: Path, slow_site: LoopbackServer):
    """A run in a subprocess, once its two quick captures are catalogued and the third hangs."""
    docs = tmp_path / "docs"
    urls = [slow_site.url(p) for p in ("/one", "/two", "/hang")]
    write_doc(docs, "a.txt", "\n".join(urls) + "\n")
    archive = tmp_path / "archive"
    proc = _start_run(docs, archive)
    _wait_for(lambda: _captured(archive) >= 2 and slow_site.requests_to("/hang"))
    return proc, docs, archive, urls


def test_sigterm_finishes_the_records_in_hand_and_closes_the_files(tmp_path, slow_site):
    proc, _, archive, urls = _run_caught_in_the_middle(tmp_path, slow_site)

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == exitcodes.INTERRUPTED, err
    assert json.loads(out)["interrupted"] is True
    assert not list(archive.glob("*.open"))
    check_archive(archive)
    bodies = {r[1]: r[2] for r in archive_records(archive) if r[0] == "response"}
    assert bodies == {urls[0]: b"one", urls[1]: b"two"}


def test_hard_kill_then_resume_repairs_the_open_file_and_keeps_every_capture(tmp_path, slow_site):
    proc, docs, archive, urls = _run_caught_in_the_middle(tmp_path, slow_site)
    proc.kill()
    proc.wait(timeout=10)
    (left_open,) = archive.glob("*.warc.gz.open")
    # A torn record at the end, as if the kill had struck mid-write.
    with left_open.open("ab") as stream:
        stream.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n")[:25])

    slow_site.route("/hang", Reply(200, body=b"three"))
    report = run([docs], archive, options())

    (repaired,) = report.repaired
    assert repaired.startswith(left_open.name.removesuffix(".open")) and "cut 25 bytes" in repaired
    assert {r.url: r.outcome for r in report.results} == {
        urls[0]: "skipped", urls[1]: "skipped", urls[2]: "ok"}
    assert not list(archive.glob("*.open"))
    check_archive(archive)
    bodies = {r[1]: r[2] for r in archive_records(archive) if r[0] == "response"}
    assert bodies == {urls[0]: b"one", urls[1]: b"two", urls[2]: b"three"}


def test_cli_json_summary_and_exit_status(tmp_path, site):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", f"{site.url('/article')} and {site.url('/gone')}\n")
    archive = tmp_path / "archive"
    proc = _start_run(docs, archive)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == exitcodes.FAILED_ITEMS, err
    summary = json.loads(out)
    assert summary["counts"] == {"ok": 1, "http-error": 1}
    assert {r["url"]: r["status"] for r in summary["results"]} == {
        site.url("/article"): 200, site.url("/gone"): 410}
    assert os.path.basename(summary["files"][0]).endswith(".warc.gz")


def test_group_commit_catalogs_captures_only_once_their_records_are_synced(tmp_path):
    archive = tmp_path / "archive"
    urls = [f"http://example.test/{n}" for n in range(3)]
    with Catalog.open(archive) as catalog, WarcWriter(archive) as writer:
        committed: list[str] = []
        group = GroupCommit(writer, catalog, lambda c: committed.append(c.url), size=2, delay=3600)
        for url in urls[:1]:
            group.add(write_fetch(writer, catalog, url, FetchResult(url, [make_exchange(tmp_path, url)])))
        group.flush_if_due()  # not due: an hour has not passed
        assert committed == [] and catalog.captures() == []
        group.add(write_fetch(writer, catalog, urls[1], FetchResult(urls[1], [make_exchange(tmp_path, urls[1])])))
        assert committed == urls[:2]  # the group was full: synced and catalogued together
        assert [c.url for c in catalog.captures()] == urls[:2]
        group.add(write_fetch(writer, catalog, urls[2], FetchResult(urls[2], [make_exchange(tmp_path, urls[2])])))
        group.flush()
        assert committed == urls


def test_warc_files_roll_over_at_the_size_limit_each_complete(tmp_path, site):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", "\n".join(site.url(f"/article?n={n}") for n in range(6)) + "\n")
    archive = tmp_path / "archive"
    proc = _start_run(docs, archive, "--warc-size", "3KB")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == exitcodes.OK, err
    files = sorted(archive.glob("*.warc.gz"))
    assert len(files) > 2 and json.loads(out)["files"] == [f.name for f in files]
    check_archive(archive)
    for path in files:
        with path.open("rb") as stream:
            assert next(iter(ArchiveIterator(stream))).rec_type == "warcinfo"
    assert len([r for r in archive_records(archive) if r[0] == "response"]) == 6


def test_a_signal_stops_the_fetching_then_the_callers_handler_is_back(slow_site):
    seen: list[int] = []

    def handler(signum, frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        stopped = fetch_until_signalled([slow_site.url("/hang")], FetchOptions(**FAST), lambda r: None)
        timer.join()
        assert stopped and seen == []  # the fetching took the signal, not the caller
        assert signal.getsignal(signal.SIGTERM) is handler
        os.kill(os.getpid(), signal.SIGTERM)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_crash_before_the_group_commit_loses_nothing_written_whole_and_verify_passes(tmp_path, site):
    """Killed after a capture's records were written but before they were catalogued, and in
    the middle of the next capture (its response written, its provenance record not): the next
    run keeps the first capture (catalogued by the recovery, not fetched again), drops the half
    group, and leaves an archive that `verify` finds sound."""
    docs = tmp_path / "docs"
    done, torn = site.url("/article"), site.url("/moved")
    write_doc(docs, "a.txt", f"{done}\n{torn}\n")
    archive = tmp_path / "archive"
    writer = WarcWriter(archive)  # never closed: the process "dies" with the file open
    with Catalog.open(archive) as catalog:
        write_fetch(writer, catalog, done, FetchResult(done, [make_exchange(tmp_path, done, b"kept")]))
        writer.write_exchange(make_exchange(tmp_path, torn, b"half a group"))
        writer.sync()
    assert len(list(archive.glob("*.open"))) == 1

    report = run([docs], archive, options())

    assert report.repaired and "catalog rebuilt" not in " ".join(report.repaired)
    assert {r.url: r.outcome for r in report.results} == {done: "skipped", torn: "ok"}
    bodies = [(r[1], r[2]) for r in archive_records(archive) if r[0] == "response"]
    assert (done, b"kept") in bodies and (torn, b"half a group") not in bodies
    assert verify_archive(archive).problems == []


def test_a_mimecast_link_is_never_fetched_in_the_recipients_name(tmp_path):
    docs = tmp_path / "docs"
    mimecast = "https://protect-eu.mimecast.com/s/AbCdEfGhIjK?domain=example.com"
    write_doc(docs, "a.txt", f"{mimecast}\n")
    report = run([docs], tmp_path / "archive", options())
    (result,) = report.results
    assert (result.url, result.outcome) == (mimecast, "not-fetched")
    assert "Mimecast" in (result.error or "") and report.exit_code == exitcodes.FAILED_ITEMS


def test_malformed_links_fail_alone_and_the_others_are_archived(tmp_path, site):
    docs = tmp_path / "docs"
    write_doc(docs, "a.txt", f"http://[zz]/\n{site.url('/article')}\nhttp://[::1\n")
    archive = tmp_path / "archive"

    report = run([docs], archive, options())

    outcomes = {r.url: (r.outcome, r.error_kind) for r in report.results}
    assert outcomes[site.url("/article")] == ("ok", None)
    assert outcomes["http://[zz]/"] == ("failed", "bad-url")
    assert report.exit_code == exitcodes.FAILED_ITEMS
    assert verify_archive(archive).problems == []
    provenance = [json.loads(r[2]) for r in archive_records(archive) if r[0] == "metadata"]
    assert any(p.get("capture", {}).get("url") == "http://[zz]/" for p in provenance)
