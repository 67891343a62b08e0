"""Hypothesis strategies shared by the unwrap tests: original URLs as people send them."""

from __future__ import annotations

from hypothesis import strategies as st

# RFC 3986 path/query characters (unreserved, sub-delims, ":" and "@"), plus a few non-ASCII
# letters, as IRIs in e-mail carry them.
_PCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
_NON_ASCII = "éüßøçñжяшالعربيةかな中文😀"
# Characters the unwrapper takes for sentence punctuation at the very end of a pasted link.
_SENTENCE_END = ".,;:!?'\"*)]}>"

_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
_escape = st.integers(0, 255).map(lambda b: f"%{b:02X}")
_char = st.one_of(st.sampled_from(_PCHARS), st.sampled_from(_NON_ASCII), _escape)
_segment = st.lists(_char, max_size=12).map("".join)


@st.composite
def original_urls(draw: st.DrawFn) -> str:
    """An http(s) URL with any path, query and fragment characters a real link may carry.

    It never ends in sentence punctuation (``.`` ``)`` ...), which a pasted link cannot keep
    when it is the last thing in the wrapper, and its hosts are never wrapper hosts.
    """
    scheme = draw(st.sampled_from(["http", "https"]))
    labels = draw(st.lists(_label, min_size=1, max_size=3))
    host = ".".join(labels + [draw(st.sampled_from(["example", "test", "org", "рф"]))])
    port = draw(st.sampled_from(["", ":8080", ":443"]))
    path = "/" + "/".join(draw(st.lists(_segment, max_size=4)))
    url = f"{scheme}://{host}{port}{path}"
    if draw(st.booleans()):
        url += "?" + draw(_segment) + "/" + draw(st.sampled_from(["", "?a=1&b=2", "url=x&data=y"]))
    if draw(st.booleans()):
        url += "#" + draw(_segment)
    return url.rstrip(_SENTENCE_END)
