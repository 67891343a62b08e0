"""Figure for ``archiver refresh``: WARC bytes a refresh of unchanged pages adds, per URL.

    .venv/bin/python bench/refresh_bench.py [--urls N] [--body-kib K]

Serves N distinct pages of K KiB from loopback servers, archives them with ``run`` (one document
listing every URL), then refreshes them all unchanged. Prints the WARC bytes the refresh added
per URL (target: under 2 KB) and the compressed size of each record type it wrote, with the
wall times of both steps.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.fetch import FetchOptions  # noqa: E402
from archiver.pipeline import RunOptions, run  # noqa: E402
from archiver.refresh import RefreshOptions, refresh  # noqa: E402
from archiver.warc import iter_records, warc_files  # noqa: E402
from tests.servers import LoopbackServer, Reply  # noqa: E402

TARGET = 2048
"""Bytes of WARC per URL a refresh of unchanged pages may add."""


def warc_bytes(archive: Path) -> int:
    return sum(path.stat().st_size for path in warc_files(archive))


def record_sizes(archive: Path, files: set[str]) -> dict[str, list[int]]:
    """Compressed sizes of the records in ``files``, by record type."""
    sizes: dict[str, list[int]] = defaultdict(list)
    for path in warc_files(archive):
        if path.name in files:
            for stored in iter_records(path):
                sizes[stored.ref.record_type].append(stored.ref.length)
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--body-kib", type=int, default=8)
    args = parser.parse_args()
    fetch = FetchOptions(allow_private=True, robots="ignore", retries=0, host_delay=0.0,
                         concurrency=16, per_host=16, timeout=30.0)
    options = RunOptions(fetch=fetch)
    with tempfile.TemporaryDirectory() as scratch, LoopbackServer() as site:
        root = Path(scratch)
        urls = []
        for i in range(args.urls):
            filler = (f"<p>paragraph {i} " + "lorem ipsum dolor sit amet " * 40 + "</p>\n")
            body = ("<html><body>" + filler * (args.body_kib * 1024 // len(filler) + 1)).encode()
            site.route(f"/news/2026/11/23/a-typical-article-slug-of-several-words-{i}", Reply(200, body=body[: args.body_kib * 1024],
                                           headers=[("Content-Type", "text/html; charset=utf-8")]))
            urls.append(site.url(f"/news/2026/11/23/a-typical-article-slug-of-several-words-{i}"))
        doc = root / "links.txt"
        doc.write_text("\n".join(urls) + "\n")
        archive = root / "archive"

        started = time.perf_counter()
        first = run([doc], archive, options)
        run_seconds = time.perf_counter() - started
        assert first.counts() == {"ok": args.urls}, first.counts()
        before = warc_bytes(archive)

        started = time.perf_counter()
        report = refresh(archive, RefreshOptions(run=options))
        refresh_seconds = time.perf_counter() - started
        assert report.run.counts() == {"revisit": args.urls}, report.run.counts()
        added = warc_bytes(archive) - before

        per_url = added / args.urls
        print(f"run:     {args.urls} URLs of {args.body_kib} KiB -> {before:,} bytes of WARC "
              f"({before / args.urls:,.0f}/URL) in {run_seconds:.1f}s")
        print(f"refresh: {args.urls} unchanged URLs -> {added:,} bytes of WARC added "
              f"in {refresh_seconds:.1f}s")
        print(f"         {per_url:,.0f} bytes/URL (target < {TARGET}): "
              f"{'OK' if per_url < TARGET else 'OVER'}")
        for kind, sizes in sorted(record_sizes(archive, set(report.run.files)).items()):
            print(f"         {kind:9} x{len(sizes):5}  mean {sum(sizes) / len(sizes):7.0f} bytes")
    return 0 if per_url < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
