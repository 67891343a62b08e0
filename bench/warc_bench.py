"""Figures for the store stage: WARC write throughput, repair and catalog rebuild times.

    .venv/bin/python bench/warc_bench.py [--captures N] [--body-kib K]

Writes N captures (request + response + provenance metadata, catalog row each) of K KiB random
bodies into a temporary archive, then times repair of a cut-off copy and a full rebuild.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.catalog import Catalog, rebuild_catalog  # noqa: E402
from archiver.exchange import Exchange, FetchResult  # noqa: E402
from archiver.store import store_fetch  # noqa: E402
from archiver.warc import WarcWriter, repair_open_files, warc_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=2000)
    parser.add_argument("--body-kib", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        archive = root / "archive"
        body = root / "body"
        body.write_bytes(os.urandom(args.body_kib * 1024))
        start = time.perf_counter()
        with WarcWriter(archive, max_file_size=50 * 10**6) as writer, Catalog.open(archive) as catalog:
            for i in range(args.captures):
                url = f"http://bench.test/page/{i}"
                request = f"GET /page/{i} HTTP/1.1\r\nHost: bench.test\r\n\r\n".encode()
                ex = Exchange(url, datetime.now(timezone.utc), request,
                              "HTTP/1.1", 200, "OK", [("Content-Type", "application/octet-stream")],
                              body, body.stat().st_size, peer_ip="127.0.0.1")
                store_fetch(writer, catalog, url, FetchResult(url, [ex]), revisits=False)
        elapsed = time.perf_counter() - start
        size = sum(p.stat().st_size for p in warc_files(archive))
        print(f"store: {args.captures} captures, {size / 1e6:.1f} MB in {len(warc_files(archive))} files, "
              f"{elapsed:.2f} s = {args.captures / elapsed:.0f} captures/s, {size / 1e6 / elapsed:.1f} MB/s "
              "(fsync per capture)")

        last = warc_files(archive)[-1]
        cut = archive / f"{last.name}.open"
        shutil.copyfile(last, cut)
        last.unlink()
        with open(cut, "r+b") as handle:
            handle.truncate(cut.stat().st_size - 1000)
        damaged = cut.stat().st_size
        start = time.perf_counter()
        repair_open_files(archive)
        print(f"repair: {damaged / 1e6:.1f} MB file cut back to {last.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - start:.2f} s")

        start = time.perf_counter()
        with rebuild_catalog(archive) as catalog:
            count = len(catalog.captures())
        print(f"rebuild: {count} captures from {size / 1e6:.1f} MB in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
