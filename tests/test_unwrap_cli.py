"""``archiver unwrap``: arguments or stdin, plain or JSON lines, exit status, errors on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

from archiver.cli import main
from tests.encoders.redirectors import wrap
from tests.encoders.safelinks import wrap_safelinks

ORIGINAL = "https://example.org/caf%C3%A9?q=1+2"
WRAPPED = wrap_safelinks(wrap("google", ORIGINAL))
BROKEN = "https://l.facebook.com/l.php?h=AT0"


def _run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archiver", "unwrap", *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
    )


def test_arguments_are_unwrapped_one_line_each_in_order(capsys):
    assert main(["unwrap", WRAPPED, "https://example.net/", WRAPPED]) == 0
    assert capsys.readouterr().out.splitlines() == [ORIGINAL, "https://example.net/", ORIGINAL]


def test_stdin_is_read_one_url_a_line_when_no_arguments():
    proc = _run(stdin=f"{WRAPPED}\r\n\n{wrap('vk', ORIGINAL)}\n")
    assert proc.returncode == 0
    assert proc.stdout.decode().splitlines() == [ORIGINAL, ORIGINAL]
    assert proc.stderr == b""


def test_a_bad_line_is_reported_on_stderr_and_the_rest_still_printed():
    proc = _run(stdin=f"{BROKEN}\nnot a url\n{WRAPPED}\n")
    assert proc.returncode == 1
    assert proc.stdout.decode().splitlines() == [BROKEN, "not a url", ORIGINAL]
    errors = proc.stderr.decode().splitlines()
    assert errors == [
        f"archiver unwrap: {BROKEN}: layer 1 (facebook): no u= carrying the wrapped URL",
        "archiver unwrap: not a url: not an http(s) URL (no scheme)",
    ]


def test_undecodable_bytes_on_stdin_do_not_stop_the_run():
    proc = _run(stdin=b"https://example.org/\xff\xfe\n" + WRAPPED.encode() + b"\n")
    assert proc.returncode == 0
    assert proc.stdout.decode().splitlines() == ["https://example.org/\ufffd\ufffd", ORIGINAL]


def test_json_prints_the_whole_chain_one_object_a_line(capsys):
    assert main(["unwrap", "--json", WRAPPED, BROKEN]) == 1
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["url"] == ORIGINAL and first["ok"] is True and first["input"] == WRAPPED
    assert [layer["kind"] for layer in first["layers"]] == ["safelinks", "google"]
    assert first["layers"][0]["fields"]["region"] == "eur04"
    assert second["ok"] is False and second["error"].startswith("layer 1 (facebook)")


def test_opaque_links_are_printed_unchanged_and_succeed(capsys):
    assert main(["unwrap", "--json", "https://t.co/AbC"]) == 0
    assert json.loads(capsys.readouterr().out)["opaque"] == "shortener"


def test_help_describes_the_command():
    proc = _run("--help")
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert "--json" in out and "standard input" in out and "Exit status" in out


def test_a_byte_order_mark_on_stdin_is_not_part_of_the_first_url():
    proc = _run(stdin=b"\xef\xbb\xbf" + WRAPPED.encode() + b"\r\nhttps://example.net/\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines() == [ORIGINAL, "https://example.net/"]


def test_control_characters_in_error_messages_are_shown_escaped():
    proc = _run(stdin=b"\x1b[31mnot-a-url\x07\n\xef\xbb\xbf\x00x\n")
    assert proc.returncode == 1
    errors = proc.stderr.decode()
    assert "\x1b" not in errors and "\x07" not in errors and "\x00" not in errors
    assert errors.splitlines() == [
        "archiver unwrap: \\x1b[31mnot-a-url\\x07: not an http(s) URL (no scheme)",
        "archiver unwrap: \\ufeff\\x00x: not an http(s) URL (no scheme)",
    ]
