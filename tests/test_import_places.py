"""Tests of `mapper import places` (mapper.imports.places): Google My Maps KML, a Google
Earth KMZ, a QGIS GeoJSON, appending to a dataset, and HTML descriptions made text."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapper.cli import main
from mapper.dataset import validate
from mapper.importers import ImportFailed
from mapper.imports.places import html_to_text, import_places

DATA = Path(__file__).parent / "data" / "imports"
ROOT = Path(__file__).parent.parent


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _errors(path: Path) -> list[str]:
    return [str(p) for p in validate(path) if p.severity == "error"]


def test_my_maps_kml_folders_html_and_unique_ids(tmp_path: Path) -> None:
    out = tmp_path / "o"
    got = import_places(DATA / "mymaps-mosul.kml", out=out, start=None)
    assert got.added == 4  # the LineString placemark is skipped
    rows = {r["id"]: r for r in _rows(out / "places.csv")}
    assert set(rows) == {"bartella", "bartella-2", "bashiqa", "qaraqosh-hamdaniya"}
    assert rows["bartella"]["notes"] == "Christian town east of Mosul. / Retaken 20 Oct & held."
    assert rows["bartella"]["folder"] == "Retaken in October"
    assert rows["bashiqa"]["folder"] == "Retaken in November"
    assert (rows["bartella"]["lat"], rows["bartella"]["lon"]) == ("36.3517", "43.3797")
    assert rows["bashiqa"]["country"] == "IQ"
    for row in rows.values():
        assert "<" not in row["notes"] and "alert" not in row["notes"]
    assert _errors(out) == []


def test_google_earth_kmz_nested_folders(tmp_path: Path) -> None:
    out = tmp_path / "o"
    import_places(DATA / "earth-mosul.kmz", out=out, kind="village")
    rows = {r["name"]: r for r in _rows(out / "places.csv")}
    assert set(rows) == {"Mosul", "Qayyarah Airfield West", "Hammam al-Alil"}
    assert rows["Qayyarah Airfield West"]["folder"] == "Airfields"
    assert rows["Mosul"]["notes"] == "City on the Tigris \u2013 test pin"
    assert rows["Hammam al-Alil"]["kind"] == "village"
    assert _errors(out) == []


def test_qgis_geojson_kinds(tmp_path: Path) -> None:
    out = tmp_path / "o"
    import_places(DATA / "qgis-places.geojson", out=out)
    rows = {r["name"]: r for r in _rows(out / "places.csv")}
    assert rows["Gogjali"]["kind"] == "village"
    assert rows["Nimrud"]["kind"] == "site"
    assert rows["Tal Afar"]["kind"] == "town"   # not a kind of the format: --kind
    assert rows["Nimrud"]["notes"] == ""
    assert _errors(out) == []


def test_append_keeps_the_dataset_and_skips_what_is_there(tmp_path: Path) -> None:
    dataset = tmp_path / "kharkiv"
    shutil.copytree(ROOT / "geodata" / "kharkiv-2022", dataset)
    before = _rows(dataset / "places.csv")
    events = (dataset / "events.csv").read_bytes()
    runner = CliRunner()
    result = runner.invoke(main, ["import", "places", str(DATA / "qgis-places.geojson"),
                                  "--append", str(dataset)])
    assert result.exit_code == 0, result.output
    after = _rows(dataset / "places.csv")
    assert [{k: r[k] for k in before[0]} for r in after[: len(before)]] == before
    assert [r["name"] for r in after[len(before):]] == ["Gogjali", "Nimrud", "Tal Afar"]
    assert (dataset / "events.csv").read_bytes() == events
    assert _errors(dataset) == []
    again = runner.invoke(main, ["import", "places", str(DATA / "qgis-places.geojson"),
                                 "--append", str(dataset)])
    assert again.exit_code == 0 and "3 already there" in again.output
    assert len(_rows(dataset / "places.csv")) == len(after)


def test_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(main, ["import", "places", str(DATA / "qgis-places.geojson")])
    assert both.exit_code == 2 and "--out DIR" in both.output
    bad = tmp_path / "bad.kml"
    bad.write_text("<kml><Document><Placemark>", encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    with pytest.raises(ImportFailed, match="ISO 3166-1"):
        import_places(DATA / "qgis-places.geojson", out=tmp_path / "p", country="Iraq")
    assert "Example" in runner.invoke(main, ["import", "places", "--help"]).output


def test_html_to_text() -> None:
    assert html_to_text("<ul><li>one</li><li>two &gt; 1</li></ul>") == "one / two > 1"
    assert html_to_text("{{ 7*7 }} <style>p{}</style>plain") == "{{ 7*7 }} plain"


def test_projected_geopackage_from_qgis(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    frame = gpd.GeoDataFrame(
        {"name": ["Mosul", "Bashiqa", "Road"], "notes": ["<i>city</i>", "", ""]},
        geometry=[Point(43.1189, 36.335), Point(43.3531, 36.4547),
                  LineString([(43.1, 36.3), (43.3, 36.4)])],
        crs="EPSG:4326").to_crs("EPSG:32638")  # UTM 38N, as a QGIS project in metres
    path = tmp_path / "places.gpkg"
    frame.to_file(path, layer="pins", driver="GPKG")
    out = tmp_path / "o"
    got = import_places(path, out=out, start=None)
    assert got.added == 2
    rows = {r["name"]: r for r in _rows(out / "places.csv")}
    assert abs(float(rows["Mosul"]["lat"]) - 36.335) < 1e-5
    assert abs(float(rows["Mosul"]["lon"]) - 43.1189) < 1e-5
    assert rows["Mosul"]["notes"] == "city"
    assert rows["Mosul"]["folder"] == "pins"


def test_append_to_a_spreadsheet_saved_places_csv(tmp_path: Path) -> None:
    dataset = tmp_path / "d"
    import_places(DATA / "mymaps-mosul.kml", out=dataset)
    text = (dataset / "places.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    rows[0] = ["ID", "Name", "Kind", "Country", "Latitude", "Longitude", "Notes", "Folder"]
    body = "\r\n".join(";".join(f'"{v}"' if ";" in v else v for v in r) for r in rows)
    (dataset / "places.csv").write_bytes(b"\xef\xbb\xbf" + body.encode() + b"\r\n")
    got = import_places(DATA / "qgis-places.geojson", append=dataset)
    assert got.added == 3
    lines = (dataset / "places.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "ID;Name;Kind;Country;Latitude;Longitude;Notes;Folder"
    assert lines[-1].startswith("tal-afar;Tal Afar;town;IQ;36.3767;42.4486;West of Mosul")
    assert _errors(dataset) == []
