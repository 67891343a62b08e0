"""Finding links: every text shape in input/, positions, canonical keys, tracking, bases, redaction."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import Link, extract_links, find_links
from archiver.canonical import canonical_url
from archiver.redact import PLACEHOLDER, redact_text
from archiver.sources import source_from_bytes
from tests.encoders.proofpoint import V3_TOKEN, encode_v3
from tests.encoders.safelinks import MESSAGE_ID, RECIPIENT, TENANT_ID, wrap_safelinks
from tests.sample_input import ALL_ORIGINALS, INPUT

WRAPPER_HOSTS = ("safelinks.protection.outlook.com", "urldefense.com", "urldfense.com")


def links_in(text: str, name: str = "doc.md", **options) -> list[Link]:
    source = source_from_bytes(name, text.encode("utf-8"), base=options.pop("base", None))
    return find_links([source], **options)


def urls(links: list[Link]) -> list[str]:
    return [link.url for link in links]


# --- input/ -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def input_links() -> list[Link]:
    return extract_links(INPUT)


def test_input_originals_are_exactly_the_expected_set(input_links):
    absolute = {link.url for link in input_links if not link.relative}
    assert absolute == ALL_ORIGINALS
    assert all(link.error is None for link in input_links)


def test_input_has_no_wrapper_left_in_any_url(input_links):
    for link in input_links:
        assert not any(host in link.url for host in WRAPPER_HOSTS), link.url


def test_input_wrapped_links_are_deduplicated_with_every_occurrence(input_links):
    by_url = {link.url: link for link in input_links}
    rferl = by_url["https://www.rferl.org/fa/1065331.html"]
    assert len(rferl.occurrences) == 16  # eight Markdown links, each with the URL as its label
    assert rferl.kinds[0] == "safelinks"
    assert all(o.chain.layers for o in rferl.occurrences)
    assert len({(o.source, o.line, o.column) for o in rferl.occurrences}) == 16


def test_input_occurrences_point_at_the_text_written_there(input_links):
    for link in input_links:
        for occurrence in link.occurrences:
            line = (Path(occurrence.source).read_text(encoding="utf-8").split("\n"))[occurrence.line - 1]
            assert line[occurrence.column - 1 :].startswith(occurrence.wrapped), (link.url, occurrence)


def test_input_known_positions_and_anchors(input_links):
    by_url = {link.url: link for link in input_links}
    majalla = by_url[sorted(u for u in ALL_ORIGINALS if "majalla" in u)[0]].occurrences
    assert [(Path(o.source).name[:3], o.line) for o in majalla] == [("000", 99)]
    moscow = by_url[sorted(u for u in ALL_ORIGINALS if "themoscowtimes" in u)[0]].occurrences
    assert [(Path(o.source).name[:3], o.line, o.column) for o in moscow] == [("001", 71, 2)]
    kyiv = by_url["https://www.kyivpost.com/post/22528"].occurrences
    assert kyiv[0].anchor == "training of Hamas" and kyiv[0].line == 79
    assert kyiv[1].anchor is None  # the bare URL in parentheses after the Markdown link


def test_input_relative_link_without_base_is_listed_not_resolved(input_links):
    anna = next(link for link in input_links if link.url == "/experts/anna-borshchevskaya")
    assert anna.relative
    assert [(o.line, o.anchor) for o in anna.occurrences] == [(5, "Anna Borshchevskaya"), (15, "Anna Borshchevskaya")]


def test_hash_anchors_alone_are_not_links(input_links):
    assert not any(link.url.startswith("#") or link.url == "" for link in input_links)
    assert links_in("[labels](#) and [x](#section)\n") == []


# --- text shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("see [docs](https://a.example/x) now", "https://a.example/x"),
        ("autolink <https://a.example/x?y=1>.", "https://a.example/x?y=1"),
        ("bare https://a.example/x. Next sentence", "https://a.example/x"),
        ("(https://a.example/x), then", "https://a.example/x"),
        ("wiki https://en.wikipedia.org/wiki/Foo_(bar) here", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("quoted “https://a.example/x” and 'https://a.example/x'!", "https://a.example/x"),
        ("escaped https://a.example/a\\_b\\_c here", "https://a.example/a_b_c"),
        ("*https://a.example/x*", "https://a.example/x"),
        ("go to www.example.com/path, ok", "http://www.example.com/path"),
        ("HTTPS://A.EXAMPLE/x", "https://a.example/x"),
        ("Http://A.example/x and Www.Example.com/y", {"http://a.example/x", "http://www.example.com/y"}),
        ("WWW.EXAMPLE.COM/Y (caps)", "http://www.example.com/Y"),
        ("not a link: mywww.example.com or xhttps://a.example/x", set()),
    ],
)
def test_text_shapes(text, expected):
    assert set(urls(links_in(text))) == ({expected} if isinstance(expected, str) else expected)


def test_url_as_label_of_a_markdown_link_is_cut_at_the_bracket():
    original = "https://a.example/page"
    links = links_in(f"[{original}]({wrap_safelinks(original)})\n")
    assert urls(links) == [original]
    label, target = links[0].occurrences
    assert label.wrapped == original and label.anchor is None and label.column == 2
    assert target.anchor == original and target.chain.kinds == ("safelinks",)


def test_escaped_relative_path_in_a_label_and_bare_parenthesised_path():
    links = links_in("by [Anna B \\(/experts/anna\\)](#)\n\n(/policy/x)\n\nand/or (/s) [r](page.html)\n")
    assert [(l.url, l.relative, l.occurrences[0].anchor) for l in links] == [
        ("/experts/anna", True, "Anna B"),
        ("/policy/x", True, None),
        ("/s", True, None),
        ("page.html", True, "r"),
    ]


def test_relative_links_resolve_against_base_option():
    links = links_in("[Anna \\(/experts/anna\\)](#) and [p](../up.html)\n", base="https://site.example/a/b/")
    assert [(l.url, l.relative) for l in links] == [
        ("https://site.example/experts/anna", False),
        ("https://site.example/a/up.html", False),
    ]


def test_relative_links_resolve_against_the_documents_own_address():
    text = "Read [more \\(/next\\)](#)\n\nOriginal url:\n\n<https://news.example/2023/story>\n"
    assert urls(links_in(text, base="https://other.example/")) == [
        "https://news.example/next",
        "https://news.example/2023/story",
    ]


def test_same_wrapped_url_repeated_is_one_link_with_every_occurrence():
    wrapped = wrap_safelinks("https://a.example/report")
    text = "\n".join(f"line {i}: {wrapped}" for i in range(1, 51)) + "\n"
    (link,) = links_in(text)
    assert link.url == "https://a.example/report"
    assert [o.line for o in link.occurrences] == list(range(1, 51))
    assert {o.column for o in link.occurrences} == {9, 10}


def test_line_and_column_with_crlf_and_non_ascii():
    text = "Ünïcödé line\r\n  → https://a.example/x\r\n"
    (link,) = links_in(text)
    assert (link.occurrences[0].line, link.occurrences[0].column) == (2, 5)


# --- canonical form, dedup, tracking ----------------------------------------------------------


def test_canonical_form_merges_spellings_and_keeps_fragment_on_the_occurrence():
    links = links_in(
        "HTTPS://Example.COM:443/a%7e/%c3%bc and https://example.com/a~/ü#Part2 and https://example.com/a~/%C3%BC\n"
    )
    (link,) = links
    assert link.url == "https://example.com/a~/%C3%BC"
    assert [o.fragment for o in link.occurrences] == [None, "Part2", None]


def test_tracking_parameters_are_removed_and_recorded():
    text = "https://shop.example/item?id=7&utm_source=news&utm_medium=mail&fbclid=AbC&mc_eid=1&gclid=x\n"
    (link,) = links_in(text)
    assert link.url == "https://shop.example/item?id=7"
    assert link.removed_params == ["utm_source", "utm_medium", "fbclid", "mc_eid", "gclid"]
    (kept,) = links_in(text, keep_tracking=True)
    assert kept.url == text.strip() and kept.removed_params == []


def test_tracking_removed_inside_a_wrapped_link_too():
    (link,) = links_in(wrap_safelinks("https://a.example/p?utm_campaign=x&q=1"))
    assert (link.url, link.removed_params) == ("https://a.example/p?q=1", ["utm_campaign"])


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://EXAMPLE.com:80", "http://example.com/"),
        ("https://example.com:8443/%7Euser/%2f", "https://example.com:8443/~user/%2F"),
        ("https://example.com/a b|c", "https://example.com/a%20b%7Cc"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://user@Example.com/?a=1&&b=%41", "https://user@example.com/?a=1&&b=A"),
    ],
)
def test_canonical_url_cases(url, expected):
    assert canonical_url(url).url == expected


_URL_CHARS = st.text(alphabet=st.sampled_from("abcXYZ019-._~%/?=&:@!$'()*+,;é €#"), max_size=30)


@settings(max_examples=200, deadline=None)
@given(host=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}\.(com|org)", fullmatch=True), rest=_URL_CHARS)
def test_canonical_form_is_idempotent(host, rest):
    first = canonical_url(f"https://{host}/{rest}")
    again = canonical_url(first.url + (f"#{first.fragment}" if first.fragment is not None else ""))
    assert again.url == first.url
    assert urlsplit(first.url).hostname == host.lower()


@settings(max_examples=200, deadline=None)
@given(
    path=st.text(alphabet=st.sampled_from("abcXYZ0189-_~/%=&"), max_size=25),
    before=st.sampled_from(["", " ", "(", "<", "\n", "see: ", "“"]),
    after=st.sampled_from(["", " ", ".", ",", ")", ">", "!", "”", ". Next", "\n"]),
)
def test_url_found_exactly_in_any_surrounding_punctuation(path, before, after):
    url = f"https://host.example/{path}"
    if before == "(" and after != ")" or before == "<" and after != ">":
        after = {"(": ")", "<": ">"}[before] + after
    links = links_in(f"words {before}{url}{after}", name="doc.txt")
    assert [l.occurrences[0].wrapped for l in links] == [url]


# --- HTML and e-mail --------------------------------------------------------------------------


def test_html_attributes_text_and_relative_links():
    wrapped = wrap_safelinks("https://orig.example/a?x=1&y=2")
    page = (
        "<html><head><base href='https://site.example/dir/'></head><body>\n"
        f'<p>See <a href="{wrapped.replace("&", "&amp;")}">the <b>report</b></a>\n'
        '<img src="/img/logo.png"> and https://text.example/p?a=1&amp;b=2 in text.\n'
        '<a href="mailto:x@example.com">mail</a> <a href="#top">top</a> <a href="page2.html">next</a>\n'
        "<script>var u = 'https://script.example/';</script></p></body></html>\n"
    )
    links = links_in(page, name="page.html")
    assert [(l.url, l.occurrences[0].anchor, l.occurrences[0].line) for l in links] == [
        ("https://orig.example/a?x=1&y=2", "the report", 2),
        ("https://site.example/img/logo.png", None, 3),
        ("https://text.example/p?a=1&b=2", None, 3),
        ("https://site.example/dir/page2.html", "next", 4),
    ]
    source_text = page.split("\n")
    for link in links:
        occurrence = link.occurrences[0]
        assert source_text[occurrence.line - 1][occurrence.column - 1 :].startswith(occurrence.wrapped)


def test_email_parts_are_searched_with_lines_in_the_decoded_text():
    message = EmailMessage()
    message["Subject"] = "x"
    wrapped = wrap_safelinks("https://plain.example/" + "long-path/" * 10)
    message.set_content(f"Hello,\nplease read {wrapped}\n", cte="quoted-printable")  # soft line breaks
    message.add_alternative(f'<p><a href="{wrap_safelinks("https://html.example/")}">here</a></p>\n', subtype="html")
    source = source_from_bytes("m.eml", message.as_bytes())
    links = find_links([source])
    assert urls(links) == ["https://plain.example/" + "long-path/" * 10, "https://html.example/"]
    assert links[0].occurrences[0].line == 2
    assert links[1].occurrences[0].anchor == "here"


def test_extract_links_takes_text_or_paths(tmp_path):
    (tmp_path / "a.txt").write_text("https://a.example/\n")
    assert urls(extract_links("text with https://t.example/x")) == ["https://t.example/x"]
    assert urls(extract_links(tmp_path)) == ["https://a.example/"]
    assert urls(extract_links(str(tmp_path / "a.txt"))) == ["https://a.example/"]
    assert urls(extract_links(str(tmp_path / "absent.txt"))) == []  # text that names no file
    assert urls(extract_links([tmp_path / "a.txt", str(tmp_path / "a.txt")])) == ["https://a.example/"]


def test_unwrap_error_is_recorded_on_the_link():
    broken = "https://eur01.safelinks.protection.outlook.com/?data=05%7C01&reserved=0"
    (link,) = links_in(f"see {broken}\n")
    assert link.error is not None


# --- privacy ----------------------------------------------------------------------------------


def test_recipient_and_tenant_only_in_chain_and_raw_text_and_redacted_on_request():
    wrapped = wrap_safelinks(encode_v3("https://orig.example/p"))
    text = f"[{wrapped}]({wrapped})\n"  # the label is the wrapped URL too
    (link,) = links_in(text)
    assert link.url == "https://orig.example/p"
    plain = link.to_dict()
    assert RECIPIENT not in json.dumps({k: v for k, v in plain.items() if k != "occurrences"})
    assert RECIPIENT in json.dumps(plain["occurrences"][0]["chain"])
    redacted = json.dumps(link.to_dict(redact=True))
    for secret in (RECIPIENT, RECIPIENT.replace("@", "%40"), TENANT_ID, MESSAGE_ID, V3_TOKEN):
        assert secret not in redacted
    assert PLACEHOLDER in redacted and "https://orig.example/p" in redacted


def test_redact_text_keeps_everything_else():
    wrapped = wrap_safelinks("https://orig.example/p")
    redacted = redact_text(wrapped)
    assert redacted.startswith(wrapped.split("&data=")[0] + "&data=05%7C01%7CREDACTED%7CREDACTED%7CREDACTED%7C0")
    assert redacted.endswith("&reserved=0")
    assert redact_text("no secrets https://a.example/?r=1") == "no secrets https://a.example/?r=1"


def test_relative_html_base_resolves_against_the_base_option_or_leaves_links_relative():
    html = '<html><head><base href="/rel/"></head><body><a href="c">c</a></body></html>\n'
    (resolved,) = links_in(html, "page.html", base="https://given.example/x/")
    assert (resolved.url, resolved.relative, resolved.error) == ("https://given.example/rel/c", False, None)
    (unresolved,) = links_in(html, "page.html")
    assert (unresolved.url, unresolved.relative, unresolved.error) == ("c", True, None)


def test_dotless_hosts_count_after_an_explicit_scheme_only():
    text = (
        "local http://localhost:18081/x, v6 http://[::1]:18081/x and http://2130706433:8080/ "
        "or (http://0x7f000001/). Not links: http:// alone, http:///path, localhost:18081/y\n"
    )
    assert urls(links_in(text, "notes.txt")) == [
        "http://localhost:18081/x",
        "http://[::1]:18081/x",
        "http://2130706433:8080/",
        "http://0x7f000001/",
    ]
