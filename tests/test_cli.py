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
