"""Reading inputs: kinds, encodings, folders, stdin, e-mails, bases, and files that are not text."""

from __future__ import annotations

import io
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from archiver.sources import (
    EMAIL,
    HTML,
    MARKDOWN,
    PLAIN,
    Source,
    SourceProblem,
    decode_text,
    encode_text,
    read_sources,
    source_from_bytes,
)

INPUT = Path(__file__).resolve().parent.parent / "input"
CYRILLIC = "Ведомости: ХАМАС оценил позицию Путина — читайте https://www.vedomosti.ru/a\n"
WESTERN = "Café “quoted” — 10 € here: https://example.org/caf%C3%A9\n"


def test_reads_folder_recursively_in_order_and_keeps_relative_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "b.txt").write_text("b https://b.example/\n")
    (tmp_path / "docs" / "a.md").write_text("[a](https://a.example/)\n")
    (tmp_path / "docs" / "sub" / "c.html").write_text("<p><a href='https://c.example/'>c</a></p>")
    (tmp_path / "docs" / ".hidden.txt").write_text("https://hidden.example/\n")

    sources, problems = read_sources(["docs"])

    assert problems == []
    assert [s.path for s in sources] == ["docs/a.md", "docs/b.txt", "docs/sub/c.html"]
    assert [s.media_type for s in sources] == [MARKDOWN, PLAIN, HTML]


def test_default_input_is_the_input_folder(monkeypatch):
    monkeypatch.chdir(INPUT.parent)
    sources, problems = read_sources()
    assert problems == []
    assert sorted(s.path for s in sources) == sorted(f"input/{p.name}" for p in INPUT.iterdir())


def test_binary_and_missing_files_are_problems_and_the_rest_goes_on(tmp_path):
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (tmp_path / "note.txt").write_text("see https://ok.example/\n")

    sources, problems = read_sources([tmp_path, tmp_path / "absent.txt"])

    assert [Path(s.path).name for s in sources] == ["note.txt"]
    messages = {Path(p.path).name: p.message for p in problems}
    assert set(messages) == {"image.png", "absent.txt"}
    assert "binary" in messages["image.png"]
    assert "no such file" in messages["absent.txt"]


def test_binary_content_under_a_text_extension_is_a_problem():
    for name in ("x.eml", "x.html", "x.txt"):
        result = source_from_bytes(name, b"\x00\x01\x02 binary https://x.example/")
        assert isinstance(result, SourceProblem) and result.path == name


def test_stdin_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from stdin https://s.example/x\n")))
    sources, problems = read_sources(["-"])
    assert problems == []
    assert sources[0].path == "-" and "https://s.example/x" in sources[0].text


@pytest.mark.parametrize(
    "data, encoding, bom, text",
    [
        ("plain ascii\n".encode(), "utf-8", b"", "plain ascii\n"),
        ("\ufeffüber\n".encode("utf-8"), "utf-8", b"\xef\xbb\xbf", "über\n"),
        (b"\xff\xfe" + "Grüße €\r\n".encode("utf-16-le"), "utf-16-le", b"\xff\xfe", "Grüße €\r\n"),
        (b"\xfe\xff" + "Grüße €\n".encode("utf-16-be"), "utf-16-be", b"\xfe\xff", "Grüße €\n"),
        (CYRILLIC.encode("cp1251"), "cp1251", b"", CYRILLIC),
        (WESTERN.encode("cp1252"), "cp1252", b"", WESTERN),
        # 0x81 is undefined in windows-1252: only latin-1 can be meant.
        (b"Stra\xdfe \x81 caf\xe9\n", "latin-1", b"", "Straße \x81 café\n"),
    ],
)
def test_encodings_are_detected_and_round_trip(data, encoding, bom, text):
    decoded = decode_text(data)
    assert decoded == (text, encoding, bom)
    assert encode_text(*decoded) == data


def test_declared_html_charset_is_honoured():
    page = '<html><head><meta charset="windows-1251"></head><body>Привет https://x.example/</body></html>'
    source = source_from_bytes("page.html", page.encode("cp1251"))
    assert isinstance(source, Source)
    assert source.encoding == "cp1251" and "Привет" in source.text


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("page.txt", b"<!DOCTYPE html><html><body>x</body></html>", HTML),
        ("saved", b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody\n", EMAIL),
        ("notes.txt", b"[label](https://x.example/) text\n", MARKDOWN),
        ("notes.txt", b"just words https://x.example/\n", PLAIN),
        ("mail.eml", b"Subject: x\n\nbody\n", EMAIL),
    ],
)
def test_kind_from_extension_or_content(name, data, kind):
    source = source_from_bytes(name, data)
    assert isinstance(source, Source) and source.media_type == kind


