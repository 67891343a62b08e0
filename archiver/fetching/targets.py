"""Which URL a fetch, or a redirect hop, goes to: parsed and judged before anything is sent.

Every way a URL can be unusable (not http(s), no host, an impossible port, a Location header
that does not parse) becomes a FetchProblem, so a server's odd redirect is a result, not a crash.
"""

from __future__ import annotations

import httpx

from .problem import FetchProblem

SCHEMES = ("http", "https")


def target_url(url: str) -> httpx.URL:
    """Parse ``url`` for fetching (fragment dropped: it is never sent) or raise bad-scheme/bad-url."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchProblem("bad-url", f"not a valid URL: {url!r} ({exc})") from None
    if parsed.scheme not in SCHEMES:
        scheme = f"{parsed.scheme}:" if parsed.scheme else "a URL without a scheme"
        raise FetchProblem("bad-scheme", f"only http and https URLs can be fetched, not {scheme} ({url})")
    flaw = url_flaw(parsed)
    if flaw:
        raise FetchProblem("bad-url", f"{flaw} in URL {url!r}")
    return _unfragmented(parsed)


def redirect_target(base: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect's ``Location`` header (latin-1 text, as stored) leads from ``base``.

    The header's bytes are read as UTF-8 when they are valid UTF-8, as browsers do, and
    percent-encoded byte for byte otherwise; spaces and non-ASCII are percent-encoded.
    Raises FetchProblem: bad-scheme for a non-http(s) target, bad-url for an unusable one.
    """
    text = _location_text(location)
    invalid = f"redirect with an invalid Location header: {location!r}"
    try:
        parsed = httpx.URL(text)
        if parsed.scheme and parsed.scheme not in SCHEMES:
            raise FetchProblem("bad-scheme", f"redirect to a {parsed.scheme}: URL refused ({location!r})")
        if (parsed.scheme or text.startswith("//")) and not parsed.host:
            # join() would quietly keep base's host for "http://" or "//": they name none.
            raise FetchProblem("bad-url", f"{invalid} (no host name)")
        joined = base.join(parsed)
    except httpx.InvalidURL as exc:
        raise FetchProblem("bad-url", f"{invalid} ({exc})") from None
    flaw = url_flaw(joined)
    if flaw:
        raise FetchProblem("bad-url", f"{invalid} ({flaw})")
    return _unfragmented(joined)


def url_flaw(url: httpx.URL) -> str | None:
    """What makes an absolute URL unusable although it parses (no host, bad port), or None."""
    if not url.host:
        return "no host name"
    if url.port is not None and not 0 < url.port < 65536:
        # httpx accepts any port number; the socket layer would raise OverflowError.
        return f"port {url.port} out of range"
    return None


def _unfragmented(url: httpx.URL) -> httpx.URL:
    return url.copy_with(fragment=None) if url.fragment else url


def _location_text(location: str) -> str:
    """The header value as a URL string: UTF-8 if its bytes are, else high bytes percent-encoded."""
    raw = location.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in raw)
