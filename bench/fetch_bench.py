"""Fetcher figures against loopback servers run in a separate process (no shared GIL).

1. Throughput: ``--urls`` URLs spread evenly over ``--hosts`` servers (127.0.0.1, .2, ...) that
   answer after ``--latency`` seconds; the run time is set against the bound the concurrency
   settings allow: each request takes at least the latency, at most ``concurrency`` run at
   once in all and ``per_host`` per host, and one host's request starts are ``host_delay`` apart.
2. Memory: peak RSS (psutil, sampled) of this process while one ``--big-mb`` response is
   fetched (streamed to a spool file, max_size above it), then archived end to end by
   ``pipeline.capture_links`` (fetch, WARC, catalog); the body is never held in memory.
3. WARC cost: the throughput run again, each result written with ``WarcWriter.write_exchange``
   from ``on_result``, against the same run that only discards the spooled bodies.
4. Store cost: the same URLs through ``archiver run``'s fetch-and-store stage
   (``pipeline.capture_links``: WARC records, provenance records, group-committed fsync and
   catalog rows), against the fetches alone.

    python bench/fetch_bench.py            # full: 1000 URLs, 20 hosts, 50 ms, 1 GB
    python bench/fetch_bench.py --quick    # 200 URLs, 5 hosts, 100 MB
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.exchange import FetchResult  # noqa: E402
from archiver.fetch import FetchOptions, Fetcher, fetch_many  # noqa: E402
from tests.servers import LoopbackServer, Reply  # noqa: E402

CHUNK = b"\x00" * 2**20


def serve(hosts: int, latency: float, body_size: int, big: int, ports: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    """Run the servers in this (child) process until ``stop`` is set."""
    servers = [LoopbackServer(f"127.0.0.{n + 1}").__enter__() for n in range(hosts)]
    page = random.Random(0).randbytes(body_size)  # incompressible: the worst case for WARC gzip
    for server in servers:
        server.route("/page", Reply(body=page, delay=latency, headers=[("Content-Type", "text/html")]))
    servers[0].route(
        "/big", Reply(stream=lambda: (CHUNK for _ in range(big // len(CHUNK))), content_length=big)
    )
    ports.put([server.url("/page") for server in servers])
    stop.wait()
    for server in servers:
        server.stop()


def bound(urls: int, hosts: int, latency: float, options: FetchOptions) -> float:
    """The least time the limits allow for ``urls`` requests spread evenly over ``hosts``."""
    lanes = min(options.concurrency, hosts * options.per_host)
    per_host_urls = math.ceil(urls / hosts)
    by_global = math.ceil(urls / lanes) * latency
    by_slots = math.ceil(per_host_urls / options.per_host) * latency
    by_delay = (per_host_urls - 1) * options.host_delay + latency
    return max(by_global, by_slots, by_delay)


async def throughput(
    urls: list[str], options: FetchOptions, on_result: Callable[[FetchResult], None]
) -> tuple[float, float]:
    """Fetch ``urls``; return the wall time and this process's CPU milliseconds per URL."""
    started, cpu = time.perf_counter(), time.process_time()
    results = await fetch_many(urls, options, on_result)
    elapsed = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu) / len(urls) * 1000
    failed = [r for r in results if r.error or r.status != 200]
    if failed:
        raise SystemExit(f"{len(failed)} fetches failed, e.g. {failed[0].url}: {failed[0].error}")
    return elapsed, cpu_ms


class PeakRSS:
    """Samples this process's resident set size in a thread; ``peak`` is the largest seen."""

    def __init__(self, interval: float = 0.02) -> None:
        self.peak = 0
        self._interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._done.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            self._done.wait(self._interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()


async def big_fetch(url: str, options: FetchOptions) -> FetchResult:
    async with Fetcher(options) as fetcher:
        return await fetcher.fetch(url)


def discard(result: FetchResult) -> None:
    for exchange in result.exchanges:
        exchange.discard()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="server answer delay, seconds")
    parser.add_argument("--body-size", type=int, default=16 * 1024, help="bytes per page")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--host-delay", type=float, default=0.0)
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the streamed response, MiB")
    parser.add_argument("--skip", choices=["throughput", "memory", "warc", "store"], action="append", default=[])
    args = parser.parse_args()
    if args.quick:  # smaller sizes, for the flags left at their defaults
        for name, value in {"urls": 200, "hosts": 5, "big_mb": 100}.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)

    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    stop = multiprocessing.Event()
    big = args.big_mb * 2**20
    child = multiprocessing.Process(target=serve, args=(args.hosts, args.latency, args.body_size, big, ports, stop))
    child.start()
    try:
        pages = ports.get(timeout=30)
        urls = [f"{pages[n % args.hosts]}?n={n}" for n in range(args.urls)]
        with tempfile.TemporaryDirectory(prefix="fetch-bench-") as scratch:
            spool = Path(scratch) / "spool"
            spool.mkdir()
            options = FetchOptions(
                concurrency=args.concurrency, per_host=args.per_host, host_delay=args.host_delay,
                allow_private=True, robots="ignore", spool_dir=spool, max_size=2 * big + 1,
            )
            run(args, urls, options, Path(scratch), pages[0].replace("/page", "/big"))
    finally:
        stop.set()
        child.join(timeout=10)


