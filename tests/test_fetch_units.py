"""The fetcher's pure parts: sizes, address judgement, Retry-After, options (and how the CLI
reports a bad one), robots decoding."""

from __future__ import annotations

import gzip
import subprocess
import sys
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import exitcodes
from archiver.fetch import FetchOptions, parse_size
from archiver.fetching.guard import check_literal, refused_reason
from archiver.fetching.problem import FetchProblem
from archiver.fetching.retry import RETRY_STATUSES, backoff_delay, parse_retry_after
from archiver.fetching.robots import decode_content


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("5MB", 5_000_000),
        ("5 mb", 5_000_000),
        ("1.5GiB", 3 * 2**29),
        ("2048", 2048),
        ("10B", 10),
        ("3KiB", 3072),
        ("3kb", 3000),
        ("1GB", 10**9),
        ("50MiB", 50 * 2**20),
    ],
)
def test_parse_size_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "5 XB", "-5MB", "5M", "1e3", "0", "0.1B", "five"])
def test_parse_size_refuses_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=10**15), st.sampled_from(["", "B", "KiB", "MB", "GiB"]))
def test_parse_size_is_exact_for_whole_numbers(number: int, unit: str) -> None:
    factor = {"": 1, "B": 1, "KiB": 1024, "MB": 10**6, "GiB": 2**30}[unit]
    assert parse_size(f"{number}{unit}") == number * factor


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.3", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata endpoint
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged by the IPv4 inside
        ("::ffff:10.0.0.1", "private"),
        ("fe80::1%eth0", "link-local"),
        ("8.8.8.8", None),
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_refused_reason(address: str, reason: str | None) -> None:
    assert refused_reason(address) == reason


def test_check_literal_refuses_private_literals_only() -> None:
    with pytest.raises(FetchProblem) as caught:
        check_literal("[::1]")
    assert caught.value.kind == "refused-address"
    assert "--allow-private" in caught.value.message
    check_literal("example.org")  # a name: judged by the proxy's resolution, not here
    check_literal("8.8.8.8")


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 7 ", now) == 7.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    later = now + timedelta(hours=1)
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", later) == 0.0


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    for attempt in range(5):
        delays = [backoff_delay(attempt, 0.5) for _ in range(50)]
        assert all(0.25 * 2**attempt <= d < 0.75 * 2**attempt for d in delays)
        assert len(set(delays)) > 1  # jittered, not fixed


def test_retry_statuses() -> None:
    assert 429 in RETRY_STATUSES and 503 in RETRY_STATUSES and 500 in RETRY_STATUSES
    assert not {200, 301, 404, 410, 400} & RETRY_STATUSES


@pytest.mark.parametrize(
    ("field", "value"),
    [("concurrency", 0), ("per_host", 0), ("max_size", 0), ("retries", -1), ("timeout", 0),
     ("host_delay", -1.0), ("robots", "sometimes")],
)
def test_options_refuse_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        FetchOptions(**{field: value})


@pytest.mark.parametrize(
    "proxy",
    ["notaurl", "socks5://127.0.0.1:1", "http://", "ftp://proxy.example:21", "http://[::1", "http://h:99999", ""],
)
def test_options_refuse_a_proxy_that_is_not_an_http_url(proxy: str) -> None:
    with pytest.raises(ValueError, match="--proxy must be an http:// or https:// URL") as caught:
        FetchOptions(proxy=proxy)
    assert repr(proxy) in str(caught.value)


@pytest.mark.parametrize(
    "proxy", ["http://127.0.0.1:3128", "https://proxy.example:8443/", "HTTP://user:pw@proxy.example"]
)
def test_options_accept_http_and_https_proxies(proxy: str) -> None:
    assert FetchOptions(proxy=proxy).proxy == proxy


@pytest.mark.parametrize(
    ("command", "proxy"), [("run", "notaurl"), ("refresh", "socks5://127.0.0.1:1")]
)
def test_cli_bad_proxy_is_a_usage_error_not_a_traceback(tmp_path: Path, command: str, proxy: str) -> None:
    document = tmp_path / "doc.txt"
    document.write_text("see http://127.0.0.1:9/page\n")
    paths = [str(document)] if command == "run" else []
    proc = subprocess.run(
        [sys.executable, "-m", "archiver", command, "--proxy", proxy, "--archive", str(tmp_path / "archive"), *paths],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == exitcodes.USAGE == 2
    assert f"archiver {command}: --proxy must be an http:// or https:// URL" in proc.stderr
    assert repr(proxy) in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "archive").exists()  # refused before anything was touched


def test_default_options_are_polite_and_safe() -> None:
    options = FetchOptions()
    assert options.robots == "obey" and not options.allow_private
    assert options.user_agent.startswith("archiver/")
    from archiver import __version__

    assert __version__ in options.user_agent


def test_decode_content() -> None:
    text = b"User-agent: *\nDisallow: /x\n"
    assert decode_content(gzip.compress(text), "gzip") == text
    assert decode_content(zlib.compress(text), "deflate") == text
    raw_deflate = zlib.compressobj(wbits=-15)
    assert decode_content(raw_deflate.compress(text) + raw_deflate.flush(), "deflate") == text
    assert decode_content(text, None) == text
    assert decode_content(b"not gzip", "gzip") == b""


def test_peer_check_refuses_before_anything_is_sent() -> None:
    """The connect-time check alone (no DNS check first), as when a name rebinds to 127.0.0.1."""
    import asyncio

    import httpx

    from archiver.fetching.guard import peer_check
    from tests.servers import LoopbackServer, Reply

    async def attempt(url: str) -> None:
        async with httpx.AsyncClient() as client:
            await client.get(url, extensions={"trace": peer_check("rebound.example")})

    with LoopbackServer() as server:
        server.route("/", Reply(body=b"internal"))
        with pytest.raises(FetchProblem) as caught:
            asyncio.run(attempt(server.url("/")))
        assert server.requests == []
    assert caught.value.kind == "refused-address"
    assert "rebound.example (127.0.0.1, a loopback address)" in caught.value.message
