"""Tests of the synthetic dataset generator (mapper.bench.synth)."""

from __future__ import annotations

import csv
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from mapper.bench.synth import FACTIONS, SYRIA_BBOX, SynthSpec, generate

FILES = ("dataset.toml", "places.csv", "events.csv", "sources.csv")
SPEC = SynthSpec(places=50, days=60, changes=4, seed=7)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "small"
    generate(SPEC, out)
    return out


def test_same_seed_gives_identical_files(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(SPEC, again)
    for name in FILES:
        assert (again / name).read_bytes() == (small / name).read_bytes(), name


def test_other_seed_gives_other_data(small: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate(SynthSpec(places=50, days=60, changes=4, seed=8), other)
    assert (other / "events.csv").read_bytes() != (small / "events.csv").read_bytes()


def test_counts_are_roughly_as_requested(small: Path) -> None:
    places = _rows(small / "places.csv")
    events = _rows(small / "events.csv")
    assert len(places) == 50
    assert len({p["id"] for p in places}) == 50
    changes = [e for e in events if e["controller"] and e["date"] >= "2020-01-01"]
    # Poisson(4) changes a place over 50 places: the mean is 200, far from these bounds.
    assert 120 <= len(changes) <= 280
    assert sum(1 for e in events if e["controller"] == "contested") > 0
    meta = tomllib.loads((small / "dataset.toml").read_text(encoding="utf-8"))
    assert meta["time"] == {"start": "2020-01-01", "end": "2020-02-29"}
    assert [f["id"] for f in meta["factions"]] == [f[0] for f in FACTIONS]


def test_summary_matches_files(tmp_path: Path) -> None:
    s = generate(SynthSpec(places=30, days=40, changes=3, seed=3, incident_rate=0.5),
                 tmp_path / "d")
    events = _rows(tmp_path / "d" / "events.csv")
    assert s.events == len(events)
    assert s.incidents == sum(1 for e in events if not e["controller"])
    assert s.incidents > 0
    assert s.control_changes + s.places == sum(1 for e in events if e["controller"])


def test_events_never_hand_a_place_to_its_holder(small: Path) -> None:
    events = _rows(small / "events.csv")
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    holder: dict[str, str] = {}
    per_place: defaultdict[str, int] = defaultdict(int)
    for e in events:
        if e["controller"]:
            assert holder.get(e["place_id"]) != e["controller"], e
            holder[e["place_id"]] = e["controller"]
            per_place[e["place_id"]] += 1
    assert set(per_place) == {f"p{i:05d}" for i in range(50)}  # every place has a holder


def test_columns_and_references(small: Path) -> None:
    places = {p["id"]: p for p in _rows(small / "places.csv")}
    sources = {s["id"] for s in _rows(small / "sources.csv")}
    factions = {f[0] for f in FACTIONS} | {"contested", ""}
    x0, y0, x1, y1 = SYRIA_BBOX
    for p in places.values():
        assert x0 - 0.5 <= float(p["lon"]) <= x1 + 0.5
        assert y0 - 0.5 <= float(p["lat"]) <= y1 + 0.5
        assert p["country"] == "SY" and p["name"] and p["kind"]
    for e in _rows(small / "events.csv"):
        assert e["place_id"] in places
        assert e["source_id"] in sources
        assert e["controller"] in factions
        assert e["kind"] and e["description"]


def test_output_passes_the_validator(small: Path) -> None:
    from mapper.dataset import validate

    problems = validate(small, geocode=False)
    assert [str(p) for p in problems if p.severity == "error"] == []


@pytest.mark.parametrize("bad", [{"places": 0}, {"days": 0}, {"changes": -1.0},
                                 {"contested_share": 1.5}, {"sources": 0}])
def test_bad_spec_is_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        SynthSpec(**bad)  # type: ignore[arg-type]