def run(args: argparse.Namespace, urls: list[str], options: FetchOptions, scratch: Path, big_url: str) -> None:
    least = bound(args.urls, args.hosts, args.latency, options)
    print(f"{args.urls} URLs over {args.hosts} hosts, {args.latency * 1000:g} ms latency, "
          f"{args.body_size} B pages; concurrency {options.concurrency}, per host {options.per_host}, "
          f"host delay {options.host_delay:g} s")
    plain = None
    if "throughput" not in args.skip:
        plain = asyncio.run(throughput(urls, options, discard))
        versus = f"{plain[0] / least:.2f}x the bound" if least else "no bound without latency"
        print(f"throughput: {plain[0]:.2f} s, bound {least:.2f} s -> {versus} "
              f"({args.urls / plain[0]:.0f} URLs/s, {plain[1]:.2f} ms CPU per URL)")
    if "memory" not in args.skip:
        from archiver.links import Link
        from archiver.pipeline import RunOptions, capture_links

        before = psutil.Process().memory_info().rss
        with PeakRSS() as rss:
            started = time.perf_counter()
            result = asyncio.run(big_fetch(big_url, options))
            fetched = time.perf_counter() - started
            if result.final is not None:
                result.final.discard()
            started = time.perf_counter()
            report = capture_links(scratch / "big", [Link(big_url)], RunOptions(fetch=options))
            archived = time.perf_counter() - started
        if result.final is None or result.final.body_length != args.big_mb * 2**20 or report.failures:
            raise SystemExit(f"big fetch failed: {result.error or report.failures}")
        stored = sum(p.stat().st_size for p in (scratch / "big").glob("*.warc.gz"))
        print(f"memory: {args.big_mb} MiB fetched in {fetched:.1f} s ({args.big_mb / fetched:.0f} MiB/s), "
              f"archived by 'archiver run''s stages in {archived:.1f} s ({stored / 2**20:.1f} MiB of WARC); "
              f"peak RSS {rss.peak / 2**20:.0f} MiB (before: {before / 2**20:.0f} MiB)")
        shutil.rmtree(scratch / "big")
    if "warc" not in args.skip:
        from archiver.warc import WarcWriter

        with WarcWriter(scratch / "warc") as writer:
            def write(result: FetchResult) -> None:
                for exchange in result.exchanges:
                    writer.write_exchange(exchange)
                discard(result)

            with_warc = asyncio.run(throughput(urls, options, write))
        plain = plain if plain is not None else asyncio.run(throughput(urls, options, discard))
        size = sum(p.stat().st_size for p in (scratch / "warc").iterdir())
        print(f"warc: {with_warc[0]:.2f} s with WARC writing vs {plain[0]:.2f} s without -> "
              f"{(with_warc[0] / plain[0] - 1) * 100:+.1f}% wall time; CPU per URL {with_warc[1]:.2f} "
              f"vs {plain[1]:.2f} ms -> {(with_warc[1] / plain[1] - 1) * 100:+.1f}% ({size / 2**20:.1f} MiB of WARC)")
    if "store" not in args.skip:
        from archiver.links import Link
        from archiver.pipeline import RunOptions, capture_links

        started, cpu = time.perf_counter(), time.process_time()
        report = capture_links(scratch / "archive", [Link(url) for url in urls],
                               RunOptions(fetch=options))
        stored = time.perf_counter() - started, (time.process_time() - cpu) / len(urls) * 1000
        if report.failures:
            raise SystemExit(f"{len(report.failures)} captures failed, e.g. {report.failures[0]}")
        plain = plain if plain is not None else asyncio.run(throughput(urls, options, discard))
        print(f"store: {stored[0]:.2f} s through 'archiver run''s store stage (WARC, provenance, "
              f"fsync, catalog) vs {plain[0]:.2f} s without -> {(stored[0] / plain[0] - 1) * 100:+.1f}% "
              f"wall time; CPU per URL {stored[1]:.2f} vs {plain[1]:.2f} ms")

if __name__ == "__main__":
    main()
