"""When to try again: retryable statuses, exponential back-off with jitter, ``Retry-After``."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
"""Answers that mean "not now": too many requests and server errors."""


def backoff_delay(attempt: int, base: float) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    ``base * 2**attempt``, scaled by a random factor in [0.5, 1.5) so that many clients that
    failed together do not all come back at the same instant.
    """
    return base * 2**attempt * (0.5 + random.random())


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks us to wait: delta-seconds or an HTTP date.

    Returns None when the header is absent or unreadable; a date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
