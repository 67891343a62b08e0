"""Link rot: which capture outcomes mean a page is gone, as opposed to a passing failure.

Pure functions over URLs and statuses, so the rule is testable on its own; the catalog applies it
to every capture it records (and so again on a rebuild from the WARC files).

A link is rotted when it answers 404 or 410, when its host no longer resolves, or when it now
redirects to an unrelated page: the site's home page (final path ``/`` or empty while the page
it used to reach had a longer path) or another registered domain. Timeouts, refused connections
and 5xx answers say nothing about the page and leave the verdict as it was.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import tldextract

GONE_STATUSES = frozenset({404, 410})
"""HTTP statuses that mean the page is gone (not a server having a bad day)."""
GONE_ERRORS = frozenset({"dns"})
"""Fetch error kinds that mean the site is gone."""

# The Public Suffix List snapshot bundled with tldextract: never fetched over the network.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    """The domain a registrant owns (``news.bbc.co.uk`` -> ``bbc.co.uk``), lower-cased.

    An IP address, ``localhost`` or a name under no known public suffix is its own domain.
    """
    host = host.lower().rstrip(".")
    return _EXTRACT(host).top_domain_under_public_suffix or host


def redirected_away(reference: str, final: str) -> bool:
    """True when ``final`` is an unrelated page compared with ``reference`` (both absolute URLs).

    Unrelated: another registered domain, or the site's root while ``reference`` was a page
    below it. A move within the site (``http`` -> ``https``, ``www.``, a new path) is not.
    """
    ref, end = urlsplit(reference), urlsplit(final)
    if registered_domain(ref.hostname or "") != registered_domain(end.hostname or ""):
        return True
    return _is_root(end.path) and not _is_root(ref.path)


def rot_reason(status: int | None, error_kind: str | None, reference: str | None,
               final_url: str | None) -> str | None:
    """Why one capture shows the page rotted, or None when it does not.

    ``reference`` is where the link led when it was first archived fine (None when it never
    was): a redirect is only judged against it, since a link may legitimately redirect from
    its very first capture (a URL shortener, ``http`` -> ``https``).
    """
    if status in GONE_STATUSES:
        return f"HTTP {status}"
    if error_kind in GONE_ERRORS:
        return "host no longer resolves"
    if (status is not None and status < 400 and reference and final_url
            and redirected_away(reference, final_url)):
        return f"redirects to an unrelated page ({final_url})"
    return None


def _is_root(path: str) -> bool:
    return path in ("", "/")


__all__ = ["GONE_ERRORS", "GONE_STATUSES", "redirected_away", "registered_domain", "rot_reason"]
