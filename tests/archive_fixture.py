"""A small real archive for the report, export, replay and verify tests.

Two passes of the pipeline (``archiver run``) over documents written here, against a loopback
server whose answers change between the passes, so the archive holds: a page that changed, a
page that stayed the same (a revisit), a Safe Links-wrapped link that redirects, a page that
went 404 (rotted), an address where nothing listens (failed), and an HTML anchor whose text
is a ``<script>`` (for the escaping tests).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from archiver.fetch import FetchOptions
from archiver.pipeline import RunOptions, run
from tests.encoders.safelinks import wrap_safelinks
from tests.servers import LoopbackServer, Reply, redirect

HTML = [("Content-Type", "text/html; charset=utf-8")]
XSS_ANCHOR = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"


@dataclass(frozen=True)
class BuiltArchive:
    """The archive folder, the input documents, and the URLs whose fate the tests know."""

    directory: Path
    memo: str
    page: str
    changing: str
    stable: str
    wrapped: str
    redirect_target: str
    rotting: str
    dead: str
    xss: str
    bodies: dict[str, bytes]


def _dead_url() -> str:
    """A loopback address where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing"


def build_archive(tmp: Path) -> BuiltArchive:
    """Run the pipeline twice into ``tmp/archive`` and return what it should hold."""
    inputs = tmp / "input"
    inputs.mkdir()
    archive = tmp / "archive"
    options = RunOptions(fetch=FetchOptions(allow_private=True, host_delay=0, retries=0,
                                            robots="ignore", timeout=10), refetch=True)
    bodies = {
        "first": b"<html><title>News</title>first version</html>",
        "second": b"<html><title>News</title>second version</html>",
        "stable": b"<html><title>About</title>same every time</html>",
        "final": b"<html>redirect target</html>",
    }
    with LoopbackServer() as server:
        server.route("/news", Reply(200, body=bodies["first"], headers=HTML))
        server.route("/about", Reply(200, body=bodies["stable"], headers=HTML))
        server.route("/moved", redirect("/final", status=301))
        server.route("/final", Reply(200, body=bodies["final"], headers=HTML))
        server.route("/report.pdf", Reply(200, body=b"%PDF-1.4 fake", headers=[("Content-Type", "application/pdf")]))
        server.route("/xss", Reply(200, body=b"<html>xss target</html>", headers=HTML))
        wrapped = wrap_safelinks(server.url("/moved"))
        dead = _dead_url()
        memo = inputs / "memo.txt"
        memo.write_text(
            f"Hello,\nthe news: {server.url('/news')}\nabout us: {server.url('/about')}\n"
            f"please read {wrapped}\nthe report {server.url('/report.pdf')}\nand {dead}\n",
            encoding="utf-8")
        page = inputs / "page.html"
        escaped_anchor = XSS_ANCHOR.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        page.write_text(f'<html><body><p><a href="{server.url("/xss")}">{escaped_anchor}</a></p>'
                        f'<p><a href="{server.url("/about")}">About</a></p></body></html>', encoding="utf-8")
        run([inputs], archive, options)
        server.route("/news", Reply(200, body=bodies["second"], headers=HTML))
        server.route("/report.pdf", Reply(404, body=b"gone", headers=[("Content-Type", "text/plain")]))
        run([inputs], archive, options)
        built = BuiltArchive(archive, str(memo), str(page), server.url("/news"), server.url("/about"),
                             wrapped, server.url("/final"), server.url("/report.pdf"), dead,
                             server.url("/xss"), bodies)
    return built
