"""``archiver refresh`` end to end: an archive made by ``run``, loopback servers that change, rot,
redirect home or hang; revisits, changes, rot, selection, locking, kills and periodic rounds."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from archiver import exitcodes
from archiver.catalog import ALIVE, FAILED, HTTP_ERROR, OK, REVISIT, ROTTED, Catalog
from archiver.exchange import FetchResult
from archiver.fetch import FetchOptions
from archiver.lock import ArchiveLock
from archiver.pipeline import RunOptions, run
from archiver.refresh import RefreshOptions, refresh
from archiver.store import store_fetch
from archiver.warc import WarcWriter
from tests.servers import LoopbackServer, Reply, redirect
from tests.warcutil import archive_records, check_archive, make_exchange

BIN = Path(sys.executable).parent
FAST = dict(allow_private=True, host_delay=0.0, retries=0, timeout=10.0, robots="ignore")
FAST_ARGS = ["--allow-private", "--robots", "ignore", "--retries", "0", "--host-delay", "0"]


def options(**selection: object) -> RefreshOptions:
    return RefreshOptions(run=RunOptions(fetch=FetchOptions(**FAST)), **selection)  # type: ignore[arg-type]


def archive_of(tmp_path: Path, urls: list[str]) -> Path:
    """An archive made by ``archiver run`` over one document listing ``urls``."""
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "mail.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
    archive = tmp_path / "archive"
    report = run([docs], archive, RunOptions(fetch=FetchOptions(**FAST)))
    assert {r.outcome for r in report.results} == {OK}
    return archive


@pytest.fixture
def site():
    with LoopbackServer() as server:
        server.route("/same", Reply(200, body=b"<html>unchanged</html>", headers=[("Content-Type", "text/html")]))
        server.route("/news", Reply(200, body=b"<html>version 1</html>"))
        server.route("/article", Reply(200, body=b"<html>an article</html>"))
        server.route("/", Reply(200, body=b"<html>home page</html>"))
        yield server


def test_unchanged_page_becomes_a_revisit_and_no_second_full_copy(tmp_path, site):
    url = site.url("/same")
    archive = archive_of(tmp_path, [url])
    before = archive_records(archive)

    report = refresh(archive, options())

    assert report.exit_code == exitcodes.OK and report.selected == 1
    assert [(r.url, r.outcome) for r in report.run.results] == [(url, REVISIT)]
    added = archive_records(archive)[len(before):]
    assert [r[0] for r in added if r[0] in ("response", "revisit")] == ["revisit"]
    (original,) = [r for r in before if r[0] == "response"]
    (revisit,) = [r for r in added if r[0] == "revisit"]
    head = revisit[3]
    assert head["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert head["WARC-Refers-To"] == original[3]["WARC-Record-ID"]
    assert head["WARC-Refers-To-Target-URI"] == url
    assert head["WARC-Refers-To-Date"] == original[3]["WARC-Date"]
    assert head["WARC-Payload-Digest"] == original[3]["WARC-Payload-Digest"]
    assert b"unchanged" not in revisit[2]  # headers only: the body stays in the original
    # The provenance of a refresh is compact: no occurrences repeated.
    (meta,) = [json.loads(r[2]) for r in added
               if r[0] == "metadata" and r[3].get("WARC-Refers-To") == head["WARC-Record-ID"]]
    assert meta["occurrences"] == [] and meta["capture"]["outcome"] == REVISIT
    with Catalog.open(archive) as catalog:
        first, again = catalog.history(url)
        assert again.revisit_of == first.record_id and again.changed is False
        assert len(catalog.occurrences(url)) == 1  # still the one from the run
    check_archive(archive)


def test_changed_page_is_stored_in_full_and_flagged_changed(tmp_path, site):
    url = site.url("/news")
    archive = archive_of(tmp_path, [url])
    site.route("/news", Reply(200, body=b"<html>version 2</html>"))

    report = refresh(archive, options())

    assert [r.outcome for r in report.run.results] == [OK]
    bodies = [r[2] for r in archive_records(archive) if r[0] == "response"]
    assert bodies == [b"<html>version 1</html>", b"<html>version 2</html>"]
    with Catalog.open(archive) as catalog:
        first, second = catalog.history(url)
        assert (first.changed, second.changed, second.revisit_of) == (None, True, None)
        assert [s.state for s in catalog.links()] == [ALIVE]


def test_404_and_redirect_home_and_other_domain_rot_but_a_move_within_the_site_does_not(tmp_path, site):
    names = ("/gone", "/homeward", "/elsewhere", "/moved")
    for name in names:
        site.route(name, Reply(200, body=f"<html>{name}</html>".encode()))
    urls = [site.url(n) for n in names]
    archive = archive_of(tmp_path, urls)
    with LoopbackServer(host="127.0.0.2") as other:
        other.route("/landing", Reply(200, body=b"<html>someone else</html>"))
        site.route("/gone", Reply(404, body=b"not found"))
        site.route("/homeward", redirect("/"))
        site.route("/elsewhere", redirect(other.url("/landing")))
        site.route("/moved", redirect("/new-place/moved"))
        site.route("/new-place/moved", Reply(200, body=b"<html>/moved</html>"))

        report = refresh(archive, options())

    assert report.exit_code == exitcodes.FAILED_ITEMS
    assert sorted(s.url for s in report.rotted) == sorted(urls[:3])
    with Catalog.open(archive) as catalog:
        states = {s.url: s for s in catalog.links()}
        for url in urls[:3]:
            history = catalog.history(url)
            assert history[0].outcome == OK and history[0].location is not None  # kept as the record
            assert states[url].state == ROTTED and states[url].first_rotted == history[-1].time
        assert catalog.history(urls[0])[-1].outcome == HTTP_ERROR
        assert catalog.history(urls[1])[-1].final_url == site.url("/")
        assert states[urls[3]].state == ALIVE


def test_unresolvable_host_rots_and_the_streak_keeps_its_first_date(tmp_path):
    url = "http://gone-for-good.invalid/page"
    archive = tmp_path / "archive"
    # The link was archived fine once (a capture stored the way a fetch would have been).
    with WarcWriter(archive) as writer, Catalog.open(archive) as catalog:
        store_fetch(writer, catalog, url, FetchResult(url, [make_exchange(tmp_path, url, b"<html>was here</html>")]))

    first = refresh(archive, options())
    second = refresh(archive, options())

    assert [(r.outcome, r.error_kind) for r in first.run.results] == [(FAILED, "dns")]
    assert first.rotted == []  # once could be the resolver or an offline night
    assert [s.url for s in second.rotted] == [url]
    with Catalog.open(archive) as catalog:
        history = catalog.history(url)
        assert [c.outcome for c in history] == [OK, FAILED, FAILED]
        (state,) = catalog.links()
        assert state.state == ROTTED and state.first_rotted == history[1].time
    assert second.rotted[0].first_rotted == history[1].time


def test_a_link_that_comes_back_is_alive_again(tmp_path, site):
    url = site.url("/article")
    archive = archive_of(tmp_path, [url])
    site.route("/article", Reply(410, body=b"gone"))
    refresh(archive, options())
    site.route("/article", Reply(200, body=b"<html>an article</html>"))

    report = refresh(archive, options())

    assert report.rotted == [] and report.exit_code == exitcodes.OK
    assert [r.outcome for r in report.run.results] == [REVISIT]
    with Catalog.open(archive) as catalog:
        (state,) = catalog.links()
        assert (state.state, state.first_rotted) == (ALIVE, None)


def test_only_and_older_than_choose_the_links(tmp_path, site):
    urls = [site.url("/same"), site.url("/news"), site.url("/article")]
    archive = archive_of(tmp_path, urls)

    def fetched(report):
        return sorted(r.url for r in report.run.results)

    assert fetched(refresh(archive, options(only="news"))) == [urls[1]]  # substring
    assert fetched(refresh(archive, options(only="*/ar*"))) == [urls[2]]  # glob on the whole URL
    assert fetched(refresh(archive, options(only="ar*"))) == []  # a glob must match it all
    recent = refresh(archive, options(older_than=timedelta(hours=1)))
    assert recent.selected == 0 and recent.run.results == []
    assert len(site.requests_to("/same")) == 1  # the run's only
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    assert fetched(refresh(archive, options(older_than=timedelta(hours=1)), now=later)) == sorted(urls)


def test_a_round_that_selects_nothing_writes_no_file(tmp_path, site):
    archive = archive_of(tmp_path, [site.url("/same")])
    before = sorted(path.name for path in archive.iterdir())
    proc = subprocess.run([str(BIN / "archiver"), "refresh", "--archive", str(archive), *FAST_ARGS,
                           "--older-than", "1h", "--fallback", "wayback",
                           "--wayback-endpoint", site.url("/wayback")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == exitcodes.OK, proc.stderr
    assert sorted(path.name for path in archive.iterdir()) == before  # no near-empty WARC file
    assert proc.stdout.splitlines() == ["refresh: 0 link(s) selected"]
    assert site.requests_to("/wayback") == []


def test_a_wayback_endpoint_that_is_no_http_url_is_a_usage_error(tmp_path, site):
    archive = archive_of(tmp_path, [site.url("/same")])
    before = sorted(path.name for path in archive.iterdir())
    proc = subprocess.run([str(BIN / "archiver"), "refresh", "--archive", str(archive), *FAST_ARGS,
                           "--fallback", "wayback", "--wayback-endpoint", "notaurl"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == exitcodes.USAGE
    assert "--wayback-endpoint" in proc.stderr and "'notaurl' is not an absolute http(s) URL" in proc.stderr
    assert sorted(path.name for path in archive.iterdir()) == before  # refused before any round
    assert len(site.requests_to("/same")) == 1  # the run's only


def test_refresh_without_a_catalog_says_so(tmp_path):
    proc = subprocess.run([str(BIN / "archiver"), "refresh", "--archive", str(tmp_path / "none")],
                          capture_output=True, text=True)
    assert proc.returncode == exitcodes.ARCHIVE_PROBLEM
    assert "no catalog" in proc.stderr and "archiver run" in proc.stderr


def test_cli_refresh_json_and_bad_durations(tmp_path, site):
    archive = archive_of(tmp_path, [site.url("/same"), site.url("/news")])
    proc = subprocess.run(
        [str(BIN / "archiver"), "refresh", "--archive", str(archive), *FAST_ARGS, "--only", "/same",
         "--json"], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == exitcodes.OK, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["selected"] == 1 and summary["counts"] == {REVISIT: 1}
    bad = subprocess.run([str(BIN / "archiver"), "refresh", "--archive", str(archive), "--every", "soon"],
                         capture_output=True, text=True)
    assert bad.returncode == exitcodes.USAGE and "30m, 6h, 1d" in bad.stderr


# -- processes: locking, kills, periodic rounds --------------------------------------------------


def start_refresh(archive: Path, *extra: str, stderr: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "archiver"), "refresh", "--archive", str(archive), *FAST_ARGS, "--timeout", "60",
         "--concurrency", "1", "--json", *extra],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
    )


def wait_for(predicate, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def captures_in(archive: Path) -> int:
    try:
        with sqlite3.connect(archive / "catalog.sqlite") as db:
            return db.execute("SELECT count(*) FROM captures").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_two_refreshes_started_at_once_one_is_refused_with_status_3(tmp_path, site):
    site.route("/slow", Reply(200, body=b"slow"))
    archive = archive_of(tmp_path, [site.url("/slow")])
    site.route("/slow", Reply(hang=True))  # whoever gets the lock stays in it

    procs = [start_refresh(archive), start_refresh(archive)]
    wait_for(lambda: any(p.poll() is not None for p in procs))
    (loser,) = [p for p in procs if p.poll() is not None]
    (winner,) = [p for p in procs if p is not loser]
    _, err = loser.communicate(timeout=30)
    wait_for(lambda: len(site.requests_to("/slow")) == 2)  # the winner is fetching
    winner.send_signal(signal.SIGTERM)
    winner.communicate(timeout=30)

    assert loser.returncode == exitcodes.LOCKED
    assert "in use by pid" in err and str(winner.pid) in err
    assert winner.returncode == exitcodes.INTERRUPTED
    time.sleep(0.5)
    assert len(site.requests_to("/slow")) == 2  # the run's and the winner's, never the loser's


def test_a_refresh_killed_half_way_is_repaired_by_the_next_and_loses_nothing(tmp_path, site):
    names = ("/one", "/two", "/zzz-hang")
    for name in names:
        site.route(name, Reply(200, body=name.encode()))
    archive = archive_of(tmp_path, [site.url(n) for n in names])
    site.route("/one", Reply(200, body=b"/one, new"))
    site.route("/zzz-hang", Reply(hang=True))
    proc = start_refresh(archive)
    wait_for(lambda: captures_in(archive) >= 5 and site.requests_to("/zzz-hang")[1:])
    proc.kill()
    proc.wait(timeout=10)
    (left_open,) = archive.glob("*.warc.gz.open")

    site.route("/zzz-hang", Reply(200, body=b"/zzz-hang"))
    report = refresh(archive, options())

    (repaired,) = report.run.repaired
    assert repaired.startswith(left_open.name.removesuffix(".open"))
    assert not list(archive.glob("*.open"))
    check_archive(archive)
    with Catalog.open(archive) as catalog:
        outcomes = {url: [c.outcome for c in catalog.history(url)] for url in map(site.url, names)}
    # The killed refresh's two captures survived; the new one stored /one's change once more as
    # a revisit of the killed refresh's full copy.
    assert outcomes == {site.url("/one"): [OK, OK, REVISIT], site.url("/two"): [OK, REVISIT, REVISIT],
                        site.url("/zzz-hang"): [OK, REVISIT]}
    bodies = [r[2] for r in archive_records(archive) if r[0] == "response" and r[1] == site.url("/one")]
    assert bodies == [b"/one", b"/one, new"]


def test_every_runs_rounds_until_sigterm(tmp_path, site):
    archive = archive_of(tmp_path, [site.url("/same")])
    proc = start_refresh(archive, "--every", "1")
    wait_for(lambda: len(site.requests_to("/same")) >= 3)  # the run's, then two rounds

    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == exitcodes.INTERRUPTED, err
    rounds = [json.loads(line) for line in out.splitlines()]
    assert len(rounds) >= 2
    assert all(r["counts"].get(REVISIT) == 1 for r in rounds[:2])
    assert len({r["run_id"] for r in rounds}) == len(rounds)
    assert not list(archive.glob("*.open"))
    check_archive(archive)


def test_every_skips_a_round_that_finds_the_archive_locked_and_carries_on(tmp_path, site):
    archive = archive_of(tmp_path, [site.url("/same")])
    log = tmp_path / "stderr.txt"
    with ArchiveLock(archive), log.open("w") as errors:
        proc = start_refresh(archive, "--every", "1", stderr=errors)
        wait_for(lambda: "skipping this round" in log.read_text() or proc.poll() is not None)
        assert proc.poll() is None  # a locked round is skipped, not the end
    wait_for(lambda: len(site.requests_to("/same")) >= 2)  # a round once the lock was free

    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)

    assert proc.returncode == exitcodes.INTERRUPTED, log.read_text()
    assert "in use by pid" in log.read_text()
    assert json.loads(out.splitlines()[0])["counts"] == {REVISIT: 1}
