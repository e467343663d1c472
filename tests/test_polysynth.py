"""Tests of the polygon benchmark's generator (mapper.bench.polysynth), its peer page
(mapper.bench.polypeer) and the polygon case's targets (mapper.bench.run)."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely

from mapper.bench import run
from mapper.bench.polysynth import PolySpec, file_name, generate_fronts

SPEC = PolySpec(days=40, vertices=900, pockets=3, seed=5, start=date(2023, 1, 1))


@pytest.fixture(scope="module")
def fronts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("poly") / "fronts"
    generate_fronts(SPEC, out)
    return out


def _geometry(path: Path) -> shapely.MultiPolygon:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 1
    geom = shapely.from_geojson(json.dumps(doc["features"][0]["geometry"]))
    assert geom.geom_type == "MultiPolygon"
    return geom


def _days(folder: Path) -> list[shapely.MultiPolygon]:
    return [_geometry(p) for p in sorted(folder.iterdir())]


def test_one_file_a_day_same_bytes_for_same_seed(fronts: Path, tmp_path: Path) -> None:
    names = sorted(p.name for p in fronts.iterdir())
    assert names[0] == "front_20230101.geojson" == file_name(SPEC.start)
    assert names[-1] == file_name(SPEC.end) == "front_20230209.geojson"
    assert len(names) == SPEC.days
    again = generate_fronts(SPEC, tmp_path / "again")
    assert again.files == SPEC.days
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (fronts / name).read_bytes(), name
    generate_fronts(PolySpec(days=3, vertices=900, pockets=3, seed=6), tmp_path / "other")
    assert ((tmp_path / "other" / names[0]).read_bytes()
            != (fronts / names[0]).read_bytes())


def test_every_day_is_a_valid_body_and_pockets_in_syria(fronts: Path) -> None:
    from mapper.basemap import country_shape

    syria = country_shape(["SY"])
    for geom in _days(fronts):
        assert geom.is_valid
        parts = list(geom.geoms)
        assert len(parts) == 1 + SPEC.pockets
        # vertices in all, the closing vertex of each ring not counted
        assert sum(len(p.exterior.coords) - 1 for p in parts) == SPEC.vertices
        assert all(p.exterior.is_ccw and not p.interiors for p in parts)
        body = shapely.intersection(parts[0], syria)
        assert 0.3 < body.area / syria.area < 0.6  # the west of the country
        assert all(syria.contains(p) for p in parts[1:])
        assert all(round(v, 6) == v for v in shapely.get_coordinates(geom).ravel())


def test_each_day_one_stretch_moves_a_few_km(fronts: Path) -> None:
    days = _days(fronts)
    moved_any = 0
    for before, after in itertools.pairwise(days):
        runs = []
        for p0, p1 in zip(before.geoms, after.geoms, strict=True):
            a, b = np.asarray(p0.exterior.coords), np.asarray(p1.exterior.coords)
            assert a.shape == b.shape
            changed = np.flatnonzero(np.any(a[:-1] != b[:-1], axis=1))
            if len(changed):
                runs.append((changed, a[:-1][changed], b[:-1][changed]))
        assert len(runs) <= 1  # one front a day; every other vertex keeps its coordinates
        if not runs:
            continue
        moved_any += 1
        idx, old, new = runs[0]
        km = np.hypot((new[:, 0] - old[:, 0]) * 91.0, (new[:, 1] - old[:, 1]) * 110.6)
        assert km.max() <= 4.5
        assert len(idx) <= 200  # a stretch, not the whole front
    assert moved_any >= len(days) // 2


def test_imports_as_the_benchmark_does_and_feeds_the_peer(fronts: Path, tmp_path: Path) -> None:
    from mapper.bench.polypeer import build_polygon_peer_html, daily_features
    from mapper.dataset import load_dataset
    from mapper.importers import import_snapshots

    out = tmp_path / "dataset"
    summary = import_snapshots(fronts, out, side="A", rest="B", countries=["SY"],
                               publisher="polysynth", progress=False)
    assert summary.files == SPEC.days and summary.factions == ("a", "b")
    ds = load_dataset(out, geocode=False)
    assert len(ds.snapshots) == SPEC.days
    assert (ds.start, ds.end) == (SPEC.start, SPEC.end)

    meta, features = daily_features(out)
    assert len(features) == SPEC.days
    first = features[0]
    assert first["properties"]["times"] == [1672531200000] * (1 + SPEC.pockets)
    assert len(first["geometry"]["coordinates"]) == 1 + SPEC.pockets
    assert first["properties"]["style"]["fillColor"] == meta["factions"][0]["colour"]
    page = build_polygon_peer_html(out)
    assert "L.timeDimension.layer.geoJson" in page


def _record(**ours: float) -> dict[str, object]:
    base = {"page_bytes": 2e6, "first_draw_ms": 900.0, "step_ms_p95": 12.0,
            "jump_ms_p95": 40.0, "build_s": 20.0, "peak_rss_mb": 900.0}
    return {"case": "polygons", "size": "polygons", "files": 730, "vertices": 3000,
            "moved_per_day": 77.0, "ours": {**base, **ours}, "peer": {"page_bytes": 50e6}}


def test_polygon_targets_met_and_missed() -> None:
    rows = {r["target"]: r for r in run.check_polygon_targets([_record()])}
    assert len(rows) == len(run.POLYGON_TARGETS)
    assert all(r["ok"] for r in rows.values())
    assert rows["page >= 20x smaller than the peer's"]["value"] == 25.0
    rows = {r["target"]: r for r in run.check_polygon_targets(
        [_record(jump_ms_p95=60.0, page_bytes=4e6, build_s=30.0)])}
    assert rows["jump p95 <= 50 ms"]["ok"] is False
    assert rows["jump p95 <= 50 ms"]["miss"] == "60 is 1.20x the bound 50"
    assert rows["page >= 20x smaller than the peer's"]["ok"] is False
    assert rows["page <= 5 MB"]["ok"] is True
    assert rows["import + build <= 30 s"]["ok"] is True  # at most 30 s
    table = run.format_polygon_table(_record(jump_ms_p95=60.0))
    assert "MISSED jump p95 <= 50 ms: 60.0 60 is 1.20x the bound 50" in table
    assert "met    page <= 5 MB" in table
    md = run.format_markdown({"runs": [_record()], "targets": run.check_polygon_targets(
        [_record()]), "machine": {}})
    assert "| polygons | jump p95 <= 50 ms | 40.0 | met |" in md
