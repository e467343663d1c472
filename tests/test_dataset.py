"""Tests for mapper.dataset: loading a dataset folder and reporting every problem in it."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from mapper.dataset import (
    CONTESTED,
    Dataset,
    format_date,
    load_dataset,
    parse_date,
    validate,
)
from mapper.errors import DatasetError, Problem

VALID = Path(__file__).parent / "data" / "valid"


@pytest.fixture
def ds_dir(tmp_path: Path) -> Path:
    """A fresh copy of the valid fixture, to break one thing in."""
    target = tmp_path / "broken-set"
    shutil.copytree(VALID, target)
    return target


def edit(folder: Path, file: str, old: str, new: str) -> None:
    """Replace one exact, unique piece of text in a dataset file."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(folder: Path, file: str, line: str) -> None:
    """Add a record at the end of a CSV file."""
    with (folder / file).open("a", encoding="utf-8", newline="") as f:
        f.write(line + "\n")


def errors(folder: Path) -> list[str]:
    """The errors of a dataset as printed (``file:line: field: message``)."""
    return [str(p) for p in validate(folder, geocode=False) if p.severity == "error"]


def warnings(folder: Path) -> list[str]:
    return [str(p) for p in validate(folder, geocode=False) if p.severity == "warning"]


def only_error(folder: Path, prefix: str) -> str:
    """Assert that the dataset has exactly one error, starting with ``prefix``; return it."""
    found = errors(folder)
    assert len(found) == 1, found
    assert found[0].startswith(prefix), found
    return found[0]


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-11-30", (date(2024, 11, 30), "day")),
    ("2016-12", (date(2016, 12, 1), "month")),
    ("2016", (date(2016, 1, 1), "year")),
    ("2024-02-29", (date(2024, 2, 29), "day")),
    (" 2024-02-29 ", (date(2024, 2, 29), "day")),
])
def test_parse_date(text: str, expected: tuple[date, str]) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("2024-02-30", "not a real day"),
    ("2023-02-29", "not a real day"),
    ("2024-13-01", "month 13"),
    ("2024-00", "month 00"),
    ("yesterday", "not a date"),
    ("30/11/2024", "not a date"),
    ("2024-1-5", "not a date"),
    ("0000", "no year 0"),
    ("", "not a date"),
])
def test_parse_date_rejects(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_date(text)


def test_format_date() -> None:
    assert format_date(*parse_date("2016-12")) == "December 2016"
    assert format_date(*parse_date("2024-11-30")) == "30 November 2024"
    assert format_date(*parse_date("2024-11-03")) == "3 November 2024"
    assert format_date(*parse_date("2019")) == "2019"
    with pytest.raises(ValueError, match="precision"):
        format_date(date(2024, 1, 1), "week")


# ---------------------------------------------------------------- the valid fixture


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(VALID, geocode=False)


def test_valid_fixture_is_clean() -> None:
    assert validate(VALID, geocode=False) == []


def test_meta(ds: Dataset) -> None:
    assert ds.id == "valid"
    assert ds.path == VALID
    assert ds.title == "Fixture: Aleppo and Saraqib"
    assert (ds.start, ds.end) == (date(2024, 11, 26), date(2024, 12, 2))
    assert (ds.view.lat, ds.view.lon, ds.view.zoom) == (36.0, 36.9, 9)
    assert ds.countries == ("SY", "UA")
    assert list(ds.factions) == ["government", "hts"]
    hts = ds.factions["hts"]
    assert (hts.colour, hts.pattern, hts.dash) == ("#2e7d32", "hatch", "6 4")
    assert ds.factions["government"].pattern == "solid"
    assert ds.factions["government"].aliases == ("regime", "government forces")
    assert CONTESTED not in ds.factions
    assert ds.meta["time"]["start"] == "2024-11-26"


def test_places(ds: Dataset) -> None:
    places = ds.places
    assert places.index.name == "id"
    assert list(places.index) == ["aleppo", "saraqib", "kuweires", "kharkiv"]
    assert places.crs is not None and places.crs.to_epsg() == 4326
    assert places.geometry["saraqib"].equals(Point(36.8059, 35.8645))
    assert places.loc["kharkiv", "country"] == "UA"
    assert places["lat"].dtype == "float64" and places["lon"].dtype == "float64"
    assert places.loc["aleppo", "lat"] == pytest.approx(36.2021)
    assert str(places["population"].dtype) == "Int64"
    assert set(places["geocode_source"]) == {"places.csv"}
    assert places.loc["kuweires", "line"] == 4
    assert places.loc["kuweires", "query"] == "Kuweires"
    assert places.loc["aleppo", "notes"] == "largest city of the north"
    assert places.loc["kharkiv", "notes"] == ""


def test_extra_columns_are_kept_as_text(ds: Dataset) -> None:
    assert ds.places.loc["aleppo", "local_name"] == "حلب"
    assert ds.places.loc["kharkiv", "local_name"] == "Харків"
    assert ds.places.columns[-2:].tolist() == ["local_name", "geometry"]


def test_events(ds: Dataset) -> None:
    ev = ds.events
    assert ev["line"].tolist() == [2, 3, 4, 5, 6]
    assert ev["date"].tolist()[:2] == [date(2016, 12, 1), date(2020, 3, 1)]
    assert ev["precision"].tolist() == ["month", "month", "day", "day", "day"]
    assert ev["date_text"].tolist()[0] == "2016-12"
    assert ev.loc[ev["line"] == 6, "controller"].tolist() == [None]
    assert ds.incidents["kind"].tolist() == ["airstrike"]
    assert ds.control_events["controller"].tolist() == ["government", "government", "hts", "hts"]


def test_events_sorted_by_date_stable(ds_dir: Path) -> None:
    # Move the 2016 event to the end of the file and add a second event on 29 November.
    lines = (ds_dir / "events.csv").read_text(encoding="utf-8").splitlines()
    header, first, rest = lines[0], lines[1], lines[2:]
    rest.insert(3, "2024-11-29,kuweires,hts,captured,The base was overrun.,st-2024-12-01")
    (ds_dir / "events.csv").write_text("\n".join([header, *rest, first]) + "\n", encoding="utf-8")
    ev = load_dataset(ds_dir, geocode=False).events
    assert ev["line"].tolist() == [7, 2, 3, 4, 5, 6]
    assert ev.loc[ev["date"] == date(2024, 11, 29), "place_id"].tolist() == [
        "aleppo", "saraqib", "kuweires"]


def test_sources(ds: Dataset) -> None:
    src = ds.sources
    assert src.index.name == "id"
    assert src.loc["reuters-2024-11-30", "published"] == date(2024, 11, 30)
    assert src.loc["aj-2020-03", "published"] == date(2020, 3, 1)
    # a coarse date keeps its precision, so it can be shown as "March 2020"
    assert src.loc["aj-2020-03", "published_text"] == "2020-03"
    assert src.loc["aj-2020-03", "published_precision"] == "month"
    assert src.loc["reuters-2024-11-30", "published_precision"] == "day"
    assert src.loc["st-2024-12-01", "published"] is None
    assert src.loc["st-2024-12-01", "publisher"] == "The Sunday Times"


def test_routes(ds: Dataset) -> None:
    routes = ds.routes
    assert routes.index.name == "id"
    assert routes.loc["m5", "waypoints"] == ["aleppo", None, "saraqib"]
    line = routes.geometry["m5"]
    assert isinstance(line, LineString)
    assert list(line.coords) == [(37.1343, 36.2021), (36.95, 36.05), (36.8059, 35.8645)]
    assert routes.crs is not None and routes.crs.to_epsg() == 4326


def test_routes_file_is_optional(ds_dir: Path) -> None:
    (ds_dir / "routes.csv").unlink()
    loaded = load_dataset(ds_dir, geocode=False)
    assert len(loaded.routes) == 0
    assert loaded.routes.index.name == "id"


def test_place_without_coordinates_when_not_geocoding(ds_dir: Path) -> None:
    append(ds_dir, "places.csv", "idlib,Idlib,city,SY,,,,,")
    loaded = load_dataset(ds_dir, geocode=False)
    assert math.isnan(loaded.places.loc["idlib", "lat"])
    assert math.isnan(loaded.places.loc["idlib", "lon"])
    assert loaded.places.geometry["idlib"] is None
    assert loaded.places.loc["idlib", "geocode_source"] == ""


def test_bom_crlf_and_blank_lines_are_accepted(ds_dir: Path) -> None:
    path = ds_dir / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "")
    lines.insert(3, ",,,,,")
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    assert errors(ds_dir) == []
    ev = load_dataset(ds_dir, geocode=False).events
    assert ev["line"].tolist() == [2, 5, 6, 7, 8]


