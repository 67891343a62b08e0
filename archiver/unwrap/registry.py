"""The wrapper formats the unwrapper knows, in the order they are tried.

Adding a format is adding a module that defines ``FORMATS`` and naming it here. A format that
declares ``hosts`` (patterns, see ``hosts.py``) is indexed by them, so finding the format of a URL
costs a few dictionary look-ups however many formats there are; a format without ``hosts``
(such as Google's ``google.*``) is asked through its ``matches`` for every URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult

from . import opaque, proofpoint, redirectors, safelinks
from .base import WrapperFormat
from .hosts import host_keys

FORMATS: tuple[WrapperFormat, ...] = (
    *safelinks.FORMATS,
    *proofpoint.FORMATS,
    *redirectors.FORMATS,
    *opaque.FORMATS,
)

class FormatIndex:
    """The formats to try for a host: those indexed under one of its keys, then the unindexed."""

    def __init__(self, formats: Iterable[WrapperFormat]) -> None:
        self.formats = tuple(formats)
        self._by_key: dict[str, list[WrapperFormat]] = {}
        self._unindexed: list[WrapperFormat] = []
        for fmt in self.formats:
            patterns = getattr(fmt, "hosts", None)
            if not patterns:
                self._unindexed.append(fmt)
                continue
            for pattern in patterns:
                self._by_key.setdefault(pattern, []).append(fmt)

    def candidates(self, host: str) -> list[WrapperFormat]:
        """Formats whose host patterns match ``host``, in registry order, then the unindexed."""
        found: list[WrapperFormat] = []
        for key in host_keys(host):
            found += self._by_key.get(key, ())
        if len(found) > 1:
            found.sort(key=self.formats.index)
        return found + self._unindexed

    def find(self, parts: SplitResult) -> tuple[WrapperFormat | None, str | None]:
        """Return the format of the URL split as ``parts``, or one it resembles by structure.

        The second value is a repair sentence when the host was recognised as a damaged form of
        a wrapper host (such as ``urldfense.com``) rather than matched exactly.
        """
        host = (parts.hostname or "").rstrip(".")
        for fmt in self.candidates(host):
            if fmt.matches(host, parts.path):
                return fmt, None
        for fmt in self.formats:
            resembles = getattr(fmt, "resembles", None)
            if resembles is not None and resembles(host, parts):
                return fmt, f"recognised {host!r} as a damaged {fmt.kind} host by the URL's structure"
        return None, None


INDEX = FormatIndex(FORMATS)


def find_format(parts: SplitResult) -> tuple[WrapperFormat | None, str | None]:
    """Return the format of the URL split as ``parts`` (see ``FormatIndex.find``)."""
    return INDEX.find(parts)
