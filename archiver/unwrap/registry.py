"""The wrapper formats the unwrapper knows, in the order they are tried.

Adding a format is adding a module that defines ``FORMATS`` and naming it here. A format that
declares ``hosts`` (patterns, see ``hosts.py``) is indexed by them, so finding the format of a URL
costs a few dictionary look-ups however many formats there are; a format without ``hosts``
(such as Google's ``google.*``) is asked through its ``matches`` for every URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult

from . import opaque, proofpoint, redirectors, safelinks
from .base import WrapperFormat
from .hosts import MAX_HOST_LENGTH, host_keys

FORMATS: tuple[WrapperFormat, ...] = (
    *safelinks.FORMATS,
    *proofpoint.FORMATS,
    *redirectors.FORMATS,
    *opaque.FORMATS,
)

# The parts of an absolute URL in one match, in C: most URLs the unwrapper looks at are not
# wrapped, and for those this is all the work there is. (urllib's urlsplit costs several times
# more and its extra checks, for browsers' sake, do not matter to an offline decoder.)
_SCHEME_AUTHORITY_PATH = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)")

_CACHE_SIZE = 8192
"""Hosts whose candidate formats are remembered; the memory is dropped whole when full."""

Found = tuple[WrapperFormat, SplitResult, str | None]
"""A format, the URL split into its parts, and a repair sentence when the host was damaged."""


def split_url(text: str) -> tuple[str, SplitResult] | None:
    """The lower-cased host (no port, user or trailing dot) and the parts of an absolute URL.

    None when ``text`` is not ``scheme://...``: every wrapper is an absolute URL.
    """
    match = _SCHEME_AUTHORITY_PATH.match(text)
    if match is None:
        return None
    scheme, netloc, path = match.groups()
    # Query and fragment by plain searches, which run in C at memchr speed.
    end = match.end()
    hash_mark = text.find("#", end)
    fragment = "" if hash_mark < 0 else text[hash_mark + 1 :]
    query_end = len(text) if hash_mark < 0 else hash_mark
    query = text[end + 1 : query_end] if end < query_end and text[end] == "?" else ""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else ""  # unclosed: no valid host
    else:
        host = host.partition(":")[0]
    parts = SplitResult(scheme.lower(), netloc, path, query, fragment)
    return host.lower().rstrip("."), parts


class FormatIndex:
    """The formats to try for a host: those indexed under one of its keys, then the unindexed."""

    def __init__(self, formats: Iterable[WrapperFormat]) -> None:
        self.formats = tuple(formats)
        self._by_key: dict[str, list[WrapperFormat]] = {}
        self._unindexed: list[WrapperFormat] = []
        self._resemblers = [fmt for fmt in self.formats if hasattr(fmt, "resembles")]
        self._cache: dict[str, tuple[WrapperFormat, ...]] = {}
        for fmt in self.formats:
            patterns = getattr(fmt, "hosts", None)
            if not patterns:
                self._unindexed.append(fmt)
                continue
            for pattern in patterns:
                self._by_key.setdefault(pattern, []).append(fmt)

    def candidates(self, host: str) -> tuple[WrapperFormat, ...]:
        """Formats whose host patterns match ``host``, in registry order, then the unindexed."""
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        found: list[WrapperFormat] = []
        for key in host_keys(host):
            found += self._by_key.get(key, ())
        found.sort(key=self.formats.index)
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        result = (*found, *self._unindexed)
        if len(host) <= MAX_HOST_LENGTH:  # never keep a megabyte-long "host" as a key
            self._cache[host] = result
        return result

    def find(self, text: str) -> Found | None:
        """Return the format of the URL ``text`` (or one it resembles by structure), or None."""
        located = split_url(text)
        if located is None:
            return None
        host, parts = located
        for fmt in self.candidates(host):
            if fmt.matches(host, parts.path):
                return fmt, parts, None
        for fmt in self._resemblers:
            if fmt.resembles(host, parts):  # type: ignore[attr-defined]
                return fmt, parts, f"recognised {host!r} as a damaged {fmt.kind} host by the URL's structure"
        return None


INDEX = FormatIndex(FORMATS)


def find_format(text: str) -> Found | None:
    """Return the format of the URL ``text`` (see ``FormatIndex.find``)."""
    return INDEX.find(text)