def test_multiline_description_keeps_line_numbers(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "Government forces took back the whole city.",
         '"Government forces took back\nthe whole city,\nafter a long siege."')
    loaded = load_dataset(ds_dir, geocode=False)
    assert loaded.events["line"].tolist() == [2, 5, 6, 7, 8]
    assert loaded.events["description"].iloc[0].count("\n") == 2
    edit(ds_dir, "events.csv", "2024-11-30,aleppo", "2024-11-31,aleppo")
    only_error(ds_dir, "events.csv:8: date: '2024-11-31' is not a real day")


# ---------------------------------------------------------------- bad input, one thing each


def test_impossible_date_on_line_3(ds_dir: Path) -> None:
    """The issue's case: an impossible date on line 3 of events.csv names the file and line."""
    edit(ds_dir, "events.csv", "2020-03,saraqib", "2024-02-30,saraqib")
    message = only_error(ds_dir, "events.csv:3: date: ")
    assert "2024-02-30" in message
    with pytest.raises(DatasetError) as info:
        load_dataset(ds_dir, geocode=False)
    assert "events.csv:3: date:" in str(info.value)
    assert [p.line for p in info.value.problems] == [3]


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "2024-11-29T10:00"])
def test_bad_dates(ds_dir: Path, bad: str) -> None:
    edit(ds_dir, "events.csv", "2024-11-30,aleppo", f"{bad},aleppo")
    only_error(ds_dir, "events.csv:6: date: ")


