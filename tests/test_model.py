"""The territory model: areas from KML and GeoPackage, dated snapshots, places, one rule.

Figures are checked against geopandas overlays computed here, independently of the model,
on the same polygons (the fixture boxes cut to Natural Earth's outline of Syria).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper import basemap, model, territory
from mapper.dataset import Dataset, load_dataset, validate
from mapper.timeline import Timeline

AREAS = Path(__file__).parent / "data" / "areas"
D = date.fromisoformat
IDLIB, ALEPPO, SARAQIB = (36.6339, 35.9306), (37.1343, 36.2021), (36.8059, 35.8645)
DAMASCUS, HAMA, RAQQA = (36.2913, 33.5102), (36.7578, 35.1318), (39.0, 35.95)

BOX1 = shapely.box(36.30, 35.55, 36.95, 36.35)
BOX2 = shapely.box(36.30, 35.40, 37.40, 36.40)
BOX3 = shapely.box(38.0, 35.0, 38.5, 35.5)


def _km2(geom: shapely.Geometry) -> float:
    """km² in EASE-Grid 2.0 (EPSG:6933), through geopandas."""
    return float(gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:6933").area.iloc[0] / 1e6)


@pytest.fixture(scope="module")
def syria() -> shapely.Geometry:
    return basemap.country_shape(["SY"])


@pytest.fixture(scope="module", params=["kml", "gpkg"])
def area_ds(request: pytest.FixtureRequest) -> Dataset:
    return load_dataset(AREAS / request.param, geocode=False)


@pytest.fixture(scope="module")
def snap_ds() -> Dataset:
    return load_dataset(AREAS / "snapshots", geocode=False)


@pytest.mark.parametrize("name", ["kml", "gpkg", "snapshots"])
def test_fixtures_validate(name: str) -> None:
    assert [p for p in validate(AREAS / name, geocode=False) if p.severity == "error"] == []


def test_areas_are_read_from_kml_and_gpkg(area_ds: Dataset) -> None:
    assert list(area_ds.areas.index) == ["syria", "idlib-pocket"]
    assert list(area_ds.areas["name"]) == ["Syria (rest)", "Idlib pocket"]
    assert list(area_ds.areas["kind"]) == ["country", "pocket"]
    assert area_ds.areas.geometry["idlib-pocket"].symmetric_difference(BOX1).area < 1e-12


def test_areas_places_and_dates_by_specificity(area_ds: Dataset) -> None:
    t = model.build(area_ds)
    on = t.controller_at
    # 27 November: the pocket's area event (2020) holds it; Saraqib's own event (same date,
    # more specific) keeps its surroundings with the government; the rest of Syria likewise.
    assert on(D("2024-11-27"), *IDLIB) == "hts"
    assert on(D("2024-11-27"), *SARAQIB) == "government"
    assert on(D("2024-11-27"), *DAMASCUS) == "government"
    assert on(D("2024-11-27"), *ALEPPO) == "government"
    # Saraqib falls on the 29th; Aleppo, outside the pocket, on the 30th: only their own
    # surroundings change, not the areas around them.
    assert on(D("2024-11-29"), *SARAQIB) == "hts"
    assert on(D("2024-11-30"), *ALEPPO) == "hts"
    assert on(D("2024-11-30"), *HAMA) == on(D("2024-11-30"), *RAQQA) == "government"
    # 3 December: a newer fact about the whole pocket outweighs Saraqib's older capture.
    assert on(D("2024-12-03"), *SARAQIB) == "government"
    assert on(D("2024-12-03"), *IDLIB) == "government"
    assert on(D("2024-12-03"), *ALEPPO) == "hts"
    # Markers follow the same model.
    assert t.places_on(D("2024-12-03"))["saraqib"] == "government"
    assert t.places_on(D("2024-11-27"))["idlib"] == "hts"
    assert t.places_on(D("2024-12-03"))["aleppo"] == "hts"


def test_area_figures_match_geopandas(area_ds: Dataset, syria: shapely.Geometry) -> None:
    t = model.build(area_ds)
    held = t.held_km2(D("2024-12-04"))
    aleppo_cell = territory.cells(area_ds.places, clip=syria).geometry["aleppo"]
    pocket = BOX1.intersection(syria)
    expect_hts = _km2(aleppo_cell.difference(pocket))
    assert held["hts"] == pytest.approx(expect_hts, rel=1e-3)
    assert held["government"] == pytest.approx(_km2(syria) - expect_hts, rel=1e-3)
    assert held[model.NO_DATA] == pytest.approx(0, abs=0.01)
    assert sum(held.values()) == pytest.approx(_km2(syria), rel=1e-6)


def test_snapshots_hold_until_the_next(snap_ds: Dataset, syria: shapely.Geometry) -> None:
    assert [s.date for s in snap_ds.snapshots] == [D("2024-11-26"), D("2024-11-30"),
                                                   D("2024-12-04")]
    t = model.build(snap_ds)
    box1, box2 = BOX1.intersection(syria), BOX2.intersection(syria)
    for day in ("2024-11-26", "2024-11-29"):
        held = t.held_km2(D(day))
        assert held["hts"] == pytest.approx(_km2(box1), rel=1e-3), day
        assert held["government"] == pytest.approx(_km2(syria) - _km2(box1), rel=1e-3), day
    assert t.controller_at(D("2024-11-29"), *ALEPPO) == "government"
    assert t.controller_at(D("2024-11-30"), *ALEPPO) == "hts"
    # Hama is taken on 2 December, between two snapshots: its surroundings flip...
    hama_cell = territory.cells(snap_ds.places, clip=syria).geometry["hama"]
    held = t.held_km2(D("2024-12-03"))
    assert held["hts"] == pytest.approx(_km2(box2.union(hama_cell)), rel=1e-3)
    assert t.places_on(D("2024-12-03"))["hama"] == "hts"
    # ... until the snapshot of 4 December, a newer fact, gives them back.
    held = t.held_km2(D("2024-12-05"))
    assert held["hts"] == pytest.approx(_km2(box2.union(BOX3).intersection(syria)), rel=1e-3)
    assert t.places_on(D("2024-12-05"))["hama"] == "government"


def test_fronts_are_the_borders_between_sides(snap_ds: Dataset, syria: shapely.Geometry) -> None:
    t = model.build(snap_ds)
    fronts = t.fronts_on(D("2024-11-27"))
    assert list(zip(fronts["a"], fronts["b"], strict=True)) == [("government", "hts")]
    # The box's edges inside Syria (its north edge lies in Turkey, cut off by the border).
    inner = BOX1.boundary.intersection(syria.buffer(-1e-6))
    geod_km = float(gpd.GeoSeries([inner], crs="EPSG:4326").to_crs("EPSG:6933").length.iloc[0])
    assert fronts["length_km"].iloc[0] == pytest.approx(
        model.pyproj.Geod(ellps="WGS84").geometry_length(inner) / 1000, rel=1e-2)
    assert geod_km > 0
    assert t.fronts_on(D("2024-11-26")).geometry.iloc[0].distance(
        shapely.Point(36.95, 35.9)) < 1e-6  # on the box's east edge


def test_diff_between_two_days(snap_ds: Dataset, syria: shapely.Geometry) -> None:
    t = model.build(snap_ds)
    d = t.diff(D("2024-11-27"), D("2024-12-01"))
    assert list(zip(d["before"], d["after"], strict=True)) == [("government", "hts")]
    expect = _km2(BOX2.intersection(syria)) - _km2(BOX1.intersection(syria))
    assert d["area_km2"].iloc[0] == pytest.approx(expect, rel=1e-3)
    back = t.diff(D("2024-12-01"), D("2024-11-27"))
    assert list(zip(back["before"], back["after"], strict=True)) == [("hts", "government")]


def test_points_only_dataset_works_as_before(mini: Dataset) -> None:
    t = model.build(mini)
    tl = Timeline.from_dataset(mini)
    for day in tl.dates:
        assert t.places_on(day) == tl.control_at(day), day
    cells = territory.dataset_cells(mini)
    state = tl.control_at(mini.end)
    old = territory.held_area(cells, state)
    new = t.held_km2(mini.end)
    for side in ("government", "hts"):
        assert new[side] == pytest.approx(old.get(side, 0.0), rel=1e-6)
    # What no place reaches is counted honestly as no data: the rest of Syria.
    assert new[model.NO_DATA] == pytest.approx(
        _km2(basemap.country_shape(["SY"])) - sum(old.values()), rel=1e-3)


def test_topology_stores_each_border_once(snap_ds: Dataset) -> None:
    t = model.build(snap_ds)
    topo = t.topology()
    # Rebuild every atom from its arcs: the same ground.
    for i, polys in enumerate(topo["polygons"]):
        rebuilt = []
        for rings in polys:
            coords = []
            for refs in rings:
                ring = []
                for r in refs:
                    arc = topo["arcs"][r] if r >= 0 else topo["arcs"][~r][::-1]
                    ring.extend(arc.tolist() if not ring else arc[1:].tolist())
                coords.append(ring)
            rebuilt.append(shapely.Polygon(coords[0], coords[1:]))
        geom = shapely.union_all(rebuilt)
        # (coordinates are rounded to 6 decimals: ~0.1 m)
        assert geom.symmetric_difference(t.atoms.geometry.iloc[i]).area < 1e-5, i
    # An inner border is one arc with an atom on each side; no arc has more than two.
    inner = (topo["left"] >= 0) & (topo["right"] >= 0)
    assert inner.any()
    seen = {tuple(map(tuple, np.round(a, 6))) for a in topo["arcs"]}
    assert len(seen) == len(topo["arcs"])


def test_unknown_controller_in_a_snapshot_is_a_clear_problem(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "snap"
    shutil.copytree(AREAS / "snapshots", folder)
    path = folder / "snapshots" / "2024-11-26.geojson"
    path.write_text(path.read_text().replace('"hts"', '"htss"'))
    problems = [str(p) for p in validate(folder, geocode=False)]
    assert any(p.startswith("snapshots/2024-11-26.geojson: controller: feature 1: 'htss' is "
                            "not a declared faction") for p in problems), problems


def test_snapshot_holders_tested_near_the_changes_only_agree_with_every_point() -> None:
    """Daily snapshots are tested again only where they changed: the same holders as testing
    every point against every snapshot, also when a day's sides differ from the day before."""
    from mapper.model import _snapshot_holders

    rng = np.random.default_rng(7)
    probe = shapely.points(rng.uniform(0, 2, 4000), rng.uniform(0, 1, 4000))
    snaps = []
    x = 1.0
    for day in range(40):
        x = min(1.9, max(0.1, x + rng.normal(0, 0.05)))
        bend = [(x + rng.normal(0, 0.05), 0.5)] if day % 10 != 3 else []  # some days straight
        wobble = shapely.Polygon([(x, 0), *bend, (x, 1), (0, 1), (0, 0)])
        a, b = wobble, shapely.difference(shapely.box(0, 0, 2, 1), wobble)
        if day == 17:
            snaps.append([("a", a)])  # one side only: a full test
        elif day == 25:
            snaps.append([("b", b), ("a", a), ("c", shapely.box(0.5, 0.2, 0.7, 0.4))])
        else:
            snaps.append([("a", a), ("b", b)])
    got = _snapshot_holders(snaps, probe)
    want = np.full(got.shape, None, dtype=object)
    for s_i, parts in enumerate(snaps):
        for ctl, g in parts:
            want[s_i, shapely.contains(g, probe)] = ctl
    assert (got == want).all()
    assert len(set(got[:, 0])) >= 1 and (got[5] != got[30]).any()  # the front moved


