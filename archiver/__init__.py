"""archiver: unwrap e-mail security links and archive the original pages as WARC snapshots.

The public API, re-exported from the modules that implement it. The unwrapping and link-finding
names load at once; the archiving ones (httpx, SQLite, WARC) only when first used, so that
``from archiver import unwrap`` stays light. (``refresh`` is not re-exported: the name is
its module's; use ``from archiver.refresh import refresh, RefreshOptions``.)
"""

from importlib import import_module
from typing import Any

from .links import Link, Occurrence, extract_links, find_links
from .sources import Source, SourceProblem, read_sources
from .unwrap import UnwrapError, Unwrapped, unwrap, unwrap_chain

__version__ = "0.1.0"

_LAZY = {
    "run": "pipeline",
    "RunOptions": "pipeline",
    "RunReport": "pipeline",
    "FetchOptions": "fetch",
    "fetch_many": "fetch",
    "Catalog": "catalog",
    "WarcWriter": "warc",
    "verify_archive": "verify",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'archiver' has no attribute {name!r}")


__all__ = [
    "Catalog",
    "FetchOptions",
    "Link",
    "Occurrence",
    "RunOptions",
    "RunReport",
    "Source",
    "SourceProblem",
    "UnwrapError",
    "Unwrapped",
    "WarcWriter",
    "__version__",
    "extract_links",
    "fetch_many",
    "find_links",
    "read_sources",
    "run",
    "unwrap",
    "unwrap_chain",
    "verify_archive",
]