def test_non_utf8_file(ds_dir: Path) -> None:
    path = ds_dir / "events.csv"
    data = path.read_bytes().replace(b"took back", b"took b\xe4ck")
    path.write_bytes(data)
    message = only_error(ds_dir, "events.csv:2: description: ")
    assert "e4" in message and "UTF-8" in message


def test_non_utf8_after_multiline_value(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "The army took the town back.", '"The army\ntook the town back."')
    path = ds_dir / "events.csv"
    path.write_bytes(path.read_bytes().replace(b"hit the city", b"hit the \xff city"))
    only_error(ds_dir, "events.csv:7: description: ")


def test_non_utf8_toml(ds_dir: Path) -> None:
    path = ds_dir / "dataset.toml"
    path.write_bytes(path.read_bytes().replace(b"small valid", b"small \xe9 valid"))
    found = errors(ds_dir)
    assert found and found[0].startswith("dataset.toml:4: ")


def test_missing_file(ds_dir: Path) -> None:
    (ds_dir / "sources.csv").unlink()
    found = errors(ds_dir)
    assert found == ["sources.csv: missing: every dataset needs a sources.csv"]


def test_missing_folder(tmp_path: Path) -> None:
    found = validate(tmp_path / "nope", geocode=False)
    assert len(found) == 1 and "not a dataset folder" in found[0].message


def test_missing_required_column(ds_dir: Path) -> None:
    edit(ds_dir, "places.csv", "id,name,kind,country", "id,title,kind,country")
    found = errors(ds_dir)
    assert found == ["places.csv:1: name: missing required column"]


def test_unterminated_quote(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "The army took the town back.", '"The army took the town back.')
    found = errors(ds_dir)
    assert found[0].startswith("events.csv:3: "), found


def test_too_many_values(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "The town fell to the offensive.", "The town fell, at last.")
    only_error(ds_dir, "events.csv:5: 7 values but the header has 6 columns")


def test_duplicate_id(ds_dir: Path) -> None:
    append(ds_dir, "places.csv", "saraqib,Saraqib,town,SY,35.86,36.80,,,")
    only_error(ds_dir, "places.csv:6: id: duplicate id 'saraqib' (first on line 3)")


