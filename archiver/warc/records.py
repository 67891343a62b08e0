"""WARC/1.1 record building: header fields, digests, the HTTP message blocks, one gzip member each.

Headers are serialised here rather than by warcio's ``WARCWriter`` because warcio rewrites the
HTTP headers it is given (and computes digests its own way); we must control every byte: the
stored HTTP header block has to describe the stored body exactly (no ``Transfer-Encoding``, a
``Content-Length`` equal to the stored length), and digests must be computed once, over a body
that lives in a file and is never held whole in memory.
"""

from __future__ import annotations

import hashlib
import http
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..canonical import normalize_percent
from ..exchange import Exchange

WARC_VERSION = b"WARC/1.1"
DIGEST_ALGORITHM = "sha256"
"""Every digest is ``sha256:`` + lowercase base16 (the WARC 1.1 annotated edition's form for SHA-256)."""
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
HTTP_REQUEST_TYPE = "application/http;msgtype=request"
HTTP_RESPONSE_TYPE = "application/http;msgtype=response"
_CHUNK = 1 << 16
_TRUNCATION_REASONS = frozenset({"length", "time", "disconnect", "unspecified"})


def new_record_id() -> str:
    """A fresh ``<urn:uuid:…>`` record id."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """``moment`` as a WARC/1.1 date: UTC, ISO 8601, microseconds (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_warc_date(text: str) -> datetime:
    """A WARC-Date (whole seconds or fractions, trailing ``Z``) as an aware UTC datetime."""
    text = text.strip().rstrip("Z")
    try:  # the fast path: our own dates (whole seconds or microseconds)
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:  # other writers' fractions of other lengths
        layout = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
        return datetime.strptime(text, layout).replace(tzinfo=timezone.utc)


def digest_label(raw: bytes) -> str:
    """The WARC label for a finished digest: ``sha256:<lowercase hex>``."""
    return f"{DIGEST_ALGORITHM}:{raw.hex()}"


def digest_of(data: bytes) -> str:
    """The labelled digest of ``data``."""
    return digest_label(hashlib.new(DIGEST_ALGORITHM, data).digest())


def target_uri(uri: str) -> str:
    """``uri`` as a WARC-Target-URI: no fragment, IDNA host, spaces and non-ASCII percent-encoded.

    Raises ValueError when ``uri`` has no scheme or holds control characters that no URI can.
    """
    text = uri.strip()
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise ValueError(f"not a URI (control character): {uri!r}")
    parts = urlsplit(text)
    if not parts.scheme:
        raise ValueError(f"not an absolute URI: {uri!r}")
    netloc = parts.netloc
    if netloc and not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = normalize_percent(host)
        netloc = f"{normalize_percent(userinfo)}{at}{host}{colon}{port}"
    return urlunsplit(
        (parts.scheme, netloc, normalize_percent(parts.path), normalize_percent(parts.query), "")
    )


METADATA_URI_PREFIX = "urn:archiver:metadata:"


def metadata_uri(subject: str) -> str:
    """The WARC-Target-URI of a metadata record about ``subject`` (a URL, normalised).

    A link too malformed to be a URI (``http://[zz]/``: it was never fetched) still gets its
    provenance record: its text is then percent-encoded whole.
    """
    try:
        return METADATA_URI_PREFIX + target_uri(subject)
    except ValueError:
        return METADATA_URI_PREFIX + quote(subject, safe="/:?&=%@!$'()*+,;~")


def metadata_subject(uri: str) -> str | None:
    """The URL a metadata record is about, from its WARC-Target-URI; None if it is not ours."""
    return uri[len(METADATA_URI_PREFIX):] if uri.startswith(METADATA_URI_PREFIX) else None


@dataclass(frozen=True)
class Fields:
    """The named fields of one WARC record header, in write order."""

    items: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.items if key.lower() == lowered), None)

    def encode(self) -> bytes:
        lines = [WARC_VERSION]
        for name, value in self.items:
            # Folding and raw line breaks are forbidden (warc-specifications#74).
            clean = value.replace("\r", " ").replace("\n", " ")
            lines.append(f"{name}: {clean}".encode("utf-8"))
        return b"\r\n".join(lines) + b"\r\n\r\n"


