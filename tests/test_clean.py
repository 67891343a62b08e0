"""clean(): only the wrapped URLs change; structure, line endings and encoding stay byte for byte."""

from __future__ import annotations

import difflib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import find_links
from archiver.cleaning import clean, clean_text
from archiver.sources import Source, source_from_bytes
from tests.encoders.proofpoint import encode_v3
from tests.encoders.safelinks import RECIPIENT, wrap_safelinks

INPUT = Path(__file__).resolve().parent.parent / "input"
INPUT_FILES = sorted(INPUT.glob("*.txt"))


def read(name: str, data: bytes) -> Source:
    source = source_from_bytes(name, data)
    assert isinstance(source, Source)
    return source


def originals(source: Source) -> set[str]:
    return {link.url for link in find_links([source])}


def wrapped_spans(source: Source) -> list[tuple[int, int]]:
    return sorted(
        (o.start, o.end) for link in find_links([source]) for o in link.occurrences if o.chain.layers
    )


@pytest.mark.parametrize("path", INPUT_FILES, ids=lambda p: p.name[:3])
def test_clean_input_changes_only_wrapped_urls(path):
    before = read(path.name, path.read_bytes())
    result = clean(before)
    after = read(path.name, result.data)

    assert result.problems == []
    assert originals(after) == originals(before)
    assert wrapped_spans(after) == []  # no wrapper left
    assert after.text.count("\n") == before.text.count("\n")

    spans = wrapped_spans(before)
    assert result.replaced == len(spans)
    link_spans = [(o.start, o.end) for link in find_links([after]) for o in link.occurrences]
    # difflib line by line (URLs never contain a line break), then character by character: every
    # changed stretch was inside a wrapped URL and is now inside a link.
    old_starts, new_starts = line_starts(before.text), line_starts(after.text)
    for number, (old, new) in enumerate(zip(before.text.split("\n"), after.text.split("\n"))):
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            old_span = (old_starts[number] + i1, old_starts[number] + i2)
            new_span = (new_starts[number] + j1, new_starts[number] + j2)
            assert any(s <= old_span[0] and old_span[1] <= e for s, e in spans), (number + 1, old[i1:i2])
            assert any(s <= new_span[0] and new_span[1] <= e for s, e in link_spans), (number + 1, new[j1:j2])


def line_starts(text: str) -> list[int]:
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return starts


def test_clean_input_000_replaces_every_wrapped_link():
    path = next(p for p in INPUT_FILES if p.name.startswith("000"))
    result = clean(read(path.name, path.read_bytes()))
    assert result.replaced == 43
    text = result.data.decode("utf-8")
    assert "safelinks" not in text and "urldefense" not in text and "urldfense" not in text
    assert "[training of Hamas](https://www.kyivpost.com/post/22528) (https://www.kyivpost.com/post/22528)" in text


def test_unwrapped_documents_come_back_identical():
    for path in INPUT_FILES[1:]:
        data = path.read_bytes()
        result = clean(read(path.name, data))
        assert (result.data, result.replaced) == (data, 0)


@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("cp1251", b"")])
def test_line_endings_encoding_and_bom_kept(encoding, bom):
    wrapped = wrap_safelinks("https://orig.example/путь")
    text = f"Привет!\r\n\r\nСсылка: [отчёт]({wrapped}).\r\nКонец\r\n"
    data = bom + text.encode(encoding)
    result = clean(read("doc.txt", data))
    expected = text.replace(wrapped, "https://orig.example/путь")
    assert result.data == bom + expected.encode(encoding)


def test_original_that_the_encoding_cannot_write_is_percent_encoded():
    wrapped = wrap_safelinks("https://orig.example/путь")
    result = clean(read("doc.txt", f"Caf\xe9 {wrapped}\n".encode("cp1252")))
    assert result.data == "Caf\xe9 https://orig.example/%D0%BF%D1%83%D1%82%D1%8C\n".encode("cp1252")


def test_html_href_stays_escaped_and_nothing_else_changes():
    inner = "https://orig.example/a?x=1&y=2"
    wrapped = wrap_safelinks(inner)
    page = (
        "<!DOCTYPE html>\n<html><body>\n"
        f'<p class="x">Read <a href="{wrapped.replace("&", "&amp;")}" title="t">the report</a>,\n'
        f"or paste {wrapped.replace('&', '&amp;')} &mdash; <a href='{wrapped}'>single</a></p>\n"
        "</body></html>\n"
    )
    result = clean(read("page.html", page.encode("utf-8")))
    expected = (
        "<!DOCTYPE html>\n<html><body>\n"
        '<p class="x">Read <a href="https://orig.example/a?x=1&amp;y=2" title="t">the report</a>,\n'
        "or paste https://orig.example/a?x=1&amp;y=2 &mdash; <a href='https://orig.example/a?x=1&amp;y=2'>single</a></p>\n"
        "</body></html>\n"
    )
    assert result.replaced == 3
    assert result.data.decode("utf-8") == expected