def test_base_from_original_url_line_in_input_001():
    source = source_from_bytes(
        "input/001.txt", (INPUT / "001_b577b2587dd94c60.txt").read_bytes(), base="https://ignored.example/"
    )
    assert source.base_url == "https://www.themoscowtimes.com/2023/10/30/why-russia-and-hamas-are-growing-closer-a82938"


def test_base_from_html_base_then_canonical_then_option():
    with_base = b'<html><head><base href="https://b.example/dir/"><link rel="canonical" href="https://c.example/"></head></html>'
    canonical_only = b'<html><head><link rel="canonical" href="https://c.example/page"></head></html>'
    neither = b"<html><body><a href='/x'>x</a></body></html>"
    assert source_from_bytes("a.html", with_base).base_url == "https://b.example/dir/"
    assert source_from_bytes("b.html", canonical_only).base_url == "https://c.example/page"
    assert source_from_bytes("c.html", neither, base="https://opt.example/").base_url == "https://opt.example/"
    assert source_from_bytes("d.html", neither).base_url is None


def _mail() -> bytes:
    message = EmailMessage()
    message["From"] = "sender@example.com"
    message["To"] = "jane@example.com"
    message["Subject"] = "Links"
    message.set_content("Привет, see https://plain.example/путь\n", charset="windows-1251", cte="quoted-printable")
    message.add_alternative(
        '<p>HTML part <a href="https://html.example/a?x=1&amp;y=2">link</a></p>\n', subtype="html", cte="base64"
    )
    message.add_attachment(b"https://attached.example/", maintype="application", subtype="octet-stream", filename="a.bin")
    return message.as_bytes()


def test_email_text_and_html_parts_are_decoded_attachments_skipped():
    source = source_from_bytes("m.eml", _mail())
    assert isinstance(source, Source) and source.media_type == EMAIL
    assert "Привет, see https://plain.example/путь" in source.text  # quoted-printable + windows-1251
    assert 'href="https://html.example/a?x=1&amp;y=2"' in source.text  # base64
    assert "attached.example" not in source.text
    assert [s.media_type for s in source.parts()] == [PLAIN, HTML]
    for part in source.parts():
        assert source.text[part.start : part.end].strip()


def test_email_part_with_an_unknown_charset_falls_back_to_detection():
    mail = "Subject: x\nContent-Type: text/plain; charset=x-bogus\n\nCaf\u00e9 https://a.example/\n".encode("cp1252")
    source = source_from_bytes("m.eml", mail)
    assert isinstance(source, Source) and source.text == "Caf\u00e9 https://a.example/\n"


def test_relative_html_base_resolves_against_the_document_address_or_the_option():
    relative = b'<html><head><base href="/rel/"></head><body><a href="c">c</a></body></html>'
    with_canonical = relative.replace(b"<head>", b'<head><link rel="canonical" href="https://own.example/x/y">')
    given = "https://given.example/x/"
    assert source_from_bytes("a.html", relative, base=given).base_url == "https://given.example/rel/"
    assert source_from_bytes("b.html", with_canonical, base=given).base_url == "https://own.example/rel/"
    assert source_from_bytes("c.html", relative).base_url is None  # nothing to resolve it against
    relative_canonical = b'<html><head><link rel="canonical" href="/p/q"></head></html>'
    assert source_from_bytes("d.html", relative_canonical, base=given).base_url == "https://given.example/p/q"
    assert source_from_bytes("e.html", relative_canonical).base_url is None


def test_relative_html_base_in_an_email_part_resolves_against_the_option():
    message = EmailMessage()
    message["Subject"] = "x"
    message.set_content('<base href="/rel/"><a href="c">c</a>', subtype="html")
    source = source_from_bytes("m.eml", message.as_bytes(), base="https://given.example/x/")
    assert isinstance(source, Source) and source.base_url == "https://given.example/rel/"


def test_special_files_are_named_for_what_they_are(tmp_path):
    sources, problems = read_sources(["/dev/null", str(tmp_path / "absent.txt")])
    assert sources == []
    assert [(p.path, p.message) for p in problems] == [
        ("/dev/null", "not a regular file (a character device); skipped"),
        (str(tmp_path / "absent.txt"), "no such file or folder"),
    ]


def test_a_named_pipe_is_read_like_a_file(tmp_path):
    import os
    import threading

    pipe = tmp_path / "links.pipe"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_bytes, args=(b"see https://piped.example/a\n",))
    writer.start()
    sources, problems = read_sources([str(pipe)])
    writer.join()
    assert problems == [] and [s.text for s in sources] == ["see https://piped.example/a\n"]
