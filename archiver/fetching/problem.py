"""The one exception the fetcher's parts raise to each other; ``Fetcher.fetch`` turns it into
the ``error``/``error_kind`` of a FetchResult, so callers never see it."""

from __future__ import annotations


class FetchProblem(Exception):
    """Why a fetch cannot go on: ``kind`` is a FetchResult ``error_kind``, ``message`` is for users.

    ``retryable`` marks trouble that may pass (a dropped connection, a time-out).
    """

    def __init__(self, kind: str, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
