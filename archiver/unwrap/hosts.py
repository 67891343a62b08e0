"""Match a parsed host name against a wrapper's host patterns, and list a host's index keys.

A pattern is an exact host name (``l.facebook.com``) or ``*.`` followed by a name, meaning any
host below it (``*.awstrack.me`` matches ``x.r.us-east-1.awstrack.me``, not ``awstrack.me``).
Matching is on whole dot-separated labels, never on substrings, so
``safelinks.protection.outlook.com.evil.example`` matches nothing of ours.
"""

from __future__ import annotations

from collections.abc import Set
from functools import lru_cache


MAX_HOST_LENGTH = 253
"""Longest DNS host name. A longer "host" is no wrapper's, and listing the parent names of a
megabyte of ``a.a.a...`` would take quadratic time and memory."""


def host_keys(host: str) -> tuple[str, ...]:
    """Every pattern that would match ``host``: itself, then ``*.`` + each parent name.

    None at all for a host longer than a DNS name can be.
    """
    return _host_keys(host) if len(host) <= MAX_HOST_LENGTH else ()


@lru_cache(maxsize=8192)  # mail repeats the same few wrapper hosts over and over
def _host_keys(host: str) -> tuple[str, ...]:
    keys = [host]
    dot = host.find(".")
    while dot >= 0:
        keys.append("*" + host[dot:])
        dot = host.find(".", dot + 1)
    return tuple(keys)


def host_matches(host: str, patterns: Set[str]) -> bool:
    """True when ``host`` (lower case, no trailing dot) matches one of ``patterns``."""
    return not patterns.isdisjoint(host_keys(host))
