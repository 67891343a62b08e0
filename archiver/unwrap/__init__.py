"""Recover the original URL from links wrapped by e-mail security gateways and redirectors.

Offline and pure: no network, no disk. Each layer's payload is decoded exactly once; nothing else
in the original URL is normalised.
"""

from __future__ import annotations

from .base import MAX_DEPTH, DecodeFailure, Layer, UnwrapError, Unwrapped
from .registry import FORMATS, find_format
from .repair import repair_layer

__all__ = ["FORMATS", "MAX_DEPTH", "Layer", "UnwrapError", "Unwrapped", "unwrap", "unwrap_chain"]

_FETCHABLE_SCHEMES = ("http", "https")


def unwrap_chain(url: str) -> Unwrapped:
    """Peel every wrapper layer from ``url`` and say what was found on the way.

    Never raises for bad input: a layer that cannot be decoded ends the walk with ``error`` set
    and ``url`` holding the deepest URL recovered so far. A URL that is not wrapped comes back
    unchanged, with no repairs.
    """
    text = url
    layers: list[Layer] = []
    repairs: list[str] = []
    seen: set[str] = set()
    opaque_kind: str | None = None
    error: str | None = None

    while True:
        candidate, fixes = repair_layer(text, outermost=not layers)
        found = find_format(candidate)
        if found is None:
            # The innermost URL is kept exactly as its wrapper carried it: a backslash that
            # survives decoding was percent-encoded, so it belongs to the original.
            break
        fmt, parts, host_fix = found
        if fmt.opaque:
            opaque_kind = fmt.kind
            text = candidate
            repairs += fixes
            break
        if len(layers) >= MAX_DEPTH:
            error = f"more than {MAX_DEPTH} wrapper layers; stopped at a {fmt.kind} layer"
            break
        if candidate in seen:
            error = f"layer {len(layers) + 1} ({fmt.kind}) wraps a URL already seen: a loop"
            break
        seen.add(candidate)
        try:
            decoded = fmt.decode(candidate, parts)
        except DecodeFailure as exc:
            error = f"layer {len(layers) + 1} ({fmt.kind}): {exc}"
            break
        repairs += fixes
        if host_fix:
            repairs.append(host_fix)
        repairs += decoded.repairs
        layers.append(Layer(fmt.kind, candidate, decoded.fields))
        text = decoded.url

    if error is None:
        error = _scheme_error(text, layers)
    if not layers and opaque_kind is None:
        return Unwrapped(input=url, url=url, error=error)
    return Unwrapped(
        input=url,
        url=text,
        layers=tuple(layers),
        repairs=tuple(repairs),
        error=error,
        opaque=opaque_kind,
    )


def unwrap(url: str, strict: bool = False) -> str:
    """Return the innermost original URL inside ``url`` (``url`` itself when it is not wrapped).

    Lenient by default: returns the deepest URL that could be recovered. With ``strict=True``,
    raises ``UnwrapError`` naming the layer and what is wrong instead.
    """
    result = unwrap_chain(url)
    if strict and result.error is not None:
        raise UnwrapError(result.error)
    return result.url


def _scheme_error(text: str, layers: list[Layer]) -> str | None:
    scheme = text.partition(":")[0].lower() if ":" in text else ""
    if scheme in _FETCHABLE_SCHEMES:
        return None
    shown = f"{scheme}:" if scheme else "no scheme"
    if layers:
        return f"layer {len(layers)} ({layers[-1].kind}) carried a non-http(s) URL ({shown})"
    return f"not an http(s) URL ({shown})"
