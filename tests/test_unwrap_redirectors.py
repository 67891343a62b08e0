"""Redirectors and click-time checkers (one table), and the opaque wrappers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import unwrap, unwrap_chain
from tests.encoders.redirectors import KIND, STYLES, wrap
from tests.unwrap_strategies import original_urls

ORIGINAL = "https://example.org/caf%C3%A9/ä?q=1+2&r=%2F#x"


@pytest.mark.parametrize("style", STYLES)
def test_every_redirector_decodes_to_the_original(style):
    result = unwrap_chain(wrap(style, ORIGINAL))
    assert result.url == ORIGINAL and result.ok
    assert result.kinds == (KIND[style],)


@settings(max_examples=200, deadline=None)
@given(original_urls(), st.sampled_from(STYLES))
def test_any_url_round_trips_through_any_redirector(url, style):
    assert unwrap(wrap(style, url), strict=True) == url


@pytest.mark.parametrize(
    "wrapped, original",
    [
        # Published examples (docs/wrapper-formats.md section 3 and the sources it cites).
        (
            "https://eu-west-1.protection.sophos.com/?d=microsoft.com&u=aHR0cHM6Ly93d3cubWljcm9zb2Z0LmNvbS9saWNl"
            "bnNpbmcvc2VydmljZWNlbnRlci9kZWZhdWx0LmFzcHg=&",
            "https://www.microsoft.com/licensing/servicecenter/default.aspx",
        ),
        (
            "https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fexample.com&c=E,1,tok,&typo=1",
            "https://example.com",
        ),
        (
            "https://imsva91-ctp.trendmicro.com:443/wis/clicktime/v1/query?url=http%3A%2F%2Fexample.com&umid=1&auth=2",
            "http://example.com",
        ),
        ("https://protect2.fireeye.com/v1/url?k=abc&u=http%3A%2F%2Fexample.com", "http://example.com"),
        ("https://protect2.fireeye.com/url?k=abc&u=http%3A%2F%2Fexample.com", "http://example.com"),
        ("https://abc.r.us-east-1.awstrack.me/L0/http%3A%2F%2Fexample.com/1/abc/def=123", "http://example.com"),
        ("https://www.google.com/url?q=https%3A%2F%2Fexample.com&sa=D&usg=x", "https://example.com"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com&h=AT", "https://example.com"),
        ("https://www.linkedin.com/safety/go?url=https%3A%2F%2Fexample.com&trk=x", "https://example.com"),
        ("https://slack-redir.net/link?url=https%3A%2F%2Fexample.com", "https://example.com"),
        ("https://vk.com/away.php?to=https%3A%2F%2Fexample.com&cc_key=", "https://example.com"),
        ("https://secure-web.cisco.com/1Xy/https%3A%2F%2Fexample.com%2Fa", "https://example.com/a"),
        ("https://clicktime.symantec.com/3AbC?u=https%3A%2F%2Fexample.com", "https://example.com"),
        # ninoseki/kachi tests/test_main.py (a Sophos community post for the Sophos link).
        ("https://x.linkprotect.cudasvc.com/?a=http%3A%2F%2Fexample.com", "http://example.com"),
        ("https://urlsand.esvalabs.com/?u=http%3A%2F%2Fexample.com", "http://example.com"),
        ("https://l.wl.co/l?u=http%3A%2F%2Fexample.com", "http://example.com"),
        ("https://abc.r.us-east-1.awstrack.me/L0/http%3A%2F%2Fexample.com/", "http://example.com"),
        (
            "https://imsva91.ctp.trendmicro.com/wis/clicktime/v1/query?url=http%3A%2F%2Fexample.com",
            "http://example.com",
        ),
        (
            "https://eu-central-1.protection.sophos.com/?d=sophos.com&u=aHR0cHM6Ly93d3cuc29waG9zLmNvbS9kZS1kZS9wc"
            "m9kdWN0cy9zb3Bob3MtZW1haWw=&i=NjJkMTA1NzEwNWJkNDAxMDc5ZDliN2Uy&t=OGE0L3MwTUdrUmE0NXdkWEtxSzdGdUMxS0J"
            "sRDFlK2tmcThqK2FSQjBYQT0=&h=0d5a5f867dd841698a9ee6af8c1d8846&s=AVNPUEhUT0NFTkNSWVBUSVaP4zyKF4qdzGb8PY"
            "XRFY2poaAOWE20fUiquUBd3DxoZw",
            "https://www.sophos.com/de-de/products/sophos-email",
        ),
    ],
)
def test_published_examples(wrapped, original):
    assert unwrap(wrapped, strict=True) == original


@pytest.mark.parametrize(
    "host", ["www.google.com", "google.com", "www.google.de", "www.google.co.uk", "www.google.com.au"]
)
def test_google_redirects_on_any_google_country_host(host):
    assert unwrap(f"https://{host}/url?q=https%3A%2F%2Fexample.com%2F&sa=D") == "https://example.com/"


@pytest.mark.parametrize(
    "lookalike",
    [
        "https://google.com.evil.example/url?q=https%3A%2F%2Fx.example",
        "https://evilgoogle.com/url?q=https%3A%2F%2Fx.example",
        "https://www.google.com/search?q=https%3A%2F%2Fx.example",
        "https://l.facebook.com.evil.example/l.php?u=https%3A%2F%2Fx.example",
        "https://l.facebook.com/other.php?u=https%3A%2F%2Fx.example",
        "https://evil.example/l.php?u=https%3A%2F%2Fl.facebook.com",
        "https://protection.sophos.com.evil.example/?u=aHR0cHM6Ly94LmV4YW1wbGU=",
        "https://awstrack.me/L0/https%3A%2F%2Fx.example/1/a",
        "https://www.linkedin.com/in/someone?url=https%3A%2F%2Fx.example",
    ],
)
def test_lookalikes_and_other_pages_of_redirector_hosts_are_left_untouched(lookalike):
    result = unwrap_chain(lookalike)
    assert result.url == lookalike and result.layers == ()


def test_google_search_result_takes_url_when_q_is_empty():
    wrapped = "https://www.google.com/url?sa=t&q=&url=https%3A%2F%2Fexample.com%2Fa&usg=x"
    assert unwrap(wrapped) == "https://example.com/a"


def test_sophos_base64_keeps_raw_plus_and_slash():
    # "https://example.org/>>>?~~~" encodes to base64 with "+" and "/" in it.
    original = "https://example.org/>>>?~~~"
    wrapped = "https://us-west-2.protection.sophos.com?d=example.org&u=aHR0cHM6Ly9leGFtcGxlLm9yZy8+Pj4/fn5+&i=x"
    assert unwrap(wrapped, strict=True) == original


def test_sophos_that_is_not_base64_is_an_error():
    result = unwrap_chain("https://eu-west-1.protection.sophos.com/?d=x&u=not*base64!")
    assert result.error.startswith("layer 1 (sophos): payload is not base64")


def test_missing_payload_is_an_error_naming_the_wrapper_and_parameter():
    result = unwrap_chain("https://l.facebook.com/l.php?h=AT0")
    assert result.error == "layer 1 (facebook): no u= carrying the wrapped URL"
    assert result.url == "https://l.facebook.com/l.php?h=AT0"


def test_payload_bytes_that_are_not_utf8_stay_escaped_and_are_noted():
    result = unwrap_chain("https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fexample.com%2fcaf%e9&c=E")
    assert result.url == "https://example.com/caf%E9"
    assert any("not UTF-8" in repair for repair in result.repairs)


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://protect-eu.mimecast.com/s/AbCdEfGh?domain=example.org", "mimecast"),
        ("https://protect-us.mimecast.com/s/x1Y2z3", "mimecast"),
        ("https://url.uk.m.mimecastprotect.com/s/AbCdEf?domain=example.org", "mimecast"),
        ("https://url.us.a.mimecastprotect.com/s/AbCdEf?domain=example.org", "mimecast"),
        ("https://t.co/AbCdEf1234", "shortener"),
        ("https://bit.ly/3xYz", "shortener"),
        ("https://lnkd.in/eAbC-dEf", "shortener"),
        ("https://tinyurl.com/y4abcd", "shortener"),
        ("https://ow.ly/AbC50Q1x", "shortener"),
        ("https://buff.ly/3AbC", "shortener"),
        ("https://trib.al/AbCdEf", "shortener"),
        ("https://aka.ms/AbC", "shortener"),
    ],
)
def test_opaque_wrappers_are_reported_and_returned_unchanged(url, kind):
    result = unwrap_chain(url)
    assert result.url == url and result.opaque == kind and result.ok
    assert result.layers == ()


@pytest.mark.parametrize("url", ["https://www.mimecast.com/products/", "https://t.co.evil.example/x"])
def test_hosts_near_opaque_wrappers_are_not_opaque(url):
    assert unwrap_chain(url).opaque is None
