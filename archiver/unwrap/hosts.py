"""Match a parsed host name against a wrapper's host patterns, and index formats by them.

A pattern is an exact host name (``l.facebook.com``) or ``*.`` followed by a name, meaning any
host below it (``*.awstrack.me`` matches ``x.r.us-east-1.awstrack.me``, not ``awstrack.me``).
Matching is on whole dot-separated labels, never on substrings, so
``safelinks.protection.outlook.com.evil.example`` matches nothing of ours.
"""

from __future__ import annotations

from collections.abc import Container, Iterator


def host_keys(host: str) -> Iterator[str]:
    """Yield every pattern that would match ``host``: itself, then ``*.`` + each parent name."""
    yield host
    dot = host.find(".")
    while dot >= 0:
        yield "*" + host[dot:]
        dot = host.find(".", dot + 1)


def host_matches(host: str, patterns: Container[str]) -> bool:
    """True when ``host`` (lower case, no trailing dot) matches one of ``patterns`` (a set)."""
    return any(key in patterns for key in host_keys(host))
