"""Find link candidates in text, Markdown and HTML, each with its exact span in the text.

Only the shape of the text is looked at here: what the URL is (wrapped or not, canonical form)
is decided by ``links``. Spans are exact so that ``clean`` can replace a URL and nothing else.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator
from typing import NamedTuple

from bs4 import BeautifulSoup, Tag

from .unwrap.repair import remove_markdown_escapes, trim_trailing_punctuation

# A URL runs to whitespace or a character that cannot be in one, and never contains ``](``:
# the label of a Markdown link can itself be a URL. The spaces are listed rather than ``\s``:
# the explicit class is a third faster.
_STOP = r"\t\n\v\f\r \x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000<>\"`\]"
_BODY = rf"[^{_STOP}]*(?:\](?!\()[^{_STOP}]*)*"
# Few regexes, each beginning with a literal: those are scanned at memchr speed, ten times
# faster than an alternation or ``(?i)`` (see bench/extract_bench.py). ``http``, ``HTTP`` and
# ``Http`` are found (``hTtP`` is not); ``ww.`` finds ``www.`` and ``Www.``, whose match starts
# one character late. The look-behinds reject a www. inside another URL or a word, in C.
_ABSOLUTE = tuple(
    (re.compile(start + _BODY), late)
    for start, late in (
        ("https?:/", 0),
        ("H(?:TTPS?|ttps?):/", 0),
        (r"ww\.(?<=[wW]ww\.)(?<![A-Za-z0-9.%/@_-][wW]ww\.)", 1),
        (r"WW\.(?<=WWW\.)(?<![A-Za-z0-9.%/@_-]WWW\.)", 1),
    )
)
# A site-relative path in parentheses, possibly Markdown-escaped: ``\(/experts/anna\)``.
_PATH = re.compile(r"\((?P<path>/[^\s()<>\\/][^\s()<>\\]*)(?P<esc>\\?)\)")
# A relative Markdown link target; ``#`` anchors and other schemes are not links.
_TARGET = re.compile(
    r"\]\((?P<target>(?!#)(?![A-Za-z][A-Za-z0-9+.-]*:)(?!//)[^\s()<>]+)(?:\s+\"[^\"]*\")?\)"
)
_NOT_BEFORE_HTTP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NOT_BEFORE_PATH = _NOT_BEFORE_HTTP | frozenset("])")
# Closing punctuation from other scripts and typography that ends a sentence, not a URL.
_TRAILING_EXTRA = "\\\u201d\u2019\u00bb\u203a\u2026\u3002\uff0c\u3001"
_MARKUP = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>", re.DOTALL | re.IGNORECASE)
# A start tag as written: any run of unquoted characters or quoted values up to ">" (linear).
_TAG = re.compile(r"<[A-Za-z](?:[^\"'>]|\"[^\"]*\"|'[^']*')*>")
_ATTRIBUTE = re.compile(
    r"""(?<=[\s"'])(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE
)
_LINK_ATTRIBUTES = ("href", "src")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# An explicit scheme and a host: ``http://localhost``, ``http://[::1]:8080``, ``http://0x7f000001``.
_AUTHORITY = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\]")


class Candidate(NamedTuple):
    """A link as written: ``text[start:end]`` is the raw text and ``value`` the URL it means.

    ``value`` has HTML entities decoded (HTML) but Markdown escapes kept (the unwrapper removes
    them where they break a wrapper). ``relative`` is a site-relative path; ``quote`` is the
    quote character around an HTML attribute value ("" for text).
    """

    start: int
    end: int
    value: str
    anchor: str | None = None
    relative: bool = False
    quote: str | None = None


def scan_text(text: str, start: int = 0, end: int | None = None) -> Iterator[Candidate]:
    """Yield the links in plain text or Markdown ``text[start:end]``, in order."""
    end = len(text) if end is None else end
    starts = [
        *((m.start() - late, "abs", m) for pattern, late in _ABSOLUTE for m in pattern.finditer(text, start, end)),
        *((m.start(), "path", m) for m in _PATH.finditer(text, start, end)),
        *((m.start(), "target", m) for m in _TARGET.finditer(text, start, end)),
    ]
    starts.sort(key=_first)
    covered = start
    for begin, kind, match in starts:
        if begin < covered:
            continue  # inside a URL already taken (``www.`` in an encoded payload, ``(/`` in a path)
        before = text[begin - 1] if begin > start else ""
        if kind == "abs":
            candidate = _absolute(text, begin, match, before)
        elif kind == "path":
            candidate = _path(text, match, before, start)
        else:
            candidate = _target(text, match, start)
        if candidate is not None:
            covered = candidate.end
            yield candidate


def scan_html(text: str, start: int = 0, end: int | None = None) -> Iterator[Candidate]:
    """Yield the links in HTML ``text[start:end]``: href/src attributes and URLs in the text, in order."""
    end = len(text) if end is None else end
    chunk = text[start:end]
    found = list(_attribute_links(chunk, start))
    markup = [(m.start() + start, m.end() + start) for m in _MARKUP.finditer(chunk)]
    markup_starts = [s for s, _ in markup]
    for candidate in scan_text(text, start, end):
        if candidate.relative:
            continue
        i = bisect.bisect_right(markup_starts, candidate.start) - 1
        if i >= 0 and candidate.start < markup[i][1]:
            continue  # inside a tag: attributes are taken from the parsed tags above
        value = html.unescape(candidate.value)
        found.append(Candidate(candidate.start, candidate.end, value, candidate.anchor, quote=""))
    found.sort(key=lambda c: c.start)
    return iter(found)


