"""Proofpoint URL Defense: recover the original URL from v1, v2 and v3 rewritten links.

* v1 ``/v1/url?u=<percent-encoded URL>&k=<key>&r=...&m=...&s=...``: ``u`` runs to ``&k=``.
* v2 ``/v2/url?u=<URL>&d=<org>&c=...&r=...&m=...&s=...&e=``: ``u`` is the percent-encoded URL
  with ``%`` written as ``-`` and ``/`` as ``_``.
* v3 ``/v3/__<body>__;<base64url>!<org>!<token>$``: the body is the URL with some bytes (all
  non-ASCII bytes, ``*``, ``%``, ``#``, ...) replaced by placeholders; the replaced bytes follow,
  in order, base64url-encoded. ``*`` stands for one byte and ``**X`` for a run of N bytes
  (X indexes ``A-Za-z0-9-_``, N = index + 2). Runs count UTF-8 *bytes* and may end inside a
  character, so the URL is rebuilt as bytes and decoded as UTF-8 only at the end.

Facts and sources: docs/wrapper-formats.md, section 1.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import SplitResult

from .base import Decoded, DecodeFailure
from .params import percent_decode

HOSTS = frozenset({"urldefense.proofpoint.com", "urldefense.com", "urldefense.us"})

# Copy-paste damage seen in the wild drops one letter of the first label (``urldfense.com``).
# Only such hosts, and only with a complete v3 structure, are taken for URL Defense.
_LOOKALIKE_HOSTS = frozenset(
    "urldefense"[:i] + "urldefense"[i + 1 :] + host[len("urldefense") :]
    for host in HOSTS
    for i in range(len("urldefense"))
)

_RUN_LENGTHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_BASE64URL_THEN_BANG = re.compile(r"[A-Za-z0-9_-]*!")
_V3_TAIL = re.compile(r"!?(?P<org>[A-Za-z0-9_-]+)(?:!(?P<token>[A-Za-z0-9_-]*))?(?P<end>\$?)")
_RUN_SIZES = {ord(char): index + 2 for index, char in enumerate(_RUN_LENGTHS)}
_PLACEHOLDER = re.compile(rb"\*\*(.?)|\*", re.DOTALL)
_HTTP_SINGLE_SLASH = re.compile(r"^(https?):/(?=[^/])", re.IGNORECASE)
_HTTP_START = re.compile(r"https?:/", re.IGNORECASE)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BAD_DASH = re.compile(r"-(?![0-9A-Fa-f]{2})")
_V2_TO_PERCENT = str.maketrans("-_", "%/")

_V1_FIELDS = {"k": "customer_id", "r": "recipient_token", "m": "message_hash", "s": "signature"}
_V2_FIELDS = {
    "d": "customer_id",
    "c": "customer_key",
    "r": "recipient_token",
    "m": "message_hash",
    "s": "signature",
}


class _UrlDefense:
    """What the three versions share: the hosts, and a path that starts with ``/vN/``."""

    kind: str
    prefix: str
    opaque = False
    hosts = HOSTS

    def matches(self, host: str, path: str) -> bool:
        """True for a URL Defense host (exact name) whose path is this version's."""
        return host in HOSTS and path.startswith(self.prefix)


class ProofpointV1(_UrlDefense):
    """v1: ``u=`` is the URL percent-encoded once; it ends at ``&k=``."""

    kind = "proofpoint-v1"
    prefix = "/v1/"

    def decode(self, url: str, parts: SplitResult) -> Decoded:
        """Return the URL in ``u=``, percent-decoded once, and the key, recipient and signature."""
        query = url.partition("?")[2]
        start = _value_start(query, "u")
        # k, r and m are base64 with %XX escapes, so the last '&k=' is the end of u even when
        # the original URL itself carried an '&k=' that the encoder left bare.
        end = query.rfind("&k=", start)
        if end < 0:
            raise DecodeFailure("the u= parameter is not followed by '&k=': the link is truncated")
        raw = query[start:end]
        _check_escapes(raw, _BAD_PERCENT, "%")
        inner, notes = percent_decode(raw)
        fields = _read_fields(query[end:], _V1_FIELDS, "v1")
        return Decoded(inner, fields, notes)


