"""Batches through one Fetcher: concurrency limits, per-host politeness, robots.txt, fetch_many."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.exchange import FetchResult
from archiver.fetch import FetchOptions, fetch_many
from tests.servers import LoopbackServer, Reply, max_overlap


@pytest.fixture
def hosts() -> Iterator[list[LoopbackServer]]:
    """Three servers on three loopback addresses: three hosts as far as politeness goes."""
    servers = [LoopbackServer(f"127.0.0.{n}") for n in (1, 2, 3)]
    for server in servers:
        server.__enter__()
    yield servers
    for server in servers:
        server.stop()


def run_batch(urls: list[str], spool: Path, **options: object) -> list[FetchResult]:
    settings = dict(allow_private=True, robots="ignore", host_delay=0.0, backoff=0.05, spool_dir=spool)
    settings.update(options)
    return asyncio.run(fetch_many(urls, FetchOptions(**settings)))


def test_per_host_and_global_limits_hold(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    for server in hosts:
        server.route("/p", Reply(body=b"x", delay=0.2))
    urls = [server.url(f"/p?n={n}") for n in range(4) for server in hosts]
    results = run_batch(urls, tmp_path, concurrency=3, per_host=2)
    assert [r.status for r in results] == [200] * 12
    everything = [request for server in hosts for request in server.requests]
    assert len(everything) == 12
    assert all(max_overlap(server.requests) <= 2 for server in hosts)
    assert 2 <= max_overlap(everything) <= 3  # limited, yet in parallel


def test_host_delay_spaces_requests_to_one_host(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    for server in hosts[:2]:
        server.route("/p", Reply(body=b"x"))
    urls = [server.url(f"/p?n={n}") for n in range(4) for server in hosts[:2]]
    run_batch(urls, tmp_path, per_host=2, host_delay=0.3)
    for server in hosts[:2]:
        starts = [request.started for request in server.requests]
        assert len(starts) == 4
        assert all(later - earlier >= 0.28 for earlier, later in zip(starts, starts[1:]))
    # The delay is per host: the two hosts were served side by side, not one after the other.
    first, second = (server.requests for server in hosts[:2])
    assert second[0].started < first[-1].started


def test_retry_after_slows_the_whole_host(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    server.route("/busy", [Reply(429, headers=[("Retry-After", "1")]), Reply(200)])
    server.route("/other", Reply(body=b"x", delay=0.1))
    run_batch([server.url("/busy"), server.url("/other")], tmp_path, per_host=1)
    busy, other = server.requests_to("/busy"), server.requests_to("/other")
    # The 429's Retry-After held back every request to the host, not only the retry of /busy.
    assert busy[1].started - busy[0].started >= 0.95
    assert other[0].started - busy[0].started >= 0.95


def test_fetch_many_returns_input_order_and_reports_each(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    server.route("/slow", Reply(body=b"slow", delay=0.4))
    server.route("/fast", Reply(body=b"fast"))
    urls = [server.url("/slow"), "ftp://nope/", server.url("/fast")]
    seen: list[str] = []

    async def collect(result: FetchResult) -> None:
        seen.append(result.url)

    results = asyncio.run(
        fetch_many(urls, FetchOptions(allow_private=True, robots="ignore", host_delay=0, spool_dir=tmp_path), collect)
    )
    assert [r.url for r in results] == urls
    assert results[1].error_kind == "bad-scheme"
    assert sorted(seen) == sorted(urls) and seen[-1] == urls[0]  # callbacks in order of completion


def test_unusable_redirects_in_a_batch_spoil_only_their_own_links(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    for n, location in enumerate(["javascript:alert(1)", "mailto:x@y", "http://[::1", "http://127.0.0.1:99999/"]):
        server.route(f"/bad{n}", Reply(302, headers=[("Location", location)]))
    server.route("/good", Reply(body=b"fine"))
    bad = [server.url(f"/bad{n}") for n in range(4)]
    good = [server.url(f"/good?n={n}") for n in range(3)]
    urls = [good[0], bad[0], bad[1], good[1], bad[2], bad[3], good[2]]
    results = run_batch(urls, tmp_path)
    assert [r.url for r in results] == urls
    assert [r.status for r in results if r.url in good] == [200, 200, 200]
    assert [r.error_kind for r in results if r.url in bad] == ["bad-scheme", "bad-scheme", "bad-url", "bad-url"]
    assert all(r.redirect_chain == [(302, r.url)] for r in results if r.url in bad)  # each kept its 302
    assert len(server.requests_to("/good")) == 3


def test_fetch_many_with_a_plain_callback_and_no_urls(tmp_path: Path) -> None:
    calls: list[FetchResult] = []
    assert asyncio.run(fetch_many([], FetchOptions(spool_dir=tmp_path), calls.append)) == []
    assert calls == []


ROBOTS = b"User-agent: archiver\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n"


def test_robots_obeyed_and_fetched_once_per_host(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    server.route("/robots.txt", Reply(body=ROBOTS, headers=[("Content-Type", "text/plain")]))
    for path in ("/public", "/public2", "/private/x"):
        server.route(path, Reply(body=b"page"))
    urls = [server.url("/public"), server.url("/private/x"), server.url("/public2")]
    results = run_batch(urls, tmp_path, robots="obey")
    assert [r.status for r in results] == [200, None, 200]
    assert results[1].error_kind == "robots" and "--robots ignore" in (results[1].error or "")
    assert len(server.requests_to("/robots.txt")) == 1
    assert server.requests_to("/private/x") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        r.final.body_path.name for r in results if r.final  # robots.txt's own body was discarded
    )


def test_robots_ignored_on_request(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /\n"))
    server.route("/private/x", Reply(body=b"page"))
    assert run_batch([server.url("/private/x")], tmp_path, robots="ignore")[0].status == 200
    assert server.requests_to("/robots.txt") == []


def test_missing_or_gzipped_robots(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    import gzip

    missing, zipped = hosts[0], hosts[1]
    missing.route("/page", Reply(body=b"ok"))  # no robots.txt route: 404 allows everything
    zipped.route("/robots.txt", Reply(body=gzip.compress(ROBOTS), headers=[("Content-Encoding", "gzip")]))
    zipped.route("/private", Reply(body=b"ok"))
    results = run_batch([missing.url("/page"), zipped.url("/private")], tmp_path, robots="obey")
    assert results[0].status == 200 and results[1].error_kind == "robots"


def test_robots_server_error_keeps_the_site_off_limits(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    server.route("/robots.txt", Reply(503))
    server.route("/page", Reply(body=b"ok"))
    result = run_batch([server.url("/page")], tmp_path, robots="obey", retries=0)[0]
    assert result.error_kind == "robots" and "503" in (result.error or "")
    assert server.requests_to("/page") == []


def test_a_run_of_urls_to_one_host_does_not_starve_the_others(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    crowded, other = hosts[0], hosts[1]
    crowded.route("/p", Reply(body=b"x"))
    other.route("/p", Reply(body=b"y"))
    urls = [crowded.url(f"/p?n={n}") for n in range(12)] + [other.url("/p")]
    results = run_batch(urls, tmp_path, concurrency=1, per_host=1, host_delay=0.1)
    assert [r.url for r in results] == urls and all(r.status == 200 for r in results)
    # Four workers would all be queued on the crowded host if URLs were taken in input order.
    assert other.requests[0].started < crowded.requests[2].started


def test_robots_redirect_loop_counts_as_no_robots(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    from tests.servers import redirect

    server = hosts[0]
    server.route("/robots.txt", redirect("/robots2.txt"))
    server.route("/robots2.txt", redirect("/robots.txt"))
    server.route("/page", Reply(body=b"ok"))
    result = run_batch([server.url("/page")], tmp_path, robots="obey")[0]
    assert result.status == 200 and result.error is None


def test_unreachable_robots_reports_the_sites_problem(tmp_path: Path) -> None:
    # Nothing listens on this port any more: robots.txt cannot be fetched, nor can the pages.
    with LoopbackServer("127.0.0.4") as closed:
        url = closed.url("/page")
    results = run_batch([url, url.replace("/page", "/other")], tmp_path, robots="obey", retries=0)
    assert [r.error_kind for r in results] == ["connect", "connect"]
    assert all("could not connect to 127.0.0.4" in (r.error or "") for r in results)


def test_robots_crawl_delay_is_honoured(hosts: list[LoopbackServer], tmp_path: Path) -> None:
    server = hosts[0]
    server.route("/robots.txt", Reply(body=b"User-agent: archiver\nCrawl-delay: 1\nDisallow: /no\n"))
    server.route("/p", Reply(body=b"ok"))
    results = run_batch([server.url(f"/p?n={n}") for n in range(3)], tmp_path, robots="obey", per_host=2)
    assert [r.status for r in results] == [200, 200, 200]
    starts = [request.started for request in server.requests]  # robots.txt, then the pages
    assert len(starts) == 4
    assert all(later - earlier >= 0.95 for earlier, later in zip(starts[1:], starts[2:]))
