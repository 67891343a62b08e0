"""``archiver history URL``: every capture of one link, as a table and as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archiver import exitcodes
from archiver.catalog import HTTP_ERROR, OK, REVISIT
from archiver.fetch import FetchOptions
from archiver.history import link_history, rot_verdicts
from archiver.pipeline import RunOptions, run
from archiver.refresh import RefreshOptions, refresh
from tests.servers import LoopbackServer, Reply, redirect
from tests.truncated_archive import build_truncated_archive

BIN = Path(sys.executable).parent
OPTIONS = RunOptions(fetch=FetchOptions(allow_private=True, host_delay=0.0, retries=0, timeout=10.0,
                                        robots="ignore"))


@pytest.fixture
def archive(tmp_path):
    """A page captured by a run, then by refreshes: unchanged, changed, gone, sent home, back."""
    with LoopbackServer() as site:
        url = site.url("/page")
        site.route("/page", Reply(200, body=b"v1"))
        site.route("/", Reply(200, body=b"home"))
        docs = tmp_path / "docs"
        docs.mkdir()
        (docs / "mail.txt").write_text(f"see {url}\n")
        folder = tmp_path / "archive"
        run([docs], folder, OPTIONS)
        for reply in (Reply(200, body=b"v1"), Reply(200, body=b"v2"), Reply(404, body=b"no"),
                      redirect("/"), Reply(200, body=b"v2")):
            site.route("/page", reply)
            refresh(folder, RefreshOptions(run=OPTIONS))
        yield folder, url


def history_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "archiver"), "history", *args], capture_output=True, text=True,
                          timeout=60)


def test_history_lists_every_capture_with_changes_and_rot(archive):
    folder, url = archive
    history = link_history(folder, url)
    assert history is not None
    rows = [(e.capture.outcome, e.capture.status, e.capture.changed, e.rot) for e in history.entries]
    assert rows == [
        (OK, 200, None, None),
        (REVISIT, 200, False, None),
        (OK, 200, True, None),
        (HTTP_ERROR, 404, True, "HTTP 404"),
        (OK, 200, True, f"redirects to an unrelated page ({url.rsplit('/', 1)[0]}/)"),
        (REVISIT, 200, True, None),
    ]
    assert history.state.state == "alive" and history.state.first_rotted is None
    assert all(entry.truncated is None for entry in history.entries)  # revisits included


def test_history_json_and_spelling_of_the_url(archive):
    folder, url = archive
    proc = history_cli(url.replace("http://", "HTTP://"), "--archive", str(folder), "--json")
    assert proc.returncode == exitcodes.OK, proc.stderr
    value = json.loads(proc.stdout)
    assert value["url"] == url and value["state"] == "alive"
    assert [c["outcome"] for c in value["captures"]] == [OK, REVISIT, OK, HTTP_ERROR, OK, REVISIT]
    assert value["captures"][3]["rot"] == "HTTP 404"
    assert all(c["warc_filename"].endswith(".warc.gz") for c in value["captures"])


def test_history_table(archive):
    folder, url = archive
    proc = history_cli(url, "--archive", str(folder))
    assert proc.returncode == exitcodes.OK, proc.stderr
    assert url in proc.stdout and "rot: HTTP 404" in proc.stdout and "revisit" in proc.stdout


def test_unknown_url_and_missing_catalog(tmp_path, archive):
    folder, url = archive
    unknown = history_cli(url + "/other", "--archive", str(folder))
    assert unknown.returncode == exitcodes.FAILED_ITEMS and "no capture of" in unknown.stderr
    missing = history_cli(url, "--archive", str(tmp_path / "nowhere"))
    assert missing.returncode == exitcodes.ARCHIVE_PROBLEM and "holds no catalog" in missing.stderr
    assert not (tmp_path / "nowhere").exists()  # looking does not create an archive


def test_rot_verdicts_ignore_third_party_copies_and_judge_against_the_first_good_capture():
    from datetime import datetime, timezone

    from archiver.catalog import FAILED, THIRD_PARTY, Capture

    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    page, home = "https://ex.com/p", "https://ex.com/"
    captures = [
        Capture(page, t, FAILED, error_kind="timeout"),
        Capture(page, t, OK, 200, final_url=page),
        Capture(page, t, OK, 200, final_url=home),
        Capture(page, t, THIRD_PARTY, 200, final_url="https://web.archive.org/web/2020id_/" + page),
        Capture(page, t, FAILED, error_kind="dns"),
        Capture(page, t, FAILED, error_kind="dns"),
    ]
    assert rot_verdicts(captures) == [
        None, None, "redirects to an unrelated page (https://ex.com/)", None, None,
        "host no longer resolves"]


def test_a_body_cut_short_is_flagged_in_history(tmp_path):
    cut = build_truncated_archive(tmp_path)
    assert [e.truncated for e in link_history(cut.directory, cut.big).entries] == ["length"]
    assert [e.truncated for e in link_history(cut.directory, cut.whole).entries] == [None]
    proc = history_cli(cut.cut, "--archive", str(cut.directory), "--json")
    assert [c["truncated"] for c in json.loads(proc.stdout)["captures"]] == ["disconnect"]
    plain = history_cli(cut.big, "--archive", str(cut.directory))
    assert "\t200, truncated (length)\t" in plain.stdout
