"""Hide the personal data wrapped links carry before they are shown or published.

Safe Links put the recipient's e-mail address, the message id and the tenant id in ``data=``;
Proofpoint puts a per-recipient token at the end of a v3 link (``!ORG!TOKEN$``) and in ``r=`` of
v1/v2 links. ``--redact`` replaces each with ``PLACEHOLDER`` in every output.
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = "REDACTED"

_EMAIL = re.compile(
    r"[A-Za-z0-9._+-]+(?:@|%40|%2540)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.IGNORECASE
)
_DATA = re.compile(r"(\bdata=)([^&\s\"'<>)\]]*)", re.IGNORECASE)
_DATA_SEPARATOR = re.compile(r"(\||%7C|%257C)", re.IGNORECASE)
# Safe Links data fields: 2 recipient, 3 message id, 4 tenant id (0 is the version).
_PRIVATE_DATA_FIELDS = (2, 3, 4)
_PROOFPOINT_V3_TOKEN = re.compile(r"(![A-Za-z0-9_-]*!)([A-Za-z0-9_-]+)(?=\$|%24|%2524)")
_PROOFPOINT_R = re.compile(r"([?&]r=)([^&\s\"'<>]+)")
# Wrapper fields (``Layer.fields``) whose names contain one of these hold personal data.
_PRIVATE_KEY_PARTS = ("recipient", "email", "tenant", "message_id", "token")


def redact_text(text: str) -> str:
    """Return ``text`` with recipient addresses, tenant ids and recipient tokens replaced."""
    text = _DATA.sub(lambda m: m.group(1) + _redact_data(m.group(2)), text)
    if "urldefense" in text.lower() or "urldfense" in text.lower():
        text = _PROOFPOINT_V3_TOKEN.sub(lambda m: m.group(1) + PLACEHOLDER, text)
        text = _PROOFPOINT_R.sub(lambda m: m.group(1) + PLACEHOLDER, text)
    return _EMAIL.sub(PLACEHOLDER, text)


def redact_value(value: Any, key: str | None = None) -> Any:
    """Redact every string inside ``value`` (dicts and lists walked); a private key's value goes whole."""
    if isinstance(value, str):
        name = (key or "").lower()
        if name == "data":
            return _redact_data(value)
        if value and (name == "r" or any(part in name for part in _PRIVATE_KEY_PARTS)):
            return PLACEHOLDER
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def _redact_data(value: str) -> str:
    pieces = _DATA_SEPARATOR.split(value)
    # split() keeps the separators at odd indexes; field n is at index 2n.
    for field_index in _PRIVATE_DATA_FIELDS:
        if 2 * field_index < len(pieces) and pieces[2 * field_index]:
            pieces[2 * field_index] = PLACEHOLDER
    return "".join(pieces)
