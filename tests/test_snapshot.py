"""Tests of mapper.snapshot: static maps at a date and small multiples, and their commands."""

from __future__ import annotations

import copy
import io
from datetime import date
from pathlib import Path

import numpy as np
import pyproj
import pytest
from click.testing import CliRunner
from matplotlib import colors
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from mapper import snapshot
from mapper.cli import main
from mapper.dataset import Dataset, format_date, load_dataset

REPORT = Path(__file__).parent / "data" / "report"
GEOD = pyproj.Geod(ellps="WGS84")
DAY = date(2024, 11, 29)  # Aleppo contested, Saraqib taken, Tell Rifaat never recorded


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(REPORT, geocode=False)


LAYERS: list[snapshot.MapLayers] = []


@pytest.fixture(scope="module")
def lay(ds: Dataset) -> snapshot.MapLayers:
    LAYERS[:] = [snapshot.layers(ds)]
    return LAYERS[0]


def draw(ds: Dataset, lay: snapshot.MapLayers, day: date) -> Axes:
    fig = Figure(figsize=(4, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    snapshot.draw_map(ax, ds, lay, day)
    return ax


def area_patch(ax: Axes, place: str, lay: snapshot.MapLayers | None = None) -> PathPatch:
    """The patch of the ground at a place: one patch per holder, the one whose path (the
    atoms that holder holds that day) covers the place's point."""
    lay = lay if lay is not None else LAYERS[0]
    point = lay.places.geometry[place]
    def covers(patch: PathPatch) -> bool:  # even-odd over the rings: holes are not covered
        rings = patch.get_path().to_polygons(closed_only=True)
        return sum(MplPath(r).contains_point((point.x, point.y)) for r in rings) % 2 == 1

    found = [p for p in ax.patches if str(p.get_gid()).startswith("area-") and covers(p)]
    assert len(found) == 1, f"no single area patch for {place}"
    patch = found[0]
    assert isinstance(patch, PathPatch)
    return patch


# -- the drawing ----------------------------------------------------------------------------


def test_areas_take_the_colour_and_pattern_of_their_holder(ds: Dataset,
                                                           lay: snapshot.MapLayers) -> None:
    ax = draw(ds, lay, date(2024, 11, 26))
    gov = area_patch(ax, "aleppo")
    assert colors.to_hex(gov.get_facecolor(), keep_alpha=False) == "#d55e00"
    assert gov.get_facecolor()[3] == pytest.approx(snapshot.AREA_ALPHA)
    assert gov.get_hatch() is None  # solid
    hts = area_patch(ax, "idlib")
    assert colors.to_hex(hts.get_facecolor(), keep_alpha=False) == "#009e73"
    assert hts.get_hatch() == snapshot.HATCHES["hatch"]
    sna = area_patch(ax, "al-bab")
    assert sna.get_hatch() == snapshot.HATCHES["dots"]
    unknown = area_patch(ax, "tell-rifaat")
    assert colors.to_hex(unknown.get_facecolor(), keep_alpha=False) == snapshot.UNKNOWN_COLOUR
    # Ground no fact covers is drawn, as no data: the rest of Syria too.
    rest = lay.territory.atom_at(38.5, 34.5)
    assert rest == lay.territory.atom_at(*ds.places.geometry["tell-rifaat"].coords[0])


def test_areas_change_with_the_date(ds: Dataset, lay: snapshot.MapLayers) -> None:
    contested = area_patch(draw(ds, lay, DAY), "aleppo")
    assert contested.get_hatch() == "\\\\\\"
    taken = area_patch(draw(ds, lay, date(2024, 11, 30)), "aleppo")
    assert colors.to_hex(taken.get_facecolor(), keep_alpha=False) == "#009e73"
    assert taken.get_hatch() == snapshot.HATCHES["hatch"]


def test_fronts_only_between_two_known_different_sides(ds: Dataset,
                                                        lay: snapshot.MapLayers) -> None:
    t = lay.territory
    codes = t.codes_on(date(2024, 11, 26))
    mask = snapshot.front_mask(lay.fronts, codes)
    at = {p: t.atom_at(*ds.places.geometry[p].coords[0])
          for p in ("aleppo", "al-bab", "idlib", "saraqib", "khan-shaykhun", "tell-rifaat")}
    pairs = {frozenset((int(a), int(b))) for a, b, m in zip(lay.fronts["left"],
                                                             lay.fronts["right"], mask,
                                                             strict=True) if m}
    assert frozenset((at["aleppo"], at["al-bab"])) in pairs  # government / SNA
    assert frozenset((at["idlib"], at["saraqib"])) in pairs  # HTS / government
    assert all(at["tell-rifaat"] not in p for p in pairs)  # no data is no front
    sides = {frozenset(t.name(int(codes[i])) for i in p) for p in pairs}
    assert all(len(s) == 2 and "no data" not in s for s in sides)


def test_place_markers_show_the_holder_in_the_image(ds: Dataset,
                                                    lay: snapshot.MapLayers) -> None:
    """Look at the PNG: the pixel at each town's marker has its holder's colour."""
    dpi = 80
    expected = {(date(2024, 11, 26), "saraqib"): "#d55e00",
                (date(2024, 11, 30), "saraqib"): "#009e73",
                (date(2024, 11, 30), "aleppo"): "#009e73",
                (date(2024, 11, 30), "al-bab"): "#e69f00",
                (date(2024, 11, 30), "tell-rifaat"): snapshot.UNKNOWN_COLOUR}
    for day in sorted({d for d, _ in expected}):
        fig = snapshot.snapshot_figure(ds, day, lay=lay, width=5)
        fig.set_dpi(dpi)
        image = imread(io.BytesIO(snapshot.figure_bytes(fig, "png", dpi=dpi)))
        ax = fig.axes[0]
        for (when, place), colour in expected.items():
            if when != day:
                continue
            point = lay.places.geometry[place]
            x, y = ax.transData.transform((point.x, point.y))
            pixel = image[round(float(image.shape[0] - y)), round(float(x)), :3]
            assert np.abs(pixel - colors.to_rgb(colour)).max() < 0.06, (day, place, pixel)


def test_figure_has_title_with_date_legend_and_sources(ds: Dataset,
                                                       lay: snapshot.MapLayers) -> None:
    fig = snapshot.snapshot_figure(ds, DAY, lay=lay)
    texts = [t.get_text() for t in fig.texts]
    assert any(ds.title in t for t in texts)
    assert any(format_date(DAY) in t for t in texts)
    credit = next(t for t in texts if t.startswith("Sources:"))
    assert "The Sunday Times" in credit and "Wikipedia" in credit
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:3] == [f.label for f in ds.factions.values()]
    assert {"Contested", "No data", "Front line"} <= set(labels)
    # Main towns are labelled; the scale bar names its length.
    ax_texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Aleppo" in ax_texts and "Idlib" in ax_texts
    assert any(t.endswith(" km") for t in ax_texts)


def test_source_line_credits_only_events_up_to_the_date(ds: Dataset) -> None:
    # Before 28 November only the Wikipedia-sourced background events apply.
    assert "The Sunday Times" not in snapshot.source_line(ds, date(2024, 11, 26))
    assert "The Sunday Times" in snapshot.source_line(ds, date(2024, 11, 28))


def test_map_units_are_metres(lay: snapshot.MapLayers) -> None:
    """The scale bar is true: map distances match geodesic ones to 0.5%."""
    a, b = lay.places.geometry["aleppo"], lay.places.geometry["khan-shaykhun"]
    back = pyproj.Transformer.from_crs(lay.crs, "EPSG:4326", always_xy=True)
    (lon1, lon2), (lat1, lat2) = back.transform([a.x, b.x], [a.y, b.y])
    geodesic = GEOD.inv(lon1, lat1, lon2, lat2)[2]
    assert a.distance(b) == pytest.approx(geodesic, rel=0.005)
    assert snapshot._nice_length(180_000) == 20_000
    assert snapshot._nice_length(400_000) == 50_000


def test_bbox_frames_the_map(ds: Dataset) -> None:
    village = copy.copy(ds)
    village.places = ds.places.assign(kind=["village" if p == "tell-rifaat" else k
                                            for p, k in zip(ds.places.index, ds.places["kind"],
                                                            strict=True)])
    small = snapshot.layers(village, bbox=(36.9, 36.0, 37.4, 36.4))
    whole = snapshot.layers(village)
    width = small.extent[2] - small.extent[0]
    assert width < (whole.extent[2] - whole.extent[0]) / 2
    # The whole map names the main towns only; a close-up names every place.
    assert not whole.places["label"]["tell-rifaat"] and whole.places["label"]["aleppo"]
    assert small.places["label"].all()
    with pytest.raises(ValueError, match="empty"):
        snapshot.layers(ds, bbox=(37.0, 36.0, 36.0, 37.0))


def test_date_outside_the_range_is_refused(ds: Dataset, lay: snapshot.MapLayers) -> None:
    with pytest.raises(ValueError, match=r"outside the dataset's time range"):
        snapshot.snapshot_figure(ds, date(2024, 12, 3), lay=lay)


# -- files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"),
                                            ("pdf", b"%PDF")])