@pytest.mark.parametrize("bad", ["Aleppo-2", "al_bab", "-x", "a--b"])
def test_bad_id_slug(ds_dir: Path, bad: str) -> None:
    append(ds_dir, "places.csv", f"{bad},Somewhere,town,SY,36.0,37.0,,,")
    only_error(ds_dir, f"places.csv:6: id: {bad!r} is not a slug")


@pytest.mark.parametrize(("file", "old", "new", "prefix"), [
    ("places.csv", "Saraqib,town", ",town", "places.csv:3: name: empty"),
    ("places.csv", "town,SY", "town,", "places.csv:3: country: empty"),
    ("events.csv", "2020-03,saraqib,government,recaptured,The army took the town back.",
     "2020-03,saraqib,government,recaptured,", "events.csv:3: description: empty"),
    ("events.csv", "2020-03,", ",", "events.csv:3: date: empty"),
    ("sources.csv", "Al Jazeera", "", "sources.csv:3: publisher: empty"),
    ("routes.csv", "aleppo;36.05 36.95;saraqib", "", "routes.csv:2: waypoints: empty"),
])
def test_empty_required_field(ds_dir: Path, file: str, old: str, new: str, prefix: str) -> None:
    edit(ds_dir, file, old, new)
    only_error(ds_dir, prefix)


def test_unknown_place(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "2020-03,saraqib", "2020-03,saraqeb")
    only_error(ds_dir, "events.csv:3: place_id: unknown place 'saraqeb'")


def test_unknown_controller(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "aleppo,hts,entered", "aleppo,rebels,entered")
    message = only_error(ds_dir, "events.csv:4: controller: unknown controller 'rebels'")
    assert "contested" in message and "government" in message


def test_contested_controller_is_built_in(ds_dir: Path) -> None:
    append(ds_dir, "events.csv",
           "2024-12-01,aleppo,contested,clashes,Fighting in the city.,st-2024-12-01")
    assert errors(ds_dir) == []
    assert load_dataset(ds_dir, geocode=False).events["controller"].iloc[-1] == "contested"


def test_unknown_source_in_events(ds_dir: Path) -> None:
    edit(ds_dir, "events.csv", "back.,aj-2020-03", "back.,aj-2020-04")
    found = errors(ds_dir)
    assert found == ["events.csv:3: source_id: unknown source 'aj-2020-04': not in sources.csv"]


def test_unknown_source_in_routes(ds_dir: Path) -> None:
    edit(ds_dir, "routes.csv", "saraqib,reuters-2024-11-30", "saraqib,reuters")
    only_error(ds_dir, "routes.csv:2: source_id: unknown source 'reuters'")


def test_unknown_route_waypoint(ds_dir: Path) -> None:
    edit(ds_dir, "routes.csv", "36.95;saraqib", "36.95;hama")
    only_error(ds_dir, "routes.csv:2: waypoints: waypoint 3: unknown place 'hama'")


@pytest.mark.parametrize(("bad", "code"), [("XX", "XX"), ("sy", "sy"), ("SYR", "SYR")])
def test_bad_country_code(ds_dir: Path, bad: str, code: str) -> None:
    edit(ds_dir, "places.csv", "town,SY", f"town,{bad}")
    message = only_error(ds_dir, "places.csv:3: country: ")
    assert f"{code!r} is not an ISO 3166-1 alpha-2" in message
    if bad == "sy":
        assert "SY" in message


def test_country_outside_dataset_is_a_warning(ds_dir: Path) -> None:
    # Kilis, Turkey (GeoNames 36.7184 N 37.1212 E): coordinates inside the country declared.
    edit(ds_dir, "places.csv", "town,SY,35.8645,36.8059", "town,TR,36.7184,37.1212")
    assert errors(ds_dir) == []
    assert warnings(ds_dir) == [
        "places.csv:3: warning: country: TR is not among the dataset's countries (SY, UA)"]


