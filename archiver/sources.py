"""Read input documents: files, folders (recursively) and stdin, as decoded text ready for link finding.

Each document becomes a ``Source``: the raw bytes (kept for the archive), its kind (plain text,
Markdown, HTML, e-mail), the decoded text, the encoding it was decoded with (so ``clean`` can write
it back byte for byte) and the base URL its relative links resolve against. A file that cannot be
read or is not text becomes a ``SourceProblem`` and the others go on.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup

PLAIN = "text/plain"
MARKDOWN = "text/markdown"
HTML = "text/html"
EMAIL = "message/rfc822"

_EXTENSIONS = {
    ".txt": PLAIN,
    ".text": PLAIN,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".eml": EMAIL,
}
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control bytes that never occur in text (tab, LF, FF, CR and ESC excepted).
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})
_HIGH_RUNS = re.compile(rb"[\xc0-\xff]+")
_HTML_SNIFF = re.compile(rb"\A\s*(?:<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:[ \t]")
_EMAIL_HEADERS = re.compile(
    rb"^(?:from|to|subject|date|received|return-path|message-id|mime-version|content-type):",
    re.IGNORECASE | re.MULTILINE,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_STATED_REACH = 4096
_STATED_ADDRESS = re.compile(
    r"^[ \t]*(?:original url|url|source|canonical url|saved from)[ \t]*:[ \t]*\n?[ \t]*\n?[ \t]*"
    r"<?(https?://[^\s<>]+?)>?[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Segment:
    """A stretch ``text[start:end]`` of a source with one media type (an e-mail part)."""

    start: int
    end: int
    media_type: str


@dataclass(frozen=True)
class Source:
    """One input document, read and decoded.

    ``path`` is the name as the user gave it (``-`` for stdin). For an e-mail, ``text`` is its
    decoded text and HTML parts joined by blank lines, and ``segments`` say where each part is;
    for every other kind there is one segment covering the whole text. ``bom`` is the byte-order
    mark the file started with, so it can be written back exactly. An e-mail's parts keep their
    own charsets; its ``encoding`` is "utf-8", the encoding of the joined text.
    """

    path: str
    data: bytes
    media_type: str
    text: str
    encoding: str
    base_url: str | None = None
    bom: bytes = b""
    segments: tuple[Segment, ...] = field(default=())

    def parts(self) -> tuple[Segment, ...]:
        """The segments of ``text``: the e-mail parts, or the whole text as one."""
        return self.segments or (Segment(0, len(self.text), self.media_type),)


@dataclass(frozen=True)
class SourceProblem:
    """An input that was skipped, and why (reported as a warning; the others go on)."""

    path: str
    message: str


def read_sources(
    paths: Iterable[str | os.PathLike[str]] | None = None, *, base: str | None = None
) -> tuple[list[Source], list[SourceProblem]]:
    """Read every document named in ``paths`` (default ``input/``); folders are walked recursively.

    ``-`` reads stdin. ``base`` is the URL relative links resolve against when a document does
    not state its own address (an HTML ``<base>`` or canonical link, an "Original url:" line).
    Never raises for a bad file: it becomes a ``SourceProblem``.
    """
    sources: list[Source] = []
    problems: list[SourceProblem] = []
    for name in _expand(["input/"] if paths is None else [os.fspath(p) for p in paths], problems):
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            problems.append(SourceProblem(name, f"cannot read: {exc.strerror or exc}"))
            continue
        result = source_from_bytes(name, data, base=base)
        (sources if isinstance(result, Source) else problems).append(result)
    return sources, problems


def source_from_bytes(
    path: str, data: bytes, *, media_type: str | None = None, base: str | None = None
) -> Source | SourceProblem:
    """Decode one document's bytes; its kind comes from ``media_type``, the extension or the content."""
    kind = media_type or _kind(path, data)
    if kind == EMAIL:
        if _is_binary(data):
            return SourceProblem(path, "not a text document (binary content); skipped")
        return _email_source(path, data, base)
    declared = _declared_charset(data) if kind == HTML else None
    decoded = decode_text(data, declared)
    if decoded is None:
        return SourceProblem(path, "not a text document (binary content); skipped")
    text, encoding, bom = decoded
    if kind == PLAIN and "](" in text:
        kind = MARKDOWN
    stated = _stated(text, kind, base)
    return Source(path, data, kind, text, encoding, stated or base, bom)


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str, bytes] | None:
    """Return ``(text, encoding, bom)``, or None when ``data`` is not text.

    Order: a byte-order mark, a declared charset that decodes, UTF-8, then a single-byte guess
    (windows-1251 for Cyrillic, windows-1252 or latin-1 otherwise). No heavy detector needed:
    these are the encodings seen in practice.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding, bom
            except UnicodeDecodeError:
                return None
    if _is_binary(data):
        return None
    for encoding in filter(None, (declared, "utf-8")):
        try:
            return data.decode(encoding), _codec_name(encoding), b""
        except (UnicodeDecodeError, LookupError):
            continue
    encoding = _guess_single_byte(data)
    return data.decode(encoding), encoding, b""


def encode_text(text: str, encoding: str, bom: bytes = b"") -> bytes:
    """The inverse of ``decode_text``: the bytes of ``text`` as the source stored them."""
    return bom + text.encode(encoding)


def stated_address(text: str) -> str | None:
    """The address a saved page says it came from (an "Original url:" line at its top or end)."""
    for chunk in (text[:_STATED_REACH], text[-_STATED_REACH:]):
        match = _STATED_ADDRESS.search(chunk)
        if match:
            return match.group(1)
    return None


def html_base(html: str, fallback: str | None = None) -> str | None:
    """The base URL an HTML document states: ``<base href>``, else its canonical link.

    Either may be relative (``<base href="/rel/">``): the canonical link resolves against
    ``fallback`` (the ``--base`` address), and ``<base>`` against the document's address (its
    canonical link, else ``fallback``). A relative value with nothing to resolve it against
    gives None, so that the links stay relative rather than becoming broken absolute ones.
    """
    soup = BeautifulSoup(html, "html.parser")
    canonical = None
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        if "canonical" in [str(r).lower() for r in rel]:
            canonical = str(link["href"]).strip() or None
            break
    address = _resolved(canonical, fallback) or fallback
    tag = soup.find("base", href=True)
    if tag is not None and str(tag["href"]).strip():
        return _resolved(str(tag["href"]).strip(), address)
    return _resolved(canonical, fallback)


def _resolved(url: str | None, against: str | None) -> str | None:
    """``url`` made absolute against ``against`` when it has no scheme; None when it cannot be."""
    if url is None or _SCHEME.match(url):
        return url
    return urljoin(against, url) if against and _SCHEME.match(against) else None


def email_text_parts(message: EmailMessage) -> list[EmailMessage]:
    """The text/plain and text/html body parts of an e-mail (attachments excluded), in order."""
    return [
        part
        for part in message.walk()
        if part.get_content_type() in (PLAIN, HTML) and not part.is_attachment()
    ]


def parse_email(data: bytes) -> EmailMessage:
    """Parse an e-mail with the modern policy, keeping the original line endings and header folding."""
    linesep = "\r\n" if b"\r\n" in data[:4096] else "\n"
    mail_policy = policy.default.clone(linesep=linesep, refold_source="none")
    message = BytesParser(policy=mail_policy).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def _email_source(path: str, data: bytes, base: str | None) -> Source | SourceProblem:
    message = parse_email(data)
    if not message.keys():
        return SourceProblem(path, "not a readable e-mail message; skipped")
    chunks: list[str] = []
    segments: list[Segment] = []
    offset = 0
    for part in email_text_parts(message):
        content = _part_text(part)
        if content is None:
            return SourceProblem(path, f"an e-mail {part.get_content_type()} part is not text; skipped")
        if chunks:
            chunks.append("\n\n")
            offset += 2
        chunks.append(content)
        segments.append(Segment(offset, offset + len(content), part.get_content_type()))
        offset += len(content)
    text = "".join(chunks)
    stated = next(
        (
            found
            for seg in segments
            if (found := _stated(text[seg.start : seg.end], seg.media_type, base))
        ),
        None,
    )
    return Source(path, data, EMAIL, text, "utf-8", stated or base, b"", tuple(segments))


def _stated(text: str, kind: str, base: str | None) -> str | None:
    """The address a document of ``kind`` states for itself (``base`` resolves a relative one)."""
    return html_base(text, base) if kind == HTML else stated_address(text)


def _part_text(part: EmailMessage) -> str | None:
    """A part's decoded text; an unknown or wrong charset label falls back to detection."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        decoded = decode_text(payload) if isinstance(payload, bytes) else None
        return decoded[0] if decoded else None


