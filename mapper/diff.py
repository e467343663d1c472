"""Ground gained and lost between two days: a table, the places that changed hands, a map.

All of it is read from the territory model (:mod:`mapper.model`), the one every map draws.

>>> ds = load_dataset("geodata/aleppo-2024")  # doctest: +SKIP
>>> cmp = compare(ds, date(2024, 11, 26), date(2024, 12, 8))  # doctest: +SKIP
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch

from mapper.dataset import format_date

if TYPE_CHECKING:
    from mapper.dataset import Dataset
    from mapper.model import Territory
    from mapper.snapshot import MapLayers

__all__ = ["Comparison", "compare", "diff", "diff_figure", "write_tables"]


@dataclass(frozen=True)
class Comparison:
    """What changed between two days.

    Attributes
    ----------
    day_from, day_to
        The two days.
    moves
        Ground that passed from one side to another: ``before``, ``after``, ``area_km2`` and
        geometry (lon/lat), largest first.
    sides
        Per side (index): ``km2_from``, ``km2_to``, ``gained_km2``, ``lost_km2``, ``net_km2``.
    places
        Places whose holder differs: ``id``, ``name``, ``before``, ``after``.
    """

    day_from: date
    day_to: date
    moves: gpd.GeoDataFrame
    sides: pd.DataFrame
    places: pd.DataFrame


def compare(ds: Dataset, day_from: date, day_to: date, *,
            territory: Territory | None = None) -> Comparison:
    """Compare the territory of two days.

    Parameters
    ----------
    ds
        The dataset.
    day_from, day_to
        The two days, within the dataset's range (either order).
    territory
        The dataset's model, if already built.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        If a day is outside the dataset's time range.
    """
    from mapper import model

    t = territory if territory is not None else model.build(ds)
    t.day_index(day_from)
    t.day_index(day_to)
    moves = t.diff(day_from, day_to)
    held0, held1 = t.held_km2(day_from), t.held_km2(day_to)
    names = [*t.sides, model.NO_DATA]
    rows = []
    for side in names:
        gained = float(moves.loc[moves["after"] == side, "area_km2"].sum())
        lost = float(moves.loc[moves["before"] == side, "area_km2"].sum())
        rows.append((side, held0.get(side, 0.0), held1.get(side, 0.0), gained, lost,
                     gained - lost))
    sides = pd.DataFrame(rows, columns=["side", "km2_from", "km2_to", "gained_km2", "lost_km2",
                                        "net_km2"]).set_index("side")
    p0, p1 = t.places_on(day_from), t.places_on(day_to)
    changed = [p for p in t.place_ids if p0[p] != p1[p]]
    names_of = ds.places["name"].astype(str)
    places = pd.DataFrame({
        "id": changed, "name": [names_of[p] for p in changed],
        "before": [p0[p] or model.NO_DATA for p in changed],
        "after": [p1[p] or model.NO_DATA for p in changed]})
    return Comparison(day_from, day_to, moves, sides, places)


def write_tables(cmp: Comparison) -> str:
    """The comparison as CSV text: the sides' figures, then the places that changed hands.

    Parameters
    ----------
    cmp
        From :func:`compare`.

    Returns
    -------
    str
        Two CSV tables separated by a blank line (km² to 0.1).
    """
    buf = io.StringIO()
    cmp.sides.round(1).to_csv(buf, lineterminator="\n", float_format="%.1f")
    buf.write("\n")
    cmp.places.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def diff_figure(ds: Dataset, cmp: Comparison, *, lay: MapLayers | None = None,
                width: float = 7.5) -> Figure:
    """The map of the later day with the ground that changed hands outlined and hatched.

    Parameters
    ----------
    ds
        The dataset.
    cmp
        From :func:`compare`.
    lay
        Precomputed :func:`mapper.snapshot.layers`.
    width
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from mapper import snapshot
    from mapper.snapshot import RC_PARAMS, _path, line_colour, wrap_text

    lay = lay if lay is not None else snapshot.layers(ds)
    x0, y0, x1, y1 = lay.extent
    margin = 0.25
    map_w = width - 2 * margin
    map_h = map_w * (y1 - y0) / (x1 - x0)
    moves = cmp.moves.to_crs(lay.crs)
    labels = []
    for before, after, km2 in zip(cmp.moves["before"], cmp.moves["after"],
                                  cmp.moves["area_km2"], strict=True):
        labels.append(f"{_label(ds, after)} took from {_label(ds, before)}: {km2:,.0f} km²")
    legend_h = 0.18 * max(len(labels), 1) + 0.2
    title = wrap_text(ds.title, width - 0.5, 11)
    title_h = 0.28 * (title.count("\n") + 1) + 0.45
    credit = wrap_text(snapshot.source_line(ds, cmp.day_to, lay.territory), width - 0.5, 6.5)
    footer_h = 0.13 * (credit.count("\n") + 1) + 0.2
    with matplotlib.rc_context(RC_PARAMS):
        fig = Figure()
        FigureCanvasAgg(fig)
        height = title_h + map_h + legend_h + footer_h
        fig.set_size_inches(width, height)
        fig.patch.set_facecolor("white")
        ax = fig.add_axes((margin / width, (legend_h + footer_h) / height, map_w / width,
                           map_h / height))
        fig.text(margin / width, 1 - 0.15 / height, title, ha="left", va="top", fontsize=11,
                 fontweight="bold")
        fig.text(margin / width, (legend_h + footer_h + map_h + 0.1) / height,
                 f"Ground that changed hands, {format_date(cmp.day_from)} to "
                 f"{format_date(cmp.day_to)}", ha="left", va="bottom", fontsize=10)
        snapshot.draw_map(ax, ds, lay, cmp.day_to)
        handles = []
        for (after, geom), text in zip(zip(moves["after"], moves.geometry, strict=True), labels,
                                       strict=True):
            colour = line_colour(ds, None if after == "no data" else after)
            path = _path(geom)
            if path is not None:
                ax.add_patch(PathPatch(path, facecolor="none", edgecolor=colour, hatch="////",
                                       linewidth=1.6, zorder=3))
            handles.append(Patch(facecolor="none", edgecolor=colour, hatch="////", label=text))
        if not handles:
            handles.append(Patch(facecolor="none", edgecolor="none",
                                 label="No ground changed hands."))
        fig.legend(handles=handles, loc="upper left", ncol=1, frameon=False, fontsize=7.5,
                   bbox_to_anchor=(margin / width, (legend_h + footer_h - 0.05) / height),
                   borderaxespad=0)
        fig.text(margin / width, 0.08 / height, credit, ha="left", va="bottom", fontsize=6.5,
                 color="#444444")
    return fig


def _label(ds: Dataset, side: str) -> str:
    from mapper.snapshot import side_label

    return side_label(ds, "unknown" if side == "no data" else side)


def diff(ds: Dataset, day_from: date, day_to: date, out: Path | str, *,
         fmt: str | None = None, dpi: float = 300) -> Path:
    """Write the comparison map (:func:`diff_figure`) as PNG, SVG or PDF.

    Returns
    -------
    Path
        ``out``.
    """
    from mapper.snapshot import format_of, save_figure

    fmt = format_of(out, fmt)
    cmp = compare(ds, day_from, day_to)
    return save_figure(diff_figure(ds, cmp), out, fmt=fmt, dpi=dpi)
