"""The canonical form of a URL: the key links are deduplicated on.

Two spellings of one address get one key: scheme and host lower-cased, default ports dropped,
percent-encoding made consistent (upper-case hex, unreserved characters decoded, characters that
must be encoded encoded), tracking parameters removed. The fragment is split off: it names a place
in the page, not a different page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# What needs a change: a "%" that starts no escape, lower-case hex, an escaped unreserved
# character, or a character RFC 3986 does not allow bare in a path, query or fragment.
_NEEDS_WORK = re.compile(
    r"%(?![0-9A-Fa-f]{2})"
    r"|%(?:[0-9A-F][a-f]|[a-f][0-9A-Fa-f])"
    r"|%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])"
    r"|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]"
)

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ymclid",
        "mc_eid", "mc_cid", "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "hsctatracking",
        "mkt_tok", "igshid", "igsh", "twclid", "ttclid", "li_fat_id", "_gl",
        "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "wickedid",
    }
)  # fmt: skip
"""Query parameters that only identify a click or a campaign (plus every ``utm_*``)."""


@dataclass(frozen=True)
class Canonical:
    """A URL in canonical form, the tracking parameters removed from it, and its fragment."""

    url: str
    removed_params: tuple[str, ...] = ()
    fragment: str | None = None


def canonical_url(url: str, *, keep_tracking: bool = False) -> Canonical:
    """Return the canonical form of ``url`` (absolute or relative); never raises.

    A URL that cannot be parsed is returned unchanged, so it still gets a key of its own.
    """
    return _canonical(url, keep_tracking)


def is_tracking_param(name: str) -> bool:
    """True for a query parameter name that only tracks clicks (``utm_source``, ``fbclid``...)."""
    key = name.lower()
    if "%" in key or "+" in key:
        key = unquote_plus(key)
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def normalize_percent(component: str) -> str:
    """Make percent-encoding consistent: ``%xx`` upper-cased, unreserved decoded, the rest encoded."""
    return _NEEDS_WORK.sub(_fix_one, component)


@lru_cache(maxsize=65536)
def _canonical(url: str, keep_tracking: bool) -> Canonical:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return Canonical(url)
    scheme = parts.scheme.lower()
    netloc = _netloc(parts, scheme, port)
    path = normalize_percent(parts.path)
    if netloc and not path:
        path = "/"
    query, removed = _query(parts.query, keep_tracking)
    fragment = normalize_percent(parts.fragment) if parts.fragment else None
    return Canonical(urlunsplit((scheme, netloc, path, query, "")), removed, fragment)


def _netloc(parts: SplitResult, scheme: str, port: int | None) -> str:
    if not parts.netloc:
        return ""
    userinfo, at, _ = parts.netloc.rpartition("@")
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    return f"{normalize_percent(userinfo)}{at}{host}"


def _query(query: str, keep_tracking: bool) -> tuple[str, tuple[str, ...]]:
    if not query:
        return "", ()
    kept: list[str] = []
    removed: list[str] = []
    for pair in query.split("&"):
        name = pair.partition("=")[0]
        if not keep_tracking and name and is_tracking_param(name):
            removed.append(unquote_plus(name))
        else:
            kept.append(normalize_percent(pair))
    return "&".join(kept), tuple(removed)


def _fix_one(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 3:  # an escape: decode it if unreserved, else upper-case its hex
        char = chr(int(text[1:], 16))
        return char if char in _UNRESERVED else text.upper()
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", "surrogatepass"))
