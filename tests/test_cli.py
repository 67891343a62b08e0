"""The command line's frame: help, version, subcommand discovery."""

import subprocess
import sys

import archiver
from archiver.cli import main


def test_version_flag_prints_package_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"archiver {archiver.__version__}"


def test_python_dash_m_shows_help():
    out = subprocess.run(
        [sys.executable, "-m", "archiver", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "usage: archiver" in out


def test_missing_subcommand_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "archiver"], capture_output=True, text=True)
    assert proc.returncode == 2


def test_public_api_names_all_resolve():
    for name in archiver.__all__:
        assert getattr(archiver, name) is not None
    assert callable(archiver.run) and callable(archiver.unwrap)


def _archiver(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archiver", *args], capture_output=True, text=True)


def test_an_unknown_option_is_reported_with_the_subcommands_usage():
    for command in ("unwrap", "links", "clean"):
        proc = _archiver(command, "--bogus", "x")
        assert proc.returncode == 2
        assert proc.stderr.startswith(f"usage: archiver {command} ")
        assert f"archiver {command}: error: unrecognized arguments: --bogus" in proc.stderr


def test_base_must_be_an_absolute_http_url(tmp_path):
    (tmp_path / "a.md").write_text("[x](/y)\n")
    for command in ("links", "run"):
        for bad in ("notaurl", "ftp://x/", "https://", "http://[::1"):
            proc = _archiver(command, "--base", bad, str(tmp_path / "a.md"))
            assert proc.returncode == 2, (command, bad)
            assert f"argument --base: {bad!r} is not" in proc.stderr
    good = _archiver("links", "--base", "https://given.example/d/", str(tmp_path / "a.md"))
    assert good.returncode == 0 and good.stdout.startswith("https://given.example/y\t")


def test_links_names_why_a_special_file_is_skipped():
    proc = _archiver("links", "/dev/null")
    assert proc.returncode == 1
    assert "/dev/null: not a regular file (a character device)" in proc.stderr
    assert "no such file" not in proc.stderr