def _mail(linesep: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Sender <sender@example.com>"
    message["To"] = RECIPIENT
    message["Subject"] = "Quarterly links"
    message.set_content(
        f"Hello,\nread {wrap_safelinks('https://plain.example/' + 'long/' * 20)} please.\nBye\n",
        cte="quoted-printable",
    )
    message.add_alternative(
        f'<p>Читать <a href="{wrap_safelinks(encode_v3("https://html.example/x")).replace("&", "&amp;")}">тут</a></p>\n',
        subtype="html",
        charset="utf-8",
        cte="base64",
    )
    return message.as_bytes(policy=policy.default.clone(linesep=linesep))


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_email_parts_are_cleaned_and_headers_kept(linesep):
    data = _mail(linesep)
    result = clean(read("m.eml", data))
    assert result.replaced == 2
    head = data.split((linesep * 2).encode(), 1)[0]
    assert result.data.startswith(head)  # headers byte for byte
    assert (b"\r\n" in result.data) == (linesep == "\r\n")
    cleaned = message_from_bytes(result.data, policy=policy.default)
    plain = cleaned.get_body(("plain",)).get_content()
    html = cleaned.get_body(("html",)).get_content()
    expected_plain = f"Hello,\nread {'https://plain.example/' + 'long/' * 20} please.\nBye\n"
    assert plain == expected_plain.replace("\n", linesep)
    assert html.rstrip("\r\n") == '<p>Читать <a href="https://html.example/x">тут</a></p>'
    for part in cleaned.walk():
        if part.get_content_maintype() == "text":
            original = next(p for p in message_from_bytes(data, policy=policy.default).walk() if p.get_content_type() == part.get_content_type())
            assert part["Content-Transfer-Encoding"] == original["Content-Transfer-Encoding"]
    assert originals(read("m.eml", result.data)) == originals(read("m.eml", data))


def test_wrapped_url_that_cannot_be_unwrapped_is_left_and_reported():
    broken = "https://eur01.safelinks.protection.outlook.com/?data=05%7C01&reserved=0"
    good = wrap_safelinks("https://ok.example/")
    text, replaced, problems = clean_text(f"{broken} and {good}\n", "text/plain")
    assert text == f"{broken} and https://ok.example/\n"
    assert replaced == 1 and len(problems) == 1 and problems[0].startswith("line 1: left as it is")


def test_email_part_with_an_unknown_charset_is_left_as_it_is_and_reported():
    wrapped = wrap_safelinks("https://orig.example/")
    data = f"Subject: x\nContent-Type: text/plain; charset=x-bogus\n\nsee {wrapped}\n".encode()
    source = read("m.eml", data)
    assert [link.url for link in find_links([source])] == ["https://orig.example/"]
    result = clean(source)
    assert (result.data, result.replaced) == (data, 0)
    assert "cannot decode" in result.problems[0]


@settings(max_examples=150, deadline=None)
@given(
    pieces=st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from("ab cé\n\r\t.,;:!?()[]<>*_\"'#-—"), max_size=12),
            st.text(alphabet=st.sampled_from("abcXYZ019-._~/=&"), max_size=15),
            st.sampled_from(["{}", "<{}>", "({})", "[x]({})", "[{}]({})", "{}.", "*{}*"]),
        ),
        max_size=5,
    ),
    tail=st.text(alphabet=st.sampled_from("ab c\n.)"), max_size=5),
)
def test_clean_replaces_exactly_the_wrapped_urls_in_any_text(pieces, tail):
    written, expected = [], []
    for index, (between, path, shape) in enumerate(pieces):
        original = f"https://orig{index}.example/{path}"
        written += [between, " ", shape.format(*[wrap_safelinks(original)] * shape.count("{}")), " "]
        expected += [between, " ", shape.format(*[original] * shape.count("{}")), " "]
    text, replaced, problems = clean_text("".join(written) + tail, "text/markdown")
    assert text == "".join(expected) + tail
    assert (replaced, problems) == (sum(s.count("{}") for _, _, s in pieces), [])


def test_no_backup_without_in_place_is_a_usage_error(tmp_path):
    import subprocess
    import sys

    document = tmp_path / "doc.txt"
    document.write_text(f"see {wrap_safelinks('https://orig.example/p')}\n")
    before = document.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "archiver", "clean", "--no-backup", str(document)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--no-backup only applies with --in-place" in proc.stderr
    assert proc.stdout == "" and document.read_bytes() == before
