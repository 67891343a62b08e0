"""The wrapper formats the unwrapper knows, in the order they are tried.

Adding a format is adding a module that defines ``FORMATS`` and naming it here. A format that
declares ``hosts`` (patterns, see ``hosts.py``) is indexed by them, so finding the format of a URL
costs a few dictionary look-ups however many formats there are; a format without ``hosts``
(such as Google's ``google.*``) is asked through its ``matches`` for every URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from . import opaque, proofpoint, redirectors, safelinks
from .base import WrapperFormat
from .hosts import host_keys

FORMATS: tuple[WrapperFormat, ...] = (
    *safelinks.FORMATS,
    *proofpoint.FORMATS,
    *redirectors.FORMATS,
    *opaque.FORMATS,
)

# Scheme, authority and path of an absolute URL, found without the cost of a full parse: most
# URLs the unwrapper looks at are not wrapped, and for those this is all the work there is.
_AUTHORITY_AND_PATH = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)([^?#]*)")

Found = tuple[WrapperFormat, SplitResult, str | None]
"""A format, the URL split by ``urlsplit``, and a repair sentence when the host was damaged."""


def host_and_path(text: str) -> tuple[str, str] | None:
    """The lower-cased host (no port, user or trailing dot) and the raw path of an absolute URL."""
    match = _AUTHORITY_AND_PATH.match(text)
    if match is None:
        return None
    netloc, path = match.groups()
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    else:
        host = host.partition(":")[0]
    return host.lower().rstrip("."), path


class FormatIndex:
    """The formats to try for a host: those indexed under one of its keys, then the unindexed.

    A format with a ``resembles`` method (recognising damaged hosts) may declare the hosts it
    could resemble as ``resembles_hosts``; it is then asked only about those.
    """

    def __init__(self, formats: Iterable[WrapperFormat]) -> None:
        self.formats = tuple(formats)
        self._by_key: dict[str, list[WrapperFormat]] = {}
        self._unindexed: list[WrapperFormat] = []
        self._resemblers = [fmt for fmt in self.formats if hasattr(fmt, "resembles")]
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
            indexed = self._by_key.get(key)
            if indexed:
                found += indexed
        if len(found) > 1:
            found.sort(key=self.formats.index)
        return found + self._unindexed

    def find(self, text: str) -> Found | None:
        """Return the format of the URL ``text`` (or one it resembles by structure), or None.

        Raises ValueError (from ``urlsplit``) when a URL on a wrapper's host cannot be parsed.
        """
        located = host_and_path(text)
        if located is None:
            return None
        host, path = located
        for fmt in self.candidates(host):
            if fmt.matches(host, path):
                return fmt, urlsplit(text), None
        for fmt in self._resemblers:
            gate = getattr(fmt, "resembles_hosts", None)
            if gate is not None and host not in gate:
                continue
            parts = urlsplit(text)
            if fmt.resembles(host, parts):  # type: ignore[attr-defined]
                return fmt, parts, f"recognised {host!r} as a damaged {fmt.kind} host by the URL's structure"
        return None


INDEX = FormatIndex(FORMATS)


def find_format(text: str) -> Found | None:
    """Return the format of the URL ``text`` (see ``FormatIndex.find``)."""
    return INDEX.find(text)
