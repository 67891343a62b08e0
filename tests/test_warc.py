"""WarcWriter: records, headers, digests, file naming and roll-over, read back by warcio and our reader."""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from archiver.warc import REVISIT_PROFILE, WarcWriter, iter_records, target_uri, warc_files
from tests.warcutil import make_exchange, member_bytes, read_ref, split_record

BIN = Path(sys.executable).parent
NAME = re.compile(
    r"^archiver-(\d{17})-(\d{5})-(\d+)-([0-9a-f]{6})-([A-Za-z0-9.-]+)\.warc\.gz$"
)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def records_of(path: Path) -> list[tuple[dict[str, str], bytes]]:
    """Every record of a file, split member by member (asserts one record per gzip member)."""
    out = []
    for stored in iter_records(path):
        out.append(split_record(member_bytes(path, stored.ref.offset, stored.ref.length)))
    return out


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True)


def test_exchange_becomes_request_and_response_that_warcio_accepts(tmp_path: Path) -> None:
    body = gzip.compress(b"<html>" + b"x" * 5000 + b"</html>")
    ex = make_exchange(
        tmp_path,
        "http://Example.test/a b/é?q=ü#section",
        body,
        headers=[
            ("Content-Type", "text/html"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Encoding", "gzip"),
            ("X-Dup", "1"),
            ("x-dup", "2"),
        ],
        peer_ip="::1",
    )
    with WarcWriter(tmp_path / "arc", info={"user-agent": "archiver-test/1"}) as writer:
        request_ref, response_ref = writer.write_exchange(ex)
    [path] = warc_files(tmp_path / "arc")
    assert not list((tmp_path / "arc").glob("*.open"))
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout

    (info, info_block), (request, request_block), (response, response_block) = records_of(path)
    assert info["WARC-Type"] == "warcinfo" and info["WARC-Filename"] == path.name
    assert b"user-agent: archiver-test/1\r\n" in info_block
    assert b"software: archiver/" in info_block
    assert request["WARC-Type"] == "request" and response["WARC-Type"] == "response"
    assert request["WARC-Concurrent-To"] == response["WARC-Record-ID"] == response_ref.record_id
    assert response["WARC-Concurrent-To"] == request["WARC-Record-ID"] == request_ref.record_id
    for fields in (request, response):
        assert fields["WARC-Warcinfo-ID"] == info["WARC-Record-ID"]
        assert fields["WARC-Target-URI"] == "http://Example.test/a%20b/%C3%A9?q=%C3%BC"
        assert fields["WARC-IP-Address"] == "::1"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", fields["WARC-Date"])
    assert request_block == ex.request_head
    assert request["Content-Type"] == "application/http;msgtype=request"
    assert response["Content-Type"] == "application/http;msgtype=response"
    head, _, stored_body = response_block.partition(b"\r\n\r\n")
    assert stored_body == body  # still gzip-encoded, exactly as sent
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/html",
        b"X-Orig-Transfer-Encoding: chunked",
        b"Content-Encoding: gzip",
        b"X-Dup: 1",
        b"x-dup: 2",
        f"Content-Length: {len(body)}".encode(),
    ]
    assert response["WARC-Payload-Digest"] == sha256(body) == response_ref.payload_digest
    assert response["WARC-Block-Digest"] == sha256(response_block)
    assert "WARC-Truncated" not in response and "WARC-Target-URI" not in info


def test_content_length_fixed_and_original_kept(tmp_path: Path) -> None:
    ex = make_exchange(
        tmp_path, body=b"0123456789", headers=[("Content-Length", "20")], truncated="disconnect"
    )
    with WarcWriter(tmp_path) as writer:
        _, response_ref = writer.write_exchange(ex)
    fields, block = read_ref(tmp_path, response_ref)
    assert b"\r\nX-Orig-Content-Length: 20\r\nContent-Length: 10\r\n\r\n0123456789" in block
    assert fields["WARC-Truncated"] == "disconnect"


def test_matching_content_length_is_left_alone(tmp_path: Path) -> None:
    ex = make_exchange(tmp_path, body=b"abc", headers=[("content-length", "3")])
    with WarcWriter(tmp_path) as writer:
        _, ref = writer.write_exchange(ex)
    _, block = read_ref(tmp_path, ref)
    assert block == b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc"


