"""Figures for the commands that read a finished archive: verify, report, index.

Builds an archive of ``--links`` captures (each a request, a response of ``--body-kb`` KiB of
incompressible bytes, and a provenance record, through the real store stage) and times, once
each: ``verify_archive`` (every digest recomputed, catalog against WARC), ``build_report`` plus
the HTML page, and ``write_cdxj``. Throughput is the compressed archive size over the time.

    python bench/share_bench.py             # 1000 links x 64 KiB (about 66 MB)
    python bench/share_bench.py --quick     # 200 links x 16 KiB
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.catalog import Catalog  # noqa: E402
from archiver.exchange import FetchResult  # noqa: E402
from archiver.export import write_cdxj  # noqa: E402
from archiver.report import build_report  # noqa: E402
from archiver.report_html import render_html  # noqa: E402
from archiver.store import store_fetch  # noqa: E402
from archiver.verify import verify_archive  # noqa: E402
from archiver.warc import WarcWriter, warc_files  # noqa: E402
from tests.warcutil import make_exchange  # noqa: E402


def build(folder: Path, links: int, body_kb: int) -> int:
    """Store ``links`` captures into ``folder``; return the total size of the WARC files."""
    spool = folder.parent / "spool"
    spool.mkdir()
    with Catalog.open(folder) as catalog, WarcWriter(folder) as writer:
        for number in range(links):
            url = f"http://site{number % 50}.test/page/{number}"
            ex = make_exchange(spool, url, os.urandom(body_kb * 1024), date=datetime.now(timezone.utc))
            store_fetch(writer, catalog, url, FetchResult(url, exchanges=[ex], attempts=1))
            ex.discard()
    return sum(path.stat().st_size for path in warc_files(folder))


def timed(label: str, size: int, action) -> None:
    started = time.perf_counter()
    detail = action()
    seconds = time.perf_counter() - started
    print(f"{label:<28} {seconds:7.2f} s  {size / 2**20 / seconds:7.1f} MiB/s  {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small archive (200 links x 16 KiB)")
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--body-kb", type=int, default=64)
    args = parser.parse_args()
    links, body_kb = (200, 16) if args.quick else (args.links, args.body_kb)
    with tempfile.TemporaryDirectory(prefix="share-bench-") as work:
        folder = Path(work) / "archive"
        size = build(folder, links, body_kb)
        print(f"archive: {links} captures of {body_kb} KiB, {size / 2**20:.1f} MiB in "
              f"{len(warc_files(folder))} WARC file(s)")

        def verify() -> str:
            result = verify_archive(folder)
            assert result.ok, result.problems[:3]
            return f"{result.records} records, {result.catalog_rows} catalog rows, no problem"

        def report() -> str:
            page = render_html(build_report(folder))
            return f"HTML page of {len(page) / 2**10:.0f} KiB"

        def index() -> str:
            out = io.StringIO()
            write_cdxj(folder, out)
            return f"{out.getvalue().count(chr(10))} CDXJ lines"

        timed("verify (all digests)", size, verify)
        timed("report (table + HTML)", size, report)
        timed("index (CDXJ)", size, index)


if __name__ == "__main__":
    main()
