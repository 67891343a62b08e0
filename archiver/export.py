"""Sharing the archive with other tools: a CDXJ index (what pywb reads) and a WACZ package.

Both read the finished ``.warc.gz`` files only; ``.open`` files are still being written (or were
left by a crash: ``archiver verify`` names them) and are never included. The index comes from
the cdxj-indexer package, the package from py-wacz's ``wacz create``, so what we hand over is
what those tools themselves produce.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from .catalog import Catalog
from .redact import Redactor
from .redact_warc import redact_warc
from .warc import warc_files
from .warc.reader import ArchiveLoadFailed

INDEX_RECORDS = "response,revisit,resource,metadata"
"""The record types a replay index needs (requests are only looked up through their responses)."""
EXTRA_DIRECTORY = "logs"
"""Where extra files go inside a WACZ: the one free-form folder ``wacz create`` packs (``-l``)."""


class ExportError(Exception):
    """The index or package could not be made; the message says why, in words a user can act on."""


class MissingPackageError(RuntimeError):
    """An optional package a command needs is not installed; the message says how to get it."""


def require(module: str, package: str) -> None:
    """Raise MissingPackageError unless ``module`` (from the PyPI package ``package``) is importable."""
    if importlib.util.find_spec(module) is None:
        raise MissingPackageError(
            f"this command needs the {package} package: pip install 'archiver[share]'"
        )


@dataclass(frozen=True)
class Page:
    """One entry of a WACZ page list: a capture a reader should start from."""

    url: str
    date: datetime
    title: str


@dataclass(frozen=True)
class WaczSummary:
    """What went into a WACZ package."""

    path: Path
    warc_count: int
    page_count: int
    extra_files: tuple[str, ...]


def finished_warcs(directory: str | os.PathLike[str]) -> list[Path]:
    """The finished WARC files of the archive in ``directory``; ExportError when there are none."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ExportError(f"{folder}: no such archive folder")
    files = warc_files(folder)
    if not files:
        raise ExportError(f"{folder}: no finished .warc.gz file to work from")
    return files


def write_cdxj(directory: str | os.PathLike[str], out: TextIO) -> int:
    """Write a sorted CDXJ index of every finished WARC file in ``directory`` to ``out``.

    File names in the index are relative to ``directory`` (pywb resolves them against its
    ``archive_paths``). Returns the number of WARC files indexed; raises ExportError when there
    is nothing to index or a file cannot be read, MissingPackageError without cdxj-indexer.
    """
    require("cdxj_indexer", "cdxj-indexer")
    from cdxj_indexer.main import CDXJIndexer  # imported here: an optional dependency

    files = finished_warcs(directory)
    indexer = CDXJIndexer(
        out, [str(path) for path in files], sort=True, post_append=True, records=INDEX_RECORDS
    )
    try:
        indexer.process_all()
    except Exception as exc:  # warcio and zlib raise many kinds; all mean "damaged input"
        raise ExportError(f"cannot index {directory}: {exc} (run 'archiver verify' to locate it)") from exc
    return len(files)