def header_fields(
    record_type: str, record_id: str, date: datetime, extra: Iterable[tuple[str, str | None]]
) -> list[tuple[str, str]]:
    """The leading mandatory fields followed by every ``extra`` field that has a value."""
    fields = [("WARC-Type", record_type), ("WARC-Record-ID", record_id), ("WARC-Date", warc_date(date))]
    fields.extend((name, value) for name, value in extra if value is not None)
    return fields


def http_status_line(ex: Exchange) -> bytes:
    """The status line as stored: HTTP/2 is written as HTTP/1.1 (warcio reads only 1.0 and 1.1)."""
    version = "HTTP/1.0" if ex.http_version == "HTTP/1.0" else "HTTP/1.1"
    reason = ex.reason
    if not reason:
        try:
            reason = http.HTTPStatus(ex.status).phrase
        except ValueError:
            reason = ""
    return f"{version} {ex.status} {reason}".rstrip().encode("latin-1", "replace") + b"\r\n"


def http_response_head(ex: Exchange, stored_length: int) -> bytes:
    """Status line and headers made consistent with the stored (de-chunked, still encoded) body.

    ``Transfer-Encoding`` becomes ``X-Orig-Transfer-Encoding`` because the chunk framing is gone;
    ``Content-Length`` is set to the stored length, the server's value kept as
    ``X-Orig-Content-Length`` when it differed; HTTP/2 pseudo-headers are dropped.
    """
    lines = [http_status_line(ex)]
    wrote_length = False
    for name, value in ex.response_headers:
        if name.startswith(":"):
            continue
        lowered = name.lower()
        if lowered == "transfer-encoding":
            name = "X-Orig-Transfer-Encoding"
        elif lowered == "content-length":
            if wrote_length or value.strip() != str(stored_length):
                lines.append(_header_line("X-Orig-Content-Length", value))
                continue
            wrote_length = True
        lines.append(_header_line(name, value))
    if not wrote_length:
        lines.append(_header_line("Content-Length", str(stored_length)))
    return b"".join(lines) + b"\r\n"


def _header_line(name: str, value: str) -> bytes:
    text = f"{name}: {value.replace(chr(13), ' ').replace(chr(10), ' ')}\r\n"
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


@dataclass(frozen=True)
class BodyDigests:
    """Digests of a stored body: the payload alone, and the block ``head + body``."""

    payload: str
    block: str
    length: int


def digest_body(head: bytes, body_path: Path | None, length: int) -> BodyDigests:
    """Hash ``length`` bytes of the body file (in chunks) as payload, and ``head`` + body as block."""
    payload = hashlib.new(DIGEST_ALGORITHM)
    block = hashlib.new(DIGEST_ALGORITHM, head)
    read = 0
    for chunk in read_body(body_path, length):
        payload.update(chunk)
        block.update(chunk)
        read += len(chunk)
    return BodyDigests(digest_label(payload.digest()), digest_label(block.digest()), read)


def payload_digest(ex: Exchange) -> str:
    """The labelled digest of ``ex``'s stored body, as its WARC-Payload-Digest will read."""
    return digest_body(b"", ex.body_path, ex.body_length).payload


def read_body(body_path: Path | None, length: int) -> Iterator[bytes]:
    """The first ``length`` bytes of ``body_path`` in chunks; raises ValueError if the file is shorter."""
    if body_path is None or length == 0:
        return
    remaining = length
    with open(body_path, "rb") as handle:
        while remaining:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                raise ValueError(f"body file {body_path} is shorter than body_length={length}")
            remaining -= len(chunk)
            yield chunk


def truncation(ex: Exchange) -> str | None:
    """The WARC-Truncated value for ``ex``: its reason when known, ``unspecified`` otherwise."""
    if not ex.truncated:
        return None
    return ex.truncated if ex.truncated in _TRUNCATION_REASONS else "unspecified"


def gzip_member(fields: Fields, head: bytes, body: Iterable[bytes] = ()) -> Iterator[bytes]:
    """One record as one gzip member, produced in pieces so a large body is never whole in memory."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    yield compressor.compress(fields.encode())
    yield compressor.compress(head)
    for chunk in body:
        yield compressor.compress(chunk)
    yield compressor.compress(b"\r\n\r\n")
    yield compressor.flush()
