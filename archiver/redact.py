"""Hide the personal data wrapped links carry before they are shown or published.

Safe Links put the recipient's e-mail address, the message id and the tenant id in ``data=``;
Proofpoint puts a recipient token (and customer id, message hash) in ``r=``/``d=``/``k=``/``m=``
of v1/v2 links and at the end of v3 links (``!ORG!TOKEN$``). ``--redact`` replaces each with
``PLACEHOLDER`` in every output.

Redaction is value-driven: the unwrap chain names the private values of every layer
(``private_values``), and a ``Redactor`` replaces each one wherever it appears, in any encoding a
nested wrapper gives it (raw, percent-encoded once or twice, Proofpoint v2 ``-40``, v3 ``*40``
or a v3 placeholder for bytes moved to the tail). Generic patterns (e-mail addresses, ``data=``
fields, Proofpoint tokens) catch what no chain names, e.g. a link that could not be unwrapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from .unwrap import Unwrapped

PLACEHOLDER = "REDACTED"

# Layer fields (archiver/unwrap/safelinks.py, proofpoint.py) that identify a recipient, a message
# or an organisation. Proofpoint customer ids are included, like Safe Links tenant ids: both name
# the recipient's organisation, which a published archive should not reveal.
PRIVATE_FIELDS = frozenset({
    "recipient", "message_id", "tenant_id",
    "recipient_token", "customer_id", "customer_key", "message_hash",
})
# Shorter values (a version, a flag) would match ordinary text.
_MIN_VALUE_LENGTH = 6

# ``@`` as written raw, percent-encoded (once or more), or by Proofpoint v3 (``*40``).
_AT = r"(?:@|[%*](?:25)*40)"
_EMAIL = re.compile(r"[A-Za-z0-9._+-]+" + _AT + r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.IGNORECASE)
_DATA = re.compile(r"(\bdata=)([^&\s\"'<>)\]]*)", re.IGNORECASE)
_DATA_SEPARATOR = re.compile(r"(\||[%*](?:25)*7C)", re.IGNORECASE)
# Safe Links data fields: 2 recipient, 3 message id, 4 tenant id (0 is the version).
_PRIVATE_DATA_FIELDS = (2, 3, 4)
# A v3 tail ``!ORG!TOKEN$`` (customer id, recipient token), also when the link could not be decoded.
_PROOFPOINT_V3_TAIL = re.compile(r"!([A-Za-z0-9_-]*)!([A-Za-z0-9_-]+)(?=\$|%24|%2524)")
_PROOFPOINT_R = re.compile(r"([?&]r=)([^&\s\"'<>]+)")
# Wrapper fields (``Layer.fields``) whose names contain one of these hold personal data.
_PRIVATE_KEY_PARTS = ("recipient", "email", "tenant", "message_id", "token", "customer", "message_hash")
# A Proofpoint v3 placeholder: ``*`` for one replaced byte, ``**X`` for a run.
_V3_PLACEHOLDER = r"(?:\*\*[A-Za-z0-9_-]|\*)+"
# A quoted-printable soft line break: ``=`` at the end of a line of a stored e-mail.
_SOFT_BREAK = r"(?:=\r?\n)?"
# How a percent sign is written after nesting: ``%``, v2 ``-`` or v3 ``*``, any of those itself
# escaped by an outer layer (``%2D``, ``%2A``, ``-2D``...), then re-encoded any number of times
# (``25``); or quoted-printable ``=`` (``=3D`` in a stored e-mail).
_ESCAPE_PREFIX = r"(?:[%*-](?:25)*(?:2D|2A)|[%*=-])(?:25)*"


def private_values(chains: Iterable[Unwrapped | Mapping[str, Any]]) -> frozenset[str]:
    """The private field values named by every layer of ``chains`` (``Unwrapped`` or its dict form)."""
    found: set[str] = set()
    for chain in chains:
        layers = chain.to_dict()["layers"] if isinstance(chain, Unwrapped) else chain.get("layers") or ()
        for layer in layers:
            fields = (layer.get("fields") or {}) if isinstance(layer, Mapping) else {}
            for name, value in fields.items():
                if name in PRIVATE_FIELDS and isinstance(value, str) and len(value.strip()) >= _MIN_VALUE_LENGTH:
                    found.add(value.strip())
    return frozenset(found)


class Redactor:
    """Replaces known private values (in any encoding) and anything the generic patterns find."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._known = _values_pattern(frozenset(values))

    def text(self, text: str) -> str:
        """Return ``text`` with the known values, addresses, tenant ids and tokens replaced."""
        if self._known is not None:
            text = self._known.sub(PLACEHOLDER, text)
        text = _DATA.sub(lambda m: m.group(1) + _redact_data(m.group(2)), text)
        if "urldefense" in text.lower() or "urldfense" in text.lower():
            text = _PROOFPOINT_V3_TAIL.sub(_redact_v3_tail, text)
            text = _PROOFPOINT_R.sub(lambda m: m.group(1) + PLACEHOLDER, text)
        return _EMAIL.sub(PLACEHOLDER, text)

    def value(self, value: Any, key: str | None = None) -> Any:
        """Redact every string inside ``value`` (dicts and lists walked); a private key's value goes whole."""
        if isinstance(value, str):
            name = (key or "").lower()
            if name == "data":
                return _redact_data(self.text(value))
            if value and (name == "r" or any(part in name for part in _PRIVATE_KEY_PARTS)):
                return PLACEHOLDER
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def redactor_for(chains: Iterable[Unwrapped | Mapping[str, Any]]) -> Redactor:
    """A Redactor for the private values of ``chains``."""
    return Redactor(private_values(chains))