def pages_jsonl(pages: Sequence[Page], title: str) -> str:
    """The WACZ page list (``json-pages-1.0``): a header line, then one JSON line per page."""
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title})]
    for number, page in enumerate(pages, 1):
        lines.append(json.dumps({
            "id": f"page-{number}",
            "url": page.url,
            "ts": page.date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "title": page.title,
        }, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def catalog_pages(catalog: Catalog) -> list[Page]:
    """One page per original URL: its newest capture that stored a record, at its final URL."""
    pages = []
    for capture in catalog.latest_captures():
        if capture.location is None or not capture.final_url:
            continue
        title = capture.url if capture.final_url == capture.url else f"{capture.url} -> {capture.final_url}"
        pages.append(Page(capture.final_url, capture.time, title))
    return pages


def catalog_provenance(catalog: Catalog) -> dict[str, Any]:
    """Where every link came from and what became of it: the catalog as one JSON value.

    Holds the source documents, each link with its rot state and every place it is written
    (wrapped form, anchor, unwrap chain), every capture with its redirect chain and record
    location, and the runs. The same facts are in the WARC files' provenance metadata records;
    this is the form a person or a script can read without a WARC parser.
    """
    occurrences: dict[str, list[dict[str, Any]]] = {}
    for url, occ in catalog.occurrences():
        occurrences.setdefault(url, []).append(occ.to_json())
    captures: dict[str, list[dict[str, Any]]] = {}
    for capture in catalog.captures():
        entry = capture.to_json()
        entry["record"] = asdict(capture.location) if capture.location else None
        entry["changed"] = capture.changed
        captures.setdefault(capture.url, []).append(entry)
    return {
        "format": "archiver-provenance-1",
        "sources": [
            {"path": s.path, "sha256": s.sha256, "media_type": s.media_type,
             "record": asdict(s.location) if s.location else None}
            for s in catalog.sources()
        ],
        "links": [
            {"url": link.url, "first_seen": link.first_seen.isoformat(), "state": link.state,
             "first_rotted": link.first_rotted.isoformat() if link.first_rotted else None,
             "occurrences": occurrences.get(link.url, []), "captures": captures.get(link.url, [])}
            for link in catalog.links()
        ],
        "runs": [run.to_json() for run in catalog.runs()],
    }


def export_wacz(
    directory: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    pages: Sequence[Page],
    extra_files: Mapping[str, bytes] | None = None,
    title: str = "archiver capture",
    description: str | None = None,
    redactor: Redactor | None = None,
) -> WaczSummary:
    """Package every finished WARC file of ``directory`` as the WACZ file ``destination``.

    The package holds ``archive/`` (the WARC files, unchanged; with ``redactor``, copies whose
    metadata and resource records are redacted, see ``redact_warc``), ``indexes/index.cdx.gz``,
    ``pages/pages.jsonl`` (``pages``, in order), ``datapackage.json`` with every file's hash,
    and each of ``extra_files`` (plain names) under ``logs/``. ``destination`` is replaced only
    once the package is complete. Raises ExportError with ``wacz create``'s own words on failure,
    MissingPackageError without py-wacz.
    """
    require("wacz", "wacz")
    files = finished_warcs(directory)
    extra = dict(extra_files or {})
    for name in extra:
        if not name or "/" in name or name.startswith("."):
            raise ExportError(f"extra file name {name!r}: use a plain file name")
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with tempfile.TemporaryDirectory(prefix="archiver-wacz-") as work:
        if redactor is not None:  # the index and pages are then built from the copies
            files = _redacted_copies(files, Path(work) / "archive", redactor)
        page_list = Path(work) / "pages.jsonl"
        page_list.write_text(pages_jsonl(pages, title), encoding="utf-8")
        command = [
            sys.executable, "-m", "wacz", "create", "-o", str(partial),
            "-p", str(page_list), "--copy-pages", "--title", title,
        ]
        if description:
            command += ["--desc", description]
        if extra:
            extra_dir = Path(work) / EXTRA_DIRECTORY
            extra_dir.mkdir()
            for name, data in extra.items():
                (extra_dir / name).write_bytes(data)
            command += ["-l", str(extra_dir)]
        command += [str(path) for path in files]
        # A child process: py-wacz prints progress on stdout and alters cdxj-indexer's
        # defaults on import, neither of which belongs in our process.
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ExportError("wacz create failed: " + _wacz_failure(done.stderr or done.stdout, done.returncode))
    os.replace(partial, target)
    return WaczSummary(target, len(files), len(pages), tuple(f"{EXTRA_DIRECTORY}/{n}" for n in extra))


def _wacz_failure(output: str, returncode: int) -> str:
    """One line saying why ``wacz create`` failed: the final line of its output (with a traceback,
    the exception's message), control characters escaped; a damaged WARC file is named as such.

    A traceback is the child's internals, not something a user can act on.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode}"
    kind, colon, message = lines[-1].partition(": ")
    if colon and kind in _DAMAGED_INPUT_ERRORS:
        return f"a WARC file is damaged ({_printable(message)}); run 'archiver verify' to locate it"
    return _printable(lines[-1])


_DAMAGED_INPUT_ERRORS = frozenset({
    "warcio.exceptions.ArchiveLoadFailed", "zlib.error", "EOFError", "gzip.BadGzipFile",
})
"""The exceptions (as a traceback names them) the WARC reader raises on a damaged file."""
_MESSAGE_LIMIT = 160
"""Characters of a child's message kept: the reader quotes whole lines of the damaged bytes."""


def _printable(text: str) -> str:
    """``text`` on one line with control characters escaped, cut to ``_MESSAGE_LIMIT`` characters."""
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return escaped if len(escaped) <= _MESSAGE_LIMIT else escaped[: _MESSAGE_LIMIT - 1] + "…"


def _redacted_copies(files: Sequence[Path], folder: Path, redactor: Redactor) -> list[Path]:
    """Redacted copies of ``files`` in ``folder``, under the same names (the provenance names them)."""
    folder.mkdir()
    copies = []
    for path in files:
        copy = folder / path.name
        try:
            redact_warc(path, copy, redactor)
        except (ValueError, zlib.error, ArchiveLoadFailed) as exc:  # all mean "damaged input"
            raise ExportError(f"cannot redact {path}: {exc} (run 'archiver verify' to locate it)") from exc
        copies.append(copy)
    return copies
