"""Tests of `mapper import acled` and `mapper import ucdp` (mapper.imports.events) on files
written in the projects' exact column layouts (tests/data/imports/README.md)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapper.cli import main
from mapper.dataset import load_dataset, validate
from mapper.importers import ImportFailed
from mapper.imports.events import ACLED_COLUMNS, UCDP_COLUMNS, import_acled, import_ucdp
from mapper.timeline import Timeline

DATA = Path(__file__).parent / "data" / "imports"
ACLED = DATA / "acled-mosul-2016.csv"
GED = DATA / "ged-mosul-2016.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _errors(path: Path) -> list[str]:
    return [str(p) for p in validate(path) if p.severity == "error"]


def test_test_files_have_the_published_layouts() -> None:
    for path, columns in ((ACLED, ACLED_COLUMNS), (GED, UCDP_COLUMNS)):
        with path.open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == list(columns)


def test_acled_with_mapping_writes_a_valid_dataset(tmp_path: Path) -> None:
    out = tmp_path / "mosul"
    got = import_acled(ACLED, out, mapping=DATA / "actors.toml")
    assert _errors(out) == []
    assert got.factions == ("iraq", "is")
    events = _rows(out / "events.csv")
    assert len(events) == got.events == 18
    by_id = {e["acled_id"]: e for e in events}
    # territorial sub-event types are control changes, to actor1's faction
    assert by_id["IRQ90002"]["controller"] == "iraq"
    assert by_id["IRQ90002"]["kind"] == "recaptured"
    assert by_id["IRQ90011"]["controller"] == "is"
    assert by_id["IRQ90016"]["kind"] == "taken-over"
    # ACLED's actor order means nothing: the state forces regain, whatever the column
    assert by_id["IRQ90008"]["actor1"] == "Islamic State (Iraq)"
    assert by_id["IRQ90008"]["controller"] == "iraq"
    assert by_id["IRQ90008"]["description"].startswith("Military Forces of Iraq (2014-) took")
    # two non-state actors: actor1 assumed, and said so with the export's line numbers
    assert by_id["IRQ90018"]["controller"] == "iraq"
    [guess] = [p for p in got.warnings if "do not tell which actor" in p.message]
    assert "lines 8, 18 of the export" in guess.message
    # a second "recapture" of a place already held is a confirmation, not a change
    assert by_id["IRQ90013"]["controller"] == "" and by_id["IRQ90013"]["kind"] == "held"
    # the rest are incidents with fatalities
    assert by_id["IRQ90004"]["controller"] == ""
    assert by_id["IRQ90004"]["kind"] == "air-drone-strike"
    assert by_id["IRQ90004"]["fatalities"] == "7"
    # precision: month-only dates are coarse; week-only keep the day and say so
    assert by_id["IRQ90009"]["date"] == "2016-11"
    assert "month" in by_id["IRQ90009"]["date_precision"]
    assert by_id["IRQ90003"]["date"] == "2016-10-22"
    assert "week" in by_id["IRQ90003"]["date_precision"]
    assert "larger region" in by_id["IRQ90010"]["location_precision"]
    # markup in ACLED's notes stays text
    assert "<b>markup</b>" in by_id["IRQ90017"]["notes"]
    # events in date order
    assert [e["date"] for e in events][:3] == ["2016-10-17", "2016-10-20", "2016-10-22"]
    places = {p["id"]: p for p in _rows(out / "places.csv")}
    assert places["ninewa"]["kind"] == "district"
    assert {p["country"] for p in places.values()} == {"IQ"}
    # two places called Bartella get distinct ids
    assert sum(p["name"] == "Bartella" for p in places.values()) == 2
    sources = {s["id"]: s for s in _rows(out / "sources.csv")}
    assert sources["acled-rudaw-shafaq-news"]["publisher"] == "Rudaw; Shafaq News"
    toml = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))
    assert toml["countries"] == ["IQ"]
    assert toml["time"] == {"start": "2016-10-17", "end": "2017-08-27"}
    # the model reads it: who holds Bartella at the end
    ds = load_dataset(out)
    bartella = by_id["IRQ90013"]["place_id"]
    assert Timeline.from_dataset(ds).control_at(ds.end)[bartella] == "iraq"
    coarse = ds.events[ds.events["date_text"] == "2016-11"]
    assert list(coarse["precision"]) == ["month"]


def test_acled_unmapped_actor_is_an_error_that_lists_the_fix(tmp_path: Path) -> None:
    out = tmp_path / "o"
    with pytest.raises(ImportFailed) as info:
        import_acled(ACLED, out, mapping=DATA / "actors.csv")
    text = str(info.value)
    assert "Popular Mobilization Forces,FACTION" in text
    assert "--unmapped other" in text
    assert not out.exists()


def test_acled_unmapped_other(tmp_path: Path) -> None:
    out = tmp_path / "o"
    got = import_acled(ACLED, out, mapping=DATA / "actors.csv", unmapped="other")
    assert "other" in got.factions
    assert any("Popular Mobilization Forces" in p.message for p in got.warnings)
    events = {e["acled_id"]: e for e in _rows(out / "events.csv")}
    assert events["IRQ90007"]["controller"] == "other"
    assert _errors(out) == []


def test_acled_without_mapping_writes_actors_csv_to_edit(tmp_path: Path) -> None:
    out = tmp_path / "o"
    got = import_acled(ACLED, out)
    assert "popular-mobilization-forces" in got.factions
    actors = {a["actor"]: a for a in _rows(out / "actors.csv")}
    assert actors["Popular Mobilization Forces"]["takes_places"] == "2"
    assert actors["Civilians (Iraq)"]["faction"] == ""
    assert _errors(out) == []


def test_acled_other_date_forms_and_bad_rows(tmp_path: Path) -> None:
    rows = _rows(ACLED)[:3]
    rows[0]["event_date"] = "17 October 2016"
    rows[1]["event_date"] = "20-10-2016"
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[c.upper() for c in ACLED_COLUMNS])
        writer.writeheader()  # old exports: upper-case names
        writer.writerows({k.upper(): v for k, v in r.items()} for r in rows)
    got = import_acled(path, tmp_path / "o")
    dates = [e["date"] for e in _rows(tmp_path / "o" / "events.csv")]
    assert dates == ["2016-10-17", "2016-10-20", "2016-10-22"] and got.changes == 2

    rows[2]["latitude"] = "north"
    rows[1]["time_precision"] = "7"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ACLED_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ImportFailed) as info:
        import_acled(path, tmp_path / "o2")
    text = str(info.value)
    assert f"{path}:3: time_precision:" in text
    assert f"{path}:4: latitude:" in text


def test_ucdp_writes_incidents_with_precision(tmp_path: Path) -> None:
    out = tmp_path / "ged"
    got = import_ucdp(GED, out, mapping=DATA / "actors.toml")
    assert _errors(out) == []
    assert got.changes == 0 and got.events == 6
    events = {e["ucdp_id"]: e for e in _rows(out / "events.csv")}
    assert all(e["controller"] == "" for e in events.values())
    assert events["900003"]["kind"] == "one-sided-violence"
    assert events["900003"]["date"] == "2016-11"          # date_prec 4, one month
    assert events["900004"]["date"] == "2016"             # date_prec 5, one year
    assert events["900002"]["date"] == "2016-10-24"       # 2-6 days: start kept, range said
    assert "2016-10-24 to 2016-10-28" in events["900002"]["date_precision"]
    assert events["900001"]["fatalities"] == "4"
    assert events["900001"]["fatalities_range"] == "3-6"
    assert "province" in events["900004"]["location_precision"]
    places = {p["name"]: p for p in _rows(out / "places.csv")}
    assert places["Nimrud"]["kind"] == "village"          # "Nimrud village" in GED
    assert places["Ninawa province"]["kind"] == "region"
    sources = _rows(out / "sources.csv")
    assert {"Reuters", "Rudaw"} <= {s["publisher"] for s in sources}
    assert any(s["published"] == "2016-10-29" for s in sources)


def test_cli_acled_and_ucdp(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o"
    result = runner.invoke(main, ["import", "acled", str(ACLED), "--out", str(out),
                                  "--mapping", str(DATA / "actors.toml"), "--title", "Mosul"])
    assert result.exit_code == 0, result.output
    assert "18 events (11 changes of control)" in result.output
    assert runner.invoke(main, ["validate", str(out)]).exit_code == 0
    again = runner.invoke(main, ["import", "acled", str(ACLED), "--out", str(out)])
    assert again.exit_code == 2 and "is not empty" in again.output
    wrong = runner.invoke(main, ["import", "acled", str(GED), "--out", str(tmp_path / "w")])
    assert wrong.exit_code == 2
    assert "use `mapper import ucdp`" in wrong.output
    assert "Traceback" not in wrong.output
    ged = runner.invoke(main, ["import", "ucdp", str(GED), "--out", str(tmp_path / "g")])
    assert ged.exit_code == 0, ged.output
    for command in ("acled", "ucdp"):
        assert "Example" in runner.invoke(main, ["import", command, "--help"]).output


def test_import_is_deterministic(tmp_path: Path) -> None:
    import_acled(ACLED, tmp_path / "a", mapping=DATA / "actors.toml")
    import_acled(ACLED, tmp_path / "b", mapping=DATA / "actors.toml")
    for name in ("dataset.toml", "places.csv", "events.csv", "sources.csv", "actors.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.browser
def test_imported_precision_shows_in_the_popup(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The page of an imported dataset says how precise each date and point is."""
    from mapper.render import render_html

    out = tmp_path / "mosul"
    import_acled(ACLED, out, mapping=DATA / "actors.toml")
    op = open_page(render_html(load_dataset(out)), "#2016-11-01")
    op.page.click('path.ts-place[data-place="shirqat"]', force=True)
    op.page.wait_for_selector(".leaflet-popup-content .ts-popup")
    text = op.page.inner_text(".leaflet-popup-content")
    assert "Shelling/artillery/missile attack" in text
    assert "some day in this month (ACLED time precision 3)" in text
    assert "at this town (ACLED geo precision 1)" in text
    assert op.requests == [] and op.errors == []


