"""Fetcher settings and the size parser behind ``--max-size``."""

from __future__ import annotations

import re
from decimal import Decimal
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .targets import SCHEMES, url_flaw

PROJECT_URL = "https://pypi.org/project/archiver/"
"""Where a site operator who sees our user agent in their logs can read what we are."""

ROBOTS_CHOICES = ("obey", "ignore")


def default_user_agent() -> str:
    """``archiver/<version> (+<project URL>)``: names the tool and its version, as polite bots do."""
    # Imported here, not at module level: archiver/__init__ may import this package while
    # it is still being initialised.
    from .. import __version__

    return f"archiver/{__version__} (+{PROJECT_URL})"


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch: limits, politeness, safety. The defaults are polite and safe.

    ``timeout`` bounds one whole fetch: from the moment its first request is sent to the end of
    its last body, redirect hops, retries and back-off waits included (time spent queued for a
    concurrency slot before the first request does not count). ``connect_timeout`` and
    ``read_timeout`` bound each connection attempt and each wait for data. ``host_delay`` is the
    minimum time between the starts of two requests to one host name. ``robots`` is ``"obey"``
    by default (archiver asks before it fetches, as a polite bot should); ``"ignore"`` skips
    robots.txt. ``spool_dir`` is where response bodies are streamed to (the system temp folder
    when None). ``backoff`` is the base of the exponential back-off between retries, in seconds.
    ``proxy`` is an http:// or https:// proxy URL every request goes through (no SOCKS).
    """

    concurrency: int = 8
    per_host: int = 2
    host_delay: float = 1.0
    max_redirects: int = 10
    max_size: int = 50 * 2**20
    timeout: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    retry_after_cap: float = 60.0
    backoff: float = 1.0
    user_agent: str = field(default_factory=default_user_agent)
    proxy: str | None = None
    allow_private: bool = False
    robots: str = "obey"
    spool_dir: Path | None = None

    def __post_init__(self) -> None:
        # A bad option is a caller's mistake: stop at once with a message naming it.
        for name in ("concurrency", "per_host", "max_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")
        for name in ("max_redirects", "retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)!r}")
        for name in ("timeout", "connect_timeout", "read_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        for name in ("host_delay", "retry_after_cap", "backoff"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative")
        if self.robots not in ROBOTS_CHOICES:
            raise ValueError(f"robots must be one of {', '.join(ROBOTS_CHOICES)}, not {self.robots!r}")
        if self.proxy is not None and not _is_http_proxy(self.proxy):
            raise ValueError(
                f"--proxy must be an http:// or https:// URL such as http://proxy.example:3128, not {self.proxy!r}"
            )


def _is_http_proxy(url: str) -> bool:
    """Whether ``url`` is a proxy httpx can use without extras: http(s), a host, a valid port."""
    # Anything else fails only when the client is made (socks5 needs the socksio package).
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    return parsed.scheme in SCHEMES and url_flaw(parsed) is None


_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Read a byte count such as ``"5MB"``, ``"1.5 GiB"`` or ``"2048"`` (for ``--max-size``).

    KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024, a bare number is bytes; units are
    case-insensitive. Raises ValueError with a message saying what is accepted.
    """
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(
            f"invalid size {text!r}: use a number of bytes or a number with KB, MB, GB, KiB, MiB or GiB"
        )
    size = int(Decimal(match.group(1)) * _UNITS[unit])
    if size < 1:
        raise ValueError(f"invalid size {text!r}: it must be at least one byte")
    return size
