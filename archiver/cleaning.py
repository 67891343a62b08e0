"""Write a document back with every wrapped URL replaced by its original, and nothing else changed.

Replacement works on the decoded text with the exact spans the scanner found, then re-encodes
with the source's own encoding (and byte-order mark), so line endings, Markdown and HTML structure
and every other byte stay as they were. An e-mail is re-serialised with only its changed text
parts re-encoded (same charset and transfer encoding); headers are kept as they were.
"""

from __future__ import annotations

import base64
import html
import quopri
from dataclasses import dataclass, field
from urllib.parse import quote

from .scan import Candidate, scan_html, scan_text
from .sources import EMAIL, HTML, Source, email_text_parts, encode_text, parse_email
from .unwrap import unwrap_chain


@dataclass(frozen=True)
class Cleaned:
    """The cleaned document's bytes, how many URLs were replaced, and the wrapped ones left (errors)."""

    data: bytes
    replaced: int
    problems: list[str] = field(default_factory=list)


def clean_text(text: str, media_type: str, encoding: str = "utf-8") -> tuple[str, int, list[str]]:
    """Replace every wrapped URL in ``text`` by its original; return the text, the count, the errors.

    A wrapped URL that cannot be fully unwrapped is left as it is and reported. Characters of an
    original that ``encoding`` cannot write are percent-encoded (the same URL, spelled in ASCII).
    """
    scan = scan_html(text) if media_type == HTML else scan_text(text)
    pieces: list[str] = []
    done = 0
    replaced = 0
    problems: list[str] = []
    for candidate in scan:
        if candidate.relative:
            continue
        chain = unwrap_chain(candidate.value)
        if chain.error is not None:  # an http(s) URL only fails as a broken wrapper
            line = text.count("\n", 0, candidate.start) + 1
            problems.append(f"line {line}: left as it is: {chain.error}")
            continue
        if not chain.layers:
            continue
        pieces += [text[done : candidate.start], _written(chain.url, candidate, media_type, encoding)]
        done = candidate.end
        replaced += 1
    pieces.append(text[done:])
    return "".join(pieces), replaced, problems


def clean(source: Source) -> Cleaned:
    """Return ``source``'s bytes with every wrapped URL replaced by its original."""
    if source.media_type == EMAIL:
        return _clean_email(source.data)
    text, replaced, problems = clean_text(source.text, source.media_type, source.encoding)
    if not replaced:
        return Cleaned(source.data, 0, problems)
    return Cleaned(encode_text(text, source.encoding, source.bom), replaced, problems)


def _written(url: str, candidate: Candidate, media_type: str, encoding: str) -> str:
    """``url`` as it must be written where the wrapped one was (HTML-escaped in HTML)."""
    try:
        url.encode(encoding)
    except UnicodeEncodeError:
        url = "".join(c if c.isascii() else quote(c, safe="") for c in url)
    if media_type != HTML:
        return url
    escaped = html.escape(url, quote=False)
    if candidate.quote == '"':
        return escaped.replace('"', "&quot;")
    if candidate.quote == "'":
        return escaped.replace("'", "&#39;")
    return escaped


def _clean_email(data: bytes) -> Cleaned:
    message = parse_email(data)
    replaced = 0
    problems: list[str] = []
    for part in email_text_parts(message):
        charset = part.get_content_charset() or "us-ascii"
        try:
            text = part.get_content()
        except (LookupError, UnicodeError, ValueError) as exc:
            problems.append(f"{part.get_content_type()} part left as it is: cannot decode it ({exc})")
            continue
        cleaned, count, part_problems = clean_text(text, part.get_content_type(), charset)
        problems += part_problems
        if not count:
            continue
        replaced += count
        body = cleaned.encode(charset)
        part.set_payload(_transfer_encode(body, str(part.get("Content-Transfer-Encoding", "7bit")), message.policy.linesep))
    if not replaced:
        return Cleaned(data, 0, problems)
    return Cleaned(message.as_bytes(), replaced, problems)


def _transfer_encode(body: bytes, transfer_encoding: str, linesep: str) -> str:
    """Encode a part's new body the way its Content-Transfer-Encoding header says."""
    kind = transfer_encoding.strip().lower()
    if kind == "base64":
        encoded = base64.encodebytes(body).decode("ascii")
    elif kind == "quoted-printable":
        encoded = quopri.encodestring(body).decode("ascii")
    else:
        # 7bit/8bit: the parser keeps raw bytes as surrogate escapes; do the same.
        encoded = body.decode("ascii", "surrogateescape")
    return encoded.replace("\r\n", "\n").replace("\n", linesep)
