"""Link rot: which capture outcomes mean a page is gone, as opposed to a passing failure.

Pure functions over URLs and statuses, so the rule is testable on its own; the catalog applies it
to every capture it records (and so again on a rebuild from the WARC files).

A link that was archived fine is rotted when it answers 404 or 410, when its host no longer
resolves on two captures in a row (once could be the resolver, or this machine being offline:
a nightly refresh during an outage must not rot the whole archive), or when it now redirects
to an unrelated page: the site's home page (``/``, ``/index.html`` and the like, while the page
it used to reach was below it) or another registered domain. Timeouts, refused connections and
5xx answers say nothing about the page and leave the verdict as it was. A link never archived
fine cannot rot: it was never there to lose.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import tldextract

GONE_STATUSES = frozenset({404, 410})
"""HTTP statuses that mean the page is gone (not a server having a bad day)."""
GONE_ERRORS = frozenset({"dns"})
"""Fetch error kinds that mean the site is gone, when seen on two captures in a row."""
HOME_PAGES = frozenset({"", "/", "/index.html", "/index.htm", "/index.php", "/index.asp",
                        "/index.aspx", "/default.aspx", "/default.asp", "/home", "/home/"})
"""Paths that are a site's home page."""

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
               final_url: str | None, previous_error_kind: str | None = None) -> str | None:
    """Why one capture shows the page rotted, or None when it does not.

    ``reference`` is where the link led when it was first archived fine (None when it never
    was: then nothing can rot). A redirect is only judged against it, since a link may
    legitimately redirect from its very first capture (a URL shortener, ``http`` -> ``https``).
    ``previous_error_kind`` is the error of the link's capture before this one: a host that does
    not resolve is only gone when it did not resolve then either.
    """
    if reference is None:
        return None
    if status in GONE_STATUSES:
        return f"HTTP {status}"
    if error_kind in GONE_ERRORS and previous_error_kind in GONE_ERRORS:
        return "host no longer resolves"
    if status is not None and status < 400 and final_url and redirected_away(reference, final_url):
        return f"redirects to an unrelated page ({final_url})"
    return None


def _is_root(path: str) -> bool:
    return path.lower() in HOME_PAGES


__all__ = ["GONE_ERRORS", "GONE_STATUSES", "HOME_PAGES", "redirected_away", "registered_domain", "rot_reason"]