def redact_text(text: str) -> str:
    """Return ``text`` with what the generic patterns find replaced (no chain known)."""
    return _GENERIC.text(text)


def redact_value(value: Any, key: str | None = None) -> Any:
    """``Redactor.value`` with the generic patterns only."""
    return _GENERIC.value(value, key)


@lru_cache(maxsize=1024)
def _values_pattern(values: frozenset[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``values`` in any of its encodings; longest values first."""
    if not values:
        return None
    ordered = sorted(values, key=lambda v: (-len(v), v))
    return re.compile("|".join(_value_regex(v) for v in ordered), re.IGNORECASE)


def _value_regex(value: str) -> str:
    """``value`` with each run of non-alphanumeric characters matching any encoding of it, and a
    quoted-printable soft line break allowed between any two characters (a source e-mail)."""
    parts = []
    for piece in re.split(r"([A-Za-z0-9]+)", value):
        if not piece:
            continue
        if piece.isascii() and piece.isalnum():
            parts.append(_SOFT_BREAK.join(re.escape(char) for char in piece))
        else:
            # Encoded character by character, or a v3 placeholder standing for the whole run.
            encoded = _SOFT_BREAK.join(_char_regex(char) for char in piece)
            parts.append(f"(?:{encoded}|{_V3_PLACEHOLDER})")
    return _SOFT_BREAK.join(parts)


def _char_regex(char: str) -> str:
    """``char`` raw, or its UTF-8 bytes percent-encoded (%, %25.., v2 ``-``, v3 ``*``)."""
    escaped = _SOFT_BREAK.join(
        _ESCAPE_PREFIX + _SOFT_BREAK + _SOFT_BREAK.join(f"{byte:02X}") for byte in char.encode("utf-8"))
    alternatives = [escaped, re.escape(char)]
    if char == "/":
        alternatives.append("_")  # Proofpoint v2 writes / as _
    return "(?:" + "|".join(alternatives) + ")"


def _redact_v3_tail(match: re.Match[str]) -> str:
    org = PLACEHOLDER if match.group(1) else ""  # an empty group is the base64 string's end
    return f"!{org}!{PLACEHOLDER}"


def _redact_data(value: str) -> str:
    pieces = _DATA_SEPARATOR.split(value)
    # split() keeps the separators at odd indexes; field n is at index 2n.
    for field_index in _PRIVATE_DATA_FIELDS:
        if 2 * field_index < len(pieces) and pieces[2 * field_index] and pieces[2 * field_index] != PLACEHOLDER:
            pieces[2 * field_index] = PLACEHOLDER
    return "".join(pieces)


_GENERIC = Redactor()