def test_same_input_gives_byte_identical_files(ds: Dataset, tmp_path: Path, fmt: str,
                                               magic: bytes) -> None:
    first = snapshot.snapshot(ds, DAY, tmp_path / f"a.{fmt}", dpi=40, width=4)
    second = snapshot.snapshot(ds, DAY, tmp_path / f"b.{fmt}", dpi=40, width=4)
    data = first.read_bytes()
    assert data.startswith(magic)
    assert data == second.read_bytes()
    other = snapshot.snapshot(ds, date(2024, 11, 30), tmp_path / f"c.{fmt}", dpi=40, width=4)
    assert other.read_bytes() != data
    # No time stamp or library version in the file.
    assert b"CreationDate" not in data and b"<dc:date>" not in data
    assert b"Matplotlib version" not in data and b"Software" not in data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_svg_names_the_areas(ds: Dataset, tmp_path: Path) -> None:
    svg = snapshot.snapshot(ds, DAY, tmp_path / "m.svg", width=4).read_text(encoding="utf-8")
    assert 'id="area-' in svg and '-contested"' in svg and 'id="places-contested"' in svg
    assert 'id="fronts"' in svg


def test_png_is_print_resolution_by_default(ds: Dataset, tmp_path: Path) -> None:
    out = snapshot.snapshot(ds, DAY, tmp_path / "m.png", width=2)
    image = imread(out)
    assert image.shape[1] == 2 * snapshot.PRINT_DPI


