"""An archive whose captures were cut short, for the report and history tests of truncation.

One ``archiver run`` against a loopback server: ``big`` answers more than --max-size allows
(WARC-Truncated: length), ``cut`` drops the connection half-way through its body, ``whole`` is
stored in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archiver.fetch import FetchOptions
from archiver.pipeline import RunOptions, run
from tests.servers import LoopbackServer, Reply

MAX_SIZE = 1000


@dataclass(frozen=True)
class TruncatedArchive:
    directory: Path
    big: str
    cut: str
    whole: str


def build_truncated_archive(tmp: Path) -> TruncatedArchive:
    """Run the pipeline once into ``tmp/archive`` and return it with the three URLs."""
    options = RunOptions(fetch=FetchOptions(allow_private=True, host_delay=0, retries=0, robots="ignore",
                                            timeout=10, max_size=MAX_SIZE))
    with LoopbackServer() as site:
        site.route("/big", Reply(200, body=b"x" * (4 * MAX_SIZE)))
        site.route("/cut", Reply(200, body=b"y" * 600, drop_after=300))
        site.route("/whole", Reply(200, body=b"z" * 100))
        urls = [site.url(path) for path in ("/big", "/cut", "/whole")]
        inputs = tmp / "input"
        inputs.mkdir()
        (inputs / "mail.txt").write_text("\n".join(urls) + "\n")
        run([inputs], tmp / "archive", options)
    return TruncatedArchive(tmp / "archive", *urls)
