"""The wrapper formats the unwrapper knows, in the order they are tried.

Adding a format is adding a module that defines ``FORMATS`` and naming it here.
"""

from __future__ import annotations

from urllib.parse import SplitResult

from . import opaque, proofpoint, redirectors, safelinks
from .base import WrapperFormat

FORMATS: tuple[WrapperFormat, ...] = (
    *safelinks.FORMATS,
    *proofpoint.FORMATS,
    *redirectors.FORMATS,
    *opaque.FORMATS,
)


def find_format(parts: SplitResult) -> tuple[WrapperFormat | None, str | None]:
    """Return the format whose host (and path) the URL has, or one it resembles by structure.

    The second value is a repair sentence when the host was recognised as a damaged form of a
    wrapper host (such as ``urldfense.com``) rather than matched exactly.
    """
    host = (parts.hostname or "").rstrip(".")
    path = parts.path
    for fmt in FORMATS:
        if fmt.matches(host, path):
            return fmt, None
    for fmt in FORMATS:
        resembles = getattr(fmt, "resembles", None)
        if resembles is not None and resembles(host, parts):
            return fmt, f"recognised {host!r} as a damaged {fmt.kind} host by the URL's structure"
    return None, None
