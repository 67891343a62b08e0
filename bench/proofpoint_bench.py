"""Proofpoint v3 decoding time against link size: shows it grows linearly (one core).

Three shapes per size: a realistic link (mostly literal text, some placeholders), a worst case
for placeholders (every other byte replaced, non-ASCII runs), and a hostile one (thousands of
``_;`` near-misses for the end marker, which the decoder must reject without rescanning).
Reports the median time per link and the throughput; the ratio column is the time per KB
relative to the smallest size (about 1 for linear behaviour).

    python bench/proofpoint_bench.py [--max-kb 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver import unwrap_chain  # noqa: E402
from tests.encoders.proofpoint import encode_v3  # noqa: E402


def realistic(kb: int) -> str:
    """A long tracking link: query text with some '%XX' escapes and an accented word."""
    unit = "utm_source=news&id=12345&q=caf%C3%A9+cr%C3%A8me&x=été/"
    return encode_v3("https://x.test/?" + unit * (kb * 1024 // len(unit.encode()) + 1))


def placeholders(kb: int) -> str:
    """Every other byte replaced: a '*' placeholder per literal byte, plus 2-byte runs."""
    return encode_v3("https://x.test/" + "a*é#" * (kb * 1024 // 6 + 1))


def hostile(kb: int) -> str:
    """A body full of '_;' end-marker look-alikes, followed by the real marker and tail."""
    return f"https://urldefense.com/v3/__https://x.test/{'a_;b' * (kb * 256)}__;!!ORG!TOKEN$"


def median_seconds(url: str, repeat: int) -> float:
    """Median wall time of ``unwrap_chain(url)`` over ``repeat`` runs; checks it decoded."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = unwrap_chain(url)
        times.append(time.perf_counter() - start)
        if result.error is not None:
            raise SystemExit(f"decode failed: {result.error}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-kb", type=int, default=1000, help="largest link size in KB")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    args = parser.parse_args()
    sizes = [kb for kb in (1, 10, 100, 1000, 10000) if kb <= args.max_kb]
    print(f"{'shape':<13}{'KB':>7}{'ms/link':>10}{'MB/s':>8}{'ratio':>7}")
    shapes = (("realistic", realistic), ("placeholders", placeholders), ("hostile", hostile))
    for name, build in shapes:
        base = None
        for kb in sizes:
            url = build(kb)
            seconds = median_seconds(url, args.repeat)
            per_kb = seconds / (len(url) / 1024)
            base = base or per_kb
            rate = len(url) / seconds / 1e6
            print(
                f"{name:<13}{len(url) // 1024:>7}{seconds * 1e3:>10.2f}{rate:>8.1f}"
                f"{per_kb / base:>7.2f}"
            )


if __name__ == "__main__":
    main()
