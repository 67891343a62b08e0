"""WARC/1.1 output: exchanges, provenance and sources as gzip-per-record ``.warc.gz`` files.

``records`` builds header fields, HTTP blocks and digests; ``writer`` owns files (naming,
``.open`` then rename, roll-over); ``repair`` finishes files left by a crash; ``reader`` reads
records back through warcio.
"""

from .reader import StoredRecord, iter_records, warc_files
from .records import REVISIT_PROFILE, metadata_subject, metadata_uri, parse_warc_date, target_uri
from .repair import repair_open_files
from .writer import RecordRef, WarcWriter

__all__ = [
    "REVISIT_PROFILE",
    "RecordRef",
    "StoredRecord",
    "WarcWriter",
    "iter_records",
    "metadata_subject",
    "metadata_uri",
    "parse_warc_date",
    "repair_open_files",
    "target_uri",
    "warc_files",
]
