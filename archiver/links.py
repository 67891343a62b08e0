"""Find the links in source documents: one ``Link`` per original URL, with every place it occurs.

Each link as written is unwrapped (Safe Links, Proofpoint, redirectors...), resolved against the
document's base when it is relative, and deduplicated on its canonical form. Where it was written
(path, line, column, anchor text, raw text) stays on each ``Occurrence``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urljoin

from .canonical import canonical_url
from .redact import Redactor, redactor_for
from .scan import Candidate, scan_html, scan_text
from .sources import HTML, Source, read_sources, source_from_bytes
from .unwrap import Unwrapped, unwrap_chain
from .unwrap.repair import remove_markdown_escapes


@dataclass(slots=True)
class Occurrence:
    """One place a link is written.

    ``line`` and ``column`` are 1-based, in characters of the decoded text (for an e-mail, of its
    decoded parts joined by blank lines). ``wrapped`` is the raw text as written; ``chain`` how it
    was unwrapped; ``fragment`` the ``#...`` part, which is not part of the link's key.
    ``start``/``end`` are the offsets of ``wrapped`` in ``Source.text``.
    """

    source: str
    line: int
    column: int
    wrapped: str
    anchor: str | None
    chain: Unwrapped
    fragment: str | None = None
    start: int = 0
    end: int = 0

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        """A JSON-ready view; ``redact`` hides the private values its chain names, in every encoding."""
        return self.redacted_dict(redactor_for([self.chain]) if redact else None)

    def redacted_dict(self, redactor: Redactor | None) -> dict[str, Any]:
        """The JSON-ready view with ``redactor`` applied (None: as found)."""
        value = {
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "anchor": self.anchor,
            "wrapped": self.wrapped,
            "fragment": self.fragment,
            "chain": self.chain.to_dict(),
        }
        if redactor is not None:  # the anchor too: a Markdown label is often the wrapped URL itself
            for key in ("anchor", "wrapped", "chain"):
                value[key] = redactor.value(value[key])
        return value


@dataclass
class Link:
    """One original URL (canonical form) and every occurrence of it.

    ``relative`` is True for a site-relative link whose document has no known base: it is listed
    but can never be fetched. ``error`` is the first unwrap error met (the URL is then the deepest
    one recovered). ``removed_params`` names the tracking parameters dropped from ``url``.
    """

    url: str
    occurrences: list[Occurrence] = field(default_factory=list)
    removed_params: list[str] = field(default_factory=list)
    relative: bool = False
    error: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The wrapper kinds met across all occurrences, outermost first, without repeats."""
        return tuple(dict.fromkeys(k for o in self.occurrences for k in o.chain.kinds))

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        """A JSON-ready view; ``redact`` hides every private value its chains name (recipients,
        message and tenant ids, Proofpoint tokens), in every field, in every encoding."""
        redactor = self.redactor() if redact else None
        shown = redactor.text if redactor else (lambda text: text)
        return {
            "url": shown(self.url),
            "relative": self.relative,
            "removed_params": list(self.removed_params),
            "error": shown(self.error) if self.error else self.error,
            "wrappers": list(self.kinds),
            "occurrences": [o.redacted_dict(redactor) for o in self.occurrences],
        }

    def redactor(self) -> Redactor:
        """The Redactor for the private values of every occurrence's unwrap chain."""
        return redactor_for(o.chain for o in self.occurrences)


# Unwrapping costs ~0.1 ms a URL and mail repeats the same wrapped links: remember them.
_unwrap = lru_cache(maxsize=1 << 16)(unwrap_chain)


class _Resolved(NamedTuple):
    """What one written link means; computed once per distinct text (links repeat a lot)."""

    chain: Unwrapped
    key: str
    removed: tuple[str, ...]
    fragment: str | None
    relative: bool


def find_links(sources: Iterable[Source], *, keep_tracking: bool = False) -> list[Link]:
    """Return one ``Link`` per original URL found in ``sources``, in order of first occurrence."""
    with _collector_paused():
        return _find_links(sources, keep_tracking)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the scan makes ~10^5 long-lived objects and no cycles,
    and the collector would walk them again and again (a third of the time on a large corpus).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _find_links(sources: Iterable[Source], keep_tracking: bool) -> list[Link]:
    links: dict[str, Link] = {}
    # One written link means the same everywhere, except a relative one (it depends on the base).
    resolved_links: dict[tuple[str, str | None], _Resolved] = {}
    for source in sources:
        text = source.text
        for candidate, line, column in _located(source):
            key = (candidate.value, source.base_url if candidate.relative else None)
            resolved = resolved_links.get(key)
            if resolved is None:
                resolved = resolved_links[key] = _resolve(candidate.value, candidate.relative, source.base_url, keep_tracking)
            link = links.get(resolved.key)
            if link is None:
                link = links[resolved.key] = Link(resolved.key, relative=resolved.relative)
            if resolved.chain.error and link.error is None:
                link.error = resolved.chain.error
            for name in resolved.removed:
                if name not in link.removed_params:
                    link.removed_params.append(name)
            link.occurrences.append(
                Occurrence(
                    source.path,
                    line,
                    column,
                    text[candidate.start : candidate.end],
                    candidate.anchor,
                    resolved.chain,
                    resolved.fragment,
                    candidate.start,
                    candidate.end,
                )
            )
    return list(links.values())


def extract_links(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    base: str | None = None,
    keep_tracking: bool = False,
) -> list[Link]:
    """Find the links in documents, the one-call form of ``read_sources`` + ``find_links``.

    ``inputs`` is a path or a list of paths (files and folders; unreadable ones are skipped, use
    ``read_sources`` to see why), or a ``str``: one naming an existing file or folder is read as a
    path, any other is the text of one document.
    """
    if isinstance(inputs, str) and ("\n" in inputs or not os.path.exists(inputs)):
        result = source_from_bytes("<string>", inputs.encode("utf-8"), base=base)
        sources = [result] if isinstance(result, Source) else []
    else:
        paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
        sources, _ = read_sources(paths, base=base)
    return find_links(sources, keep_tracking=keep_tracking)


def _located(source: Source) -> Iterator[tuple[Candidate, int, int]]:
    """Every link candidate in ``source`` with its 1-based line and column, in text order."""
    text = source.text
    line, counted_to = 1, 0
    for part in source.parts():
        scan = scan_html if part.media_type == HTML else scan_text
        for candidate in scan(text, part.start, part.end):
            line += text.count("\n", counted_to, candidate.start)
            counted_to = candidate.start
            yield candidate, line, candidate.start - text.rfind("\n", 0, candidate.start)


def _resolve(value: str, relative: bool, base: str | None, keep_tracking: bool) -> _Resolved:
    if relative:
        if base is None:
            canon = canonical_url(value, keep_tracking=keep_tracking)
            return _Resolved(Unwrapped(input=value, url=value), canon.url, canon.removed_params, canon.fragment, True)
        value = urljoin(base, value)
    chain = _unwrap(value)
    original = chain.url
    if not chain.layers and chain.opaque is None:
        # The unwrapper returns an unwrapped URL exactly as written; a Markdown escape (``\_``)
        # is never part of a URL.
        original = remove_markdown_escapes(original)[0]
    canon = canonical_url(original, keep_tracking=keep_tracking)
    return _Resolved(chain, canon.url, canon.removed_params, canon.fragment, False)


__all__ = ["Link", "Occurrence", "extract_links", "find_links"]