def test_http2_is_written_as_http11_with_protocol_field(tmp_path: Path) -> None:
    ex = make_exchange(
        tmp_path, status=404, reason="", http_version="HTTP/2",
        headers=[(":status", "404"), ("content-type", "text/plain")], body=b"gone",
    )
    with WarcWriter(tmp_path) as writer:
        _, ref = writer.write_exchange(ex)
    fields, block = read_ref(tmp_path, ref)
    assert block.startswith(b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n")
    assert b":status" not in block
    assert fields["WARC-Protocol"] == "h2"
    with open(tmp_path / ref.filename, "rb") as handle:
        records = ArchiveIterator(handle)
        statuses = [r.http_headers.get_statuscode() for r in records if r.rec_type == "response"]
    assert statuses == ["404"]


@pytest.mark.parametrize(
    ("peer", "written"),
    [("0:0:0:0:0:0:0:1", "::1"), ("2001:DB8::1", "2001:db8::1"), ("not an ip", None), (None, None)],
)
def test_ip_address_in_rfc5952_form(tmp_path: Path, peer: str | None, written: str | None) -> None:
    with WarcWriter(tmp_path) as writer:
        _, ref = writer.write_exchange(make_exchange(tmp_path, peer_ip=peer))
    fields, _ = read_ref(tmp_path, ref)
    assert fields.get("WARC-IP-Address") == written


def test_record_refs_point_at_single_members(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        refs = [*writer.write_exchange(make_exchange(tmp_path))]
        payload = {"outcome": "ok", "n": "é"}
        refs.append(writer.write_metadata("http://example.test/page#x", payload, refers_to=refs[1].record_id))
        refs.append(writer.write_resource("urn:archiver:source:abc", b"a source text", "text/plain"))
    stored = {s.ref.record_id: s.ref for s in iter_records(tmp_path / refs[0].filename)}
    for ref in refs:
        assert stored[ref.record_id] == ref
        fields, block = read_ref(tmp_path, ref)
        assert fields["WARC-Record-ID"] == ref.record_id
    meta_fields, meta_block = read_ref(tmp_path, refs[2])
    assert meta_fields["Content-Type"] == "application/json"
    assert meta_fields["WARC-Refers-To"] == refs[1].record_id
    assert meta_fields["WARC-Target-URI"] == "urn:archiver:metadata:http://example.test/page"
    assert meta_block.decode() == '{"n": "é", "outcome": "ok"}'
    resource_fields, resource_block = read_ref(tmp_path, refs[3])
    assert resource_block == b"a source text"
    assert resource_fields["WARC-Payload-Digest"] == sha256(b"a source text")


def test_revisit_record(tmp_path: Path) -> None:
    body = b"same body"
    first = make_exchange(tmp_path, body=body, date=datetime(2026, 1, 2, 3, 4, 5, 678901, timezone.utc))
    second = make_exchange(tmp_path, body=body, headers=[("ETag", "x")])
    with WarcWriter(tmp_path) as writer:
        _, original = writer.write_exchange(first)
        request_ref, revisit_ref = writer.write_revisit(second, original)
        with pytest.raises(ValueError, match="not a revisit"):
            writer.write_revisit(make_exchange(tmp_path, body=b"other"), original)
    fields, block = read_ref(tmp_path, revisit_ref)
    assert fields["WARC-Type"] == "revisit"
    assert fields["WARC-Profile"] == REVISIT_PROFILE
    assert fields["WARC-Refers-To"] == original.record_id
    assert fields["WARC-Refers-To-Target-URI"] == "http://example.test/page"
    assert fields["WARC-Refers-To-Date"] == "2026-01-02T03:04:05.678901Z"
    assert fields["WARC-Payload-Digest"] == sha256(body)
    assert fields["WARC-Concurrent-To"] == request_ref.record_id
    assert block == b"HTTP/1.1 200 OK\r\nETag: x\r\nContent-Length: 9\r\n\r\n"
    assert fields["WARC-Truncated"] == "length"  # headers only: the payload is the original's
    assert warcio_check(tmp_path / revisit_ref.filename).returncode == 0
    # The failed revisit left nothing behind: the file ends with the good revisit.
    assert [s.ref.record_type for s in iter_records(tmp_path / revisit_ref.filename)] == [
        "warcinfo", "request", "response", "request", "revisit"
    ]


def test_failed_record_is_cut_away(tmp_path: Path) -> None:
    broken = make_exchange(tmp_path, body=b"short")
    broken.body_length = 500  # the file holds 5 bytes: reading fails half-way
    with WarcWriter(tmp_path) as writer:
        writer.write_exchange(make_exchange(tmp_path))
        with pytest.raises(ValueError, match="shorter"):
            writer.write_exchange(broken)
        writer.write_exchange(make_exchange(tmp_path, body=b"after"))
    [path] = warc_files(tmp_path)
    assert [s.ref.record_type for s in iter_records(path)] == ["warcinfo"] + ["request", "response"] * 2
    assert warcio_check(path).returncode == 0


def test_file_names_roll_over_and_never_collide(tmp_path: Path) -> None:
    writers = [WarcWriter(tmp_path, max_file_size=1500) for _ in range(2)]
    refs = []
    for i in range(4):
        for writer in writers:
            refs.append(writer.write_exchange(make_exchange(tmp_path, body=bytes([65 + i]) * 400)))
    assert len(list(tmp_path.glob("*.warc.gz.open"))) <= 2
    for writer in writers:
        writer.close()
        writer.close()  # idempotent
    files = warc_files(tmp_path)
    assert len(files) == len({f.name for f in files}) >= 4
    assert not list(tmp_path.glob("*.open"))
    for writer in writers:
        serials = [int(NAME.match(name).group(2)) for name in writer.files]  # type: ignore[union-attr]
        assert serials == list(range(len(writer.files)))
    for path in files:
        match = NAME.match(path.name)
        assert match, path.name
        kinds = [s.ref.record_type for s in iter_records(path)]
        assert kinds[0] == "warcinfo" and kinds.count("warcinfo") == 1
        assert kinds[1:] == ["request", "response"] * ((len(kinds) - 1) // 2)  # pairs stay together
    for request_ref, response_ref in refs:
        assert request_ref.filename == response_ref.filename


def test_finished_file_is_never_appended_to(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    writer.write_exchange(make_exchange(tmp_path))
    writer.close()
    [first] = warc_files(tmp_path)
    before = first.read_bytes()
    writer.write_exchange(make_exchange(tmp_path))  # opens a new file, with its own warcinfo
    writer.close()
    assert first.read_bytes() == before
    assert len(warc_files(tmp_path)) == 2
    for path in warc_files(tmp_path):
        assert next(iter_records(path)).ref.record_type == "warcinfo"


def test_nothing_written_means_no_file(tmp_path: Path) -> None:
    WarcWriter(tmp_path).close()
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="prefix"):
        WarcWriter(tmp_path, prefix="a/b")
    with pytest.raises(ValueError, match="max_file_size"):
        WarcWriter(tmp_path, max_file_size=0)
    with WarcWriter(tmp_path) as writer, pytest.raises(ValueError, match="not an absolute URI"):
        writer.write_resource("no-scheme", b"", "text/plain")


def test_cdxj_indexer_indexes_responses_with_our_digest(tmp_path: Path) -> None:
    body = b"indexed body"
    with WarcWriter(tmp_path) as writer:
        _, ref = writer.write_exchange(make_exchange(tmp_path, body=body))
    indexer = [str(BIN / "cdxj-indexer"), str(tmp_path / ref.filename)]
    out = subprocess.run(indexer, capture_output=True, text=True, check=True).stdout
    [line] = [line for line in out.splitlines() if '"status": "200"' in line]
    assert line.startswith("test,example)/page ")
    assert f'"digest": "{sha256(body)}"' in line
    assert f'"offset": "{ref.offset}"' in line and f'"length": "{ref.length}"' in line


@pytest.mark.parametrize(
    ("given_uri", "expected"),
    [
        ("http://example.test/p#frag", "http://example.test/p"),
        ("http://example.test/a b?c d", "http://example.test/a%20b?c%20d"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("http://example.test/%7e%2f", "http://example.test/~%2F"),
        ("urn:archiver:source:abc", "urn:archiver:source:abc"),
    ],
)
def test_target_uri(given_uri: str, expected: str) -> None:
    assert target_uri(given_uri) == expected


@pytest.mark.parametrize("bad", ["", "relative/path", "http://x/\r\nInjected: 1"])
def test_target_uri_rejects_non_uris(bad: str) -> None:
    with pytest.raises(ValueError):
        target_uri(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_target_uri_is_always_plain_ascii(tail: str) -> None:
    try:
        uri = target_uri("http://example.test/" + tail)
    except ValueError:
        assert any(ord(c) < 0x20 or ord(c) == 0x7F for c in tail)
        return
    assert uri.isascii() and " " not in uri and "#" not in uri
    assert uri.startswith("http://example.test/")
