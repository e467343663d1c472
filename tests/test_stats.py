"""Tests of mapper.stats: area and population held by each side over time, table and chart."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from mapper import basemap, model, stats, territory
from mapper.cli import main
from mapper.dataset import Dataset, load_dataset

REPORT = Path(__file__).parent / "data" / "report"

#: Populations given to the fixture's places (the gazetteer is not used in these tests).
POPULATION = {"aleppo": 2_000_000, "saraqib": 30_000, "idlib": 100_000, "al-bab": 130_000,
              "khan-shaykhun": 50_000, "tell-rifaat": 25_000, "western-countryside": 999}


@pytest.fixture(scope="module")
def plain() -> Dataset:
    return load_dataset(REPORT, geocode=False)


@pytest.fixture(scope="module")
def ds(plain: Dataset) -> Dataset:
    """The fixture with known populations (one of them on a region, which holds no ground)."""
    out = copy.copy(plain)
    places = plain.places.copy()
    places["population"] = pd.array([POPULATION[p] for p in places.index], dtype="Int64")
    out.places = places
    return out


@pytest.fixture(scope="module")
def table(ds: Dataset) -> pd.DataFrame:
    return stats.territory_series(ds)


def row(table: pd.DataFrame, day: date) -> pd.Series:
    return table.set_index("date").loc[day]


def test_columns_and_one_row_per_day(ds: Dataset, table: pd.DataFrame) -> None:
    assert list(table.columns) == [
        "date", "government_km2", "hts_km2", "sna_km2", "contested_km2", "unknown_km2",
        "government_population", "hts_population", "sna_population", "contested_population",
        "unknown_population"]
    days = (ds.end - ds.start).days + 1
    assert list(table["date"]) == [ds.start + timedelta(days=i) for i in range(days)]
    assert all(table[c].dtype == "int64" for c in table.columns if c.endswith("_population"))


def test_areas_sum_to_the_country(ds: Dataset, table: pd.DataFrame) -> None:
    """On every day, the sides' areas (no data included) add up to Syria, via geopandas."""
    syria = gpd.GeoDataFrame(geometry=[basemap.country_shape(["SY"])], crs="EPSG:4326")
    region = float(syria.to_crs(model.EQUAL_AREA_CRS).area.iloc[0]) / 1e6
    km2 = table[[c for c in table.columns if c.endswith("_km2")]].sum(axis=1)
    assert region == pytest.approx(185_900, rel=0.01)
    assert km2.to_numpy() == pytest.approx(region, rel=1e-6)


def _cell_km2(ds: Dataset, place: str) -> float:
    """A place's surroundings, measured with geopandas."""
    ground = ds.places[~ds.places["kind"].isin(["region", "country"])]
    cells = territory.cells(ground, clip=basemap.country_shape(["SY"]), max_distance_km=25)
    one = gpd.GeoDataFrame(geometry=[cells.geometry[place]], crs="EPSG:4326")
    return float(one.to_crs(model.EQUAL_AREA_CRS).area.iloc[0]) / 1e6


def test_ground_counts_for_the_side_holding_it(ds: Dataset, table: pd.DataFrame) -> None:
    aleppo, al_bab = _cell_km2(ds, "aleppo"), _cell_km2(ds, "al-bab")
    # Aleppo is contested on 29 November, then held by the offensive.
    assert row(table, date(2024, 11, 28))["contested_km2"] == 0
    assert row(table, date(2024, 11, 29))["contested_km2"] == pytest.approx(aleppo, rel=1e-3)
    gain = row(table, date(2024, 11, 30))["hts_km2"] - row(table, date(2024, 11, 29))["hts_km2"]
    assert gain == pytest.approx(aleppo, rel=1e-3)
    assert row(table, date(2024, 11, 26))["sna_km2"] == pytest.approx(al_bab, rel=1e-3)
    # Tell Rifaat is never recorded: its ground is no data, with the rest of the country.
    assert (table["unknown_km2"] > 100_000).all()


@pytest.mark.parametrize(("day", "expected"), [
    (date(2024, 11, 26), {"government": 2_080_000, "hts": 100_000, "sna": 130_000,
                          "contested": 0, "unknown": 25_000}),
    (date(2024, 11, 28), {"government": 2_050_000, "hts": 130_000, "sna": 130_000,
                          "contested": 0, "unknown": 25_000}),
    (date(2024, 11, 29), {"government": 50_000, "hts": 130_000, "sna": 130_000,
                          "contested": 2_000_000, "unknown": 25_000}),
    (date(2024, 12, 2), {"government": 0, "hts": 2_180_000, "sna": 130_000,
                         "contested": 0, "unknown": 25_000}),
])
def test_population_counts_for_the_side_holding_the_place(
        table: pd.DataFrame, day: date, expected: dict[str, int]) -> None:
    got = {side: int(row(table, day)[f"{side}_population"]) for side in expected}
    assert got == expected  # the region's 999 count for nobody