@pytest.mark.parametrize(("coords", "prefix"), [
    ("abc,36.8059", "places.csv:3: lat: 'abc' is not a decimal number"),
    ("35.8645,nan", "places.csv:3: lon: 'nan' is not a decimal number"),
    ("95.1,36.8059", "places.csv:3: lat: 95.1 is out of range -90..90"),
    ("35.8645,-181", "places.csv:3: lon: -181 is out of range -180..180"),
    ("35.8645,", "places.csv:3: lon: empty, but the other coordinate is given"),
    (",36.8059", "places.csv:3: lat: empty, but the other coordinate is given"),
])
def test_bad_coordinates(ds_dir: Path, coords: str, prefix: str) -> None:
    edit(ds_dir, "places.csv", "35.8645,36.8059", coords)
    only_error(ds_dir, prefix)


@pytest.mark.parametrize("url", ["javascript:alert(1)", '"data:text/html,hi"', "ftp://x.org/a",
                                 "www.reuters.com", "https://"])
def test_bad_url(ds_dir: Path, url: str) -> None:
    edit(ds_dir, "sources.csv", "https://www.aljazeera.com/", url)
    only_error(ds_dir, "sources.csv:3: url: ")


def test_bad_published_date(ds_dir: Path) -> None:
    edit(ds_dir, "sources.csv", "/,2020-03", "/,2020-3")
    only_error(ds_dir, "sources.csv:3: published: ")


def test_control_to_the_holder(ds_dir: Path) -> None:
    append(ds_dir, "events.csv",
           "2024-12-01,saraqib,hts,captured,The town was taken again.,st-2024-12-01")
    message = only_error(ds_dir, "events.csv:7: controller: hands 'saraqib' to 'hts'")
    assert "line 5" in message


def test_control_replay_uses_dates_not_file_order(ds_dir: Path) -> None:
    # Written out of order: a 2019 event before the 2020 government recapture is fine ...
    append(ds_dir, "events.csv",
           "2019-01,saraqib,hts,captured,The town was held by the opposition.,aj-2020-03")
    assert errors(ds_dir) == []
    # ... but the government taking it from itself, dated between, is not.
    append(ds_dir, "events.csv",
           "2020-02,saraqib,government,captured,The army took the town.,aj-2020-03")
    message = only_error(ds_dir, "events.csv:3: controller: hands 'saraqib' to 'government'")
    assert "since line 8 (2020-02)" in message


def test_control_replay_same_day_file_order(ds_dir: Path) -> None:
    append(ds_dir, "events.csv",
           "2024-11-29,aleppo,hts,captured,Fighters held the centre.,reuters-2024-11-30")
    message = only_error(ds_dir, "events.csv:7: controller: hands 'aleppo' to 'hts'")
    assert "since line 4 (2024-11-29)" in message


def test_held_confirmation_is_fine(ds_dir: Path) -> None:
    append(ds_dir, "events.csv",
           "2024-12-01,saraqib,,held,The offensive still held the town.,st-2024-12-01")
    assert errors(ds_dir) == []


def test_event_after_end_is_a_warning(ds_dir: Path) -> None:
    append(ds_dir, "events.csv",
           "2024-12-08,aleppo,,airstrike,Aircraft struck the city again.,st-2024-12-01")
    assert errors(ds_dir) == []
    found = [p for p in validate(ds_dir, geocode=False) if p.severity == "warning"]
    assert [str(p) for p in found] == [
        "events.csv:7: warning: date: 2024-12-08 is after the end of [time] (2024-12-02); "
        "the map never shows it"]
    load_dataset(ds_dir, geocode=False)  # warnings do not stop loading


def test_label_kinds_may_lie_outside_the_countries(ds_dir: Path) -> None:
    append(ds_dir, "places.csv", "turkey,Turkey,country,TR,36.95,36.90,,,")
    append(ds_dir, "places.csv", "hatay,Hatay,region,TR,36.40,36.20,,,")
    assert validate(ds_dir, geocode=False) == []


