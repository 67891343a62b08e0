"""Wrappers inside wrappers: any stack of formats decodes back to the original, layer by layer."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import unwrap_chain
from tests.encoders import proofpoint, redirectors, safelinks
from tests.unwrap_strategies import original_urls
from tests.sample_input import WRAPPED_ORIGINALS

Wrapper = tuple[str, Callable[[str], str]]

WRAPPERS: list[Wrapper] = [
    *[("safelinks", lambda u, f=form: safelinks.wrap_safelinks(u, form=f)) for form in
      ("regional", "bare", "gov", "teams", "owa", "ap")],
    ("safelinks", lambda u: safelinks.wrap_safelinks(u, data_version=None, signed=False, lower_hex=True)),
    ("azure-email", safelinks.wrap_azure_email),
    ("proofpoint-v1", proofpoint.encode_v1),
    ("proofpoint-v2", proofpoint.encode_v2),
    ("proofpoint-v2", lambda u: proofpoint.encode_v2(u, host="urldefense.com")),
    ("proofpoint-v3", proofpoint.encode_v3),
    ("proofpoint-v3", lambda u: proofpoint.encode_v3(u, host="urldefense.us")),
    *[(redirectors.KIND[style], lambda u, s=style: redirectors.wrap(s, u)) for style in redirectors.STYLES],
]


def _wrap_all(url: str, stack: list[Wrapper]) -> str:
    for _, wrap in stack:
        url = wrap(url)
    return url


@settings(max_examples=200, deadline=None)
@given(original_urls(), st.lists(st.sampled_from(WRAPPERS), min_size=1, max_size=4))
def test_any_stack_of_one_to_four_formats_decodes_to_the_original(url, stack):
    result = unwrap_chain(_wrap_all(url, stack))
    assert result.error is None, result.error
    assert result.url == url
    assert result.kinds == tuple(kind for kind, _ in reversed(stack))


@settings(max_examples=30, deadline=None)
@given(original_urls(), st.lists(st.sampled_from(WRAPPERS), min_size=5, max_size=8))
def test_deeper_stacks_decode_too(url, stack):
    stack = [w for w in stack if w[0] != "sophos"]  # base64 grows 4/3 a layer: keep inputs small
    result = unwrap_chain(_wrap_all(url, stack))
    assert result.url == url and result.ok
    assert len(result.layers) == len(stack)


def test_every_pair_of_formats_nests_both_ways():
    original = "https://example.org/päth_a-b/%41?x=1+2&y=*#frag"
    for outer_kind, outer in WRAPPERS:
        for inner_kind, inner in WRAPPERS:
            result = unwrap_chain(outer(inner(original)))
            assert result.url == original, (outer_kind, inner_kind, result.error)
            assert result.kinds == (outer_kind, inner_kind)




def test_every_wrapped_link_in_the_sample_input_decodes_to_its_original():
    root = Path(__file__).resolve().parent.parent
    (sample,) = root.glob("input/000_*.txt")
    # Link text and targets of Markdown links, and bare links in parentheses.
    links = re.findall(r"https?://[^\s\[\]()]+", sample.read_text(encoding="utf-8"))
    wrapped = [link for link in links if "safelinks" in link]
    assert len(wrapped) >= 40
    originals = set()
    for link in wrapped:
        result = unwrap_chain(link)
        assert result.ok, (link, result.error)
        assert result.kinds == ("safelinks", "proofpoint-v3")
        assert result.layers[0].fields["recipient"] == "layelle.saad@majalla.com"
        originals.add(result.url)
    assert originals == WRAPPED_ORIGINALS
