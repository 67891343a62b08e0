"""The outcome of one link over time: every capture, what changed, and when it rotted.

``archiver history`` prints it. The rot verdict of each capture is recomputed with the rule the
catalog applies (``archiver.rot``), so the table says which capture showed the page gone; whether
a body was cut short is read from its WARC record (the catalog does not keep it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .canonical import canonical_url
from .catalog import CATALOG_NAME, OK, REVISIT, THIRD_PARTY, Capture, Catalog, CatalogError, LinkState
from .record_fields import body_truncation, record_fields
from .rot import rot_reason


@dataclass(frozen=True)
class HistoryEntry:
    """One capture of the link; ``rot`` why it showed the page gone, ``truncated`` the
    WARC-Truncated reason of its record (``length``, ``disconnect``, ``time``); None if neither."""

    capture: Capture
    rot: str | None
    truncated: str | None = None

    def to_json(self) -> dict[str, Any]:
        where = self.capture.location
        return {**self.capture.to_json(), "changed": self.capture.changed, "rot": self.rot,
                "truncated": self.truncated,
                "warc_filename": where.filename if where else None,
                "warc_offset": where.offset if where else None}


@dataclass(frozen=True)
class LinkHistory:
    """A link's rot state and its captures, oldest first."""

    state: LinkState
    entries: list[HistoryEntry]

    def to_json(self) -> dict[str, Any]:
        state = self.state
        return {
            "url": state.url, "state": state.state, "first_seen": state.first_seen.isoformat(),
            "first_rotted": state.first_rotted.isoformat() if state.first_rotted else None,
            "captures": [entry.to_json() for entry in self.entries],
        }


def rot_verdicts(history: Sequence[Capture]) -> list[str | None]:
    """Why each capture (oldest first) shows the link rotted, or None; as the catalog judges:
    redirects are compared with where the first capture archived fine led, and a third party's
    copy says nothing about the live page."""
    reference: str | None = None
    previous: str | None = None  # the error kind of the previous own capture
    verdicts: list[str | None] = []
    for capture in history:
        if capture.outcome == THIRD_PARTY:
            verdicts.append(None)
            continue
        verdicts.append(rot_reason(capture.status, capture.error_kind, reference,
                                   capture.final_url, previous))
        previous = capture.error_kind
        if reference is None and capture.outcome in (OK, REVISIT):
            reference = capture.final_url
    return verdicts


def link_history(archive: str | os.PathLike[str], url: str) -> LinkHistory | None:
    """The history of ``url`` (as stored, or in canonical form) in ``archive``; None if unknown.

    Raises CatalogError when the folder holds no catalog.
    """
    folder = Path(archive)
    if not (folder / CATALOG_NAME).is_file():
        raise CatalogError(f"{folder} holds no catalog")
    with Catalog.open(folder) as catalog:
        for candidate in dict.fromkeys((url, canonical_url(url).url)):
            captures = catalog.history(candidate)
            if captures:
                state = next(s for s in catalog.links() if s.url == candidate)
                entries = [HistoryEntry(c, why, _truncation(folder, c))
                           for c, why in zip(captures, rot_verdicts(captures))]
                return LinkHistory(state, entries)
    return None


def _truncation(folder: Path, capture: Capture) -> str | None:
    return body_truncation(record_fields(folder, capture.location)) if capture.location else None


__all__ = ["HistoryEntry", "LinkHistory", "link_history", "rot_verdicts"]