def test_mapping_files(tmp_path: Path) -> None:
    from mapper.imports.events import read_mapping

    mapping, problems = read_mapping(DATA / "actors.csv")
    assert problems == []
    assert mapping.faction_of("military forces of iraq (2014-)") == "iraq"
    assert mapping.faction_of("Islamic State (Iraq)") == "is"
    assert mapping.faction_of("Popular Mobilization Forces") is None
    assert mapping.factions["iraq"] == ("Iraqi government forces", "#1f5fbf")
    bad = tmp_path / "bad.csv"
    bad.write_text("actor,faction,colour\nIS,Islamic State,\nX,,\nY,y,red\n", encoding="utf-8")
    _, problems = read_mapping(bad)
    assert [str(p) for p in problems] == [
        f"{bad}:2: faction: 'Islamic State' is not a faction id (lower-case letters, digits "
        "and -: 'islamic-state'?)",
        f"{bad}:3: faction: empty: which side is 'X' on? (a faction id such as iraq)",
        f"{bad}:4: colour: 'red' is not #rrggbb",
    ]
    with pytest.raises(ImportFailed, match="not a faction id"):
        import_acled(ACLED, tmp_path / "o", mapping=bad)
    header = tmp_path / "h.csv"
    header.write_text("name,side\nIS,is\n", encoding="utf-8")
    assert "needs the columns actor and faction" in str(read_mapping(header)[1][0])


def test_ucdp_country_from_the_outline_when_the_name_is_unknown(tmp_path: Path) -> None:
    rows = _rows(GED)[:2]
    rows[0]["country"] = "Kurdistan Region (test)"    # no ISO code for this name
    rows[1]["date_end"] = "2016-10-01"                # ends before it starts
    path = tmp_path / "ged.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(UCDP_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ImportFailed) as info:
        import_ucdp(path, tmp_path / "o")
    assert [str(p) for p in info.value.problems] == [
        f"{path}:3: date_start: '2016-10-24 00:00:00.000' to '2016-10-01' is not a date range "
        "YYYY-MM-DD"]
    writer_rows = rows[:1]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(UCDP_COLUMNS))
        writer.writeheader()
        writer.writerows(writer_rows)
    import_ucdp(path, tmp_path / "o")
    assert [p["country"] for p in _rows(tmp_path / "o" / "places.csv")] == ["IQ"]
