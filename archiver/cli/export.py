"""``archiver export``: the archive as one WACZ package, with a page list and the provenance."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import exitcodes
from ..catalog import CATALOG_NAME, Catalog, CatalogError
from ..export import ExportError, MissingPackageError, Page, catalog_pages, catalog_provenance, export_wacz
from ..redact import redactor_for
from ._archive_arg import add_archive_argument, share_failure

PROVENANCE_NAME = "provenance.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="package the archive as a WACZ file (ReplayWeb.page opens it)",
        description="Write a WACZ package: the WARC files, a CDX index, pages/pages.jsonl (one page "
        f"per original URL's newest capture) and logs/{PROVENANCE_NAME} (sources, links, where "
        "each is written, every capture). Without --redact the package holds the links as found, "
        "recipient data included (in the provenance, the WARC metadata records and the source "
        "documents): share it with care.",
    )
    add_archive_argument(parser)
    parser.add_argument("--wacz", type=Path, required=True, metavar="FILE",
                        help="the WACZ file to write (replaced only when complete)")
    parser.add_argument("--title", default=None, metavar="TEXT",
                        help="the package's title (default: the archive folder's name)")
    parser.add_argument("--redact", action="store_true",
                        help="hide recipient addresses, message and tenant ids and Proofpoint tokens "
                        "and customer ids in the package (provenance, metadata and source-document "
                        "records); captured pages are copied unchanged. The archive is not modified")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    catalog_path = args.archive / CATALOG_NAME
    if not catalog_path.is_file():
        print(f"archiver export: error: {args.archive}: no {CATALOG_NAME}; run 'archiver reindex' "
              "to rebuild it from the WARC files", file=sys.stderr)
        return exitcodes.ARCHIVE_PROBLEM
    try:
        with Catalog(catalog_path) as catalog:
            pages = catalog_pages(catalog)
            provenance = catalog_provenance(catalog)
            redactor = redactor_for(occ.chain for _, occ in catalog.occurrences()) if args.redact else None
        if redactor is not None:
            provenance = redactor.value(provenance)
            pages = [Page(page.url, page.date, redactor.text(page.title)) for page in pages]
        title = args.title or f"archiver: {args.archive.resolve().name}"
        summary = export_wacz(
            args.archive, args.wacz, pages=pages, title=title, redactor=redactor,
            extra_files={PROVENANCE_NAME: json.dumps(provenance, ensure_ascii=False, indent=1).encode("utf-8")},
        )
    except (ExportError, CatalogError, MissingPackageError, OSError) as exc:
        return share_failure("export", exc, args.wacz)
    print(f"archiver export: wrote {summary.path}: {summary.warc_count} WARC file(s), "
          f"{summary.page_count} page(s), {', '.join(summary.extra_files)}"
          + (" (redacted)" if args.redact else ""), file=sys.stderr)
    return exitcodes.OK
