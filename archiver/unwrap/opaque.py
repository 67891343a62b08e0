"""Wrappers that cannot be decoded offline: recognised, reported as ``opaque``, left unchanged.

Mimecast URL Protect carries only an opaque token (``domain=`` is just the host), and
shorteners keep the target on their server; resolving either needs a request, which the
unwrapper never makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult

from .base import Decoded, DecodeFailure
from .hosts import host_matches


@dataclass(frozen=True)
class OpaqueWrapper:
    """A wrapper recognised by its host (and path prefix); ``decode`` is never called for it."""

    kind: str
    hosts: frozenset[str]
    path_prefix: str = ""
    opaque: bool = True

    def matches(self, host: str, path: str) -> bool:
        """True when ``host`` is this wrapper's and ``path`` starts with its prefix."""
        return host_matches(host, self.hosts) and path.startswith(self.path_prefix)

    def decode(self, url: str, parts: SplitResult) -> Decoded:
        """Opaque wrappers carry no URL that can be read offline."""
        raise DecodeFailure(f"{self.kind} links cannot be decoded offline")


FORMATS = (
    # Old TTP hosts (protect-eu.mimecast.com) and, since 2023-24, url.<region>.<m|a>.mimecastprotect.com.
    # Only /s/<token> links: www.mimecast.com is Mimecast's own site, not a wrapper.
    OpaqueWrapper("mimecast", frozenset({"*.mimecast.com", "*.mimecastprotect.com"}), "/s/"),
    OpaqueWrapper(
        "shortener",
        frozenset(
            {
                "t.co",
                "bit.ly",
                "bitly.com",
                "j.mp",
                "lnkd.in",
                "tinyurl.com",
                "ow.ly",
                "buff.ly",
                "trib.al",
                "aka.ms",
                "goo.gl",
                "rebrand.ly",
                "is.gd",
                "cutt.ly",
                "shorturl.at",
                "t.ly",
                "tiny.cc",
                "rb.gy",
                "dlvr.it",
                "fb.me",
                "youtu.be",
                "amzn.to",
                "spr.ly",
            }
        ),
    ),
)
