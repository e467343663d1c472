"""Tests of mapper.basemap: the offline Natural Earth countries and compact GeoJSON."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from mapper.basemap import countries, country_shape, to_geojson
from mapper.territory import area_km2


def by_iso2(code: str) -> pd.Series:
    gdf = countries()
    row = gdf[gdf["iso2"] == code]
    assert len(row) == 1, code
    return row.iloc[0]


def test_columns_and_crs() -> None:
    gdf = countries()
    assert list(gdf.columns) == ["iso2", "iso3", "name", "geometry"]
    assert gdf.crs == "EPSG:4326"
    assert len(gdf) > 150
    assert gdf["name"].is_monotonic_increasing
    assert shapely.is_valid(gdf.geometry.to_numpy()).all()
    coded = gdf.dropna(subset=["iso2"])
    assert not coded["iso2"].duplicated().any()
    assert not (gdf["iso3"] == "-99").any()


def test_syria() -> None:
    sy = by_iso2("SY")
    assert sy["iso3"] == "SYR"
    assert sy["name"] == "Syria"
    km2 = float(area_km2(gpd.GeoDataFrame(geometry=[sy.geometry], crs="EPSG:4326")).iloc[0])
    # Syria is about 185,000 km²; the 1:110m outline is coarse, so allow a few per cent.
    assert km2 == pytest.approx(185_180, rel=0.05)
    assert sy.geometry.contains(shapely.Point(37.16, 36.20))  # Aleppo
    assert sy.geometry.contains(shapely.Point(36.29, 33.51))  # Damascus


@pytest.mark.parametrize(
    ("name", "iso2", "iso3"),
    [("France", "FR", "FRA"), ("Norway", "NO", "NOR"), ("Kosovo", "XK", "XKX")],
)
def test_codes_missing_in_natural_earth_are_fixed(name: str, iso2: str, iso3: str) -> None:
    row = by_iso2(iso2)
    assert (row["name"], row["iso3"]) == (name, iso3)


def test_france_outline() -> None:
    fr = by_iso2("FR").geometry
    assert fr.contains(shapely.Point(2.35, 48.86))  # Paris
    assert not fr.contains(shapely.Point(4.35, 50.85))  # Brussels


def test_bbox_filter() -> None:
    got = countries(bbox=(35.5, 35.5, 37.5, 37.0))  # north-west Syria and Hatay
    assert set(got["iso2"]) == {"SY", "TR"}
    assert set(countries(bbox=(37.5, 34.5, 38.5, 35.5))["iso2"]) == {"SY"}


def test_country_shape_union() -> None:
    sy = country_shape("SY")
    both = country_shape(["SY", "lb"])
    assert both.contains(sy)
    assert both.contains(shapely.Point(35.50, 33.89))  # Beirut
    assert not sy.contains(shapely.Point(35.50, 33.89))
    with pytest.raises(ValueError, match="ZZ"):
        country_shape(["SY", "ZZ"])


def test_to_geojson_is_compact_and_deterministic() -> None:
    gdf = countries(bbox=(35.5, 35.5, 37.5, 37.0))
    gdf["pop"] = [np.int64(7), np.nan]
    gj = to_geojson(gdf.iloc[::-1], precision=3)
    again = to_geojson(gdf, precision=3)
    assert json.dumps(gj) == json.dumps(again)  # same whatever the row order
    assert [f["id"] for f in gj["features"]] == sorted(str(i) for i in gdf.index)
    props = [f["properties"] for f in gj["features"]]
    assert props[0] == {"iso2": "SY", "iso3": "SYR", "name": "Syria", "pop": 7}
    assert props[1]["pop"] is None
    text = json.dumps(gj, allow_nan=False)  # raises on NaN
    assert "NaN" not in text

    def coords(obj: object) -> list[float]:
        if isinstance(obj, list) and obj and isinstance(obj[0], float):
            return obj
        return [v for o in obj for v in coords(o)] if isinstance(obj, list) else []

    values = [v for f in gj["features"] for v in coords(f["geometry"]["coordinates"])]
    assert values and all(round(v, 3) == v for v in values)
    # Rounding keeps the outline: the area barely moves.
    shape = shapely.geometry.shape(gj["features"][0]["geometry"])
    assert shape.is_valid
    assert shape.area == pytest.approx(gdf.geometry.iloc[0].area, rel=0.01)


def test_to_geojson_empty_geometry_is_null() -> None:
    gdf = gpd.GeoDataFrame({"v": [math.inf, 1.5]}, index=["b", "a"],
                           geometry=[shapely.Polygon(), shapely.Point(36.123456, 35.98765)],
                           crs="EPSG:4326")
    gj = to_geojson(gdf, precision=2)
    assert gj["features"] == [
        {"type": "Feature", "id": "a", "properties": {"v": 1.5},
         "geometry": {"type": "Point", "coordinates": [36.12, 35.99]}},
        {"type": "Feature", "id": "b", "properties": {"v": None}, "geometry": None},
    ]
