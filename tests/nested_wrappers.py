"""Links wrapped by Safe Links and Proofpoint v1/v2/v3 inside one another, and the private values they carry."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from tests.encoders.proofpoint import V1_KEY, V2_ORG, V3_ORG, V3_TOKEN, encode_v1, encode_v2, encode_v3
from tests.encoders.safelinks import MESSAGE_ID, RECIPIENT, TENANT_ID, wrap_safelinks

WRAPPERS: dict[str, Callable[[str], str]] = {
    "safelinks": wrap_safelinks, "v1": encode_v1, "v2": encode_v2, "v3": encode_v3,
}
V1_TOKEN = "IKM5u8+//i8EBhWOS+qGbTqCC+rMqWI/VfEAEsQO/0Y="
V2_TOKEN = "MujLDFBJstxoxZI_GKbsW7wxGM7nnIK__qZvVy6j9Wc"
V1_MESSAGE_HASH = "Ww6iaHO73mDQpPQwOwfLfN8WMapqHyvtu8jM8SjqmVQ="
V2_CUSTOMER_KEY = "Vxt5e0Osvvt2gflwSlsJ5DmPGcPvTRKLJyp031rXjhg"
V2_MESSAGE_HASH = "QJGhloAyfD0UZ6n8r6y9dF-khNKqvRAIWDRU_K65xPI"
# Every value the encoders put in a link that names a recipient, a message or an organisation.
SECRETS = (RECIPIENT, MESSAGE_ID, TENANT_ID, V1_TOKEN, V2_TOKEN, V3_TOKEN, unquote(V1_KEY).strip(),
           V2_ORG, V3_ORG, V1_MESSAGE_HASH, V2_CUSTOMER_KEY, V2_MESSAGE_HASH)


def nest(url: str, order: Iterable[str]) -> str:
    """``url`` wrapped by the wrappers of ``order``, outermost first."""
    for name in reversed(tuple(order)):
        url = WRAPPERS[name](url)
    return url


def visible_pieces() -> set[str]:
    """What must not be seen: each secret's alphanumeric runs of 5+ characters (the address's
    local part and domain name among them), so a secret split by an encoding is still caught."""
    return {piece for secret in SECRETS for piece in re.findall(r"[A-Za-z0-9]{5,}", secret)}


def leaks(text: str) -> set[str]:
    """The pieces of secrets found in ``text`` (case-insensitive), also across quoted-printable
    soft line breaks; empty when redaction held."""
    lowered = text.lower()
    lowered += "\n" + lowered.replace("=\r\n", "").replace("=\n", "")
    return {piece for piece in visible_pieces() if piece.lower() in lowered}
