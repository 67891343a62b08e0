"""Exit statuses of the ``archiver`` command, documented in the README."""

OK = 0
"""Everything asked for was done."""
FAILED_ITEMS = 1
"""The command ran to the end, but at least one item (URL, file, link) failed; each was reported."""
USAGE = 2
"""The command line was wrong (argparse's own convention)."""
LOCKED = 3
"""Another archiver process holds the archive's lock."""
ARCHIVE_PROBLEM = 4
"""The archive itself is damaged or inconsistent (``verify``) or cannot be written."""
INTERRUPTED = 130
"""Stopped by Ctrl-C or SIGTERM after finishing the records in hand."""
