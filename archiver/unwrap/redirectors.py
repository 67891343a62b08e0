"""Redirectors and click-time link checkers that carry the original URL in one place, as a table.

Each row: kind, host patterns (see ``hosts.py``), path rule, where the payload is, how it is
decoded (percent-decoding once unless the row says otherwise). Sources: docs/wrapper-formats.md
section 3.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult

from .params import PayloadWrapper, Locator, any_path, base64_decode, exact_paths, param

# google.com, www.google.de, google.co.uk, www.google.com.au: a "google" label followed by a
# country or generic top-level name only, so google.com.evil.example is not Google.
_GOOGLE_HOST = re.compile(r"(?:[a-z0-9-]+\.)*google(?:\.com?)?\.[a-z]{2,3}")


def _path_segment_after(prefix: str) -> Locator:
    """Locator: the path segment right after ``prefix`` (AWS SES: ``/L0/<payload>/1/...``)."""

    def locate(url: str, parts: SplitResult) -> str | None:
        if not parts.path.startswith(prefix):
            return None
        return parts.path[len(prefix) :].partition("/")[0]

    locate.__doc__ = f"path segment after {prefix}"
    return locate


def _last_path_segment(url: str, parts: SplitResult) -> str | None:
    """last path segment"""
    return parts.path.rpartition("/")[2]


def _hosts(*patterns: str) -> frozenset[str]:
    return frozenset(patterns)


FORMATS = (
    PayloadWrapper(
        "google",
        _hosts(),
        exact_paths("/url"),
        param("q", "url"),
        host_rule=lambda host: _GOOGLE_HOST.fullmatch(host) is not None,
    ),
    PayloadWrapper(
        "facebook", _hosts("l.facebook.com", "lm.facebook.com"), exact_paths("/l.php"), param("u")
    ),
    PayloadWrapper("messenger", _hosts("l.messenger.com"), exact_paths("/l.php"), param("u")),
    PayloadWrapper("instagram", _hosts("l.instagram.com"), exact_paths(""), param("u")),
    # Seen as linkprotect.cudasvc.com/url?a= and x.linkprotect.cudasvc.com/?a=: the host serves
    # nothing but link protection, so any path.
    PayloadWrapper(
        "barracuda", _hosts("linkprotect.cudasvc.com", "*.linkprotect.cudasvc.com"), any_path, param("a")
    ),
    PayloadWrapper(
        "trendmicro",
        _hosts("*.trendmicro.com"),
        exact_paths("/wis/clicktime/v1/query"),
        param("url"),
    ),
    PayloadWrapper(
        "sophos",
        _hosts("*.protection.sophos.com"),
        exact_paths(""),
        param("u"),
        decode_payload=base64_decode,
    ),
    PayloadWrapper("symantec", _hosts("clicktime.symantec.com"), any_path, param("u")),
    PayloadWrapper("fireeye", _hosts("protect2.fireeye.com"), exact_paths("/v1/url", "/url"), param("u")),
    PayloadWrapper("cisco", _hosts("secure-web.cisco.com"), any_path, _last_path_segment),
    PayloadWrapper("aws-ses", _hosts("*.awstrack.me"), any_path, _path_segment_after("/L0/")),
    PayloadWrapper(
        "linkedin",
        _hosts("linkedin.com", "www.linkedin.com"),
        exact_paths("/redir/redirect", "/safety/go"),
        param("url"),
    ),
    PayloadWrapper("slack", _hosts("slack-redir.net"), exact_paths("/link"), param("url")),
    PayloadWrapper(
        "youtube",
        _hosts("youtube.com", "www.youtube.com", "m.youtube.com"),
        exact_paths("/redirect"),
        param("q"),
    ),
    PayloadWrapper("vk", _hosts("vk.com", "m.vk.com"), exact_paths("/away.php"), param("to")),
    PayloadWrapper("whatsapp", _hosts("l.wl.co"), exact_paths("/l"), param("u")),
    PayloadWrapper("esvalabs", _hosts("urlsand.esvalabs.com"), any_path, param("u")),
)
