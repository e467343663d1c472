"""Tests of `mapper import snapshots` (mapper.importers): real files in every format it reads,
the dataset it writes, and its errors."""

from __future__ import annotations

import json
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from mapper import settings
from mapper.cli import main
from mapper.importers import OKABE_ITO, ImportFailed, import_snapshots

#: Made-up boxes in north-west Syria (lon, lat), NOT a record of anything.
WEST = shapely.box(36.30, 35.55, 36.95, 36.35)
BIGGER = shapely.box(36.30, 35.40, 37.40, 36.40)
POCKET = shapely.box(38.0, 35.0, 38.5, 35.5)


def _geojson(path: Path, features: list[tuple[dict[str, object], shapely.Geometry]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": json.loads(shapely.to_geojson(geom))} for props, geom in features]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _ring_text(geom: shapely.Polygon) -> str:
    return " ".join(f"{x},{y},0" for x, y in geom.exterior.coords) + " "  # as GE ends it


def _google_earth_kml(name: str, polygons: list[tuple[str, shapely.Polygon]]) -> str:
    """KML as Google Earth Pro saves it: styles, a folder, tessellated polygons with altitude,
    tabs, and a placemark point beside the outlines."""
    marks = "".join(f"""
		<Placemark>
			<name>{label}</name>
			<styleUrl>#m_ylw-pushpin</styleUrl>
			<Polygon>
				<tessellate>1</tessellate>
				<outerBoundaryIs>
					<LinearRing>
						<coordinates>
							{_ring_text(geom)}
						</coordinates>
					</LinearRing>
				</outerBoundaryIs>
			</Polygon>
		</Placemark>""" for label, geom in polygons)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2" \
xmlns:kml="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">
<Document>
	<name>{name}</name>
	<StyleMap id="m_ylw-pushpin">
		<Pair><key>normal</key><styleUrl>#s_ylw-pushpin</styleUrl></Pair>
		<Pair><key>highlight</key><styleUrl>#s_ylw-pushpin_hl</styleUrl></Pair>
	</StyleMap>
	<Style id="s_ylw-pushpin">
		<LineStyle><color>ff0000ff</color><width>2</width></LineStyle>
		<PolyStyle><color>7f0000ff</color></PolyStyle>
	</Style>
	<Folder>
		<name>Front line</name>
		<open>1</open>{marks}
		<Placemark>
			<name>Aleppo</name>
			<Point><coordinates>37.1343,36.2021,0</coordinates></Point>
		</Placemark>
	</Folder>
</Document>
</kml>
"""


def _controller_folder(root: Path) -> Path:
    """Two GeoJSON snapshots with a ``controller`` per feature, dates in two spellings."""
    folder = root / "tracker"
    _geojson(folder / "2024-11-26.geojson", [({"controller": "HTS", "note": "north-west"}, WEST)])
    _geojson(folder / "hts_20241130_v2.geojson",
             [({"controller": "HTS"}, BIGGER), ({"controller": "SNA"}, POCKET)])
    (folder / "README.txt").write_text("not a map\n", encoding="utf-8")
    return folder


def _meta(out: Path) -> dict[str, Any]:
    return tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))


def _snapshot(out: Path, day: str) -> dict[str, Any]:
    return json.loads((out / "snapshots" / f"{day}.geojson").read_text(encoding="utf-8"))


def _first_ring(out: Path, day: str) -> list[list[float]]:
    ring: list[list[float]] = _snapshot(out, day)["features"][0]["geometry"]["coordinates"][0][0]
    return ring


def test_geojson_folder_becomes_a_valid_dataset(tmp_path: Path) -> None:
    from mapper.dataset import load_dataset, validate

    out = tmp_path / "dataset"
    summary = import_snapshots(_controller_folder(tmp_path), out, rest="government",
                               countries=["SY"], publisher="Test Tracker",
                               url="https://example.org/maps", progress=False)
    assert (summary.files, summary.start.isoformat(), summary.end.isoformat()) == (
        2, "2024-11-26", "2024-11-30")
    assert summary.factions == ("hts", "sna", "government")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "dataset.toml", "events.csv", "places.csv", "snapshots/2024-11-26.geojson",
        "snapshots/2024-11-30.geojson", "sources.csv"]
    meta = _meta(out)
    assert meta["title"] == "tracker"
    assert meta["countries"] == ["SY"]
    assert meta["time"] == {"start": "2024-11-26", "end": "2024-11-30"}
    lat, lon = meta["view"]["center"]
    assert 35.0 <= lat <= 36.4 and 36.3 <= lon <= 38.5
    assert meta["snapshots"] == {"controller_field": "controller", "rest": "government",
                                 "source_id": "snapshot-files"}
    factions = meta["factions"]
    assert [(f["id"], f["label"]) for f in factions] == [
        ("hts", "HTS"), ("sna", "SNA"), ("government", "government")]
    assert [f["colour"] for f in factions] == list(OKABE_ITO[:3])
    assert [f["pattern"] for f in factions] == ["solid", "hatch", "cross"]
    assert (out / "sources.csv").read_text(encoding="utf-8").splitlines() == [
        "id,title,publisher,url,published,notes",
        "snapshot-files,Snapshot files from tracker,Test Tracker,https://example.org/maps,,"
        '"2 files, 2024-11-26 to 2024-11-30; imported with mapper import snapshots"']
    assert (out / "places.csv").read_text(encoding="utf-8") == "id,name,kind,country,lat,lon\n"
    assert (out / "events.csv").read_text(encoding="utf-8") == (
        "date,place_id,controller,kind,description,source_id\n")

    errors = [p for p in validate(out, geocode=False) if p.severity == "error"]
    assert errors == []
    ds = load_dataset(out, geocode=False)
    assert [s.date.isoformat() for s in ds.snapshots] == ["2024-11-26", "2024-11-30"]
    assert [s.rest for s in ds.snapshots] == ["government", "government"]
    assert sorted(ds.snapshots[1].polygons["controller"]) == ["hts", "sna"]


def test_snapshot_files_are_normalised_and_deterministic(tmp_path: Path) -> None:
    # A clockwise ring starting at another corner, 9 decimals, two touching features of
    # one side, extra properties: written as one CCW ring from its lowest vertex, 6 decimals.
    left = shapely.Polygon([(36.5, 36.000000049), (36.5, 35.5), (36.1234567891, 35.5),
                            (36.1234567891, 36.000000049)])
    right = shapely.box(36.5, 35.5, 37.0, 36.000000049)
    src = tmp_path / "a"
    _geojson(src / "20240708.geojson", [({"controller": "hts", "name": "left"}, left),
                                        ({"controller": "hts", "name": "right"}, right)])
    reordered = tmp_path / "b"
    _geojson(reordered / "20240708.geojson", [({"controller": "hts"}, right),
                                              ({"controller": "hts"}, left.reverse())])
    import_snapshots(src, tmp_path / "out1", progress=False)
    import_snapshots(src, tmp_path / "out2", progress=False)
    import_snapshots(reordered, tmp_path / "out3", progress=False)
    text = (tmp_path / "out1" / "snapshots" / "2024-07-08.geojson").read_bytes()
    assert text == (tmp_path / "out2" / "snapshots" / "2024-07-08.geojson").read_bytes()
    assert text == (tmp_path / "out3" / "snapshots" / "2024-07-08.geojson").read_bytes()
    doc = json.loads(text)
    assert len(doc["features"]) == 1
    feature = doc["features"][0]
    assert feature["properties"] == {"controller": "hts"}
    assert feature["geometry"]["type"] == "MultiPolygon"
    ring = feature["geometry"]["coordinates"][0][0]
    assert ring[0] == ring[-1] == [36.123457, 35.5]
    assert all(round(v, 6) == v for xy in ring for v in xy)
    assert shapely.Polygon(ring).exterior.is_ccw
    assert {tuple(xy) for xy in ring} >= {(37.0, 35.5), (37.0, 36.0), (36.123457, 36.0)}
    assert text.count(b"\n") == 3  # header, one feature a line, footer


def test_google_earth_kml_with_side(tmp_path: Path) -> None:
    folder = tmp_path / "ge"
    folder.mkdir()
    (folder / "ge_2024-11-26.kml").write_text(
        _google_earth_kml("ge_2024-11-26.kml", [("North-west pocket", WEST)]), encoding="utf-8")
    (folder / "ge_2024-11-30.kml").write_text(
        _google_earth_kml("ge_2024-11-30.kml", [("Main", BIGGER), ("East", POCKET)]),
        encoding="utf-8")
    out = tmp_path / "out"
    summary = import_snapshots(folder, out, side="HTS", rest="Government", countries=["sy"],
                               title="Offensive on Aleppo", progress=False)
    assert summary.factions == ("hts", "government")
    meta = _meta(out)
    assert meta["title"] == "Offensive on Aleppo"
    assert meta["countries"] == ["SY"]
    assert meta["snapshots"] == {"side": "hts", "rest": "government",
                                 "source_id": "snapshot-files"}
    assert [f["label"] for f in meta["factions"]] == ["HTS", "Government"]
    later = _snapshot(out, "2024-11-30")["features"]
    assert [f["properties"] for f in later] == [{"controller": "hts"}]
    parts = later[0]["geometry"]["coordinates"]
    assert len(parts) == 2  # the point placemark is not ground
    assert shapely.MultiPolygon([shapely.Polygon(p[0]) for p in parts]).equals(
        shapely.union_all([BIGGER, POCKET]))


def test_zipped_kmz(tmp_path: Path) -> None:
    folder = tmp_path / "kmz"
    folder.mkdir()
    with zipfile.ZipFile(folder / "isw_20241126.kmz", "w") as z:
        z.writestr("doc.kml", _google_earth_kml("isw", [("Held", WEST)]))
    import_snapshots(folder, tmp_path / "out", side="hts", progress=False)
    ring = _first_ring(tmp_path / "out", "2024-11-26")
    assert shapely.Polygon(ring).equals(WEST)


def test_geopackage_layers_and_controller_field(tmp_path: Path) -> None:
    folder = tmp_path / "gpkg"
    folder.mkdir()
    path = folder / "control-2024-11-30.gpkg"
    gpd.GeoDataFrame({"Faction": ["HTS"]}, geometry=[BIGGER], crs="EPSG:4326").to_file(
        path, layer="north", engine="pyogrio")
    gpd.GeoDataFrame({"Faction": ["Syrian National Army"]}, geometry=[POCKET],
                     crs="EPSG:4326").to_file(path, layer="east", engine="pyogrio")
    out = tmp_path / "out"
    summary = import_snapshots(folder, out, controller_field="faction", progress=False)
    assert summary.factions == ("hts", "syrian-national-army")
    assert [f["label"] for f in _meta(out)["factions"]] == [
        "HTS", "Syrian National Army"]
    features = _snapshot(out, "2024-11-30")["features"]
    assert [f["properties"]["controller"] for f in features] == ["hts", "syrian-national-army"]


def test_projected_shapefile_is_read_in_lon_lat(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"controller": ["hts"]}, geometry=[WEST], crs="EPSG:4326").to_crs(
        "EPSG:3857").to_file(folder / "front_20241126.shp", engine="pyogrio")
    assert (folder / "front_20241126.prj").is_file()
    import_snapshots(folder, tmp_path / "out", progress=False)
    ring = _first_ring(tmp_path / "out", "2024-11-26")
    got = shapely.Polygon(ring)
    assert got.symmetric_difference(WEST).area < 1e-9
    assert not (tmp_path / "out" / "snapshots" / "2024-11-26.prj").exists()


def test_a_dataset_from_the_import_builds(tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    import_snapshots(_controller_folder(tmp_path), out, rest="government", countries=["SY"],
                     publisher="Test Tracker", progress=False)
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["-q", "build", str(out), "--out", str(site)])
    assert result.exit_code == 0, result.output
    page = (site / "dataset" / "index.html").read_text(encoding="utf-8")
    assert "tracker" in page


# --- errors --------------------------------------------------------------------------------

def _fails(folder: Path, out: Path, **options: Any) -> list[str]:
    with pytest.raises(ImportFailed) as err:
        import_snapshots(folder, out, progress=False, **options)
    assert not out.exists() or not any(out.iterdir())
    assert not list(out.parent.glob(f".{out.name}.*"))  # no staging folder left
    return [str(p) for p in err.value.problems if p.severity == "error"]


def test_no_dated_files(tmp_path: Path) -> None:
    folder = tmp_path / "undated"
    _geojson(folder / "control.geojson", [({"controller": "hts"}, WEST)])
    (folder / "notes-2024-11-26.txt").write_text("a date, but not a map\n", encoding="utf-8")
    errors = _fails(folder, tmp_path / "out")
    assert errors == [f"{folder}: no dated polygon files: expected files such as "
                      "2024-07-08.geojson or isw_20240708.kmz (.geojson, .json, .gpkg, .kml, "
                      ".kmz, .shp, .fgb)"]


def test_two_files_of_one_date(tmp_path: Path) -> None:
    folder = tmp_path / "twice"
    _geojson(folder / "2024-11-26.geojson", [({"controller": "hts"}, WEST)])
    _geojson(folder / "isw_20241126.geojson", [({"controller": "hts"}, BIGGER)])
    errors = _fails(folder, tmp_path / "out")
    assert errors == [f"{folder / 'isw_20241126.geojson'}: shows 2024-11-26 as "
                      "2024-11-26.geojson does: keep one file per date"]


def test_missing_or_empty_controller(tmp_path: Path) -> None:
    folder = tmp_path / "fields"
    _geojson(folder / "2024-11-26.geojson", [({"side": "hts", "name": "x"}, WEST)])
    _geojson(folder / "2024-11-27.geojson", [({"controller": "hts"}, WEST),
                                             ({"controller": " "}, POCKET)])
    errors = _fails(folder, tmp_path / "out")
    assert errors == [
        f"{folder / '2024-11-26.geojson'}: controller: no such property (the features have: "
        "side, name); name the property that says who holds each polygon with "
        "--controller-field, or give --side",
        f"{folder / '2024-11-27.geojson'}: controller: feature 2: empty; each feature needs "
        "the side that holds it"]


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "2024-11-26.geojson").write_text("{not json", encoding="utf-8")
    _geojson(folder / "2024-11-27.geojson", [({"controller": "hts"}, WEST)])
    errors = _fails(folder, tmp_path / "out")
    assert len(errors) == 1
    assert errors[0].startswith(f"{folder / '2024-11-26.geojson'}: cannot read this file as "
                                "GIS data (")
    assert errors[0].endswith("save it as GeoJSON, GeoPackage, KML/KMZ or Shapefile")


def test_option_errors(tmp_path: Path) -> None:
    folder = _controller_folder(tmp_path)
    assert _fails(folder, tmp_path / "o1", rest="government") == [
        "--rest: needs --countries: the countries whose rest that side holds (SY,IQ)"]
    assert _fails(folder, tmp_path / "o2", side="hts", rest="HTS", countries=["SY"]) == [
        "--rest: 'HTS' is also --side; the rest of the countries is another side's"]
    assert _fails(folder, tmp_path / "o3", side="hts", controller_field="x") == [
        "--side: give --side (every polygon is that side's) or --controller-field (a "
        "property names the side), not both"]
    assert _fails(folder, tmp_path / "o4", url="ftp://example.org/x") == [
        "--url: 'ftp://example.org/x' is not an http:// or https:// address"]
    assert _fails(folder, tmp_path / "o5", countries=["Syria"]) == [
        "--countries: 'SYRIA' is not an ISO 3166-1 alpha-2 code (such as SY)"]


def test_out_is_replaced_only_with_force(tmp_path: Path) -> None:
    folder = _controller_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="is not empty; choose another --out, or add "
                                           "--force to replace it"):
        import_snapshots(folder, out, progress=False)
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine\n"
    import_snapshots(folder, out, force=True, progress=False)
    assert not (out / "keep.txt").exists()
    assert (out / "dataset.toml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tracker"]  # nothing left
    empty = tmp_path / "empty"
    empty.mkdir()
    import_snapshots(folder, empty, progress=False)  # an empty folder needs no --force
    assert (empty / "dataset.toml").is_file()


# --- command line --------------------------------------------------------------------------

def test_cli_imports_and_reports(tmp_path: Path) -> None:
    folder = _controller_folder(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "import", "snapshots", str(folder), "--out",
                                       str(out), "--rest", "government", "--countries", "SY",
                                       "--source-title", "Daily maps", "--publisher", "T"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{out}: 2 snapshots, 2024-11-26 to 2024-11-30, sides hts, sna, "
                             f"government; check it with: mapper validate {out}\n")
    assert "Daily maps,T," in (out / "sources.csv").read_text(encoding="utf-8")


def test_cli_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "twice"
    _geojson(folder / "2024-11-26.geojson", [({"controller": "hts"}, WEST)])
    _geojson(folder / "20241126.geojson", [({"name": "x"}, WEST)])
    runner = CliRunner()
    result = runner.invoke(main, ["import", "snapshots", str(folder), "--out",
                                  str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{folder / '20241126.geojson'}: shows 2024-11-26 as 2024-11-26.geojson does: keep "
        "one file per date", f"{folder}: 1 error(s); nothing written"]
    assert "Traceback" not in result.output
    result = runner.invoke(main, ["import", "snapshots", str(folder), "--out",
                                  str(tmp_path / "out"), "--rest", "government"])
    assert result.exit_code == 2
    assert result.stderr == ("--rest: needs --countries, the countries whose rest that side "
                             "holds (e.g. --countries SY)\n")
    assert not (tmp_path / "out").exists()


def test_cli_help_has_examples() -> None:
    result = CliRunner().invoke(main, ["import", "snapshots", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "mapper import snapshots isw-kmz/ --out geodata/isw-2024 --side russia" in (
        result.output)
    assert "import" in CliRunner().invoke(main, ["--help"]).output


def test_progress_bar_follows_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _controller_folder(tmp_path)
    monkeypatch.setattr(settings, "progress", True)
    import_snapshots(folder, tmp_path / "a")
    assert "import" in capsys.readouterr().err
    monkeypatch.setattr(settings, "progress", False)
    import_snapshots(folder, tmp_path / "b")
    assert capsys.readouterr().err == ""
