"""archiver: unwrap e-mail security links and archive the original pages as WARC snapshots.

The public API, re-exported from the modules that implement it.
"""

from .unwrap import UnwrapError, Unwrapped, unwrap, unwrap_chain

__version__ = "0.1.0"

__all__ = ["UnwrapError", "Unwrapped", "__version__", "unwrap", "unwrap_chain"]
