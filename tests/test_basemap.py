"""Tests of mapper.basemap: Natural Earth countries (1:110m table, 1:10m outlines), the
detailed base map layers and compact GeoJSON.

Reference figures: Syria's total area is 185,180 km² (CIA World Factbook, "Syria:
Geography"); city coordinates are rounded from Wikipedia's articles on each city.
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry

from mapper.basemap import countries, country_shape, layers, to_geojson
from mapper.territory import area_km2

#: (lon, lat) of places whose country is checked.
ALEPPO = (37.16, 36.20)
IDLIB = (36.63, 35.93)
DAMASCUS = (36.29, 33.51)
ANTAKYA = (36.16, 36.20)  # Hatay province, Turkey
ISKENDERUN = (36.17, 36.59)  # Hatay province, Turkey
KHARKIV = (36.23, 49.99)
SIMFEROPOL = (34.10, 44.95)  # Crimea
LATAKIA = (35.78, 35.52)
AMMAN = (35.93, 31.95)
BEIRUT = (35.50, 33.89)

#: The Aleppo dataset's area (lon 35.5-38.5, lat 33-37.5) with a 1 degree margin.
ALEPPO_BBOX = (34.5, 32.0, 39.5, 38.5)


def km2(geom: shapely.Geometry) -> float:
    return float(area_km2(gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326")).iloc[0])


def contains(geom: shapely.Geometry, lonlat: tuple[float, float]) -> bool:
    return bool(geom.contains(shapely.Point(*lonlat)))


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
    # Syria is 185,180 km²; the 1:110m outline is coarse, so allow a few per cent.
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


def test_syria_at_10m() -> None:
    sy = country_shape("SY")
    assert sy.is_valid
    assert km2(sy) == pytest.approx(185_180, rel=0.02)
    for place in (ALEPPO, IDLIB, DAMASCUS):
        assert contains(sy, place), place
    # Hatay is Turkish.
    tr = country_shape("TR")
    for place in (ANTAKYA, ISKENDERUN):
        assert not contains(sy, place), place
        assert contains(tr, place), place
    # The 1:110m coast runs east of Latakia, a port of 400,000 people.
    assert contains(sy, LATAKIA)
    assert not contains(by_iso2("SY").geometry, LATAKIA)
    assert sy.intersection(tr).area < 1e-6


def test_10m_is_finer_than_110m() -> None:
    sy10 = country_shape("SY")
    sy110 = by_iso2("SY").geometry
    assert shapely.get_num_coordinates(sy10) > 10 * shapely.get_num_coordinates(sy110)
    assert sy10.symmetric_difference(sy110).area > 0.01


def test_ukraine_follows_natural_earth() -> None:
    ua = country_shape("UA")
    assert ua.is_valid
    assert contains(ua, KHARKIV)
    # Natural Earth draws de facto control: Crimea is in Russia's outline, not Ukraine's.
    assert not contains(ua, SIMFEROPOL)
    assert contains(country_shape("RU"), SIMFEROPOL)
    # Ukraine without Crimea is some 576,000 km².
    assert km2(ua) == pytest.approx(576_000, rel=0.02)


def test_gaps_between_border_lines_are_closed() -> None:
    # Where Israel, Jordan and Syria meet, Natural Earth's lines stop short of each other;
    # unclosed, Israel and Jordan would come out as one face.
    il, jo = country_shape("IL"), country_shape("JO")
    assert contains(jo, AMMAN)
    assert not contains(il, AMMAN)
    assert il.intersection(jo).area < 1e-6
    assert 15_000 < km2(il) < 30_000


def test_country_shape_is_cached_and_order_free() -> None:
    assert country_shape(["SY", "lb"]) is country_shape(["LB", "SY", "SY"])
    both = country_shape(["SY", "LB"])
    assert contains(both, BEIRUT)
    assert both.area == pytest.approx(country_shape("SY").area + country_shape("LB").area)
    with pytest.raises(ValueError, match="no ISO code"):
        country_shape([])


def coordinates(obj: object) -> list[list[float]]:
    """Every coordinate pair of a GeoJSON ``coordinates`` tree."""
    if isinstance(obj, list) and obj and isinstance(obj[0], float | int):
        return [obj]
    return [c for o in obj for c in coordinates(o)] if isinstance(obj, list) else []


def test_layers_aleppo() -> None:
    base = layers(ALEPPO_BBOX)
    assert sorted(base) == ["borders", "labels", "lakes", "land", "regions"]
    shapes = {
        name: shapely.geometry.shape(fc["features"][0]["geometry"])
        for name, fc in base.items() if name != "labels"
    }
    assert shapes["land"].geom_type in ("Polygon", "MultiPolygon")
    assert shapes["land"].is_valid
    assert contains(shapes["land"], ALEPPO)
    assert contains(shapes["land"], ANTAKYA)
    assert not contains(shapes["land"], (35.0, 35.5))  # the sea off Latakia
    assert contains(shapes["lakes"], (38.3, 35.95))  # Lake Assad
    assert shapes["borders"].geom_type in ("LineString", "MultiLineString")
    # The Syria–Turkey border runs through Bab al-Hawa (36.67 E, 36.23 N).
    assert shapes["borders"].distance(shapely.Point(36.67, 36.23)) < 0.02
    assert shapes["regions"].length > shapes["borders"].length / 2
    labels = {f["properties"]["iso2"]: f for f in base["labels"]["features"]}
    assert labels["SY"]["properties"]["name"] == "Syria"
    assert labels["SY"]["geometry"]["type"] == "Point"
    # Turkey's own label point is north of the box, but Turkey covers a good part of it:
    # it is named at a point of that part (in Hatay, inside Turkey's outline).
    turkey = labels["TR"]["geometry"]["coordinates"]
    assert country_shape("TR").contains(shapely.Point(turkey))
    x0, y0, x1, y1 = ALEPPO_BBOX
    assert x0 <= turkey[0] <= x1 and y0 <= turkey[1] <= y1

    x0, y0, x1, y1 = ALEPPO_BBOX
    for name, fc in base.items():
        points = coordinates([f["geometry"]["coordinates"] for f in fc["features"]])
        assert points, name
        assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in points), name
        assert all(round(v, 4) == v for p in points for v in p), name


def test_layers_deterministic_and_small() -> None:
    first = json.dumps(layers(ALEPPO_BBOX), sort_keys=True)
    second = json.dumps(layers(tuple(ALEPPO_BBOX)), sort_keys=True)
    assert first == second
    sizes = {
        name: len(json.dumps(fc, separators=(",", ":")))
        for name, fc in layers(ALEPPO_BBOX).items()
    }
    assert sum(sizes.values()) < 300_000, sizes
    assert sizes["land"] > 1_000 and sizes["regions"] > 1_000, sizes
    # Simplification is what keeps it small: without it the same box is far bigger.
    full = layers(ALEPPO_BBOX, tolerance_deg=0.0)
    full_size = len(json.dumps(full, separators=(",", ":")))
    assert full_size > 1.5 * sum(sizes.values())


def test_layers_empty_and_bad_boxes() -> None:
    ocean = layers((-30.0, -10.0, -29.0, -9.0))  # the middle of the Atlantic
    assert all(fc == {"type": "FeatureCollection", "features": []} for fc in ocean.values())
    with pytest.raises(ValueError, match="bbox"):
        layers((38.5, 33.0, 35.5, 37.5))
    with pytest.raises(ValueError, match="bbox"):
        layers((35.5, 33.0, math.nan, 37.5))
    with pytest.raises(ValueError, match="tolerance_deg"):
        layers(ALEPPO_BBOX, tolerance_deg=-1.0)


def test_countries_at_10m_cut_to_box() -> None:
    got = countries(bbox=ALEPPO_BBOX, detail="10m")
    assert list(got.columns) == ["iso2", "iso3", "name", "geometry"]
    assert got.crs == "EPSG:4326"
    assert {"SY", "TR", "LB", "IQ", "JO", "IL"} <= set(got["iso2"].dropna())
    assert shapely.is_valid(got.geometry.to_numpy()).all()
    assert shapely.box(*ALEPPO_BBOX).buffer(1e-9).contains(shapely.union_all(got.geometry))
    rows = got.set_index("iso2")
    sy = rows.loc["SY"].geometry
    assert contains(sy, LATAKIA) and contains(rows.loc["TR"].geometry, ANTAKYA)
    for code in ("SY", "TR"):
        cut = country_shape(code).intersection(shapely.box(*ALEPPO_BBOX))
        assert rows.loc[code].geometry.symmetric_difference(cut).area < 1e-6, code
    with pytest.raises(ValueError, match="needs a bbox"):
        countries(detail="10m")
    with pytest.raises(ValueError, match="detail"):
        countries(bbox=ALEPPO_BBOX, detail="50m")  # type: ignore[arg-type]


# ---- the page's base map: no edge, rivers, towns --------------------------------------------


def test_levels_tile_the_world_without_overlap() -> None:
    from mapper.basemap import levels

    rings = levels((36.0, 35.0, 38.0, 37.0))
    assert [r["box"] for r in rings][-1] == [-180.0, -85.0, 180.0, 85.0]
    lands = [shapely.geometry.shape(r["land"]["features"][0]["geometry"]) for r in rings]
    # Turkey, Iraq and Jordan are land at every ring that reaches them (no sea past the box).
    for lon, lat in ((32.85, 39.93), (44.4, 33.3), (35.9, 31.95)):
        assert any(g.buffer(0.05).contains(shapely.Point(lon, lat)) for g in lands), (lon, lat)
    # The rings do not overlap (the inner box is cut out of the next ring).
    assert lands[0].intersection(lands[1]).area < 1e-3
    assert lands[1].intersection(lands[2]).area < 1e-2


def test_mosul_map_shows_the_tigris() -> None:
    from mapper.basemap import cities, levels, rivers

    box = (42.6, 35.9, 43.7, 36.8)  # a dataset box around Mosul, Iraq
    names = set(rivers(box)["name"])
    assert "Tigris" in names
    near = levels(box)[0]
    tigris = shapely.geometry.shape(near["rivers"]["features"][0]["geometry"])
    assert tigris.distance(shapely.Point(43.13, 36.34)) < 0.05  # it runs through Mosul
    assert "Mosul" in set(cities(box)["name"])


def test_euphrates_near_aleppo() -> None:
    from mapper.basemap import rivers

    found = rivers((37.5, 35.5, 39.0, 36.9), max_rank=3)
    # Natural Earth names the Euphrates locally here: Al Furat in Syria, Firat in Turkey.
    assert set(found["name"]) == {"Al Furat", "Firat"}
    assert shapely.length(found.geometry.to_numpy()).sum() > 1.5  # degrees


@pytest.mark.browser
def test_page_draws_land_beyond_the_data_box(open_page: Any, mini_html: str) -> None:
    op = open_page(mini_html)
    op.page.evaluate("window.mapper.map.setView([39.0, 34.0], 5, {animate: false})")
    op.page.wait_for_timeout(300)
    # Central Anatolia (40.3 N, 37.5 E), past the fixture's box and its 3-degree margin, is
    # land: the land colour, not the sea's.
    pt = op.page.evaluate("""() => {
      const m = window.mapper.map, p = m.latLngToContainerPoint([40.3, 37.5]);
      const r = m.getContainer().getBoundingClientRect();
      return [r.left + p.x, r.top + p.y];
    }""")
    png = op.page.screenshot(clip={"x": pt[0], "y": pt[1], "width": 2, "height": 2})
    from io import BytesIO

    from PIL import Image

    pixel = Image.open(BytesIO(png)).convert("RGB").getpixel((0, 0))
    assert pixel == (0xf4, 0xf2, 0xec), pixel  # BASE.land, not BASE.sea (#cfdfe8)
    assert op.page.locator("path.ts-base-rivers").count() == 1
    assert op.page.locator("path.ts-base-coast").count() == 1
    assert op.foreign_requests() == []
    assert op.unexpected_console_errors() == []