def test_unknown_format_is_refused(ds: Dataset, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown image format 'jpg'"):
        snapshot.snapshot(ds, DAY, tmp_path / "m.jpg")


def test_multiples_one_panel_per_date_and_one_legend(ds: Dataset,
                                                     lay: snapshot.MapLayers) -> None:
    days = [date(2024, 11, 26), date(2024, 11, 29), date(2024, 12, 1), date(2024, 12, 2)]
    fig = snapshot.multiples_figure(ds, days, lay=lay)
    assert [ax.get_title(loc="left") for ax in fig.axes] == [format_date(d) for d in days]
    assert len(fig.legends) == 1
    # Three columns by default: two rows, the second one shorter.
    lefts = sorted({round(ax.get_position().x0, 3) for ax in fig.axes})
    assert len(lefts) == 3
    with pytest.raises(ValueError, match="no date"):
        snapshot.multiples_figure(ds, [], lay=lay)


def test_change_days(ds: Dataset) -> None:
    assert snapshot.change_days(ds) == [date(2024, 11, 26), date(2024, 11, 28),
                                        date(2024, 11, 29), date(2024, 11, 30),
                                        date(2024, 12, 1)]


def test_multiples_file_is_deterministic(ds: Dataset, tmp_path: Path) -> None:
    days = [date(2024, 11, 26), date(2024, 12, 1)]
    a = snapshot.multiples(ds, days, tmp_path / "a.svg")
    b = snapshot.multiples(ds, days, tmp_path / "b.svg")
    assert a.read_bytes() == b.read_bytes()


# -- commands -------------------------------------------------------------------------------


def test_snapshot_command(tmp_path: Path) -> None:
    out = tmp_path / "fx.svg"
    result = CliRunner().invoke(main, ["snapshot", str(REPORT), "--date", "2024-11-30",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"<?xml")
    bad = CliRunner().invoke(main, ["snapshot", str(REPORT), "--date", "2024-12-30",
                                    "--out", str(tmp_path / "x.png")])
    assert bad.exit_code == 2
    assert "outside the dataset's time range" in bad.output
    assert not (tmp_path / "x.png").exists()
    typo = CliRunner().invoke(main, ["snapshot", str(REPORT), "--date", "30/11/2024"])
    assert typo.exit_code == 2 and "YYYY-MM-DD" in typo.output


def test_multiples_command(tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    result = CliRunner().invoke(main, ["multiples", str(REPORT), "--every-change", "--dpi", "30",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")
    both = CliRunner().invoke(main, ["multiples", str(REPORT), "--every-change",
                                     "--dates", "2024-11-26"])
    assert both.exit_code == 2 and "either --dates or --every-change" in both.output
    dates = CliRunner().invoke(main, ["multiples", str(REPORT), "--dates",
                                      "2024-11-26,2024-12-01", "--format", "pdf", "--out",
                                      str(tmp_path / "m.pdf")])
    assert dates.exit_code == 0, dates.output
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")


def test_places_without_coordinates_are_named(ds: Dataset) -> None:
    from mapper import export, stats

    broken = copy.copy(ds)
    places = ds.places.copy()
    places.loc["saraqib", "geometry"] = None
    broken.places = places
    message = r"places\.csv:3: lat/lon: place 'saraqib' has no coordinates"
    with pytest.raises(ValueError, match=message):
        snapshot.layers(broken)
    with pytest.raises(ValueError, match=message):
        stats.territory_series(broken)
    with pytest.raises(ValueError, match=message):
        export.export_layers(broken, DAY)


def test_a_dataset_without_routes(ds: Dataset) -> None:
    plain = copy.copy(ds)
    plain.routes = ds.routes.iloc[0:0]
    lay = snapshot.layers(plain)
    assert len(lay.segments) == 0
    fig = snapshot.snapshot_figure(plain, DAY, lay=lay)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Route (cut between sides)" not in labels


@pytest.mark.parametrize(("name", "day"), [("aleppo-2024", date(2024, 11, 30)),
                                           ("kharkiv-2022", date(2022, 9, 11))])
def test_the_real_datasets_draw(name: str, day: date) -> None:
    real = load_dataset(Path(__file__).parent.parent / "geodata" / name)
    lay = snapshot.layers(real)
    fig = snapshot.snapshot_figure(real, day, lay=lay, width=4)
    ax = fig.axes[0]
    areas = [p for p in ax.patches if str(p.get_gid()).startswith("area-")]
    assert len(areas) >= 3  # one patch per holder that day
    assert len({p.get_gid() for p in areas}) == len(areas)
    # Every ring of every atom is drawn once, in its holder's patch.
    rings = [snapshot._path(g) for g in lay.atoms]
    expected = sum(int((r.codes == MplPath.MOVETO).sum()) for r in rings if r is not None)
    assert sum(int((p.get_path().codes == MplPath.MOVETO).sum()) for p in areas) == expected
    assert expected >= 10
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[: len(real.factions)] == [f.label for f in real.factions.values()]
    assert snapshot.figure_bytes(fig, "png", dpi=30).startswith(b"\x89PNG")


def test_dollar_signs_in_data_are_text_not_math(ds: Dataset, lay: snapshot.MapLayers) -> None:
    import copy

    from matplotlib.text import Text

    priced = copy.copy(ds)
    priced.title = "Price of war: $5bn and $6bn lost"
    fig = snapshot.snapshot_figure(priced, DAY, lay=lay)
    title = next(t for t in fig.findobj(Text) if "Price of war" in t.get_text())
    assert title.get_parse_math() is False
    snapshot.figure_bytes(fig, "png", dpi=30)  # draws without a TeX parse error
