"""Tests of mapper.timeline: state at a date, intervals, changes and the browser encoding."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from mapper.dataset import Dataset, Faction, View
from mapper.timeline import Change, Interval, Timeline, encode

START, END = date(2024, 11, 26), date(2024, 12, 2)
PLACES = ["aleppo", "saraqib", "hama"]


def events(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    """Events as Dataset.events holds them; ``line`` counts from 2 like a CSV with a header."""
    return pd.DataFrame(
        {
            "date": [date.fromisoformat(d) for d, _, _ in rows],
            "place_id": [p for _, p, _ in rows],
            "controller": [c for _, _, c in rows],
            "line": list(range(2, len(rows) + 2)),
        }
    )


@pytest.fixture
def timeline() -> Timeline:
    ev = events(
        [
            ("2016-12-01", "aleppo", "government"),  # line 2: sets the opening state
            ("2024-11-26", "hama", "government"),  # line 3: on start day, still initial
            ("2024-11-29", "aleppo", "hts"),  # line 4
            ("2024-11-30", "aleppo", None),  # line 5: an air strike, no control
            ("2024-11-30", "saraqib", "contested"),  # line 6
            ("2024-11-30", "saraqib", "hts"),  # line 7: same day, later in file -> wins
            ("2024-12-05", "hama", "hts"),  # line 8: after end, ignored
        ]
    )
    return Timeline.from_events(ev, PLACES, START, END)


def test_dates_cover_range_inclusive(timeline: Timeline) -> None:
    assert timeline.dates[0] == START
    assert timeline.dates[-1] == END
    assert len(timeline.dates) == 7
    assert timeline.place_ids == PLACES


def test_initial_applies_events_up_to_and_including_start(timeline: Timeline) -> None:
    assert timeline.initial == {"aleppo": "government", "saraqib": None, "hama": "government"}


def test_control_before_and_after_a_change(timeline: Timeline) -> None:
    assert timeline.control_at(date(2024, 11, 28))["aleppo"] == "government"
    assert timeline.control_at(date(2024, 11, 29))["aleppo"] == "hts"
    assert timeline.control_at(START) == timeline.initial


def test_same_day_events_apply_in_file_order(timeline: Timeline) -> None:
    assert timeline.control_at(date(2024, 11, 30))["saraqib"] == "hts"
    assert timeline.control_at(date(2024, 11, 29))["saraqib"] is None
    # Both same-day changes are kept, in file order, each with the state it found.
    sar = timeline.changes[timeline.changes["place_id"] == "saraqib"]
    assert list(sar["before"]) == [None, "contested"]
    assert list(sar["after"]) == ["contested", "hts"]
    assert list(sar["line"]) == [6, 7]


def test_events_after_end_are_ignored(timeline: Timeline) -> None:
    assert timeline.control_at(END)["hama"] == "government"
    assert timeline.control_at(END + timedelta(days=30))["hama"] == "government"
    assert 8 not in set(timeline.changes["line"])


def test_control_before_start_is_an_error(timeline: Timeline) -> None:
    with pytest.raises(ValueError, match="before the timeline start"):
        timeline.control_at(START - timedelta(days=1))


def test_changes_frame(timeline: Timeline) -> None:
    ch = timeline.changes
    assert list(ch.columns) == ["day", "date", "place_id", "place", "before", "after", "line"]
    assert list(ch["day"]) == [3, 4, 4]
    assert list(ch["date"]) == [date(2024, 11, 29), date(2024, 11, 30), date(2024, 11, 30)]
    assert [timeline.place_ids[p] for p in ch["place"]] == list(ch["place_id"])
    assert all(timeline.dates[d] == dt for d, dt in zip(ch["day"], ch["date"], strict=True))


def test_repeated_controller_is_not_a_change() -> None:
    ev = events([("2024-11-27", "hama", "hts"), ("2024-11-28", "hama", "hts")])
    tl = Timeline.from_events(ev, PLACES, START, END)
    assert list(tl.changes["line"]) == [2]
    assert tl.change_dates() == [date(2024, 11, 27)]


def test_changes_between_is_half_open(timeline: Timeline) -> None:
    got = timeline.changes_between(date(2024, 11, 29), date(2024, 11, 30))
    assert got == [
        Change(date(2024, 11, 30), "saraqib", None, "contested", 6),
        Change(date(2024, 11, 30), "saraqib", "contested", "hts", 7),
    ]
    assert timeline.changes_between(date(2024, 11, 28), date(2024, 11, 29)) == [
        Change(date(2024, 11, 29), "aleppo", "government", "hts", 4)
    ]
    assert timeline.changes_between(date(2024, 11, 30), END) == []
    assert len(timeline.changes_between(date(2000, 1, 1), date(2030, 1, 1))) == 3


def test_change_dates(timeline: Timeline) -> None:
    assert timeline.change_dates() == [date(2024, 11, 29), date(2024, 11, 30)]


def test_intervals(timeline: Timeline) -> None:
    assert timeline.intervals("aleppo") == [
        Interval("aleppo", date(2016, 12, 1), date(2024, 11, 29), "government", 2),
        Interval("aleppo", date(2024, 11, 29), None, "hts", 4),
    ]
    assert timeline.intervals("saraqib") == [
        Interval("saraqib", None, date(2024, 11, 30), None, None),
        Interval("saraqib", date(2024, 11, 30), date(2024, 11, 30), "contested", 6),
        Interval("saraqib", date(2024, 11, 30), None, "hts", 7),
    ]
    assert timeline.intervals("hama") == [
        Interval("hama", date(2024, 11, 26), None, "government", 3)
    ]
    with pytest.raises(KeyError):
        timeline.intervals("nowhere")


def test_unknown_place_names_the_line() -> None:
    ev = events([("2024-11-27", "hama", "hts"), ("2024-11-28", "homs", "hts")])
    with pytest.raises(ValueError, match=r"events.csv:3: place_id: unknown place 'homs'"):
        Timeline.from_events(ev, PLACES, START, END)


def test_encode_small(timeline: Timeline) -> None:
    enc = encode(timeline, ["government", "hts"])
    assert enc == {
        "initial": [0, -1, 0],
        "day": [3, 4, 4],
        "place": [0, 1, 1],
        "before": [0, -1, 2],
        "after": [1, 2, 1],
    }


def test_encode_rejects_undeclared_faction(timeline: Timeline) -> None:
    with pytest.raises(ValueError, match=r"events.csv:4: controller: 'hts'"):
        encode(timeline, ["government"])


def test_encode_round_trip_on_random_data() -> None:
    rng = np.random.default_rng(20241127)
    places = [f"place-{i}" for i in range(60)]
    factions = ["government", "hts", "sna", "sdf"]
    controllers = [*factions, "contested"]
    start, end = date(2024, 11, 20), date(2024, 12, 20)
    first = date(2024, 10, 1)
    n = 1500
    offsets = np.sort(rng.integers(0, (end - first).days + 10, n))
    ev = pd.DataFrame(
        {
            "date": [first + timedelta(days=int(d)) for d in offsets],
            "place_id": rng.choice(places, n),
            "controller": [c if rng.random() > 0.1 else None for c in rng.choice(controllers, n)],
            "line": np.arange(2, n + 2),
        }
    )
    tl = Timeline.from_events(ev, places, start, end)
    enc = encode(tl, factions)
    names = [*factions, "contested"]

    # Replay the arrays the way the browser will, day by day.
    state = list(enc["initial"])
    k = 0
    for day, d in enumerate(tl.dates):
        while k < len(enc["day"]) and enc["day"][k] <= day:
            assert state[enc["place"][k]] == enc["before"][k]
            state[enc["place"][k]] = enc["after"][k]
            k += 1
        expected = tl.control_at(d)
        assert {p: (names[c] if c >= 0 else None) for p, c in zip(places, state, strict=True)} \
            == expected

    # The same state by brute force straight from the events: the last controller on or before d.
    for d in (start, date(2024, 12, 1), end):
        upto = ev[(ev["date"] <= d) & ev["controller"].notna()]
        brute = dict.fromkeys(places)
        brute.update(upto.groupby("place_id")["controller"].last().to_dict())
        assert tl.control_at(d) == brute


def test_from_dataset() -> None:
    places = gpd.GeoDataFrame(
        {"name": ["Aleppo", "Saraqib"], "kind": ["city", "town"]},
        index=pd.Index(["aleppo", "saraqib"], name="id"),
        geometry=gpd.points_from_xy([37.16, 36.8059], [36.20, 35.8645]),
        crs="EPSG:4326",
    )
    ev = events(
        [("2016-12-01", "aleppo", "government"), ("2024-11-29", "aleppo", "hts"),
         ("2024-11-30", "aleppo", None)]
    )
    ds = Dataset(
        path=Path("geodata/example"), id="example", title="Example", description="",
        start=START, end=END, view=View(36.0, 36.9, 9), countries=("SY",),
        factions={"government": Faction("government", "Government", "#c0392b"),
                  "hts": Faction("hts", "HTS-led offensive", "#2e7d32")},
        places=places, events=ev, sources=pd.DataFrame(), routes=gpd.GeoDataFrame(),
    )
    tl = Timeline.from_dataset(ds)
    assert tl.place_ids == ["aleppo", "saraqib"]
    assert tl.control_at(START) == {"aleppo": "government", "saraqib": None}
    assert tl.control_at(date(2024, 11, 29)) == {"aleppo": "hts", "saraqib": None}


def test_old_and_textual_dates() -> None:
    # Dates outside pandas' timestamp range (before 1677) and ISO strings both work.
    ev = pd.DataFrame({"date": [date(1516, 8, 24), "2024-11-27"], "place_id": ["aleppo"] * 2,
                       "controller": ["ottoman", "hts"], "line": [2, 3]})
    tl = Timeline.from_events(ev, PLACES, START, END)
    assert tl.initial["aleppo"] == "ottoman"
    assert tl.intervals("aleppo")[0].start == date(1516, 8, 24)
    assert tl.control_at(date(2024, 11, 27))["aleppo"] == "hts"
