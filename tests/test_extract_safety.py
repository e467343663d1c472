"""``mapper extract`` on hostile text: no draft CSV cell runs as a spreadsheet formula, the
review report shows each neutralised cell, and a killed write leaves the old or the new draft."""

from __future__ import annotations

import csv
import io
import os
import sys
import traceback
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapper import _files
from mapper.cli import main
from mapper.dataset import validate
from mapper.extract import Draft, extract_text, write_draft
from mapper.extract.draft import FORMULA_START, _escape_rows, neutralise

ARTICLES = Path(__file__).parent / "data" / "articles"
KHERSON = (ARTICLES / "kherson-2022.txt").read_text(encoding="utf-8")
PUBLISHED = date(2022, 11, 13)
HOSTILE = '=HYPERLINK("http://evil.example","x")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


def _cells(folder: Path) -> list[tuple[str, int, str, str]]:
    """Every CSV cell of a draft as (file, line, column, value)."""
    out: list[tuple[str, int, str, str]] = []
    for name in ("places.csv", "events.csv", "sources.csv", "routes.csv"):
        rows = csv.DictReader(io.StringIO((folder / name).read_text(encoding="utf-8")))
        for line, row in enumerate(rows, start=2):
            out.extend((name, line, column, value) for column, value in row.items())
    return out


@pytest.fixture(scope="module")
def hostile() -> Draft:
    return extract_text(f"{HOSTILE}\n\n{KHERSON}", published=PUBLISHED, publisher=DDE)


@pytest.fixture(scope="module")
def clean() -> Draft:
    return extract_text(KHERSON, published=PUBLISHED, publisher="Test")


def _problems(folder: Path) -> set[tuple[str, int | None, str | None, str]]:
    return {(p.file, p.line, p.field, p.severity) for p in validate(folder)}


@pytest.mark.parametrize("value", [
    HOSTILE, DDE, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
    "\t=1+1", "\r=1+1", "  =1+1", "-Kherson",
])
def test_formula_cells_get_a_quote(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("'" + value) == "'" + value  # already safe: left as it is


@pytest.mark.parametrize("value", [
    "", "Kherson", "-46.6354", "+3", "-12.5 44.1;kherson;47.1 33.2", "1 4 7", "0.90",
    "a=b", "x-1",
])
def test_data_cells_are_left_alone(value: str) -> None:
    assert neutralise(value) == value


def test_hostile_headline_and_publisher_are_neutralised_and_reported(
    hostile: Draft, clean: Draft, tmp_path: Path
) -> None:
    assert hostile.source.title == HOSTILE  # the first line stands in for the title
    out = write_draft(hostile, tmp_path / "hostile")
    cells = _cells(out)
    assert all(neutralise(value) == value for *_, value in cells)  # nothing a sheet would run
    source = {column: value for name, _, column, value in cells if name == "sources.csv"}
    assert source["title"] == "'" + HOSTILE and source["publisher"] == "'" + DDE
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Cells that began like a spreadsheet formula" in report
    assert report.index("spreadsheet formula") < report.index("## Events")  # seen first
    assert ('- **check** sources.csv:2: title: `"=HYPERLINK(\\"http://evil.example\\",'
            '\\"x\\")"`') in report
    assert "- **check** sources.csv:2: publisher: " in report
    # The draft loads as well as the same draft without the hostile text: same problems.
    assert _problems(out) == _problems(write_draft(clean, tmp_path / "clean"))
    assert not any(p.file == "sources.csv" for p in validate(out))


def test_cli_extract_of_a_hostile_article(tmp_path: Path) -> None:
    article = tmp_path / "evil.txt"
    article.write_text(f"{HOSTILE}\n\n{KHERSON}", encoding="utf-8")
    out = tmp_path / "draft"
    result = CliRunner().invoke(main, ["extract", str(article), "--published", "2022-11-13",
                                       "--out", str(out), "--publisher", "\t=1+1"])
    assert result.exit_code == 0, result.output
    first = (out / "sources.csv").read_text(encoding="utf-8").splitlines()[1]
    assert first.startswith("evil,\"'=HYPERLINK(") and ",'\t=1+1," in first
    assert not any(value.startswith(FORMULA_START) for *_, value in _cells(out))


def test_rows_with_flags_are_flagged() -> None:
    rows = [{"name": "=1+1", "lat": "-46.6", "flags": ""},
            {"name": "@x", "lat": "1", "flags": "lat/lon: unresolved"},
            {"name": "ok", "lat": "-1", "flags": ""}]
    escaped = _escape_rows("places.csv", rows)
    assert [(e.line, e.column, e.value) for e in escaped] == [(2, "name", "=1+1"),
                                                              (3, "name", "@x")]
    assert rows[0] == {"name": "'=1+1", "lat": "-46.6",
                       "flags": "name: began like a spreadsheet formula; ' put in front"}
    assert rows[1]["flags"].startswith("lat/lon: unresolved; name: began like")
    assert rows[2]["flags"] == ""


def test_killed_draft_write_leaves_the_old_or_the_new_draft(
    hostile: Draft, clean: Draft, tmp_path: Path
) -> None:
    old, new = clean, hostile
    refs = {}
    for name, draft in (("old", old), ("new", new)):
        folder = write_draft(draft, tmp_path / "refs" / name)
        refs[name] = {p.name: p.read_bytes() for p in folder.iterdir()}
    work = tmp_path / "work"
    out = work / "draft"
    steps: list[str] = []
    write_draft(old, out)
    _files.hook = lambda kind, path: steps.append(kind)
    try:
        write_draft(new, out)
    finally:
        _files.hook = None
    assert "exchange" in steps
    for n in range(1, len(steps) + 1):
        write_draft(old, out)
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            count = 0

            def hook(kind: str, path: str, stop: int = n) -> None:
                nonlocal count
                count += 1
                if count == stop:
                    os._exit(86)

            try:
                _files.hook = hook
                write_draft(new, out)
            except BaseException:
                traceback.print_exc(file=sys.stderr)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 86
        state = {p.name: p.read_bytes() for p in out.iterdir()}
        assert state in (refs["old"], refs["new"]), f"killed before step {n}: {steps[n - 1]}"
        write_draft(new, out)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == refs["new"]
        assert [p.name for p in work.iterdir()] == ["draft"]  # nothing left beside it
