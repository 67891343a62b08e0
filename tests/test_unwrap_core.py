"""The unwrap loop: pass-through, strict/lenient errors, depth cap, loops, repairs, scheme check."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import UnwrapError, Unwrapped, unwrap, unwrap_chain
from archiver.unwrap import MAX_DEPTH, registry
from archiver.unwrap.base import Decoded, DecodeFailure
from archiver.unwrap.params import percent_decode, query_value
from tests.encoders.redirectors import wrap
from tests.encoders.safelinks import wrap_safelinks

ORIGINAL = "https://www.example.org/a%2Fb/caf%C3%A9?q=1+2&r=%41#top"


@pytest.mark.parametrize(
    "url",
    [
        ORIGINAL,
        "https://example.org/path_with\\_escape",
        "https://example.org/ends.",
        "http://example.org/a&amp;b",
        "https:/example.org/one-slash",
        "https://www.google.com/search?q=https%3A%2F%2Fexample.org",  # Google search, not /url
        "ftp://example.org/file",
    ],
)
def test_a_url_that_is_not_wrapped_comes_back_unchanged_and_unrepaired(url):
    result = unwrap_chain(url)
    assert result.url == url
    assert result.layers == () and result.repairs == ()
    assert unwrap(url) == url


def test_unwrapped_url_keeps_its_own_percent_escapes_and_plus_signs():
    wrapped = wrap_safelinks(ORIGINAL)
    assert unwrap(wrapped) == ORIGINAL


def test_strict_raises_unwrap_error_naming_the_layer_and_lenient_returns_the_deepest_url():
    inner = "https://www.google.com/url?sa=D&usg=x"  # a Google redirect that carries nothing
    wrapped = wrap_safelinks(inner)
    assert unwrap(wrapped) == inner
    with pytest.raises(UnwrapError) as info:
        unwrap(wrapped, strict=True)
    assert isinstance(info.value, ValueError)
    assert "layer 2 (google)" in str(info.value)


def test_an_inner_javascript_url_is_an_error_never_a_silent_result():
    wrapped = wrap_safelinks("javascript:alert(document.cookie)")
    result = unwrap_chain(wrapped)
    assert not result.ok
    assert "layer 1 (safelinks)" in result.error and "javascript:" in result.error
    with pytest.raises(UnwrapError, match="non-http"):
        unwrap(wrapped, strict=True)


@pytest.mark.parametrize("inner", ["file:///etc/passwd", "data:text/html,<b>x</b>", "//example.org/x"])
def test_other_non_http_payloads_are_flagged(inner):
    assert "non-http(s)" in unwrap_chain(wrap("google", inner)).error


def _nest(url: str, depth: int) -> str:
    for i in range(depth):
        url = wrap_safelinks(url, data_version=None, signed=False) if i % 2 else wrap("facebook", url)
    return url


def test_thirty_two_layers_are_peeled():
    result = unwrap_chain(_nest(ORIGINAL, MAX_DEPTH))
    assert result.ok, result.error
    assert result.url == ORIGINAL and len(result.layers) == MAX_DEPTH == 32


def test_thirty_three_layers_are_an_error():
    wrapped = _nest(ORIGINAL, MAX_DEPTH + 1)
    result = unwrap_chain(wrapped)
    assert result.error == "more than 32 wrapper layers; stopped at a facebook layer"
    assert len(result.layers) == 32 and result.url != ORIGINAL
    with pytest.raises(UnwrapError, match="more than 32"):
        unwrap(wrapped, strict=True)


class _Hop:
    """A wrapper format that sends one host to another: real formats shrink, so only this can loop."""

    opaque = False

    def __init__(self, host: str, target: str) -> None:
        self.kind, self.hosts, self.target = f"hop-{host}", (host,), target

    def matches(self, host: str, path: str) -> bool:
        return host in self.hosts

    def decode(self, url, parts) -> Decoded:
        return Decoded(self.target)


def test_a_loop_is_detected(monkeypatch):
    index = registry.FormatIndex([_Hop("a.test", "https://b.test/"), _Hop("b.test", "https://a.test/")])
    monkeypatch.setattr(registry, "INDEX", index)
    result = unwrap_chain("https://a.test/")
    assert result.error == "layer 3 (hop-a.test) wraps a URL already seen: a loop"
    assert result.kinds == ("hop-a.test", "hop-b.test")


SNAKE = "https://www.example.org/snake_case/a%2Fb*c?q=1+2"


@pytest.mark.parametrize(
    "damage, sentence",
    [
        (lambda u: u.replace("&", "&amp;"), "HTML entity"),
        (lambda u: u.replace("https://", "https:/", 1), "missing slash"),
        (lambda u: u.replace("%3A", "%3A\n  ", 1), "whitespace or line breaks"),
        (lambda u: u.replace("_", "\\_"), "Markdown escape"),
        (lambda u: u.replace("_", "\\\\_"), "Markdown escape"),
        (lambda u: u.replace("*", "\\*"), "Markdown escape"),
        (lambda u: u + ").", "trailing punctuation"),
        (lambda u: u + "**", "trailing punctuation"),
    ],
)
def test_copy_paste_damage_is_undone_and_recorded(damage, sentence):
    damaged = damage(wrap("google", SNAKE))
    result = unwrap_chain(damaged)
    assert result.url == SNAKE, result
    assert any(sentence in repair for repair in result.repairs), result.repairs


def test_trailing_brackets_that_belong_to_the_url_are_kept():
    wrapped = wrap("slack", "https://en.wikipedia.org/wiki/Bracket_(disambiguation)")
    assert unwrap(wrapped) == "https://en.wikipedia.org/wiki/Bracket_(disambiguation)"
    assert unwrap("(" + wrapped + ")") != wrapped  # not a URL: left alone
    assert unwrap(wrapped + ")") == "https://en.wikipedia.org/wiki/Bracket_(disambiguation)"


def test_opaque_wrapper_is_reported_and_returned_unchanged():
    mimecast = "https://url.uk.m.mimecastprotect.com/s/AbCdEf?domain=example.org"
    result = unwrap_chain(wrap_safelinks(mimecast))
    assert result.url == mimecast and result.ok
    assert result.kinds == ("safelinks",) and result.opaque == "mimecast"


def test_result_serialises_to_json():
    result = unwrap_chain(wrap_safelinks(wrap("google", ORIGINAL)))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["url"] == ORIGINAL and data["ok"] is True
    assert [layer["kind"] for layer in data["layers"]] == ["safelinks", "google"]
    assert data["layers"][0]["fields"]["region"] == "eur04"
    assert isinstance(result, Unwrapped)


def test_a_one_megabyte_input_is_handled():
    original = "https://example.org/?" + "a=%41&" * 170_000
    result = unwrap_chain(wrap_safelinks(wrap("google", original)))
    assert result.url == original and result.ok
    junk = "https://example.org/" + ")" * 1_000_000
    assert unwrap(junk) == junk
    escapes = wrap_safelinks(ORIGINAL).replace("%", "\\%") + "\\" * 500_000
    assert unwrap(escapes) == ORIGINAL
    # A megabyte "host" of 500,000 labels: its parent names alone would fill gigabytes.
    many_labels = "https://" + "a." * 500_000 + "safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example"
    assert unwrap(many_labels) == many_labels


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_when_lenient_and_only_unwrap_error_when_strict(text):
    assert isinstance(unwrap(text), str)
    try:
        unwrap(text, strict=True)
    except UnwrapError:
        pass


_WRAPPERISH = st.sampled_from(
    [
        "https://eur04.safelinks.protection.outlook.com/?url=",
        "https://www.google.com/url?q=",
        "https://eu-west-1.protection.sophos.com/?u=",
        "https://abc.awstrack.me/L0/",
        "https://urldefense.com/v3/__",
        "https://urldefense.proofpoint.com/v2/url?u=",
        "%",
        "%25",
        "&",
        "\\_",
        "&amp;",
        "https:/",
        "javascript:",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_WRAPPERISH, st.text(max_size=20)), max_size=12).map("".join))
def test_wrapper_shaped_garbage_never_raises_anything_but_unwrap_error(text):
    result = unwrap_chain(text)
    assert isinstance(result.url, str)
    if result.error is not None:
        with pytest.raises(UnwrapError):
            unwrap(text, strict=True)


def test_query_value_takes_the_named_parameter_only():
    assert query_value("https://h/?xurl=1&url=2&url=3", "url") == "2"
    assert query_value("https://h/?a=1#url=2", "url") is None
    assert query_value("https://h/path/url=2", "url") is None
    assert query_value("https://h/?url=a+b%2B#frag", "url") == "a+b%2B"


def test_percent_decoding_keeps_bytes_that_are_not_utf8_as_escapes():
    assert percent_decode("a%20b+c%C3%A9") == ("a b+cé", ())
    text, notes = percent_decode("caf%E9%2Fx")
    assert text == "caf%E9/x" and "not UTF-8" in notes[0]


def test_bytes_that_came_in_undecodable_go_back_to_the_same_bytes():
    # "\udcff" is how Python carries byte 0xFF from a non-UTF-8 command line or file.
    assert percent_decode("x\udcff%FF")[0] == "x%FF%FF"


def test_an_unclosed_bracket_host_is_no_wrapper_host():
    url = "https://[eur04.safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example"
    assert unwrap_chain(url).layers == ()


def test_a_decode_failure_message_becomes_the_layer_error(monkeypatch):
    class Broken(_Hop):
        def decode(self, url, parts):
            raise DecodeFailure("payload truncated")

    monkeypatch.setattr(registry, "INDEX", registry.FormatIndex([Broken("a.test", "")]))
    assert unwrap_chain("https://a.test/x").error == "layer 1 (hop-a.test): payload truncated"
