"""Wrappers that carry the original URL in one place of their own URL: find it, decode it once.

``PayloadWrapper`` is one row of such a table (redirectors, Safe Links); the helpers here find a
payload in the raw URL text (a query parameter, a path segment) and decode it. Query values
are read from the raw text by name, never through ``parse_qs`` (which turns ``+`` into a space
and would decode a second time).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, unquote_to_bytes

from .base import Decoded, DecodeFailure, LazyFields
from .hosts import host_matches

_NOT_UTF8_BYTE = re.compile("[\udc80-\udcff]")


def query_value(url: str, name: str) -> str | None:
    """Return the raw value of the first query parameter called ``name`` in ``url``, or None.

    The value runs to the next ``&`` or ``#``. The name is matched exactly (case-sensitive), and
    only at the start of a parameter, so ``xurl=`` is never taken for ``url=``.
    """
    start = url.find("?")
    if start < 0:
        return None
    key = name + "="
    at = start
    while True:
        at = url.find(key, at + 1)
        if at < 0:
            return None
        if url[at - 1] in "?&":
            break
    begin = at + len(key)
    end = len(url)
    for stop in "&#":
        found = url.find(stop, begin, end)
        if found >= 0:
            end = found
    return url[begin:end]


def percent_decode(value: str) -> tuple[str, tuple[str, ...]]:
    """Decode ``%XX`` escapes in ``value`` once, as UTF-8, keeping ``+`` as it is.

    Bytes that are not valid UTF-8 stay as ``%XX`` escapes (that is how such a byte is written
    in a URL), and a sentence saying so is returned for the record. A ``%`` not followed by two
    hex digits is kept as it is.
    """
    if "%" not in value:
        return value, ()
    try:
        raw = value.encode("utf-8", "surrogateescape")  # bytes that came in undecodable
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogatepass")
    try:
        # The hot path of the whole unwrapper: turn every %XX into \xXX (after doubling real
        # backslashes) and let the C escape decoder do in one call what unquote does escape by
        # escape in Python (about 8 times faster).
        data = codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:  # a '%' not followed by two hex digits
        data = unquote_to_bytes(raw)
    return bytes_to_url(data)


def bytes_to_url(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Turn a decoded payload's bytes into URL text: UTF-8, other bytes written as ``%XX``."""
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
        text, count = _NOT_UTF8_BYTE.subn(lambda m: f"%{ord(m.group()) - 0xDC00:02X}", text)
        return text, (f"kept {count} byte(s) that are not UTF-8 as %XX escapes",)


PathRule = Callable[[str, str], bool]
"""Given the host (already matched) and the path, says whether this is the wrapper's page."""
Locator = Callable[[str, SplitResult], str | None]
PayloadDecoder = Callable[[str], tuple[str, tuple[str, ...]]]
FieldReader = Callable[[str, SplitResult], dict[str, str]]


def any_path(host: str, path: str) -> bool:
    """Path rule for wrappers that accept any path on their host."""
    return True


def exact_paths(*paths: str) -> PathRule:
    """Path rule: one of ``paths``, ignoring a trailing slash (``""`` is the root)."""
    wanted = frozenset(p.rstrip("/") for p in paths)
    return lambda host, path: path.rstrip("/") in wanted


def param(*names: str) -> Locator:
    """Locator: the raw value of the first of ``names`` present with a non-empty value."""

    def locate(url: str, parts: SplitResult) -> str | None:
        for name in names:
            value = query_value(url, name)
            if value:
                return value
        return None

    locate.__doc__ = " or ".join(f"{name}=" for name in names)
    return locate


def base64_decode(value: str) -> tuple[str, tuple[str, ...]]:
    """Decode a standard (or URL-safe) base64 payload, padding optional, into URL text.

    A ``%XX`` in the value is transport encoding of base64 characters (``%3D`` for ``=``) and is
    undone first; base64 itself never contains ``%``.
    """
    if "%" in value:
        value = unquote(value)
    value = value.translate(_URLSAFE_TO_STANDARD).rstrip("=")
    try:
        data = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeFailure(f"payload is not base64 ({exc})") from None
    return bytes_to_url(data)


_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


@dataclass(frozen=True)
class PayloadWrapper:
    """A wrapper that carries the original URL in one place of its own URL (one table row).

    ``hosts`` are host patterns (see ``hosts.py``), or ``host_rule`` decides when the hosts are
    not a fixed list; ``path`` says which paths on those hosts are the wrapper; ``locate`` finds
    the raw payload; ``decode_payload`` decodes it once; ``read_fields`` reports what else the
    wrapper carried.
    """

    kind: str
    hosts: frozenset[str]
    path: PathRule
    locate: Locator
    decode_payload: PayloadDecoder = percent_decode
    read_fields: FieldReader | None = None
    host_rule: Callable[[str], bool] | None = None
    opaque: bool = False

    def matches(self, host: str, path: str) -> bool:
        """True when ``host`` and ``path`` are this wrapper's."""
        if self.host_rule is not None:
            host_ok = self.host_rule(host)
        else:
            host_ok = host_matches(host, self.hosts)
        return host_ok and self.path(host, path)

    def decode(self, url: str, parts: SplitResult) -> Decoded:
        """Return the URL this wrapper carried, decoded once, and the wrapper's own fields."""
        raw = self.locate(url, parts)
        if not raw:
            where = self.locate.__doc__ or "its payload"
            raise DecodeFailure(f"no {where} carrying the wrapped URL")
        inner, notes = self.decode_payload(raw)
        if self.read_fields is None:
            return Decoded(inner, {}, notes)
        read = self.read_fields
        return Decoded(inner, LazyFields(lambda: read(url, parts)), notes)