class ProofpointV2(_UrlDefense):
    """v2: ``u=`` is the percent-encoded URL with ``%`` sent as ``-`` and ``/`` as ``_``."""

    kind = "proofpoint-v2"
    prefix = "/v2/"

    def decode(self, url: str, parts: SplitResult) -> Decoded:
        """Return the URL in ``u=``, translated back and percent-decoded once, and the fields."""
        query = url.partition("?")[2]
        start = _value_start(query, "u")
        # v2 sends the original's '&' as '-26', so a bare '&' always starts the next parameter
        # (normally '&d=' or '&c=').
        end = query.find("&", start)
        end = len(query) if end < 0 else end
        raw = query[start:end]
        _check_escapes(raw, _BAD_DASH, "-")
        inner, notes = percent_decode(raw.translate(_V2_TO_PERCENT))
        fields = _read_fields(query[:start] + query[end:], _V2_FIELDS, "v2")
        return Decoded(inner, fields, notes)


class ProofpointV3(_UrlDefense):
    """v3: the URL in the path between ``__`` markers, replaced bytes base64url after ``__;``."""

    kind = "proofpoint-v3"
    prefix = "/v3/"

    def decode(self, url: str, parts: SplitResult) -> Decoded:
        """Rebuild the URL from the body and its replacement bytes; report org id and token."""
        body, replaced, tail, repairs = _split_v3(url[url.index(self.prefix) + len(self.prefix) :])
        if _HTTP_SINGLE_SLASH.match(body):
            body = _HTTP_SINGLE_SLASH.sub(r"\1://", body, count=1)
            repairs.append("restored the missing slash after the scheme in the v3 body ('https:/')")
        inner = _rebuild(body, _base64url(replaced))
        fields = {"version": "v3", "customer_id": tail["org"]}
        if tail["token"]:
            fields["recipient_token"] = tail["token"]
        return Decoded(inner, fields, tuple(repairs))

    def resembles(self, host: str, parts: SplitResult) -> bool:
        """True for a one-letter-short URL Defense host (``urldfense.com``) with a whole v3 link.

        A host that merely contains "urldefense" (``urldefense.com.example``) never resembles.
        """
        if host not in _LOOKALIKE_HOSTS or not parts.path.startswith(self.prefix):
            return False
        whole = parts.geturl()
        try:
            body = _split_v3(whole[whole.index(self.prefix) + len(self.prefix) :])[0]
        except DecodeFailure:
            return False
        return _HTTP_START.match(body) is not None


FORMATS = (ProofpointV1(), ProofpointV2(), ProofpointV3())


def _value_start(query: str, name: str) -> int:
    """Where the value of query parameter ``name`` starts in the raw ``query``."""
    key = name + "="
    if query.startswith(key):
        return len(key)
    at = query.find("&" + key)
    if at < 0:
        raise DecodeFailure(f"no {key} parameter carrying the wrapped URL")
    return at + len(key) + 1


def _check_escapes(raw: str, bad: re.Pattern[str], escape: str) -> None:
    """Refuse an escape character not followed by two hex digits: the payload is damaged."""
    found = bad.search(raw)
    if found is not None:
        at = found.start()
        raise DecodeFailure(
            f"invalid escape {raw[at:at + 3]!r} at offset {at} of u= "
            f"('{escape}' must be followed by two hex digits)"
        )


def _read_fields(params: str, names: dict[str, str], version: str) -> dict[str, str]:
    """The wrapper's own parameters, by readable name, percent-decoded and stripped of ``\\n``."""
    fields = {"version": version}
    for pair in params.split("&"):
        name, _, value = pair.partition("=")
        if name in names and value:
            fields[names[name]] = percent_decode(value)[0].strip()
    return fields