def _expand(names: list[str], problems: list[SourceProblem]) -> list[str]:
    """Files in order: a folder contributes its files recursively (sorted, hidden ones skipped)."""
    files: list[str] = []
    for name in names:
        try:
            mode = os.stat(name).st_mode if name != "-" else stat.S_IFIFO
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError)
            message = "no such file or folder" if missing else f"cannot read: {exc.strerror or exc}"
            problems.append(SourceProblem(name, message))
            continue
        # A pipe is read too: process substitution (``<(command)``) names one.
        if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
            files.append(name)
        elif stat.S_ISDIR(mode):
            for root, dirs, entries in os.walk(name):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [os.path.join(root, e) for e in sorted(entries) if not e.startswith(".")]
        else:
            problems.append(SourceProblem(name, f"not a regular file ({_file_kind(mode)}); skipped"))
    return files


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words (``/dev/null`` is a character device)."""
    kinds = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((word for test, word in kinds if test(mode)), "a special file")


def _kind(path: str, data: bytes) -> str:
    """The extension decides; a .txt may still hold a saved HTML page. Content is sniffed for
    stdin and unknown extensions only (a .txt of pasted mails stays text, lines as in the file).
    """
    by_extension = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if by_extension in (HTML, EMAIL, MARKDOWN):
        return by_extension
    head = data[:2048]
    if _HTML_SNIFF.match(head):
        return HTML
    if by_extension is None and _HEADER_LINE.match(head) and len(_EMAIL_HEADERS.findall(head)) >= 2:
        return EMAIL
    return PLAIN


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _is_binary(data: bytes) -> bool:
    # Control bytes (NUL and friends) never occur in text; UTF-16 without a BOM is not guessed.
    sample = data[:65536]
    return len(sample.translate(None, _BINARY_BYTES)) != len(sample)


def _guess_single_byte(data: bytes) -> str:
    """windows-1251 when high bytes mostly come in runs (whole Cyrillic words), else windows-1252
    (or latin-1, when bytes undefined in windows-1252 occur): Western text has isolated accents.
    """
    runs = _HIGH_RUNS.findall(data)
    high = sum(len(run) for run in runs)
    if high and sum(len(run) for run in runs if len(run) > 1) / high > 0.5:
        return "cp1251"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"  # bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in windows-1252
    return "cp1252"


def _codec_name(encoding: str) -> str:
    return codecs.lookup(encoding).name
