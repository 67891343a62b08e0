"""archiver: unwrap e-mail security links and archive the original pages as WARC snapshots.

The public API, re-exported from the modules that implement it.
"""

from .links import Link, Occurrence, extract_links, find_links
from .sources import Source, SourceProblem, read_sources
from .unwrap import UnwrapError, Unwrapped, unwrap, unwrap_chain

__version__ = "0.1.0"

__all__ = [
    "Link",
    "Occurrence",
    "Source",
    "SourceProblem",
    "UnwrapError",
    "Unwrapped",
    "__version__",
    "extract_links",
    "find_links",
    "read_sources",
    "unwrap",
    "unwrap_chain",
]
