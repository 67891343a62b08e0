"""``archiver index`` (CDXJ) and ``archiver export`` (WACZ) on an archive built by two real runs."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archiver import exitcodes
from archiver.catalog import Catalog
from archiver.cli import main
from archiver.export import MissingPackageError, require
from archiver.warc import iter_records, warc_files
from tests.archive_fixture import BuiltArchive, build_archive

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    return build_archive(tmp_path_factory.mktemp("export"))


def parse_cdxj(text: str) -> list[tuple[str, str, dict]]:
    rows = []
    for line in text.splitlines():
        key, stamp, data = line.split(" ", 2)
        rows.append((key, stamp, json.loads(data)))
    return rows


def test_index_lists_every_response_and_revisit_sorted_with_archive_relative_names(
    built: BuiltArchive, tmp_path: Path, capsys
) -> None:
    target = tmp_path / "index.cdxj"
    assert main(["index", "--archive", str(built.directory), "-o", str(target)]) == exitcodes.OK
    text = target.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines == sorted(lines)
    rows = parse_cdxj(text)
    names = {path.name for path in warc_files(built.directory)}
    assert {data["filename"] for _, _, data in rows} <= names
    stored = [(s.ref.record_id, s.ref.filename, s.ref.offset) for p in warc_files(built.directory)
              for s in iter_records(p) if s.ref.record_type in ("response", "revisit")]
    indexed = {(data["filename"], int(data["offset"])) for _, _, data in rows}
    assert {(name, offset) for _, name, offset in stored} <= indexed
    urls = {data["url"] for _, _, data in rows}
    assert {built.changing, built.stable, built.redirect_target, built.rotting} <= urls
    assert any(data.get("mime") == "warc/revisit" for _, _, data in rows)  # the unchanged pages
    assert "indexed" in capsys.readouterr().err
    # Without -o, the same index goes to stdout.
    assert main(["index", "--archive", str(built.directory)]) == exitcodes.OK
    assert capsys.readouterr().out == text


def test_index_of_a_folder_without_warc_files_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["index", "--archive", str(tmp_path)]) == exitcodes.ARCHIVE_PROBLEM
    assert "no finished .warc.gz file" in capsys.readouterr().err


@pytest.fixture(scope="module")
def wacz(built: BuiltArchive, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("wacz") / "out" / "archive.wacz"
    assert main(["export", "--archive", str(built.directory), "--wacz", str(target)]) == exitcodes.OK
    return target


def test_wacz_validates_and_has_the_standard_layout(built: BuiltArchive, wacz: Path) -> None:
    check = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(wacz) as package:
        names = set(package.namelist())
        warcs = {f"archive/{path.name}" for path in warc_files(built.directory)}
        assert warcs <= names
        assert {"indexes/index.cdx.gz", "pages/pages.jsonl", "datapackage.json",
                "datapackage-digest.json", "logs/provenance.json"} <= names
        for path in warc_files(built.directory):  # the WARC files go in unchanged
            assert package.read(f"archive/{path.name}") == path.read_bytes()
        datapackage = json.loads(package.read("datapackage.json"))
        assert {r["path"] for r in datapackage["resources"]} >= warcs | {"logs/provenance.json"}
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode()
        assert built.changing in index
    assert not wacz.with_name(wacz.name + ".part").exists()


def test_pages_list_one_page_per_original_url_at_its_final_capture(built: BuiltArchive, wacz: Path) -> None:
    with zipfile.ZipFile(wacz) as package:
        header, *pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
    assert header["format"] == "json-pages-1.0"
    by_url = {page["url"]: page for page in pages}
    # The dead link stored nothing, so it has no page; the redirect's page is its final URL.
    assert set(by_url) == {built.changing, built.stable, built.redirect_target, built.rotting, built.xss}
    assert by_url[built.redirect_target]["title"].startswith(built.redirect_target.replace("/final", "/moved"))
    assert all(page["ts"].endswith("Z") and page["id"] for page in pages)


def test_provenance_file_has_sources_occurrences_and_every_capture(built: BuiltArchive, wacz: Path) -> None:
    with zipfile.ZipFile(wacz) as package:
        provenance = json.loads(package.read("logs/provenance.json"))
    assert {s["path"] for s in provenance["sources"]} == {built.memo, built.page}
    links = {link["url"]: link for link in provenance["links"]}
    moved = links[built.redirect_target.replace("/final", "/moved")]
    assert moved["occurrences"][0]["written"] == built.wrapped
    assert moved["occurrences"][0]["chain"]["layers"][0]["kind"] == "safelinks"
    assert [c["status"] for c in links[built.changing]["captures"]] == [200, 200]
    assert links[built.changing]["captures"][1]["changed"] is True
    assert links[built.dead]["captures"][0]["error_kind"] == "connect"
    assert len(provenance["runs"]) == 2


def test_export_without_catalog_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["export", "--archive", str(tmp_path), "--wacz", str(tmp_path / "x.wacz")]) == exitcodes.ARCHIVE_PROBLEM
    assert "reindex" in capsys.readouterr().err and not (tmp_path / "x.wacz").exists()


def test_a_missing_optional_package_is_named_with_how_to_install_it() -> None:
    with pytest.raises(MissingPackageError, match=r"needs the no-such-package package: pip install 'archiver\[share\]'"):
        require("no_such_module_for_archiver", "no-such-package")
    require("cdxj_indexer", "cdxj-indexer")  # installed: no error


def test_export_of_a_damaged_warc_says_so_in_one_line_and_leaves_nothing(
    built: BuiltArchive, tmp_path: Path, capsys
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(built.directory, archive)
    with Catalog.open(archive) as catalog:
        where = catalog.latest_capture(built.changing).location
    path = archive / where.filename
    data = bytearray(path.read_bytes())
    data[where.offset + where.length // 2] ^= 0x01  # inside a response's gzip member
    path.write_bytes(bytes(data))
    out = tmp_path / "out"
    code = main(["export", "--archive", str(archive), "--wacz", str(out / "archive.wacz")])
    err = capsys.readouterr().err
    assert code == exitcodes.ARCHIVE_PROBLEM
    [line] = err.splitlines()
    assert line.startswith("archiver export: error: wacz create failed: a WARC file is damaged (")
    assert "archiver verify" in line and "Traceback" not in err and 'File "' not in err
    assert line.isprintable()  # the bytes the reader quotes are escaped
    assert list(out.iterdir()) == []  # neither the package nor its .part
