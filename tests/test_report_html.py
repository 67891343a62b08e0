"""``archiver report --html``: one self-contained page, opened in headless Chromium.

``--dump-dom`` prints the DOM after the page's script ran, so these tests see what a reader
sees: the rows, the status words, a filter typed in the box and a sort by column heading (both
driven through the page's ``#filter=...&sort=...`` address, which clicks the heading itself).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from archiver import exitcodes
from archiver.cli import main
from tests.archive_fixture import XSS_ANCHOR, BuiltArchive, build_archive
from tests.encoders.safelinks import RECIPIENT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian package chromium is not installed (make test installs it)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("html"))


@pytest.fixture(scope="module")
def page(built: BuiltArchive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("page") / "report.html"
    assert main(["report", "--archive", str(built.directory), "--html", str(target)]) == exitcodes.OK
    return target


def dump_dom(page: Path, fragment: str, profile: Path) -> BeautifulSoup:
    """The DOM of ``page`` after its script ran, as headless Chromium saw it."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom",
         page.as_uri() + fragment],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return BeautifulSoup(done.stdout, "html.parser")


def visible_rows(dom: BeautifulSoup) -> list:
    return [row for row in dom.select("#links tbody tr") if not row.has_attr("hidden")]


def url_of(row) -> str:
    return row.select("td")[1]["data-sort"]


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.select("script[src], link, img, iframe, object, embed")
    assert len(soup.find_all("script")) == 1 and len(soup.find_all("style")) == 1
    policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    assert "@import" not in html and "url(" not in html


@needs_chromium
def test_reader_sees_every_link_with_its_status_word(built: BuiltArchive, page: Path, tmp_path: Path) -> None:
    dom = dump_dom(page, "", tmp_path / "profile")
    rows = visible_rows(dom)
    assert len(rows) == 7
    status = {url_of(row): row.select("td")[2].get_text(" ", strip=True) for row in rows}
    assert status[built.changing] == "↻ changed (200)"
    assert status[built.stable] == "✓ unchanged (200)"
    assert status[built.rotting] == "✗ http error (404)"
    assert status[built.dead] == "✗ failed (connect)"
    assert dom.select_one("#shown").get_text() == "7 of 7 links shown"
    rotting = next(row for row in rows if url_of(row) == built.rotting)
    assert "rotted" in rotting.select("td")[6].get_text()
    # The unwrap chain and redirect chain are there, collapsed, with the recipient redacted.
    moved = next(row for row in rows if url_of(row).endswith("/moved"))
    details = moved.select_one("td.url details")
    assert details is not None and not details.has_attr("open")
    text = details.get_text(" ", strip=True)
    assert "safelinks" in text and "301" in text and built.redirect_target in text
    assert "sha256:" in text and "REDACTED" in text
    assert RECIPIENT.replace("@", "%40") not in dom.decode()
    replay = moved.select_one("td:nth-of-type(8) a")["href"]
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/archive/\d{14}/" + re.escape(built.redirect_target), replay)
    assert "archiver replay" in dom.select_one(".note").get_text()


@needs_chromium
def test_script_in_an_anchor_is_shown_as_text_not_run(built: BuiltArchive, page: Path, tmp_path: Path) -> None:
    dom = dump_dom(page, "", tmp_path / "profile")
    assert dom.title.get_text().startswith("Link archive report")  # the anchor's script never ran
    assert len(dom.find_all("script")) == 1 and not dom.find_all("img")
    xss_row = next(row for row in visible_rows(dom) if url_of(row) == built.xss)
    assert XSS_ANCHOR in xss_row.get_text()


@needs_chromium
def test_filter_box_shows_only_matching_rows(built: BuiltArchive, page: Path, tmp_path: Path) -> None:
    # Every word must match. "(404)" rather than "404": a replay link's timestamp holds "404"
    # whenever a capture was made at hh:04:0x or hh:40:4x, and "onerror" holds "error".
    dom = dump_dom(page, "#filter=http%20error%20(404)", tmp_path / "profile")
    assert [url_of(row) for row in visible_rows(dom)] == [built.rotting]
    assert dom.select_one("#shown").get_text() == "1 of 7 links shown"
    dom = dump_dom(page, "#filter=page.html", tmp_path / "profile")
    assert sorted(url_of(row) for row in visible_rows(dom)) == sorted([built.xss, built.stable])


@needs_chromium
def test_clicking_a_heading_sorts_and_again_reverses(built: BuiltArchive, page: Path, tmp_path: Path) -> None:
    dom = dump_dom(page, "#sort=url", tmp_path / "profile")
    urls = [url_of(row) for row in visible_rows(dom)]
    assert urls == sorted(urls) and dom.select_one('th[data-key="url"]')["aria-sort"] == "ascending"
    dom = dump_dom(page, "#sort=status&dir=desc", tmp_path / "profile")
    statuses = [row.select("td")[2]["data-sort"] for row in visible_rows(dom)]
    assert statuses == sorted(statuses, reverse=True) and statuses[0].startswith("unchanged")
    assert dom.select_one('th[data-key="status"]')["aria-sort"] == "descending"
    # Numbers sort as numbers: 'changes' (0 or 1 here) descending puts the changed links first.
    dom = dump_dom(page, "#sort=changed&dir=desc", tmp_path / "profile")
    changes = [int(row.select("td")[5]["data-sort"]) for row in visible_rows(dom)]
    assert changes == sorted(changes, reverse=True) and changes[0] == 1
