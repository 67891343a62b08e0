"""`archiver links` and `archiver clean` from the command line: formats, problems, exit codes, files."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.cli import main
from tests.encoders.safelinks import RECIPIENT, TENANT_ID, wrap_safelinks

ROOT = Path(__file__).resolve().parent.parent
INPUT = ROOT / "input"
WRAPPER_HOSTS = ("safelinks.protection.outlook.com", "urldefense.com", "urldfense.com")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_contract_fields(capsys):
    code, out, err = run(capsys, "links", str(INPUT), "--format", "json")
    assert code == 0 and err == ""
    links = json.loads(out)
    assert len(links) == 18  # 11 originals and 7 relative paths of input/000
    for link in links:
        assert {"url", "occurrences", "removed_params", "relative"} <= set(link)
        for occurrence in link["occurrences"]:
            assert {"source", "line", "column", "wrapped", "chain"} <= set(occurrence)
    npr = next(link for link in links if "npr.org" in link["url"])
    assert [layer["kind"] for layer in npr["occurrences"][0]["chain"]["layers"]] == ["safelinks", "proofpoint-v3"]
    assert not any(host in link["url"] for link in links for host in WRAPPER_HOSTS)


def test_jsonl_csv_and_plain_agree(capsys):
    _, as_json, _ = run(capsys, "links", str(INPUT), "--format", "json")
    _, as_jsonl, _ = run(capsys, "links", str(INPUT), "--format", "jsonl")
    _, as_csv, _ = run(capsys, "links", str(INPUT), "--format", "csv")
    _, as_plain, _ = run(capsys, "links", str(INPUT))  # not a terminal: plain lines
    links = json.loads(as_json)
    assert [json.loads(line) for line in as_jsonl.splitlines()] == links
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert len(rows) == sum(len(link["occurrences"]) for link in links)
    assert {(r["url"], r["line"], r["column"]) for r in rows} == {
        (link["url"], str(o["line"]), str(o["column"])) for link in links for o in link["occurrences"]
    }
    assert [line.split("\t")[0].split(" [")[0] for line in as_plain.splitlines()] == [l["url"] for l in links]


def test_table_format(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run(capsys, "links", str(INPUT / "001_b577b2587dd94c60.txt"), "--format", "table")
    assert code == 0
    assert "Original URL" in out and "themoscowtimes" in out


def test_problems_go_to_stderr_and_exit_1_after_printing_everything(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("https://a.example/\n")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01\x02\x03")
    broken = "https://eur01.safelinks.protection.outlook.com/?data=05%7C01&reserved=0"
    (tmp_path / "c.txt").write_text(f"broken {broken}\n")
    code, out, err = run(capsys, "links", str(tmp_path), "--format", "jsonl")
    assert code == 1
    assert [json.loads(line)["url"] for line in out.splitlines()][0] == "https://a.example/"
    assert "b.bin" in err and "binary" in err
    assert "c.txt:1:8" in err and "cannot unwrap" in err


def test_redact_hides_recipient_and_tenant_everywhere(tmp_path, capsys):
    wrapped = wrap_safelinks("https://orig.example/p")
    (tmp_path / "mail.md").write_text(f"see [{wrapped}]({wrapped})\n")
    for fmt in ("json", "jsonl", "csv", "plain"):
        _, shown, _ = run(capsys, "links", str(tmp_path), "--format", fmt)
        _, redacted, _ = run(capsys, "links", str(tmp_path), "--format", fmt, "--redact")
        assert "https://orig.example/p" in redacted
        for secret in (RECIPIENT.replace("@", "%40"), RECIPIENT, TENANT_ID):
            assert secret not in redacted, fmt
        if fmt in ("json", "jsonl", "csv"):
            assert RECIPIENT.replace("@", "%40") in shown  # the raw wrapped text, unless redacted


def test_keep_tracking_and_base_options(tmp_path, capsys):
    (tmp_path / "n.md").write_text("[x](https://a.example/p?utm_source=n&id=1) [y](/rel)\n")
    _, out, _ = run(capsys, "links", str(tmp_path), "--format", "json", "--base", "https://b.example/")
    assert [(l["url"], l["removed_params"], l["relative"]) for l in json.loads(out)] == [
        ("https://a.example/p?id=1", ["utm_source"], False),
        ("https://b.example/rel", [], False),
    ]
    _, out, _ = run(capsys, "links", str(tmp_path), "--format", "json", "--keep-tracking")
    assert [(l["url"], l["relative"]) for l in json.loads(out)] == [
        ("https://a.example/p?utm_source=n&id=1", False),
        ("/rel", True),
    ]


def test_links_and_clean_read_stdin():
    text = f"see {wrap_safelinks('https://orig.example/p')}\r\n".encode()
    links = subprocess.run(
        [sys.executable, "-m", "archiver", "links", "-", "--format", "json"], input=text, capture_output=True, check=True
    )
    assert [l["url"] for l in json.loads(links.stdout)] == ["https://orig.example/p"]
    cleaned = subprocess.run([sys.executable, "-m", "archiver", "clean", "-"], input=text, capture_output=True, check=True)
    assert cleaned.stdout == b"see https://orig.example/p\r\n"


def test_clean_to_output_file_then_links_finds_the_same_originals(tmp_path, capsys):
    source = INPUT / "000_b1eca7cee5a162de.txt"
    out_file = tmp_path / "clean.txt"
    code, _, err = run(capsys, "clean", str(source), "-o", str(out_file))
    assert code == 0 and "43 wrapped URL(s) replaced" in err
    _, before, _ = run(capsys, "links", str(source), "--format", "json")
    _, after, _ = run(capsys, "links", str(out_file), "--format", "json")
    assert [l["url"] for l in json.loads(after)] == [l["url"] for l in json.loads(before)]
    assert not any(o["chain"]["layers"] for l in json.loads(after) for o in l["occurrences"])
    assert source.read_bytes() != out_file.read_bytes()


def test_clean_in_place_keeps_a_backup_unless_told_not_to(tmp_path, capsys):
    original = f"a [x]({wrap_safelinks('https://orig.example/p')})\n".encode()
    doc = tmp_path / "doc.md"
    doc.write_bytes(original)
    assert run(capsys, "clean", str(doc), "--in-place")[0] == 0
    assert doc.read_bytes() == b"a [x](https://orig.example/p)\n"
    assert (tmp_path / "doc.md.bak").read_bytes() == original

    other = tmp_path / "other.md"
    other.write_bytes(original)
    assert run(capsys, "clean", str(other), "--in-place", "--no-backup")[0] == 0
    assert other.read_bytes() == b"a [x](https://orig.example/p)\n"
    assert not (tmp_path / "other.md.bak").exists()


def test_clean_errors(tmp_path, capsys):
    code, _, err = run(capsys, "clean", str(tmp_path / "missing.txt"))
    assert code == 1 and "missing.txt" in err
    code, _, err = run(capsys, "clean", "-", "--in-place")
    assert code == 2 and "stdin" in err
    code, _, err = run(capsys, "clean", str(tmp_path))
    assert code == 2 and "folder" in err
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01binary")
    code, out, err = run(capsys, "clean", str(tmp_path / "blob.txt"))
    assert code == 1 and out == "" and "binary" in err
    with pytest.raises(SystemExit):
        main(["clean", "x", "-o", "y", "--in-place"])


def test_default_input_folder(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, default, _ = run(capsys, "links", "--format", "json")
    _, explicit, _ = run(capsys, "links", "input/", "--format", "json")
    assert default == explicit and json.loads(default)


def test_a_terminal_gets_a_table_and_a_pipe_plain_lines():
    primary, secondary = pty.openpty()
    env = dict(os.environ, COLUMNS="200")
    command = [sys.executable, "-m", "archiver", "links", str(INPUT / "001_b577b2587dd94c60.txt")]
    proc = subprocess.run(command, stdout=secondary, stderr=subprocess.PIPE, env=env, timeout=60)
    os.close(secondary)
    shown = os.read(primary, 65536).decode("utf-8", "replace")
    os.close(primary)
    assert proc.returncode == 0
    assert "Original URL" in shown and "┃" in shown
    piped = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    assert piped.startswith("https://www.themoscowtimes.com/") and "┃" not in piped