def test_source_id_column_in_places_is_a_citation(ds_dir: Path) -> None:
    append(ds_dir, "sources.csv", "atlas,An atlas,Somebody,,")
    assert warnings(ds_dir) == ["sources.csv:5: warning: id: source 'atlas' is never cited"]
    edit(ds_dir, "places.csv", "notes,local_name\n", "notes,local_name,source_id\n")
    edit(ds_dir, "places.csv", "سراقب\n", "سراقب,atlas\n")
    edit(ds_dir, "places.csv", "Харків\n", "Харків,atlass\n")
    assert warnings(ds_dir) == [
        "places.csv:5: warning: source_id: unknown source 'atlass': not in sources.csv"]
    assert load_dataset(ds_dir, geocode=False).places.loc["saraqib", "source_id"] == "atlas"


def test_unknown_place_kind_is_a_warning(ds_dir: Path) -> None:
    edit(ds_dir, "places.csv", "saraqib,Saraqib,town", "saraqib,Saraqib,hamlet")
    assert errors(ds_dir) == []
    assert warnings(ds_dir)[0].startswith("places.csv:3: warning: kind: unknown kind 'hamlet'")


def test_unused_source_is_a_warning(ds_dir: Path) -> None:
    append(ds_dir, "sources.csv", "spare,Spare,Nobody,,")
    assert errors(ds_dir) == []
    assert warnings(ds_dir) == ["sources.csv:5: warning: id: source 'spare' is never cited"]


# ---------------------------------------------------------------- dataset.toml


def test_bad_toml(ds_dir: Path) -> None:
    edit(ds_dir, "dataset.toml", 'end = "2024-12-02"', "end = ")
    only_error(ds_dir, "dataset.toml:9: not valid TOML")


@pytest.mark.parametrize(("old", "new", "prefix"), [
    ('title = "Fixture: Aleppo and Saraqib"\n', "", "dataset.toml: title: missing"),
    ('end = "2024-12-02"', 'end = "2024-11-02"', "dataset.toml:8: time.start: start 2024-11-26 is "
                                                 "after end 2024-11-02"),
    ('end = "2024-12-02"', 'end = "2024-12-32"', "dataset.toml:9: time.end: '2024-12-32'"),
    ('end = "2024-12-02"', 'end = "2024-12"', "dataset.toml:9: time.end: '2024-12' is not a full"),
    ('colour = "#2E7D32"', 'colour = "green"', "dataset.toml:24: factions.colour: 'green'"),
    ('colour = "#c0392b"', 'colour = "#c0392"', "dataset.toml:18: factions.colour: '#c0392'"),
    ('pattern = "hatch"', 'pattern = "stripes"', "dataset.toml:25: factions.pattern: unknown"),
    ('id = "hts"', 'id = "contested"', "dataset.toml:22: factions.id: 'contested' is built in"),
    ('id = "hts"', 'id = "government"', "dataset.toml:22: factions.id: duplicate faction id "
                                        "'government' (first declared on line 16)"),
    ("center = [36.0, 36.9]", "center = [136.0, 36.9]", "dataset.toml:12: view.center: "),
    ("center = [36.0, 36.9]", 'center = "Aleppo"', "dataset.toml:12: view.center: "),
    ("zoom = 9", "zoom = 40", "dataset.toml:13: view.zoom: "),
    ('countries = ["SY", "UA"]', 'countries = ["SY", "Ukraine"]', "dataset.toml:5: countries: "),
])
def test_bad_dataset_toml(ds_dir: Path, old: str, new: str, prefix: str) -> None:
    edit(ds_dir, "dataset.toml", old, new)
    found = [e for e in errors(ds_dir) if e.startswith("dataset.toml")]
    assert len(found) == 1, errors(ds_dir)
    assert found[0].startswith(prefix), found


def test_missing_factions(ds_dir: Path) -> None:
    text = (ds_dir / "dataset.toml").read_text(encoding="utf-8")
    (ds_dir / "dataset.toml").write_text(text.split("[[factions]]")[0], encoding="utf-8")
    # Without factions the controllers cannot be checked; only the missing table is reported.
    assert errors(ds_dir) == ["dataset.toml: factions: missing: declare at least one [[factions]] "
                              "table"]


def test_toml_dates_may_be_native(ds_dir: Path) -> None:
    edit(ds_dir, "dataset.toml", 'start = "2024-11-26"', "start = 2024-11-26")
    assert load_dataset(ds_dir, geocode=False).start == date(2024, 11, 26)