def trim_url(text: str) -> str:
    """Trim sentence punctuation, unbalanced closing brackets and stray escapes from a URL's end."""
    if text[-1].isalnum() or text[-1] == "/":
        return text  # the usual case, decided without a scan
    while True:
        trimmed = trim_trailing_punctuation(text).rstrip(_TRAILING_EXTRA)
        if trimmed == text:
            return text
        text = trimmed


def markdown_label(text: str, close: int, floor: int = 0) -> str | None:
    """The label of the Markdown link whose ``]`` is at ``close``, unescaped; None if there is none."""
    line_start = max(text.rfind("\n", floor, close) + 1, floor)
    nearest = text.rfind("[", line_start, close)
    if nearest >= 0 and "]" not in text[nearest:close] and "\\" not in text[nearest - 1 : nearest]:
        label = text[nearest + 1 : close]  # the usual case: no nested brackets
        if "\\" in label:
            label = remove_markdown_escapes(label)[0]
        return label.strip() or None
    depth = 0
    for i in range(close - 1, line_start - 1, -1):
        char = text[i]
        if char not in "[]" or (i and text[i - 1] == "\\"):
            continue
        if char == "]":
            depth += 1
        elif depth:
            depth -= 1
        else:
            label = remove_markdown_escapes(text[i + 1 : close])[0].strip()
            return label or None
    return None


_Start = tuple[int, str, "re.Match[str]"]


def _first(item: _Start) -> int:
    return item[0]


def _absolute(text: str, begin: int, match: re.Match[str], before: str) -> Candidate | None:
    """An http(s) or www. URL starting at ``begin``; ``before`` is the character before it."""
    if begin == match.start() and before in _NOT_BEFORE_HTTP:
        return None  # http in the middle of a word (a www. was checked by its look-behind)
    raw = trim_url(text[begin : match.end()])
    if len(raw) < 8 or ("." not in raw and not _AUTHORITY.match(raw)):
        return None  # a dotless name counts only after an explicit scheme: http://localhost/
    anchor = markdown_label(text, begin - 2) if text.startswith("](", begin - 2) else None
    value = "http://" + raw if raw[0] in "wW" else raw
    return Candidate(begin, begin + len(raw), value, anchor)


def _path(text: str, match: re.Match[str], before: str, floor: int) -> Candidate | None:
    escaped = before == "\\"
    if escaped != bool(match.group("esc")):
        return None  # ``\(/x)`` or ``(/x\)``: not one parenthesised path
    if escaped:
        before = text[match.start() - 2] if match.start() - 1 > floor else ""
    if before and before in _NOT_BEFORE_PATH:
        return None
    begin, end = match.span("path")
    open_bracket = text.rfind("[", max(text.rfind("\n", floor, begin) + 1, floor), begin)
    anchor = None
    if open_bracket >= 0 and "]" not in text[open_bracket:begin]:
        label = text[open_bracket + 1 : match.start() - escaped]
        anchor = remove_markdown_escapes(label)[0].strip() or None
    return Candidate(begin, end, match.group("path"), anchor, relative=True)


def _target(text: str, match: re.Match[str], floor: int) -> Candidate | None:
    begin, end = match.span("target")
    value = remove_markdown_escapes(match.group("target"))[0]
    return Candidate(begin, end, value, markdown_label(text, match.start(), floor), relative=True)


def _attribute_links(chunk: str, offset: int) -> Iterator[Candidate]:
    """href/src values of the tags Beautiful Soup finds, with their exact spans in the source."""
    soup = BeautifulSoup(chunk, "html.parser")
    line_starts = [0] + [m.end() for m in re.finditer("\n", chunk)]
    # <base href> is the document's address (used to resolve the others), not a link in it.
    for tag in soup.find_all(lambda t: t.name != "base" and any(t.has_attr(a) for a in _LINK_ATTRIBUTES)):
        if tag.sourceline is None or tag.sourcepos is None:
            continue
        tag_start = line_starts[tag.sourceline - 1] + tag.sourcepos
        written = _TAG.match(chunk, tag_start)
        if written is None:
            continue
        anchor = _anchor(tag)
        for attr in _ATTRIBUTE.finditer(chunk, tag_start, written.end()):
            group = next(g for g in (2, 3, 4) if attr.group(g) is not None)
            value = html.unescape(attr.group(group)).strip()
            if not value or value.startswith("#"):
                continue
            scheme = _SCHEME.match(value)
            if scheme and scheme.group().lower() not in ("http:", "https:"):
                continue  # mailto:, javascript:, data:, cid: ... are not pages to archive
            quote = {2: '"', 3: "'", 4: ""}[group]
            begin, end = attr.span(group)
            yield Candidate(begin + offset, end + offset, value, anchor, not scheme, quote)


def _anchor(tag: Tag) -> str | None:
    if tag.name != "a":
        return None
    return tag.get_text(" ", strip=True) or None
