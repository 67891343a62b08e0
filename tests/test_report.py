"""``archiver report``: the terminal table and the JSON, on an archive built by two real runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archiver import exitcodes
from archiver.cli import main
from archiver.report import build_report
from archiver.report_html import render_html
from tests.archive_fixture import BuiltArchive, build_archive
from tests.encoders.safelinks import MESSAGE_ID, RECIPIENT, TENANT_ID
from tests.truncated_archive import build_truncated_archive


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("report"))


def report_json(built: BuiltArchive, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["report", "--archive", str(built.directory), "--json", *extra]) == exitcodes.OK
    return json.loads(capsys.readouterr().out)


def links_by_url(document: dict, source: str) -> dict[str, dict]:
    [section] = [s for s in document["sources"] if s["path"] == source]
    return {link["url"]: link for link in section["links"]}


def test_json_groups_links_by_source_with_status_captures_change_and_rot(built: BuiltArchive, capsys) -> None:
    document = report_json(built, capsys)
    memo = links_by_url(document, built.memo)
    moved = built.redirect_target.replace("/final", "/moved")
    assert set(memo) == {built.changing, built.stable, moved, built.rotting, built.dead}
    assert set(links_by_url(document, built.page)) == {built.xss, built.stable}

    assert memo[built.changing]["status"] == "changed" and memo[built.changing]["changes"] == 1
    assert memo[built.stable]["status"] == "unchanged" and memo[built.stable]["changes"] == 0
    assert memo[built.rotting]["status"] == "http error" and memo[built.rotting]["http_status"] == 404
    assert memo[built.rotting]["rotted"] is True and memo[built.rotting]["first_rotted"]
    assert memo[built.dead]["status"] == "failed" and memo[built.dead]["error_kind"] == "connect"
    assert memo[built.dead]["replay"] is None and memo[built.dead]["warc_file"] is None
    assert not memo[built.changing]["rotted"] and not memo[built.stable]["rotted"]
    assert all(link["captures"] == 2 for link in memo.values())
    rotted = sum(link["rotted"] for s in document["sources"] for link in s["links"])
    assert document["totals"]["links"] == 7 and document["totals"]["rotted"] == rotted >= 1


def test_json_shows_wrapped_form_unwrap_and_redirect_chains_digests_and_replay(built: BuiltArchive, capsys) -> None:
    document = report_json(built, capsys)
    moved = built.redirect_target.replace("/final", "/moved")
    link = links_by_url(document, built.memo)[moved]
    [mention] = link["mentions"]
    assert mention["line"] == 4 and mention["wrappers"] == ["safelinks"]
    assert mention["written"].startswith("https://eur04.safelinks.protection.outlook.com/?url=")
    assert mention["chain"]["url"] == moved
    assert link["redirects"] == [[301, moved], [200, built.redirect_target]]
    assert link["final_url"] == built.redirect_target
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", link["payload_digest"])
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", link["block_digest"])
    assert link["payload_digest"] != link["block_digest"]
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/archive/\d{14}/" + re.escape(built.redirect_target), link["replay"])
    assert link["warc_file"].endswith(".warc.gz") and link["warc_offset"] > 0


def test_recipient_data_is_redacted_unless_no_redact(built: BuiltArchive, capsys) -> None:
    redacted = json.dumps(report_json(built, capsys))
    encoded_recipient = RECIPIENT.replace("@", "%40")
    for private in (encoded_recipient, RECIPIENT, MESSAGE_ID, TENANT_ID):
        assert private not in redacted
    assert "REDACTED" in redacted
    shown = json.dumps(report_json(built, capsys, "--no-redact"))
    assert encoded_recipient in shown and TENANT_ID in shown


def test_replay_links_follow_the_port_option(built: BuiltArchive, capsys) -> None:
    document = report_json(built, capsys, "--port", "9123")
    replays = [link["replay"] for s in document["sources"] for link in s["links"] if link["replay"]]
    assert replays and all(r.startswith("http://127.0.0.1:9123/archive/") for r in replays)


def test_terminal_table_names_sources_urls_and_status_words(built: BuiltArchive, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that no cell is folded
    assert main(["report", "--archive", str(built.directory)]) == exitcodes.OK
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert built.memo in out and built.page in out
    assert "changed (200)" in rows[built.changing] and "yes (1x)" in rows[built.changing]
    assert "unchanged (200)" in rows[built.stable]
    assert "http error (404)" in rows[built.rotting] and "yes, since" in rows[built.rotting]
    assert "failed (connect)" in rows[built.dead]
    assert "7 link(s)" in out


def test_missing_catalog_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["report", "--archive", str(tmp_path)]) == exitcodes.ARCHIVE_PROBLEM
    assert "no catalog.sqlite" in capsys.readouterr().err


def test_truncated_bodies_are_flagged_in_json_table_and_html(tmp_path: Path, capsys, monkeypatch) -> None:
    cut = build_truncated_archive(tmp_path)
    assert main(["report", "--archive", str(cut.directory), "--json", "--no-redact"]) == exitcodes.OK
    [section] = json.loads(capsys.readouterr().out)["sources"]
    links = {link["url"]: link for link in section["links"]}
    assert links[cut.big]["truncated"] == "length" and links[cut.big]["http_status"] == 200
    assert links[cut.cut]["truncated"] == "disconnect"
    assert links[cut.whole]["truncated"] is None
    monkeypatch.setenv("COLUMNS", "300")
    assert main(["report", "--archive", str(cut.directory)]) == exitcodes.OK
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert "archived (200), truncated (length)" in rows[cut.big]
    assert "truncated" not in rows[cut.whole]
    assert "archived (200), truncated (disconnect)" in render_html(build_report(cut.directory))


def test_a_revisit_is_not_reported_as_truncated(built: BuiltArchive, capsys) -> None:
    # A revisit record always says WARC-Truncated: length (its payload is in the original).
    document = report_json(built, capsys)
    assert links_by_url(document, built.memo)[built.stable]["status"] == "unchanged"
    assert all(link["truncated"] is None for section in document["sources"] for link in section["links"])
