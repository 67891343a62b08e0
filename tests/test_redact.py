"""Redaction that holds for wrappers nested in any order: links --redact, report, export --wacz --redact."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from archiver import exitcodes, unwrap_chain
from archiver.cli import main
from archiver.fetch import FetchOptions
from archiver.pipeline import RunOptions, run
from archiver.redact import PLACEHOLDER, Redactor, private_values
from archiver.warc import iter_records, warc_files
from tests.encoders.safelinks import MESSAGE_ID, RECIPIENT, TENANT_ID, wrap_safelinks
from tests.nested_wrappers import SECRETS, V1_TOKEN, V2_TOKEN, WRAPPERS, leaks, nest
from tests.servers import LoopbackServer, Reply
from tests.warcutil import check_archive, split_record

BIN = Path(sys.executable).parent
# Every order of one to three wrappers, repeats allowed (a forwarded mail is wrapped twice).
ORDERS = [order for depth in (1, 2, 3) for order in itertools.product(WRAPPERS, repeat=depth)]


def original(order: tuple[str, ...]) -> str:
    return f"https://orig.example/{'-'.join(order)}?q=1"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("written", [
    RECIPIENT, "joerg%40hochwald.net", "joerg%2540hochwald.net", "joerg%252540hochwald.net",
    "JOERG%40HOCHWALD.NET", "joerg-40hochwald.net", "joerg-2540hochwald.net", "joerg*40hochwald.net",
    "joerg%2A40hochwald.net", "joerg-2D40hochwald.net", "joerg*2540hochwald.net",
    "jo=\nerg%4=\r\n0hochwald.net",  # cut by quoted-printable soft line breaks
])
def test_a_known_value_goes_in_every_encoding_and_nothing_else_does(written: str) -> None:
    redactor = Redactor([RECIPIENT])
    assert redactor.text(f"a=1|{written}|b=2 https://x.example/") == f"a=1|{PLACEHOLDER}|b=2 https://x.example/"


def test_a_value_split_by_proofpoint_v3_placeholders_goes_whole() -> None:
    # v3 moves the non-ASCII bytes (and + %) to the base64 tail: only the ASCII parts stay in the body.
    redactor = Redactor(["jörg+müller@corp.example"])
    assert redactor.text("u=j**Arg*m**Aller@corp.example&x") == f"u={PLACEHOLDER}&x"
    assert redactor.text("j%C3%B6rg%2Bm%C3%BCller%40corp.example") == PLACEHOLDER


def test_private_values_come_from_every_layer_and_short_fields_are_left_out() -> None:
    chain = unwrap_chain(nest("https://orig.example/p", ("v3", "safelinks", "v2", "v1")))
    values = private_values([chain])
    assert {RECIPIENT, MESSAGE_ID, TENANT_ID, V1_TOKEN, V2_TOKEN} <= values
    assert set(SECRETS) == values  # customer ids too; the version "05" and flags are not values
    assert private_values([chain.to_dict()]) == values  # the catalog's JSON form gives the same


def test_an_address_in_the_original_url_and_a_broken_v3_tail_are_redacted(tmp_path: Path, capsys) -> None:
    with_address = "https://orig.example/unsubscribe?email=bob%40corp.example"
    broken = wrap_safelinks(nest("https://orig.example/b", ("v3",)).replace("__;!!", "__;AAAA!!"))
    (tmp_path / "mail.txt").write_text(f"{with_address}\n{broken}\n", encoding="utf-8")
    for fmt in ("json", "csv", "plain"):
        code, out, err = run_cli(capsys, "links", str(tmp_path), "--format", fmt, "--redact")
        assert code == exitcodes.FAILED_ITEMS and "cannot unwrap" in err
        assert "bob" not in out and "https://orig.example/unsubscribe?email=" + PLACEHOLDER in out
        assert not leaks(out + err), fmt


@pytest.fixture(scope="module")
def nested_document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nested")
    lines = [f"{'/'.join(order)}: {nest(original(order), order)}" for order in ORDERS]
    (folder / "mail.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table", "plain"])
def test_links_redact_hides_every_private_value_of_every_nesting(
    nested_document: Path, fmt: str, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "500")  # the table must not fold a value across lines
    code, shown, _ = run_cli(capsys, "links", str(nested_document), "--format", fmt)
    code, redacted, err = run_cli(capsys, "links", str(nested_document), "--format", fmt, "--redact")
    assert code == exitcodes.OK and err == ""
    for order in ORDERS:  # each nesting was unwrapped to its own original, which stays visible
        assert original(order) in redacted
    assert not leaks(redacted)
    if fmt in ("json", "jsonl", "csv"):  # these carry the text as written: the values were there
        assert all(secret in shown for secret in (RECIPIENT.replace("@", "%40"), V2_TOKEN))
        assert PLACEHOLDER in redacted


@pytest.fixture(scope="module")
def nested_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive whose source documents hold links wrapped two and three deep."""
    tmp = tmp_path_factory.mktemp("nested-archive")
    inputs, archive = tmp / "input", tmp / "archive"
    inputs.mkdir()
    options = RunOptions(fetch=FetchOptions(allow_private=True, host_delay=0, retries=0,
                                            robots="ignore", timeout=10))
    with LoopbackServer() as server:
        for name in ("a", "b", "c", "d"):
            server.route(f"/{name}", Reply(200, body=f"<html>page {name}</html>".encode(),
                                           headers=[("Content-Type", "text/html")]))
        (inputs / "mail.txt").write_text(
            f"one {nest(server.url('/a'), ('v3', 'safelinks'))}\n"
            f"two {nest(server.url('/b'), ('safelinks', 'v2'))}\n", encoding="utf-8")
        link = nest(server.url("/c"), ("safelinks", "v1"))
        (inputs / "page.html").write_text(f'<a href="{link}">{link}</a>', encoding="utf-8")
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = "news", "news@sender.example", "team@corp.example"
        mail.set_content(f"read {nest(server.url('/d'), ('v2', 'safelinks'))}\n", cte="quoted-printable")
        (inputs / "mail.eml").write_bytes(bytes(mail))
        assert b"=\n" in bytes(mail)  # soft line breaks cut the link, maybe inside a value
        run([inputs], archive, options)
    return archive


