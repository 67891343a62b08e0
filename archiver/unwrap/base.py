"""Plain values shared by the unwrapper and every wrapper-format module."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import SplitResult

MAX_DEPTH = 32
"""Most wrapper layers peeled from one URL; deeper nesting is reported as an error."""


class UnwrapError(ValueError):
    """A wrapper layer could not be decoded; the message names the layer and what is wrong."""


class DecodeFailure(Exception):
    """Raised by a format's ``decode`` with a message saying what is wrong in the payload."""


class LazyFields(Mapping[str, str]):
    """A wrapper's fields, read the first time they are looked at.

    ``unwrap()`` only wants the URL, so it never pays for parsing what a wrapper carried.
    """

    __slots__ = ("_read", "_fields")

    def __init__(self, read: Callable[[], Mapping[str, str]]) -> None:
        self._read: Callable[[], Mapping[str, str]] | None = read
        self._fields: dict[str, str] = {}

    def _get(self) -> dict[str, str]:
        if self._read is not None:
            self._fields = dict(self._read())
            self._read = None
        return self._fields

    def __getitem__(self, key: str) -> str:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get())


@dataclass(frozen=True)
class Decoded:
    """What one wrapper layer carried: the URL inside it and the wrapper's own fields."""

    url: str
    fields: Mapping[str, str] = field(default_factory=dict)
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layer:
    """One wrapper layer peeled: its kind, the URL as it stood at this layer, and what it carried."""

    kind: str
    wrapped: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "wrapped": self.wrapped, "fields": dict(self.fields)}


@dataclass(frozen=True)
class Unwrapped:
    """The result of unwrapping one URL.

    ``url`` is the deepest URL recovered (the original when ``error`` is None); ``layers`` lists
    the wrappers peeled, outermost first; ``repairs`` says in plain sentences what copy-paste
    damage was undone; ``opaque`` names a wrapper that cannot be decoded offline (Mimecast,
    shorteners) when the innermost URL is one.
    """

    input: str
    url: str
    layers: tuple[Layer, ...] = ()
    repairs: tuple[str, ...] = ()
    error: str | None = None
    opaque: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(layer.kind for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "url": self.url,
            "ok": self.ok,
            "layers": [layer.to_dict() for layer in self.layers],
            "repairs": list(self.repairs),
            "error": self.error,
            "opaque": self.opaque,
        }


class WrapperFormat(Protocol):
    """What a wrapper-format module registers (see ``registry.py``).

    ``matches`` is given the parsed, lower-cased host name and the raw path; it must match on the
    host itself (exact name or a dot-separated suffix), never on a substring. ``decode`` is given
    the whole URL at this layer and its split form, and returns the URL it carried, decoded once,
    or raises ``DecodeFailure``. An ``opaque`` format is recognised but never decoded.

    Optional: ``hosts``, a set of host patterns (``hosts.py``) under which the registry indexes
    the format so it is only asked about those hosts; ``resembles(host, parts)``, asked when no
    format matched, to recognise a damaged wrapper host by the URL's structure.
    """

    kind: str
    opaque: bool

    def matches(self, host: str, path: str) -> bool: ...

    def decode(self, url: str, parts: SplitResult) -> Decoded: ...
