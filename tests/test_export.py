"""Tests of mapper.export: places, areas and front lines of a day as GeoPackage or GeoJSON."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner

from mapper import export, stats
from mapper.cli import main
from mapper.dataset import Dataset, load_dataset

REPORT = Path(__file__).parent / "data" / "report"
DAY = date(2024, 11, 29)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(REPORT, geocode=False)


@pytest.fixture(scope="module")
def layers(ds: Dataset) -> dict[str, gpd.GeoDataFrame]:
    return export.export_layers(ds, DAY)


def test_places_carry_their_controller_on_the_day(layers: dict[str, gpd.GeoDataFrame]) -> None:
    places = layers["places"].set_index("id")
    assert list(places.index) == sorted(places.index)
    assert places.loc["aleppo", "controller"] == "contested"
    assert places.loc["aleppo", "controller_label"] == "Contested"
    assert places.loc["saraqib", "controller"] == "hts"
    assert places.loc["saraqib", "since"] == "2024-11-28"
    assert places.loc["saraqib", "colour"] == "#009e73"
    assert places.loc["saraqib", "since_precision"] == "day"
    # Known to the month or the year only: written so, not as a false first day.
    assert places.loc["idlib", "since"] == "2015"  # events.csv says "2015", not 2015-01-01
    assert places.loc["idlib", "since_precision"] == "year"
    assert places.loc["tell-rifaat", "controller"] == "unknown"
    assert places.loc["tell-rifaat", "since"] == ""
    assert places.loc["western-countryside", "kind"] == "region"
    assert set(places["date"]) == {"2024-11-29"}
    assert layers["places"].crs.to_epsg() == 4326


def test_areas_are_the_ground_of_each_side(ds: Dataset,
                                           layers: dict[str, gpd.GeoDataFrame]) -> None:
    areas = layers["areas"].set_index("id")
    assert list(areas.index) == sorted(["government", "hts", "sna", "contested", "unknown"])
    assert areas.loc["unknown", "name"] == "No data"
    aleppo = ds.places.geometry["aleppo"]
    assert areas.geometry["contested"].buffer(1e-9).contains(aleppo)
    assert areas.geometry["government"].buffer(1e-9).contains(
        ds.places.geometry["khan-shaykhun"])
    row = stats.territory_series(ds).set_index("date").loc[DAY]
    for side in ("government", "hts", "sna", "contested", "unknown"):
        assert areas.loc[side, "area_km2"] == pytest.approx(row[f"{side}_km2"], abs=0.01)
        # and geopandas agrees on the exported polygons, to 0.1%
        one = gpd.GeoSeries([areas.geometry[side]], crs="EPSG:4326").to_crs("EPSG:6933")
        assert float(one.area.iloc[0]) / 1e6 == pytest.approx(row[f"{side}_km2"], rel=1e-3)
    assert all(g.geom_type in ("Polygon", "MultiPolygon") for g in areas.geometry)


def test_fronts_separate_different_known_sides(ds: Dataset,
                                               layers: dict[str, gpd.GeoDataFrame]) -> None:
    fronts = layers["fronts"]
    assert len(fronts) > 0
    assert (fronts["a_controller"] != fronts["b_controller"]).all()
    assert "unknown" not in set(fronts["a_controller"]) | set(fronts["b_controller"])
    pairs = {frozenset(p) for p in zip(fronts["a"], fronts["b"], strict=True)}
    assert frozenset(("contested", "sna")) in pairs  # Aleppo contested, against the SNA
    line = fronts[[frozenset(p) == frozenset(("contested", "sna"))
                   for p in zip(fronts["a"], fronts["b"], strict=True)]].geometry.iloc[0]
    assert line.distance(ds.places.geometry["aleppo"]) < 0.3  # near Aleppo (degrees)
    assert (fronts["length_km"] > 0).all()


def test_geojson_one_collection_with_a_layer_property(ds: Dataset, tmp_path: Path,
                                                      layers: dict[str, gpd.GeoDataFrame]
                                                      ) -> None:
    out = export.export(ds, DAY, tmp_path / "day.geojson")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert (data["name"], data["date"]) == ("report", "2024-11-29")
    by_layer: dict[str, int] = {}
    for feature in data["features"]:
        layer = feature["properties"]["layer"]
        by_layer[layer] = by_layer.get(layer, 0) + 1
        assert feature["id"].startswith(layer + "/")
    assert by_layer == {name: len(layers[name]) for name in export.LAYERS}
    # GIS software reads it back (one sub-layer per geometry type in QGIS; here all at once).
    back = gpd.read_file(out)
    assert len(back) == len(data["features"])
    aleppo = back[(back["layer"] == "places") & (back["id"] == "aleppo")]
    assert aleppo["controller"].tolist() == ["contested"]
    again = export.export(ds, DAY, tmp_path / "again.json")
    assert again.read_bytes() == out.read_bytes()


def test_gpkg_three_layers_deterministic(ds: Dataset, tmp_path: Path) -> None:
    first = export.export(ds, DAY, tmp_path / "a.gpkg")
    time.sleep(1.1)  # a time stamp, if one were written, would now differ
    second = export.export(ds, DAY, tmp_path / "b.gpkg")
    assert first.read_bytes() == second.read_bytes()
    assert [name for name, _ in pyogrio.list_layers(first)] == list(export.LAYERS)
    places = gpd.read_file(first, layer="places").set_index("id")
    assert places.loc["saraqib", "controller"] == "hts"
    areas = gpd.read_file(first, layer="areas")
    assert areas.crs.to_epsg() == 4326
    assert [p.name for p in tmp_path.iterdir()] and not [
        p for p in tmp_path.iterdir() if p.name.startswith(".")]
    other = export.export(ds, date(2024, 12, 1), tmp_path / "c.gpkg")
    assert other.read_bytes() != first.read_bytes()


def test_bad_format_and_date(ds: Dataset, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'shp'"):
        export.export(ds, DAY, tmp_path / "x.shp")
    with pytest.raises(ValueError, match="outside the dataset's time range"):
        export.export(ds, date(2025, 1, 1), tmp_path / "x.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_export_command(tmp_path: Path) -> None:
    out = tmp_path / "x.gpkg"
    result = CliRunner().invoke(main, ["export", str(REPORT), "--date", "2024-11-29",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pyogrio.list_layers(out)) == 3
    gj = tmp_path / "x.data"
    as_json = CliRunner().invoke(main, ["export", str(REPORT), "--date", "2024-11-29",
                                        "--format", "geojson", "--out", str(gj)])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(gj.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
