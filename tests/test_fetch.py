"""The fetcher against real HTTP servers on loopback (tests/servers.py), hop by hop."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.exchange import FetchResult
from archiver.fetch import FetchOptions, Fetcher
from archiver.fetching import guard
from tests.servers import LoopbackServer, Reply, http_date, redirect

FAST = dict(allow_private=True, robots="ignore", host_delay=0.0, backoff=0.05, retries=3)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def fetch(url: str, spool: Path, **options: object) -> FetchResult:
    """Fetch one URL with test-friendly options (private addresses allowed, no robots)."""
    settings = {**FAST, "spool_dir": spool, **options}

    async def run() -> FetchResult:
        async with Fetcher(FetchOptions(**settings)) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


def body(result: FetchResult) -> bytes:
    assert result.final is not None, result.error
    return result.final.body_path.read_bytes()


def test_request_head_is_what_the_server_received(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/page", Reply(body=b"hello"))
    result = fetch(server.url("/page?q=1&r=%C3%A9"), tmp_path)
    exchange = result.final
    assert exchange is not None
    assert exchange.request_head == server.requests[0].raw
    assert exchange.request_head.startswith(b"GET /page?q=1&r=%C3%A9 HTTP/1.1\r\n")
    received = server.requests[0].headers
    assert received["accept-encoding"] == "gzip, deflate"
    assert received["user-agent"].startswith("archiver/")
    assert exchange.date.tzinfo == timezone.utc


def test_response_fields_as_received(server: LoopbackServer, tmp_path: Path) -> None:
    headers = [("X-Odd-CASE", "Value  with  spaces"), ("content-type", "text/plain"), ("X-Dup", "1"), ("X-Dup", "2")]
    server.route("/a", Reply(200, body=b"payload", headers=headers, reason="Fine Thanks"))
    result = fetch(server.url("/a"), tmp_path)
    exchange = result.final
    assert result.error is None and result.attempts == 1
    assert exchange is not None
    assert (exchange.status, exchange.reason, exchange.http_version) == (200, "Fine Thanks", "HTTP/1.1")
    assert exchange.response_headers == headers + [("Content-Length", "7")]
    assert exchange.peer_ip == "127.0.0.1" and exchange.protocol == "http/1.1"
    assert exchange.target_uri == server.url("/a")
    assert body(result) == b"payload" and exchange.body_length == 7 and exchange.truncated is None
    assert exchange.body_path.parent == tmp_path


def test_gzip_body_is_stored_as_sent(server: LoopbackServer, tmp_path: Path) -> None:
    compressed = gzip.compress(b"<html>" + b"squeeze me " * 500 + b"</html>")
    server.route("/z", Reply(body=compressed, headers=[("Content-Encoding", "gzip")]))
    assert body(fetch(server.url("/z"), tmp_path)) == compressed


def test_chunked_body_is_stored_dechunked(server: LoopbackServer, tmp_path: Path) -> None:
    content = bytes(range(256)) * 40
    server.route("/c", Reply(body=content, chunked=333))
    result = fetch(server.url("/c"), tmp_path)
    assert body(result) == content
    assert ("Transfer-Encoding", "chunked") in result.final.response_headers  # type: ignore[union-attr]


def test_windows_1251_bytes_stay_intact(server: LoopbackServer, tmp_path: Path) -> None:
    page = "<html><body>Привет, мир! Ёжик</body></html>".encode("windows-1251")
    server.route("/ru", Reply(body=page, headers=[("Content-Type", "text/html; charset=windows-1251")]))
    assert body(fetch(server.url("/ru"), tmp_path)) == page


@pytest.mark.parametrize("status", [404, 410])
def test_client_errors_are_results_not_retried(server: LoopbackServer, tmp_path: Path, status: int) -> None:
    server.route("/gone", Reply(status, body=b"nothing here"))
    result = fetch(server.url("/gone"), tmp_path)
    assert result.error is None and result.status == status and result.attempts == 1
    assert body(result) == b"nothing here"
    assert len(server.requests) == 1


def test_429_retry_after_seconds_is_honoured(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/busy", [Reply(429, headers=[("Retry-After", "1")]), Reply(200, body=b"ok")])
    result = fetch(server.url("/busy"), tmp_path)
    assert result.status == 200 and result.attempts == 2 and body(result) == b"ok"
    first, second = server.requests
    assert second.started - first.started >= 0.95
    assert sorted(tmp_path.iterdir()) == [result.final.body_path]  # type: ignore[union-attr]


def test_429_retry_after_date_is_honoured(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/busy", [Reply(429, headers=[("Retry-After", http_date(2))]), Reply(200, body=b"ok")])
    result = fetch(server.url("/busy"), tmp_path)
    assert result.status == 200 and result.attempts == 2
    first, second = server.requests
    assert second.started - first.started >= 0.9  # the date has whole seconds: 1 to 2 s away


def test_retry_after_beyond_cap_keeps_the_429(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/busy", [Reply(429, body=b"later", headers=[("Retry-After", "3600")]), Reply(200)])
    result = fetch(server.url("/busy"), tmp_path, retry_after_cap=5)
    assert result.error is None and result.status == 429 and result.attempts == 1
    assert body(result) == b"later"


def test_503_that_recovers(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/flaky", [Reply(503), Reply(502), Reply(200, body=b"back")])
    result = fetch(server.url("/flaky"), tmp_path)
    assert result.status == 200 and result.attempts == 3 and body(result) == b"back"
    assert len(result.exchanges) == 1  # failed attempts are not hops
    assert list(tmp_path.iterdir()) == [result.final.body_path]  # type: ignore[union-attr]


def test_last_5xx_is_the_result(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/down", Reply(503, body=b"maintenance"))
    result = fetch(server.url("/down"), tmp_path, retries=2)
    assert result.error is None and result.status == 503 and result.attempts == 3
    assert body(result) == b"maintenance"
    assert len(server.requests) == 3


def test_slow_server_within_limits(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/slow", Reply(body=b"eventually", delay=0.5))
    assert body(fetch(server.url("/slow"), tmp_path, read_timeout=5)) == b"eventually"


def test_hung_server_times_out(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/hang", Reply(hang=True))
    result = fetch(server.url("/hang"), tmp_path, read_timeout=0.3, retries=1)
    assert result.error_kind == "timeout" and result.final is None
    assert "0.3s" in (result.error or "")
    assert len(server.requests) == 2  # a time-out is retried
    assert list(tmp_path.iterdir()) == []


def test_whole_fetch_time_limit(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/hang", Reply(hang=True))
    result = fetch(server.url("/hang"), tmp_path, timeout=0.5, read_timeout=30)
    assert result.error_kind == "timeout" and "0.5s" in (result.error or "")


def test_body_over_the_size_limit_is_cut(server: LoopbackServer, tmp_path: Path) -> None:
    content = bytes(range(256)) * 100
    server.route("/big", Reply(body=content))
    result = fetch(server.url("/big"), tmp_path, max_size=1000)
    assert result.final is not None and result.final.truncated == "length"
    assert result.final.body_length == 1000 and body(result) == content[:1000]


def test_body_exactly_at_the_limit_is_whole(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/fit", Reply(body=b"x" * 1000))
    result = fetch(server.url("/fit"), tmp_path, max_size=1000)
    assert result.final is not None and result.final.truncated is None and result.final.body_length == 1000


def endless() -> Iterator[bytes]:
    return itertools.repeat(b"y" * 8192)


def test_endless_body_is_cut_at_the_limit(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/forever", Reply(stream=endless))
    result = fetch(server.url("/forever"), tmp_path, max_size=100_000)
    assert result.final is not None and result.final.truncated == "length"
    assert body(result) == b"y" * 100_000


def test_endless_body_is_cut_by_the_fetch_time_limit(server: LoopbackServer, tmp_path: Path) -> None:
    def trickle() -> Iterator[bytes]:
        while True:
            yield b"z" * 100
            server.pause(0.05)

    server.route("/trickle", Reply(stream=trickle))
    result = fetch(server.url("/trickle"), tmp_path, timeout=0.6)
    assert result.final is not None and result.final.truncated == "time"
    kept = body(result)
    assert len(kept) > 0 and kept == b"z" * len(kept) and result.final.body_length == len(kept)


def test_dropped_connection_mid_body(server: LoopbackServer, tmp_path: Path) -> None:
    content = b"0123456789" * 100
    server.route("/drop", Reply(body=content, drop_after=250))
    result = fetch(server.url("/drop"), tmp_path)
    assert result.final is not None and result.final.truncated == "disconnect"
    assert body(result) == content[:250]
    assert result.attempts == 1  # a partial answer is kept, not retried


def test_private_address_refused_by_default(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/", Reply(body=b"secret"))
    result = fetch(server.url("/"), tmp_path, allow_private=False)
    assert result.error_kind == "refused-address" and result.exchanges == []
    assert "--allow-private" in (result.error or "") and "127.0.0.1" in (result.error or "")
    assert server.requests == []  # nothing was sent


def test_private_address_refused_on_a_redirect_hop(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No public internet here: 127.0.0.2 stands in for a public site, so the first hop is
    # allowed and only the redirect to 127.0.0.1 (still private) can be refused.
    judge = guard.refused_reason
    monkeypatch.setattr(
        guard, "refused_reason", lambda address: None if str(address) == "127.0.0.2" else judge(address)
    )
    server.route("/admin", Reply(body=b"secret"))
    with LoopbackServer("127.0.0.2") as public:
        public.route("/", redirect(server.url("/admin")))
        result = fetch(public.url("/"), tmp_path, allow_private=False)
    assert [r.target for r in public.requests] == ["/"]  # the first hop was fetched
    assert result.redirect_chain == [(302, public.url("/"))]
    assert result.error_kind == "refused-address" and "127.0.0.1" in (result.error or "")
    assert server.requests == []  # the private target received nothing


@pytest.mark.parametrize("url", ["ftp://example.org/file", "file:///etc/passwd", "javascript:alert(1)", "example.org"])
def test_non_http_schemes_are_refused(url: str, tmp_path: Path) -> None:
    result = fetch(url, tmp_path)
    assert result.error_kind == "bad-scheme" and "only http and https" in (result.error or "")


def test_unresolvable_name_is_a_clear_dns_error(tmp_path: Path) -> None:
    result = fetch("http://no-such-host.invalid/page", tmp_path, allow_private=False)
    assert result.error_kind == "dns"
    assert (result.error or "").startswith("could not resolve host no-such-host.invalid")


def test_redirect_chain_is_one_exchange_per_hop(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/a", redirect("/b", status=301))
    server.route("/b", redirect(server.url("/c"), status=307))
    server.route("/c", Reply(303, headers=[("Location", "d?x=1#frag")]))
    server.route("/d", Reply(body=b"landed"))
    result = fetch(server.url("/a"), tmp_path)
    assert result.redirect_chain == [
        (301, server.url("/a")),
        (307, server.url("/b")),
        (303, server.url("/c")),
        (200, server.url("/d?x=1")),
    ]
    assert body(result) == b"landed" and result.final_url == server.url("/d?x=1")
    assert result.attempts == 4 and [r.target for r in server.requests] == ["/a", "/b", "/c", "/d?x=1"]
    assert all(ex.body_path.exists() for ex in result.exchanges)


@pytest.mark.parametrize(
    ("location", "kind", "message"),
    [
        ("javascript:alert(1)", "bad-scheme", "redirect to a javascript: URL refused"),
        ("mailto:x@y", "bad-scheme", "redirect to a mailto: URL refused"),
        ("http://[::1", "bad-url", "redirect with an invalid Location header: 'http://[::1'"),
        ("http://", "bad-url", "redirect with an invalid Location header: 'http://' (no host name)"),
        ("//", "bad-url", "redirect with an invalid Location header: '//' (no host name)"),
        ("http://127.0.0.1:99999/", "bad-url", "port 99999 out of range"),
    ],
)
def test_unusable_redirect_keeps_the_redirect_and_says_why(
    server: LoopbackServer, tmp_path: Path, location: str, kind: str, message: str
) -> None:
    server.route("/go", Reply(302, body=b"moved", headers=[("Location", location)]))
    result = fetch(server.url("/go"), tmp_path)
    assert result.error_kind == kind and message in (result.error or "")
    # What the server said is kept: the redirect is an Exchange with its body.
    assert result.redirect_chain == [(302, server.url("/go"))]
    assert result.exchanges[0].body_path.read_bytes() == b"moved"
    assert ("Location", location) in result.exchanges[0].response_headers
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("sent", "arrived"),
    [
        ("/a b/caf\u00c3\u00a9?q=x y", "/a%20b/caf%C3%A9?q=x%20y"),  # the header's bytes are UTF-8 "café"
        ("/caf\u00e9", "/caf%E9"),  # not UTF-8: the byte itself is percent-encoded
    ],
)
def test_redirect_location_with_spaces_and_non_ascii_is_followed(
    server: LoopbackServer, tmp_path: Path, sent: str, arrived: str
) -> None:
    server.route("/go", redirect(sent))  # the test server writes header text as latin-1 bytes
    server.route(arrived.split("?")[0], Reply(body=b"here"))
    result = fetch(server.url("/go"), tmp_path)
    assert body(result) == b"here" and result.final_url == server.url(arrived)
    assert [r.target for r in server.requests] == ["/go", arrived]


# Header text the test server can send (latin-1, no CR/LF), without "/", "\\", ":" or "@",
# so no generated Location names a host other than 127.0.0.1: no other address is contacted.
LOCATION_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="/\\:@\x7f"), max_size=30
)
LOCATION_PREFIXES = ["", "/", "?", "#", "%", "javascript:", "mailto:", "data:", "HTTP://127.0.0.1:{port}/",
                     "http://127.0.0.1:99999", "http://[", "ftp://127.0.0.1/"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(LOCATION_PREFIXES), text=LOCATION_TEXT)
def test_any_location_a_server_sends_gives_a_result(
    server: LoopbackServer, tmp_path: Path, prefix: str, text: str
) -> None:
    location = prefix.format(port=server.port) + text
    server.route("/go", Reply(302, body=b"moved", headers=[("Location", location)]))
    result = fetch(server.url("/go"), tmp_path, retries=0, timeout=5)  # raising here is the failure
    assert result.exchanges[0].status == 302 and result.exchanges[0].target_uri == server.url("/go")
    if result.error_kind in ("bad-url", "bad-scheme"):
        assert len(result.exchanges) == 1 and "redirect" in (result.error or "")
    for exchange in result.exchanges:
        exchange.discard()


def test_empty_location_ends_the_fetch_at_the_redirect(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/go", Reply(302, body=b"nowhere to go", headers=[("Location", "")]))
    result = fetch(server.url("/go"), tmp_path)
    assert result.error is None and result.status == 302 and body(result) == b"nowhere to go"
    assert len(server.requests) == 1


def test_redirect_loop_is_detected(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/x", redirect("/y"))
    server.route("/y", redirect("/x"))
    result = fetch(server.url("/x"), tmp_path)
    assert result.error_kind == "redirect-loop" and result.final is None
    assert [status for status, _ in result.redirect_chain] == [302, 302]
    assert len(server.requests) == 2


def test_too_many_redirects(server: LoopbackServer, tmp_path: Path) -> None:
    for n in range(5):
        server.route(f"/{n}", redirect(f"/{n + 1}"))
    server.route("/5", Reply(body=b"end"))
    result = fetch(server.url("/0"), tmp_path, max_redirects=3)
    assert result.error_kind == "too-many-redirects" and len(result.exchanges) == 4
    assert body(fetch(server.url("/0"), tmp_path, max_redirects=5)) == b"end"


def test_cookies_follow_the_redirect_chain_within_one_fetch(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/login", redirect("/home", set_cookie="session=abc123; Path=/"))
    server.route("/home", lambda req: Reply(body=req.headers.get("cookie", "none").encode()))
    result = fetch(server.url("/login"), tmp_path)
    assert body(result) == b"session=abc123"
    assert b"Cookie: session=abc123\r\n" in result.exchanges[-1].request_head
    assert b"Cookie" not in result.exchanges[0].request_head
    # A new fetch starts with an empty jar: cookies never leak between URLs.
    assert body(fetch(server.url("/home"), tmp_path)) == b"none"


def test_cookie_detour_back_to_the_same_url_is_not_a_loop(server: LoopbackServer, tmp_path: Path) -> None:
    server.route("/set", redirect("/page", set_cookie="seen=1; Path=/"))
    server.route(
        "/page",
        lambda req: Reply(body=b"content") if "seen=1" in req.headers.get("cookie", "") else redirect("/set"),
    )
    result = fetch(server.url("/page"), tmp_path)
    assert body(result) == b"content" and [s for s, _ in result.redirect_chain] == [302, 302, 200]


def test_proxy_is_used(server: LoopbackServer, tmp_path: Path) -> None:
    # Our loopback server answers the absolute-form request a client sends to a proxy.
    server.route("/via", Reply(body=b"proxied"))
    result = fetch("http://origin.invalid/via", tmp_path, proxy=server.url("/"), allow_private=False)
    assert body(result) == b"proxied"
    assert server.requests[0].target == "http://origin.invalid/via"
    assert result.final is not None and result.final.peer_ip is None  # the proxy's address is not the origin's


@pytest.mark.parametrize(
    "url",
    ["http://[::1]:8/", "http://0x7f.1/", "http://2130706433/", "http://[::ffff:127.0.0.1]/",
     "https://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"],
)
def test_disguised_private_addresses_are_refused(url: str, tmp_path: Path) -> None:
    result = fetch(url, tmp_path, allow_private=False)
    assert result.error_kind == "refused-address" and result.attempts == 0


@pytest.mark.parametrize("url", ["http://[::1", "http:///path", "https://"])
def test_malformed_urls_are_error_values(url: str, tmp_path: Path) -> None:
    result = fetch(url, tmp_path)
    assert result.error_kind == "bad-url" and result.exchanges == [] and url in (result.error or "")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate (made by the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_untrusted_certificate_is_a_clear_error_not_retried(self_signed: ssl.SSLContext, tmp_path: Path) -> None:
    with LoopbackServer(tls=self_signed) as server:
        server.route("/", Reply(body=b"secret"))
        result = fetch(server.url("/"), tmp_path)
    assert server.url("/").startswith("https://")
    assert result.error_kind == "connect" and result.attempts == 1
    assert "TLS with 127.0.0.1" in (result.error or "") and "certificate" in (result.error or "")
    assert server.requests == []


def test_refused_connection_is_retried_then_reported(tmp_path: Path) -> None:
    with LoopbackServer() as gone:
        url = gone.url("/page")  # nothing listens there once the server has stopped
    result = fetch(url, tmp_path, retries=2)
    assert result.error_kind == "connect" and result.attempts == 3 and result.exchanges == []
    assert (result.error or "").startswith(f"could not connect to 127.0.0.1:{url.split(':')[2].split('/')[0]}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=5000),
    chunked=st.one_of(st.none(), st.integers(min_value=1, max_value=2000)),
    max_size=st.integers(min_value=1, max_value=6000),
)
def test_stored_body_is_the_sent_body_cut_at_max_size(
    server: LoopbackServer, tmp_path: Path, content: bytes, chunked: int | None, max_size: int
) -> None:
    server.route("/any", Reply(body=content, chunked=chunked))
    result = fetch(server.url("/any"), tmp_path, max_size=max_size)
    exchange = result.final
    assert exchange is not None
    assert exchange.body_path.read_bytes() == content[:max_size]
    assert exchange.body_length == min(len(content), max_size)
    assert exchange.truncated == ("length" if len(content) > max_size else None)
    exchange.discard()
