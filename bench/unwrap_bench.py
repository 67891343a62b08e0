"""Benchmark ``archiver.unwrap`` on a deterministic mix of wrapped URLs, on one CPU core.

Reports, measured in the same run over the same lines:
* URLs/s of ``unwrap`` over the whole mix (every format, nesting 1-4, long queries, non-ASCII);
* the ratio to one plain ``urllib.parse.unquote`` pass over the same lines (aim: >= 0.5);
* on the lines that are a single Safe Links layer: the speed ratio to the ``antisafelinks``
  package (aim: > 1) and how often each of the two returns a wrong original.

Usage: python bench/unwrap_bench.py [--count 200000] [--seed 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test encoders wrap URLs exactly as each format does

from archiver import unwrap  # noqa: E402
from tests.encoders import proofpoint, redirectors, safelinks  # noqa: E402

WORDS = [
    "news", "article", "2023", "politics", "world", "index", "putina", "hamas", "post", "view",
    "café", "naïve", "москва", "новости", "東京", "ニュース", "الأخبار", "a_b-c", "x~y", "100%25",
]
HOSTS = [
    "www.example.org", "news.example.com", "sub.domain.example.net", "пример.рф", "example.co.uk:8443",
]

Wrapper = Callable[[str], str]


def _wrappers() -> list[Wrapper]:
    """Every wrapping the encoders know, each a function of the URL."""
    forms = ("regional", "bare", "gov", "teams", "owa", "ap")
    found: list[Wrapper] = [
        *(lambda u, f=form: safelinks.wrap_safelinks(u, form=f) for form in forms),
        safelinks.wrap_azure_email,
        proofpoint.encode_v1,
        proofpoint.encode_v2,
        proofpoint.encode_v3,
        *(lambda u, s=style: redirectors.wrap(s, u) for style in redirectors.STYLES),
    ]
    return found


def _original(rng: random.Random) -> str:
    """A URL with a few path words and sometimes a long query string."""
    path = "/".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
    url = f"{rng.choice(['http', 'https'])}://{rng.choice(HOSTS)}/{path}"
    if rng.random() < 0.6:
        count = rng.choice([1, 3, 8, 30])
        pairs = (f"{rng.choice(WORDS)}{i}={rng.choice(WORDS)}+{i}" for i in range(count))
        url += "?" + "&".join(pairs)
    return url


def make_lines(count: int, seed: int) -> tuple[list[str], list[str], list[int]]:
    """Wrapped lines, their originals, and the indices of the single-Safe-Links lines."""
    rng = random.Random(seed)
    wrappers = _wrappers()
    lines, originals, single_safelinks = [], [], []
    versions = [None, "01", "02", "03", "04", "05"]
    for i in range(count):
        original = _original(rng)
        if i % 4 == 0:
            # One Safe Links layer, as most mail carries it: any data= version, sometimes unsigned.
            line = safelinks.wrap_safelinks(
                original, data_version=rng.choice(versions), signed=rng.random() < 0.8
            )
            single_safelinks.append(i)
        else:
            depth = rng.choices([1, 2, 3, 4], weights=[4, 3, 2, 1])[0]
            line = original
            for _ in range(depth):
                line = rng.choice(wrappers)(line)
        lines.append(line)
        originals.append(original)
    return lines, originals, single_safelinks


def _timed(function: Callable[[str], str], lines: Sequence[str], repeat: int) -> tuple[float, list[str]]:
    """Best wall time of ``repeat`` passes of ``function`` over ``lines``, and its results."""
    best = float("inf")
    results: list[str] = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        results = [function(line) for line in lines]
        best = min(best, time.perf_counter() - start)
    return best, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="wrapped URLs to generate")
    parser.add_argument("--seed", type=int, default=2, help="random seed (the mix is deterministic)")
    parser.add_argument("--repeat", type=int, default=3, help="passes per measurement; the best counts")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import antisafelinks  # the comparison package, from the bench extra

    lines, originals, single = make_lines(args.count, args.seed)
    size = sum(map(len, lines))
    print(f"{len(lines):,} wrapped URLs ({size / 1e6:.1f} MB, mean {size / len(lines):.0f} chars), "
          f"{len(single):,} of them a single Safe Links layer; one core, best of {args.repeat}")

    ours_time, ours = _timed(unwrap, lines, args.repeat)
    plain_time, _ = _timed(unquote, lines, args.repeat)
    wrong = sum(got != want for got, want in zip(ours, originals))
    print(f"unwrap:             {len(lines) / ours_time:12,.0f} URLs/s   wrong: {wrong}")
    print(f"urllib unquote:     {len(lines) / plain_time:12,.0f} URLs/s")
    print(f"ratio unwrap/unquote: {plain_time / ours_time:.2f}  (aim >= 0.5)")

    sl_lines = [lines[i] for i in single]
    sl_originals = [originals[i] for i in single]
    ours_sl_time, ours_sl = _timed(unwrap, sl_lines, args.repeat)
    theirs_time, theirs = _timed(antisafelinks.recover_link, sl_lines, args.repeat)
    ours_wrong = sum(got != want for got, want in zip(ours_sl, sl_originals))
    theirs_wrong = sum(got != want for got, want in zip(theirs, sl_originals))
    print(f"Safe Links only, {len(sl_lines):,} lines:")
    print(f"  unwrap:           {len(sl_lines) / ours_sl_time:12,.0f} URLs/s   wrong: {ours_wrong}")
    print(f"  antisafelinks:    {len(sl_lines) / theirs_time:12,.0f} URLs/s   wrong: {theirs_wrong} "
          f"({100 * theirs_wrong / len(sl_lines):.1f}%)")
    print(f"  speed ratio unwrap/antisafelinks: {theirs_time / ours_sl_time:.2f}  (aim > 1)")
    return 0 if wrong == 0 and ours_wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