def test_report_json_and_html_hide_the_values_of_nested_wrappers(nested_archive: Path, tmp_path: Path, capsys) -> None:
    code, shown, _ = run_cli(capsys, "report", "--archive", str(nested_archive), "--json", "--no-redact")
    assert code == exitcodes.OK and leaks(shown) >= {"joerg", "hochwald"}
    code, redacted, _ = run_cli(capsys, "report", "--archive", str(nested_archive), "--json")
    assert code == exitcodes.OK and not leaks(redacted)
    assert {"/a", "/b", "/c", "/d"} <= {link["url"][-2:] for s in json.loads(redacted)["sources"] for link in s["links"]}
    page = tmp_path / "report.html"
    assert main(["report", "--archive", str(nested_archive), "--html", str(page)]) == exitcodes.OK
    html = page.read_text(encoding="utf-8")
    assert PLACEHOLDER in html and not leaks(html)


def package_bytes(wacz: Path) -> dict[str, bytes]:
    """Every file of the package; WARC files as their records, each gzip member inflated."""
    files = {}
    with zipfile.ZipFile(wacz) as package:
        for name in package.namelist():
            data = package.read(name)
            files[name] = gzip.decompress(data) if name.endswith(".gz") else data
    return files


def test_export_redact_leaves_no_private_value_in_the_package(nested_archive: Path, tmp_path: Path, capsys) -> None:
    before = {path.name: path.read_bytes() for path in nested_archive.iterdir() if path.is_file()}
    plain, redacted = tmp_path / "plain.wacz", tmp_path / "redacted.wacz"
    assert main(["export", "--archive", str(nested_archive), "--wacz", str(plain)]) == exitcodes.OK
    assert main(["export", "--archive", str(nested_archive), "--wacz", str(redacted), "--redact"]) == exitcodes.OK
    assert "(redacted)" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in nested_archive.iterdir() if path.is_file()} == before

    unredacted = package_bytes(plain)
    assert leaks(unredacted["logs/provenance.json"].decode()) and any(
        leaks(data.decode("utf-8", "replace")) for name, data in unredacted.items() if name.startswith("archive/"))
    files = package_bytes(redacted)
    for name, data in files.items():
        assert not leaks(data.decode("utf-8", "replace")), name
    assert PLACEHOLDER.encode() in files["logs/provenance.json"]

    check = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(redacted)], capture_output=True, text=True)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr


def test_export_redact_rewrites_only_metadata_and_resources_and_the_index_points_into_the_copies(
    nested_archive: Path, tmp_path: Path
) -> None:
    target = tmp_path / "redacted.wacz"
    assert main(["export", "--archive", str(nested_archive), "--wacz", str(target), "--redact"]) == exitcodes.OK
    copies = tmp_path / "copies"
    with zipfile.ZipFile(target) as package:
        for name in package.namelist():
            if name.startswith("archive/"):
                package.extract(name, copies)
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode()
    check_archive(copies / "archive")  # warcio check: every digest matches the rewritten blocks
    for path in warc_files(nested_archive):
        kept = {s.ref.record_id: s for s in iter_records(path)}
        copied = {s.ref.record_id: s for s in iter_records(copies / "archive" / path.name)}
        assert kept.keys() == copied.keys()
        original_bytes, copy_bytes = path.read_bytes(), (copies / "archive" / path.name).read_bytes()
        rewritten = 0
        for record_id, old in kept.items():
            new = copied[record_id]
            old_member = original_bytes[old.ref.offset: old.ref.offset + old.ref.length]
            new_member = copy_bytes[new.ref.offset: new.ref.offset + new.ref.length]
            if old.ref.record_type in ("request", "response", "revisit", "warcinfo"):
                assert old_member == new_member  # replay serves exactly what was captured
            else:
                fields, block = split_record(gzip.decompress(new_member))
                assert int(fields["Content-Length"]) == len(block)
                rewritten += old_member != new_member
        assert rewritten
    responses = [json.loads(line.split(" ", 2)[2]) for line in index.splitlines() if '"response"' in line
                 or "text/html" in line]
    assert responses
    for entry in responses:  # each index entry names a record that is there, at that offset
        data = (copies / "archive" / entry["filename"]).read_bytes()
        member = gzip.decompress(data[int(entry["offset"]): int(entry["offset"]) + int(entry["length"])])
        assert member.startswith(b"WARC/1.1\r\n")
