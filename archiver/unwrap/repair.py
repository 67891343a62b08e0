"""Undo copy-paste damage to a wrapped URL before its wrapper is parsed.

Every repair is recorded as a sentence a reader can check. These repairs are applied to a URL
only while it is being matched against the wrapper formats: a URL that turns out not to be
wrapped is returned exactly as it came.
"""

from __future__ import annotations

import re

# Markdown escapes: one or more backslashes before ASCII punctuation (`\_`, `\\_`, `\*`).
# A raw backslash is never part of a valid URL, so removing it cannot lose information.
_MARKDOWN_ESCAPE = re.compile(r"\\+(?=[!-/:-@\[-`{-~])")
_AMP_ENTITY = re.compile(r"&(?:amp|#0*38|#x0*26);", re.IGNORECASE)
_SINGLE_SLASH = re.compile(r"^(https?):/(?=[^/])", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}


def remove_markdown_escapes(text: str) -> tuple[str, list[str]]:
    """Drop backslashes that Markdown added before punctuation."""
    if "\\" not in text:
        return text, []
    fixed, count = _MARKDOWN_ESCAPE.subn("", text)
    return fixed, [f"removed {count} Markdown escape backslash(es)"] if count else []


def repair_layer(text: str, *, outermost: bool) -> tuple[str, list[str]]:
    """Return ``text`` with copy-paste damage undone, and the sentences saying what was done.

    Trailing punctuation is only trimmed from the outermost URL, where it belongs to the
    sentence the URL was pasted into; an inner URL is the wrapper's exact payload. Each repair
    first checks for its tell-tale character with a plain substring test, so an undamaged URL
    (nearly all of them) costs a few scans in C and no regular-expression pass.
    """
    repairs: list[str] = []
    pieces = text.split()  # on any whitespace, as \s does
    if len(pieces) > 1:
        repairs.append("removed whitespace or line breaks inside the URL")
    text = "".join(pieces)
    text, escapes = remove_markdown_escapes(text)
    repairs += escapes
    if "&" in text and ";" in text:
        text, count = _AMP_ENTITY.subn("&", text)
        if count:
            repairs.append(f"decoded {count} HTML entity '&amp;' to '&'")
    if _SINGLE_SLASH.match(text):
        text = _SINGLE_SLASH.sub(r"\1://", text, count=1)
        repairs.append("restored the missing slash in the scheme ('https:/' to 'https://')")
    if outermost:
        trimmed = trim_trailing_punctuation(text)
        if trimmed != text:
            repairs.append(f"removed trailing punctuation {text[len(trimmed):]!r}")
            text = trimmed
    return text, repairs


def trim_trailing_punctuation(text: str) -> str:
    """Trim sentence punctuation and unbalanced closing brackets from the end of a URL.

    Bracket counts are taken once and updated as closers are trimmed, so a URL ending in a long
    run of ``)`` costs linear time.
    """
    end = len(text)
    balance: dict[str, int] = {}  # closer -> closers minus openers in text[:end]
    while end:
        char = text[end - 1]
        if char in _TRAILING:
            end -= 1
            continue
        opener = _CLOSERS.get(char)
        if opener is None:
            break
        if char not in balance:
            balance[char] = text.count(char, 0, end) - text.count(opener, 0, end)
        if balance[char] <= 0:
            break
        balance[char] -= 1
        end -= 1
    return text[:end]