def test_days_between_changes_carry_the_last_totals(table: pd.DataFrame) -> None:
    values = table.drop(columns="date")
    assert values.iloc[0].equals(values.iloc[1])  # 26 and 27 November: no change
    assert values.iloc[-1].equals(values.iloc[-2])  # 1 and 2 December: no change


def test_geometry_is_measured_once(ds: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = model.area_km2

    def counting(geoms: Any) -> Any:
        calls.append(len(geoms))
        return real(geoms)

    t = model.build(ds)
    monkeypatch.setattr(model, "area_km2", counting)
    stats.territory_series(ds, territory=t)
    assert calls == []  # the model's atoms were measured when it was built


def test_unknown_population_is_zero_without_figures(plain: Dataset) -> None:
    table = stats.territory_series(plain)
    assert not table[[c for c in table.columns if c.endswith("_population")]].to_numpy().any()


def test_payload_for_the_page(table: pd.DataFrame) -> None:
    payload = stats.series_payload(table)
    assert json.loads(json.dumps(payload)) == payload
    assert list(payload) == list(table.columns)
    assert payload["date"][0] == "2024-11-26"
    assert payload["contested_population"][3] == 2_000_000
    assert payload["hts_km2"][-1] == round(float(table["hts_km2"].iloc[-1]), 1)


def test_csv_text(table: pd.DataFrame, tmp_path: Path) -> None:
    text = stats.write_csv(table, tmp_path / "t.csv")
    lines = text.splitlines()
    assert lines[0].startswith("date,government_km2,hts_km2,sna_km2,contested_km2,")
    assert len(lines) == len(table) + 1
    assert lines[4].startswith("2024-11-29,")
    assert "\r" not in text
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == text
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["contested_population"].tolist()[3:5] == [2_000_000, 0]


def test_chart_panels_and_determinism(ds: Dataset, plain: Dataset, table: pd.DataFrame,
                                      tmp_path: Path) -> None:
    fig = stats.chart_figure(ds, table)
    assert [ax.get_ylabel() for ax in fig.axes] == ["Area held (km²)",
                                                    "People in the places held"]
    assert len(stats.chart_figure(plain).axes) == 1  # no population known: one panel
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:3] == [f.label for f in ds.factions.values()]
    a = stats.chart(ds, tmp_path / "a.svg", table=table)
    b = stats.chart(ds, tmp_path / "b.svg", table=table)
    assert a.read_bytes() == b.read_bytes()
    png = stats.chart(ds, tmp_path / "c.png", dpi=40, table=table)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_stats_command(plain: Dataset, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", str(REPORT), "--csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == stats.write_csv(stats.territory_series(plain)).splitlines()[0]
    assert len(lines) == 8
    # The areas do not depend on geocoding (every place has coordinates).
    expected = stats.write_csv(stats.territory_series(plain)).splitlines()
    assert [ln.split(",")[:6] for ln in lines] == [ln.split(",")[:6] for ln in expected]

    chart = tmp_path / "chart.svg"
    out = tmp_path / "t.csv"
    both = CliRunner().invoke(main, ["stats", str(REPORT), "--csv", "--out", str(out),
                                     "--chart", str(chart)])
    assert both.exit_code == 0, both.output
    assert chart.read_bytes().startswith(b"<?xml")
    assert out.read_text(encoding="utf-8").splitlines()[0] == lines[0]

    summary = CliRunner().invoke(main, ["stats", str(REPORT)])
    assert summary.exit_code == 0, summary.output
    assert "2024-11-26" in summary.output and "2024-11-29" in summary.output
    assert "2024-11-27" not in summary.output
    lonely = CliRunner().invoke(main, ["stats", str(REPORT), "--out", str(out)])
    assert lonely.exit_code == 2 and "--csv" in lonely.output


@pytest.mark.parametrize("name", ["aleppo-2024", "kharkiv-2022"])
def test_the_real_datasets_add_up(name: str) -> None:
    """On every day the areas add up to the countries and no person is lost or doubled."""
    real = load_dataset(Path(__file__).parent.parent / "geodata" / name)
    table = stats.territory_series(real)
    ground = gpd.GeoDataFrame(geometry=[basemap.country_shape(list(real.countries))],
                              crs="EPSG:4326")
    region = float(ground.to_crs(model.EQUAL_AREA_CRS).area.iloc[0]) / 1e6
    km2 = table[[c for c in table.columns if c.endswith("_km2")]]
    assert (km2.to_numpy() >= 0).all()
    assert km2.sum(axis=1).to_numpy() == pytest.approx(region, rel=1e-6)
    people = table[[c for c in table.columns if c.endswith("_population")]].sum(axis=1)
    ground = ~real.places["kind"].isin(["region", "country"])
    assert (people == int(real.places.loc[ground, "population"].fillna(0).sum())).all()
