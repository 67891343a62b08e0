"""The pure parts of refresh: durations, URL patterns, selection, the rot rule, the periodic loop."""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.catalog import OK, Capture
from archiver.refresh import parse_duration, run_periodically, select_urls, url_matches
from archiver.rot import redirected_away, registered_domain, rot_reason

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, seconds", [
    ("30m", 1800), ("6h", 21600), ("1d", 86400), ("2w", 1209600), ("90", 90), ("1.5", 1.5),
    (" 6H ", 21600), ("45s", 45),
])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "6 hours", "h", "-1h", "0", "0m", "1y", "1e3"])
def test_bad_durations_are_refused_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match="30m|more than zero"):
        parse_duration(text)


def test_patterns_glob_on_the_whole_url_or_substring():
    url = "https://news.example.com/2026/story?id=7"
    assert url_matches(url, "example.com")
    assert url_matches(url, "https://*.example.com/*")
    assert url_matches(url, "*id=[0-9]")
    assert not url_matches(url, "example.com/*")  # a glob must match from the start
    assert not url_matches(url, "EXAMPLE")  # case-sensitive, like the URL's path


@settings(max_examples=200)
@given(st.text(alphabet="abc/:.=&%-", max_size=30), st.text(alphabet="abc/:.=&%-", min_size=1, max_size=5))
def test_a_pattern_without_glob_characters_is_a_substring(url, pattern):
    assert url_matches(url, pattern) == (pattern in url)


def capture(url: str, age: timedelta) -> Capture:
    return Capture(url=url, time=NOW - age, outcome=OK)


def test_selection_keeps_old_enough_absolute_http_links_that_match():
    latest = [
        capture("https://a.example/old", timedelta(days=2)),
        capture("https://a.example/new", timedelta(minutes=5)),
        capture("http://b.example/old", timedelta(days=3)),
        capture("/relative/old", timedelta(days=3)),
        capture("mailto:x@a.example", timedelta(days=3)),
        capture("ftp://a.example/old", timedelta(days=3)),
    ]
    assert select_urls(latest, now=NOW) == ["https://a.example/old", "https://a.example/new",
                                             "http://b.example/old"]
    assert select_urls(latest, now=NOW, older_than=timedelta(days=1)) == [
        "https://a.example/old", "http://b.example/old"]
    assert select_urls(latest, now=NOW, older_than=timedelta(days=1), only="a.example") == [
        "https://a.example/old"]


@pytest.mark.parametrize("reference, final, away", [
    ("https://ex.com/articles/1", "https://ex.com/", True),  # the home page
    ("https://ex.com/articles/1", "https://ex.com", True),
    ("https://ex.com/articles/1", "https://parking.example.net/articles/1", True),  # another domain
    ("https://ex.com/articles/1", "https://www.ex.com/articles/1", False),  # same registered domain
    ("http://ex.com/articles/1", "https://ex.com/a/new/path", False),  # a move within the site
    ("https://ex.com/", "https://ex.com/", False),  # it was the home page all along
    ("https://news.bbc.co.uk/story", "https://www.bbc.co.uk/story", False),
    ("https://a.github.io/p", "https://b.github.io/p", False),  # private suffixes not split
    ("http://127.0.0.1:8000/p", "http://127.0.0.2:8000/p", True),  # an address is its own domain
])
def test_redirected_away(reference, final, away):
    assert redirected_away(reference, final) is away


def test_registered_domains_use_the_public_suffix_list():
    assert registered_domain("News.BBC.co.uk.") == "bbc.co.uk"
    assert registered_domain("a.b.example.com") == "example.com"
    assert registered_domain("localhost") == "localhost"
    assert registered_domain("[::1]") == "[::1]"


def test_rot_reasons():
    page = "https://ex.com/a"
    assert rot_reason(404, None, page, page) == "HTTP 404"
    assert rot_reason(410, None, page, page) == "HTTP 410"
    assert rot_reason(None, "dns", page, None, previous_error_kind="dns") == "host no longer resolves"
    assert "unrelated" in rot_reason(200, None, page, "https://ex.com/")
    assert "unrelated" in rot_reason(200, None, page, "https://ex.com/index.html")
    assert "unrelated" in rot_reason(200, None, page, "https://other.org/a")
    # One DNS failure could be the resolver or an offline night: not yet rot.
    assert rot_reason(None, "dns", page, None) is None
    assert rot_reason(None, "dns", page, None, previous_error_kind="timeout") is None
    # A link never archived fine (no reference) cannot rot.
    assert rot_reason(404, None, None, page) is None
    assert rot_reason(None, "dns", None, None, previous_error_kind="dns") is None
    # Passing trouble is not rot; nor is a move within the site.
    assert rot_reason(503, None, page, page) is None
    assert rot_reason(None, "timeout", page, None) is None
    assert rot_reason(None, "connect", page, None) is None
    assert rot_reason(200, None, page, "https://www.ex.com/new/place") is None


def test_periodic_rounds_stop_on_sigterm_and_restore_the_handlers():
    before = signal.getsignal(signal.SIGTERM)
    rounds: list[int] = []
    naps: list[float] = []

    def one_round() -> bool:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives during the round: it is the last
        return False

    run_periodically(one_round, timedelta(seconds=0.2), sleep=naps.append)

    assert rounds == [1, 2, 3]
    assert naps and all(0 < nap <= 1.0 for nap in naps)
    assert signal.getsignal(signal.SIGTERM) == before


def test_periodic_rounds_end_when_a_round_was_interrupted():
    rounds: list[int] = []
    run_periodically(lambda: rounds.append(1) or True, timedelta(hours=6))
    assert rounds == [1]


def test_a_signal_between_rounds_ends_the_wait():
    rounds: list[int] = []

    def nap(seconds: float) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    run_periodically(lambda: rounds.append(1) or False, timedelta(hours=6), sleep=nap)
    assert rounds == [1]