def _split_v3(payload: str) -> tuple[str, str, dict[str, str], list[str]]:
    """Split what follows ``/v3/`` into body, base64url replacement string and tail fields.

    The body ends at the LAST ``__;`` followed by base64url and ``!``: the original URL may
    itself contain ``__;`` (or a whole v3 link), but the org id and token after the real end
    marker are base64url and cannot. Copy-paste damage that reduced both ``__`` markers to
    ``_`` is undone when that is unambiguous.
    """
    repairs: list[str] = []
    if payload.startswith("__"):
        start, start_damaged = 2, False
    elif payload.startswith("_"):
        start, start_damaged = 1, True
    else:
        raise DecodeFailure("the v3 body does not start with the '__' marker")
    semicolon = _end_marker(payload, start)
    if semicolon < 0:
        raise DecodeFailure(
            "no '__;<replacement bytes>!' after the v3 body: the link is truncated or damaged"
        )
    underscores = semicolon - start - len(payload[start:semicolon].rstrip("_"))
    if start_damaged and underscores > 1:
        raise DecodeFailure(
            "ambiguous damaged v3 link: its '__' start marker was reduced to '_', so it cannot be "
            "told whether the body ends with '_' or the end marker is intact"
        )
    if start_damaged or underscores == 1:
        repairs.append("restored the v3 '__' marker(s) that copy-paste reduced to '_'")
        end = semicolon - 1
    else:
        end = semicolon - 2
    body = payload[start:end]
    if not body:
        raise DecodeFailure("the v3 body is empty")
    bang = payload.index("!", semicolon)
    tail = _V3_TAIL.fullmatch(payload, bang + 1)
    if tail is None:
        shown = payload[bang + 1 : bang + 41]
        raise DecodeFailure(f"the v3 tail is not '<org>!<token>$': {shown!r}")
    if not tail["end"]:
        repairs.append("accepted a v3 link whose closing '$' was missing")
    return body, payload[semicolon + 1 : bang], tail.groupdict(), repairs


def _end_marker(payload: str, start: int) -> int:
    """Index of the ``;`` of the last ``_;<base64url>!`` after ``start``, or -1.

    Each candidate's base64url scan stops at the next ``;`` to its right, so the scans never
    overlap and the search is linear.
    """
    limit = len(payload)
    while True:
        semicolon = payload.rfind(";", start + 1, limit)
        if semicolon < 0:
            return -1
        if payload[semicolon - 1] == "_" and _BASE64URL_THEN_BANG.match(payload, semicolon + 1):
            return semicolon
        limit = semicolon


def _base64url(text: str) -> bytes:
    """Decode the unpadded base64url replacement string, refusing damaged ones."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise DecodeFailure(
            f"the replacement string ({len(text)} characters) is not valid base64url: "
            "its length cannot encode whole bytes"
        ) from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != text:
        raise DecodeFailure(
            "the replacement string is not valid base64url: its last character is damaged"
        )
    return data


def _rebuild(body: str, replaced: bytes) -> str:
    """Put the replaced bytes back into the body's placeholders and decode the result as UTF-8."""
    source = body.encode("utf-8", "surrogatepass")
    out = bytearray()
    used = copied = 0
    for mark in _PLACEHOLDER.finditer(source):
        run = mark.group(1)  # None for '*'; the length character (or nothing) after '**'
        if run is None:
            size: int | None = 1
        else:
            size = _RUN_SIZES.get(run[0]) if run else None
        if size is None:
            raise DecodeFailure(
                f"the run placeholder {_shown(mark.group())} at body byte {mark.start()} has no "
                "valid length character (one of A-Z a-z 0-9 - _)"
            )
        if used + size > len(replaced):
            raise DecodeFailure(
                f"the placeholder {_shown(mark.group())} at body byte {mark.start()} needs {size} "
                f"replacement byte(s) but only {len(replaced) - used} are left"
            )
        out += source[copied : mark.start()]
        out += replaced[used : used + size]
        used += size
        copied = mark.end()
    out += source[copied:]
    if used < len(replaced):
        raise DecodeFailure(f"{len(replaced) - used} replacement byte(s) left unused")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeFailure(
            f"the rebuilt URL is not valid UTF-8 "
            f"(byte 0x{out[exc.start]:02X} at offset {exc.start})"
        ) from None


def _shown(placeholder: bytes) -> str:
    """A placeholder as quoted text for an error message."""
    return repr(placeholder.decode("utf-8", "replace"))