def _brute_holders(facts: list[model.Fact], member: list[list[int]], n_units: int,
                   keys: list[int], start: date) -> tuple[list[list[int]], list[list[int]]]:
    """Who holds each unit on each key day, by the rule in words (no arrays, no sorting tricks):
    of the facts covering the unit whose last change on or before the day names a controller,
    the one whose change is the most recent wins, then the higher rank, then the first listed."""
    codes = [[-1] * n_units for _ in keys]
    sources = [[-1] * n_units for _ in keys]
    for ki, day in enumerate(keys):
        for u in range(n_units):
            best: tuple[int, int] | None = None
            for f, fact in enumerate(facts):
                if u not in member[f]:
                    continue
                last = None
                for d, c in zip(fact.dates, fact.controllers, strict=True):
                    if (d - start).days <= day:
                        last = (d, c)
                if last is None or last[1] is None:
                    continue
                score = ((last[0] - start).days, fact.rank)
                if best is None or score > best:
                    best = score
                    codes[ki][u] = int(last[1])
                    sources[ki][u] = f
    return codes, sources


@pytest.mark.parametrize(("first", "second"), [("0", None), (None, "0")])
def test_a_fact_that_says_nothing_on_the_same_day_does_not_decide(first: str | None,
                                                                  second: str | None) -> None:
    """Two facts change a unit on the same day before the map starts, one naming a controller
    and one naming none (later changes of the first fall after the last key day): the one that
    names a controller decides, whichever is listed first. (Found by the property test below:
    the first fact's lookup on key day 0 read the second fact's change.)"""
    start = D("2024-01-01")
    facts = [model.Fact("area", "f0", shapely.Polygon(),
                        tuple(start + timedelta(days=r) for r in (-2, 1, 2)),
                        (first, None, None), 0),
             model.Fact("area", "f1", shapely.Polygon(), (start - timedelta(days=2),),
                        (second,), 0)]
    member = [[0], [0]]
    hist = model._state_history(facts, [np.array(m, dtype=np.int64) for m in member], 1,
                                np.array([0]), start, {c: int(c) for c in "0123"})
    assert hist.codes_at(0).tolist() == [0]
    assert hist.sources_at(0).tolist() == [0 if first else 1]
    codes, sources = _brute_holders(facts, member, 1, [0], start)
    assert (codes, sources) == ([[0]], [[0 if first else 1]])


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_sparse_history_matches_brute_force(data: st.DataObject) -> None:
    start = D("2024-01-01")
    n_days = data.draw(st.integers(1, 30))
    n_units = data.draw(st.integers(1, 8))
    facts: list[model.Fact] = []
    member: list[list[int]] = []
    for f in range(data.draw(st.integers(0, 7))):
        rels = sorted(data.draw(st.sets(st.integers(-5, n_days + 3), max_size=5)))
        ctls = [data.draw(st.one_of(st.none(), st.sampled_from("0123"))) for _ in rels]
        facts.append(model.Fact("area", f"f{f}", shapely.Polygon(),
                                tuple(start + timedelta(days=r) for r in rels), tuple(ctls),
                                data.draw(st.integers(0, 3))))
        member.append(sorted(data.draw(st.sets(st.integers(0, n_units - 1)))))
    rels = [(d - start).days for fact in facts for d in fact.dates]
    keys = sorted({0, *[r for r in rels if 0 <= r < n_days]})
    code: dict[str | None, int] = {c: int(c) for c in "0123"}
    hist = model._state_history(facts, [np.array(m, dtype=np.int64) for m in member], n_units,
                                np.array(keys), start, code)
    want_codes, want_sources = _brute_holders(facts, member, n_units, keys, start)
    for k in range(len(keys)):
        assert hist.codes_at(k).tolist() == want_codes[k]
        assert hist.sources_at(k).tolist() == want_sources[k]
    rows = [row.copy() for row in hist.rows(len(keys))]
    assert [r.tolist() for r in rows] == want_codes
    # As the browser receives it: the same as the changes of the dense matrix.
    moves = [(keys[k], u, want_codes[k][u]) for k in range(1, len(keys))
             for u in range(n_units) if want_codes[k][u] != want_codes[k - 1][u]]
    assert model.encode_history(np.array(keys), hist) == {
        "initial": want_codes[0], "day": [m[0] for m in moves], "unit": [m[1] for m in moves],
        "after": [m[2] for m in moves]}
    only = hist.codes_only()
    assert [only.codes_at(k).tolist() for k in range(len(keys))] == want_codes
    # Units with equal dense histories (codes and sources) share a group, and only they.
    groups = hist.groups()
    cols = [tuple((want_codes[k][u], want_sources[k][u]) for k in range(len(keys)))
            for u in range(n_units)]
    for a in range(n_units):
        for b in range(n_units):
            assert (groups[a] == groups[b]) == (cols[a] == cols[b])
    pick = np.array(data.draw(st.lists(st.integers(0, n_units - 1), max_size=6)), dtype=np.int64)
    sub = hist.select(pick)
    for k in range(len(keys)):
        assert sub.codes_at(k).tolist() == [want_codes[k][u] for u in pick.tolist()]
    assert hist.ever(0).tolist() == [any(want_codes[k][u] >= 0 for k in range(len(keys)))
                                     for u in range(n_units)]
