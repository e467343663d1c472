"""Tests of mapper.territory: cells, fronts, route segments and areas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from mapper import basemap
from mapper.territory import area_km2, cells, fronts, held_area, route_segments

GEOD = pyproj.Geod(ellps="WGS84")


def places(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    """Places as Dataset.places holds them: (id, kind, lat, lon)."""
    return gpd.GeoDataFrame(
        {"kind": [k for _, k, _, _ in rows]},
        index=pd.Index([i for i, _, _, _ in rows], name="id"),
        geometry=gpd.points_from_xy([r[3] for r in rows], [r[2] for r in rows]),
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def syria() -> shapely.Geometry:
    return basemap.country_shape(["SY"])


@pytest.fixture(scope="module")
def random_places(syria: shapely.Geometry) -> gpd.GeoDataFrame:
    """300 seeded random towns inside Syria, plus one region label that gets no cell."""
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = syria.bounds
    x = rng.uniform(minx, maxx, 3000)
    y = rng.uniform(miny, maxy, 3000)
    inside = shapely.contains_xy(syria, x, y)
    x, y = x[inside][:300], y[inside][:300]
    rows = [(f"p{i:03d}", "town", float(b), float(a)) for i, (a, b) in enumerate(zip(x, y,
                                                                                      strict=True))]
    return places([*rows, ("idlib-governorate", "region", 35.9, 36.6)])


@pytest.fixture(scope="module")
def random_cells(random_places: gpd.GeoDataFrame, syria: shapely.Geometry) -> gpd.GeoDataFrame:
    return cells(random_places, clip=syria, max_distance_km=25.0)


def max_distance_m(cell: shapely.Geometry, place: shapely.Point) -> float:
    """Largest geodesic distance from the place to a vertex of the cell."""
    xy = shapely.get_coordinates(cell)
    _, _, d = GEOD.inv(np.full(len(xy), place.x), np.full(len(xy), place.y), xy[:, 0], xy[:, 1])
    return float(np.max(d))


def test_one_row_per_area_place(random_cells: gpd.GeoDataFrame,
                                random_places: gpd.GeoDataFrame) -> None:
    towns = random_places[random_places["kind"] == "town"]
    assert list(random_cells.index) == list(towns.index)
    assert random_cells.index.name == "id"
    assert random_cells.crs == "EPSG:4326"
    assert "idlib-governorate" not in random_cells.index


def test_each_cell_contains_its_place(random_cells: gpd.GeoDataFrame,
                                      random_places: gpd.GeoDataFrame) -> None:
    pts = random_places.geometry.loc[random_cells.index]
    assert random_cells.geometry.contains(pts).all()
    assert shapely.is_valid(random_cells.geometry.to_numpy()).all()


def test_cells_do_not_overlap(random_cells: gpd.GeoDataFrame) -> None:
    geoms = random_cells.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    # Shared edges may differ by rounding only: far below a square metre (1e-10 deg²).
    assert float(overlap.max()) < 1e-10


def test_cells_within_clip_and_distance(random_cells: gpd.GeoDataFrame,
                                        random_places: gpd.GeoDataFrame,
                                        syria: shapely.Geometry) -> None:
    union = shapely.union_all(random_cells.geometry.to_numpy())
    assert shapely.difference(union, syria).area < 1e-9
    far = [
        max_distance_m(g, random_places.geometry[i])
        for i, g in random_cells.geometry.items()
    ]
    # Local projection: allow 0.5% for its scale error at the edges of the region.
    assert max(far) <= 25_000 * 1.005
    assert max(far) > 20_000  # some remote place really is cut by its disc


def test_areas_sum_to_the_mapped_area(random_cells: gpd.GeoDataFrame,
                                      syria: shapely.Geometry) -> None:
    areas = area_km2(random_cells)
    union = gpd.GeoDataFrame(geometry=[shapely.union_all(random_cells.geometry.to_numpy())],
                             crs="EPSG:4326")
    total = float(area_km2(union).iloc[0])
    assert float(areas.sum()) == pytest.approx(total, rel=1e-6)
    syria_km2 = float(area_km2(gpd.GeoDataFrame(geometry=[syria], crs="EPSG:4326")).iloc[0])
    assert 0.2 * syria_km2 < total <= syria_km2 * 1.000001
    assert (areas > 0).all()


def test_held_area_sums_to_total(random_cells: gpd.GeoDataFrame) -> None:
    ids = list(random_cells.index)
    state: dict[str, str | None] = {p: ("hts" if i % 3 == 0 else "government")
                                    for i, p in enumerate(ids[:200])}
    state[ids[0]] = None
    held = held_area(random_cells, state)
    assert set(held) == {"government", "hts", "unknown"}
    assert sum(held.values()) == pytest.approx(float(area_km2(random_cells).sum()), rel=1e-9)
    areas = area_km2(random_cells)
    assert held["hts"] == pytest.approx(float(areas[ids[3:200:3]].sum()))
    assert held["unknown"] == pytest.approx(float(areas[[ids[0], *ids[200:]]].sum()))


def test_duplicate_points_split_the_cell() -> None:
    pl = places([("b-town", "town", 36.0, 37.0), ("a-town", "town", 36.0, 37.0),
                 ("other", "village", 36.0, 37.3)])
    c = cells(pl, max_distance_km=10)
    assert list(c.index) == ["b-town", "a-town", "other"]
    a, b = c.geometry["a-town"], c.geometry["b-town"]
    point = pl.geometry["a-town"]
    # Both wedges reach the shared point (to ~10 cm: edges are straight in lon/lat).
    assert a.distance(point) < 1e-6 and b.distance(point) < 1e-6
    assert shapely.intersection(a, b).area < 1e-12
    assert a.area == pytest.approx(b.area, rel=1e-3)
    # a-town (first by id) takes the wedge due east, toward "other".
    assert a.centroid.x > point.x > b.centroid.x


@pytest.mark.parametrize("n", [1, 2])
def test_one_or_two_places(n: int) -> None:
    pl = places([("a", "town", 36.0, 37.0), ("b", "town", 36.0, 37.2)][:n])
    c = cells(pl, max_distance_km=5)
    assert len(c) == n
    for i in c.index:
        assert c.geometry[i].contains(pl.geometry[i])
        assert max_distance_m(c.geometry[i], pl.geometry[i]) <= 5_000 * 1.001
    # A lone 5 km disc (a 64-gon) is about 78.5 km².
    assert float(area_km2(c).iloc[0]) == pytest.approx(78.5, rel=0.01)


def test_no_area_places_gives_empty_frame() -> None:
    c = cells(places([("r", "region", 36.0, 37.0)]))
    assert len(c) == 0


def test_place_outside_clip_has_empty_cell(syria: shapely.Geometry) -> None:
    pl = places([("aleppo", "city", 36.20, 37.16), ("beirut", "city", 33.89, 35.50)])
    c = cells(pl, clip=syria)
    assert c.geometry["beirut"].is_empty
    assert c.geometry["aleppo"].contains(pl.geometry["aleppo"])


def test_fronts_pairs_match_shared_boundaries(random_cells: gpd.GeoDataFrame) -> None:
    f = fronts(random_cells)
    assert (f["a"] < f["b"]).all()
    assert not f.duplicated(["a", "b"]).any()
    assert set(f.geom_type) <= {"LineString", "MultiLineString"}
    found = set(zip(f["a"], f["b"], strict=True))
    # Brute force over every pair: adjacent means the boundaries share a line of some length.
    geoms = random_cells.geometry
    ids = list(geoms.index)
    expected = set()
    for i, p in enumerate(ids):
        for q in ids[i + 1:]:
            if geoms[p].intersects(geoms[q]):
                common = geoms[p].boundary.intersection(geoms[q].boundary)
                lines = [g for g in shapely.get_parts(common) if g.length > 0]
                if lines:
                    expected.add((min(p, q), max(p, q)))
    assert found == expected
    for a, b, g in zip(f["a"], f["b"], f.geometry, strict=True):
        assert g.length > 0
        assert geoms[a].boundary.distance(g.representative_point()) < 1e-9
        assert geoms[b].boundary.distance(g.representative_point()) < 1e-9


def test_fronts_small() -> None:
    # Three towns in a row: a-b and b-c touch, a and c do not.
    pl = places([("c", "town", 36.0, 37.4), ("a", "town", 36.0, 37.0), ("b", "town", 36.0, 37.2)])
    f = fronts(cells(pl, max_distance_km=30))
    assert f[["a", "b"]].values.tolist() == [["a", "b"], ["b", "c"]]
    # The a|b front is the perpendicular bisector: about halfway in longitude.
    assert f.geometry[0].centroid.x == pytest.approx(37.1, abs=1e-3)


def test_route_segments() -> None:
    pl = places([("idlib", "city", 35.93, 36.63), ("saraqib", "town", 35.8645, 36.8059),
                 ("hama", "city", 35.13, 36.75), ("aleppo", "city", 36.20, 37.16)])
    routes = gpd.GeoDataFrame(
        {"waypoints": [["aleppo", None, "saraqib", None, None, "hama"], ["idlib", "saraqib"]],
         "line": [2, 3]},
        index=pd.Index(["m5", "m4"], name="id"),
        geometry=[
            shapely.LineString([(37.16, 36.20), (37.0, 36.0), (36.8059, 35.8645),
                                (36.75, 35.6), (36.70, 35.4), (36.75, 35.13)]),
            shapely.LineString([(36.63, 35.93), (36.8059, 35.8645)]),
        ],
        crs="EPSG:4326",
    )
    seg = route_segments(routes, pl)
    assert seg[["route_id", "seq", "a", "b"]].values.tolist() == [
        ["m5", 0, "aleppo", "saraqib"], ["m5", 1, "saraqib", "hama"], ["m4", 0, "idlib", "saraqib"]
    ]
    # Shape points stay in their stretch.
    assert len(seg.geometry[0].coords) == 3
    assert len(seg.geometry[1].coords) == 4
    # The stretches add up to the whole route.
    lon, lat = np.asarray(routes.geometry["m5"].xy)
    whole_km = GEOD.line_length(lon, lat) / 1000
    assert float(seg[seg["route_id"] == "m5"]["length_km"].sum()) == pytest.approx(whole_km)
    assert float(seg["length_km"].iloc[2]) == pytest.approx(
        GEOD.inv(36.63, 35.93, 36.8059, 35.8645)[2] / 1000
    )


def test_route_segments_errors() -> None:
    pl = places([("a", "town", 36.0, 37.0), ("b", "town", 36.0, 37.2)])
    bad = gpd.GeoDataFrame({"waypoints": [["a", "zzz"]], "line": [4]}, index=["r"],
                           geometry=[shapely.LineString([(37.0, 36.0), (37.1, 36.0)])],
                           crs="EPSG:4326")
    with pytest.raises(ValueError, match=r"routes.csv:4: waypoints: route 'r' names unknown"):
        route_segments(bad, pl)
    short = gpd.GeoDataFrame({"waypoints": [["a", None, "b"]]}, index=["r"],
                             geometry=[shapely.LineString([(37.0, 36.0), (37.2, 36.0)])],
                             crs="EPSG:4326")
    with pytest.raises(ValueError, match="3 waypoints but its line has 2 vertices"):
        route_segments(short, pl)


def test_uncut_cells_match_the_overlay(random_places: gpd.GeoDataFrame, syria: shapely.Geometry,
                                       random_cells: gpd.GeoDataFrame,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells kept whole without the overlay are byte for byte what the overlay gives."""
    kept = []
    contains_properly = shapely.contains_properly

    def nothing_inside(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        kept.append(int(contains_properly(a, b).sum()))
        return np.zeros(len(b), dtype=bool)

    monkeypatch.setattr("mapper.territory.shapely.contains_properly", nothing_inside)
    slow = cells(random_places, clip=syria, max_distance_km=25.0)
    assert kept and kept[0] > 20  # the fast path is taken for a fair share of the cells
    fast = shapely.to_wkb(random_cells.geometry.to_numpy())
    assert fast.tolist() == shapely.to_wkb(slow.geometry.to_numpy()).tolist()