def test_view_defaults_to_the_places(ds_dir: Path) -> None:
    edit(ds_dir, "dataset.toml", "[view]\ncenter = [36.0, 36.9]\nzoom = 9\n", "")
    loaded = load_dataset(ds_dir, geocode=False)
    # The middle of the places' box (Saraqib to Kharkiv, Kharkiv to Kuweires) ...
    assert loaded.view.lat == pytest.approx((35.8645 + 49.9808) / 2)
    assert loaded.view.lon == pytest.approx((36.2527 + 37.5828) / 2)
    # ... at the closest zoom that shows 14 degrees of latitude on 500 pixels.
    assert loaded.view.zoom == 5


def test_time_defaults_to_the_events(ds_dir: Path) -> None:
    edit(ds_dir, "dataset.toml", '[time]\nstart = "2024-11-26"\nend = "2024-12-02"\n', "")
    assert errors(ds_dir) == []
    loaded = load_dataset(ds_dir, geocode=False)
    assert (loaded.start, loaded.end) == (date(2016, 12, 1), date(2024, 11, 30))


# ---------------------------------------------------------------- routes


@pytest.mark.parametrize(("waypoints", "prefix"), [
    ("aleppo", "routes.csv:2: waypoints: a route needs at least 2 waypoints, found 1"),
    ("aleppo;36.05;saraqib", "routes.csv:2: waypoints: waypoint 2: '36.05' is neither"),
    ("aleppo;36.05 east;saraqib", "routes.csv:2: waypoints: waypoint 2: '36.05 east' is neither"),
    ("aleppo;136.05 36.95;saraqib", "routes.csv:2: waypoints: waypoint 2: '136.05 36.95' is out"),
    ("aleppo;;saraqib", "routes.csv:2: waypoints: waypoint 2 is empty"),
])
def test_bad_route(ds_dir: Path, waypoints: str, prefix: str) -> None:
    edit(ds_dir, "routes.csv", "aleppo;36.05 36.95;saraqib", waypoints)
    only_error(ds_dir, prefix)


# ---------------------------------------------------------------- all at once


def test_every_problem_at_once_sorted(ds_dir: Path) -> None:
    edit(ds_dir, "sources.csv", "https://www.aljazeera.com/", "ftp://x")
    edit(ds_dir, "events.csv", "2024-11-30,aleppo", "2024-11-31,aleppo")
    edit(ds_dir, "events.csv", "2020-03,saraqib", "2020-03,nowhere")
    edit(ds_dir, "places.csv", "town,SY", "town,ZZ")
    edit(ds_dir, "dataset.toml", "zoom = 9", "zoom = -1")
    problems = validate(ds_dir, geocode=False)
    assert all(isinstance(p, Problem) for p in problems)
    assert [(p.file, p.line, p.field) for p in problems if p.severity == "error"] == [
        ("dataset.toml", 13, "view.zoom"),
        ("events.csv", 3, "place_id"),
        ("events.csv", 6, "date"),
        ("places.csv", 3, "country"),
        ("sources.csv", 3, "url"),
    ]
    with pytest.raises(DatasetError) as info:
        load_dataset(ds_dir, geocode=False)
    assert len(info.value.problems) == 5
    assert "5 error(s)" in str(info.value)


# ---------------------------------------------------------------- geocoding (offline gazetteer)


