"""Throughput of ``extract_links`` on e-mail-like text full of wrapped links (one core).

Builds a deterministic corpus (default 200 MB) in a temporary folder of 1 MB ``.txt`` files:
e-mails with headers, paragraphs, signatures, and links of every kind met in practice (Safe
Links around Proofpoint v3, Safe Links alone, Markdown links, autolinks, bare URLs with tracking
parameters), 97 % of them drawn from a pool of 2000 originals as in real threads and
newsletters, about one link per 1.2 KB. Reports MB/s and links/s; the unwrap cache makes a
repeated link cheap, so the figure rises with the corpus size (more repeats).

    python bench/extract_bench.py [--mb 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import zlib
from pathlib import Path
from urllib.parse import quote

from archiver import extract_links

_WORDS = (
    "the meeting agenda please review attached report quarterly budget team update project "
    "deadline thanks regards follow-up customer invoice schedule call tomorrow proposal draft "
    "comments approve shared document link below access policy security notice newsletter"
).split()
_FILE_MB = 1
_REPEATED = 0.97  # share of links drawn from the pool of 2000 originals


def original_url(rng: random.Random, number: int) -> str:
    site = f"www.site{number % 97}.example.org"
    return f"https://{site}/news/{number}/article-{rng.randrange(10**6)}?id={number}&utm_source=mail"


def proofpoint_v3(url: str) -> str:
    """A v3 link; the pool's URLs hold no byte v3 replaces, so the body is the URL itself."""
    return f"https://urldefense.com/v3/__{url}__;!!MED6SQ!LFQOC-Zd53SBbTDu7eb{zlib.crc32(url.encode()) % 10**6}$"


def safelinks(url: str) -> str:
    """A Safe Links link with a recipient and ids in ``data=``, as Outlook writes it."""
    return (
        "https://eur04.safelinks.protection.outlook.com/?url=" + quote(url, safe="")
        + "&data=05%7C01%7Crecipient%40example.com%7Ce4d298873cf0463647e808%7C0%7C0"
        + "&sdata=abc%3D&reserved=0"
    )


def link_text(rng: random.Random, pool: list[str]) -> str:
    url = rng.choice(pool) if rng.random() < _REPEATED else original_url(rng, rng.randrange(10**6))
    shape = rng.randrange(5)
    if shape == 0:
        return f"[read more]({safelinks(proofpoint_v3(url))})"
    if shape == 1:
        return f"<{safelinks(url)}>"
    if shape == 2:
        return f"({url})."
    if shape == 3:
        return f"[{url}]({url})"
    return url


def email(rng: random.Random, pool: list[str], number: int) -> str:
    lines = [
        f"From: sender{number % 50}@example.com",
        f"To: team{number % 7}@example.com",
        f"Subject: {' '.join(rng.choices(_WORDS, k=5))}",
        f"Date: Mon, {1 + number % 28} Nov 2026 10:00:00 +0000",
        "",
    ]
    for _ in range(rng.randrange(3, 8)):
        words = rng.choices(_WORDS, k=rng.randrange(40, 120))
        for _ in range(rng.randrange(0, 2)):
            words.insert(rng.randrange(len(words)), link_text(rng, pool))
        lines += [" ".join(words), ""]
    lines += ["--", "Regards,", f"Sender {number % 50}", "", ""]
    return "\n".join(lines)


def build_corpus(folder: Path, megabytes: int, seed: int) -> int:
    """Write ``megabytes`` of e-mail text into ``folder``; return the byte count."""
    rng = random.Random(seed)
    pool = [original_url(rng, n) for n in range(2000)]
    total = 0
    number = 0
    for file_number in range(megabytes // _FILE_MB):
        chunks: list[str] = []
        size = 0
        while size < _FILE_MB * 1_000_000:
            chunks.append(email(rng, pool, number))
            size += len(chunks[-1])
            number += 1
        data = "".join(chunks).encode("utf-8")
        (folder / f"mail-{file_number:04d}.txt").write_bytes(data)
        total += len(data)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="extract-bench-") as tmp:
        folder = Path(tmp)
        size = build_corpus(folder, args.mb, args.seed)
        started, cpu_started = time.perf_counter(), time.process_time()
        links = extract_links(folder)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    occurrences = sum(len(link.occurrences) for link in links)
    print(f"corpus: {size / 1e6:.1f} MB in {args.mb // _FILE_MB} files, {occurrences} link occurrences "
          f"(one per {size / max(occurrences, 1):,.0f} bytes), {len(links)} distinct originals")
    # CPU time is the figure on a shared machine: wall time also counts other processes' turns.
    for label, seconds in (("CPU", cpu), ("wall", elapsed)):
        print(f"extract_links, {label} time: {seconds:.2f} s = {size / 1e6 / seconds:.1f} MB/s, "
              f"{occurrences / seconds:,.0f} links/s")


if __name__ == "__main__":
    main()