def test_geocode_resolves_places_without_coordinates(ds_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper import settings

    monkeypatch.setattr(settings, "geocode_cache", ds_dir / "no-cache.csv")
    monkeypatch.setattr(settings, "online_geocoding", False)
    monkeypatch.setattr(settings, "progress", False)
    append(ds_dir, "places.csv", "idlib,Idlib,city,SY,,,,,إدلب")
    append(ds_dir, "places.csv", "qqq,Qxzqvv Wjjkq,village,SY,,,,,")
    problems = validate(ds_dir)
    assert [(p.file, p.line, p.severity) for p in problems] == [("places.csv", 7, "error")]
    edit(ds_dir, "places.csv", "qqq,Qxzqvv Wjjkq,village,SY,,,,,\n", "")
    loaded = load_dataset(ds_dir)
    idlib = loaded.places.loc["idlib"]
    # GeoNames: Idlib, SY, about 35.93 N 36.63 E.
    assert idlib["geocode_source"] == "geonames"
    assert idlib["lat"] == pytest.approx(35.93, abs=0.05)
    assert idlib["lon"] == pytest.approx(36.63, abs=0.05)
    assert loaded.places.geometry["idlib"].equals(Point(idlib["lon"], idlib["lat"]))
    assert loaded.places.loc["saraqib", "geocode_source"] == "places.csv"
    assert loaded.places.loc["saraqib", "lat"] == pytest.approx(35.8645)


def test_population_column(ds_dir: Path) -> None:
    edit(ds_dir, "places.csv", "notes,local_name", "notes,local_name,population")
    edit(ds_dir, "places.csv", "junction,سراقب", 'junction,سراقب,"34,311"')
    places = load_dataset(ds_dir, geocode=False).places
    assert places.loc["saraqib", "population"] == 34311
    assert places.loc["saraqib", "population_source"] == "places.csv"
    assert pd.isna(places.loc["aleppo", "population"])
    assert "population" not in places.columns[list(places.columns).index("line") + 1:]


def test_bad_population(ds_dir: Path) -> None:
    edit(ds_dir, "places.csv", "notes,local_name", "notes,local_name,population")
    edit(ds_dir, "places.csv", "junction,سراقب", "junction,سراقب,about 30k")
    only_error(ds_dir, "places.csv:3: population: ")


def test_open_quote_stops_the_file_without_knock_on_warnings(ds_dir: Path) -> None:
    lines = (ds_dir / "events.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",", ',"never closed ', 1)
    (ds_dir / "events.csv").write_text("".join(lines), encoding="utf-8")
    only_error(ds_dir, "events.csv:3: bad CSV from this line on")
    assert not [w for w in warnings(ds_dir) if "never cited" in w]


def test_the_cache_beside_the_dataset_is_used(ds_dir: Path) -> None:
    # A folder of datasets carries its geocode cache (geodata/geocode.csv for the shipped ones),
    # so a dataset copied elsewhere with its cache resolves without the gazetteer.
    from mapper.geocode import CacheEntry, write_cache

    write_cache(ds_dir.parent / "geocode.csv",
                [CacheEntry("Idlib", "SY", 35.93062, 36.63393, "geonames", "169389", "Idlib",
                            128840)])
    append(ds_dir, "places.csv", "idlib,Idlib,city,SY,,,,,إدلب")
    idlib = load_dataset(ds_dir).places.loc["idlib"]
    assert idlib["geocode_source"] == "cache"
    assert idlib["population"] == 128840


# Reference positions, independent of the gazetteer: the coordinates in the Wikipedia
# articles' infoboxes (Aleppo 36°12′N 37°10′E, Saraqib 35°52′N 36°48′E,
# Idlib 35°56′N 36°38′E, Damascus 33°31′N 36°18′E), rounded to the minute.
MAIN_PLACES = {
    "aleppo": (36.20, 37.1667),
    "saraqib": (35.8667, 36.80),
    "idlib": (35.9333, 36.6333),
    "damascus": (33.5167, 36.30),
}


def test_aleppo_dataset_geography() -> None:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    ds = load_dataset(Path(__file__).parents[1] / "geodata" / "aleppo-2024")
    for pid, (lat, lon) in MAIN_PLACES.items():
        here = ds.places.geometry[pid]
        km = geod.inv(lon, lat, here.x, here.y)[2] / 1000
        assert km < 5, f"{pid} is {km:.1f} km from where it is"
    m5 = ds.routes.geometry["m5"]
    length_km = geod.geometry_length(m5) / 1000
    # The Aleppo-Damascus motorway is about 350-355 km; straight segments between the
    # towns it passes cut its bends, so the line is a little shorter.
    assert 320 < length_km < 370
    assert m5.distance(ds.places.geometry["saraqib"]) < 1e-6
    assert ds.routes.loc["m5", "waypoints"][0] == "aleppo"
    assert ds.routes.loc["m5", "waypoints"][-1] == "damascus"
