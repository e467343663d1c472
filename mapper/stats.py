"""Territory over time: the area each side holds and the population of the places it holds.

Areas come from the territory model (:mod:`mapper.model`), the one the maps draw: its atoms
are measured once in an equal-area projection (:data:`mapper.model.EQUAL_AREA_CRS`), and the
totals are summed on the first day and on each day something changes hands, then carried
forward to the days in between: no geometry is recomputed per day.

Population is the ``population`` column of the places (the gazetteer's figure, where known): a
place's figure counts for the side holding it on the day. Places drawn as labels only (kinds
``region`` and ``country``) hold no ground and count for no side.

>>> ds = load_dataset("geodata/aleppo-2024")  # doctest: +SKIP
>>> territory_series(ds).loc[0, ["date", "government_km2"]].tolist()  # doctest: +SKIP
[datetime.date(2024, 11, 24), 14460.2]
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapper._files import write_atomic
from mapper.dataset import CONTESTED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mapper.dataset import Dataset
    from mapper.model import Territory

__all__ = [
    "UNKNOWN",
    "chart",
    "chart_figure",
    "series_columns",
    "series_payload",
    "territory_series",
    "write_csv",
]

#: Column-name stem of ground and people no side is known to hold.
UNKNOWN = "unknown"


def _sides(ds: Dataset) -> list[str]:
    """Factions in legend order, then contested and unknown."""
    return [*ds.factions, CONTESTED, UNKNOWN]


def series_columns(ds: Dataset) -> list[str]:
    """The columns of :func:`territory_series`, in order.

    Parameters
    ----------
    ds
        The dataset.

    Returns
    -------
    list of str
        ``date``, ``<side>_km2`` for each faction then ``contested_km2`` and ``unknown_km2``,
        then ``<side>_population`` in the same order.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> series_columns(SimpleNamespace(factions={"gov": None}))  # doctest: +NORMALIZE_WHITESPACE
    ['date', 'gov_km2', 'contested_km2', 'unknown_km2', 'gov_population',
     'contested_population', 'unknown_population']
    """
    sides = _sides(ds)
    return ["date", *(f"{s}_km2" for s in sides), *(f"{s}_population" for s in sides)]


def territory_series(ds: Dataset, *, territory: Territory | None = None) -> pd.DataFrame:
    """Area and population held by each side on every day of the dataset.

    Parameters
    ----------
    ds
        The dataset.
    territory
        Its model (:func:`mapper.model.build`), if already built.

    Returns
    -------
    pandas.DataFrame
        One row per day from ``ds.start`` to ``ds.end``; columns as :func:`series_columns`:
        ``date`` (``datetime.date``), areas in km² (float; on each day they add up to the
        model's ground: the dataset's countries) and populations (int64; they add up to the
        population of every place that holds ground, where known). Contested ground counts
        as ``contested``; ground no fact covers as ``unknown`` (no data).

    Raises
    ------
    ValueError
        If a place has no coordinates, or a controller is not a declared faction.

    Examples
    --------
    >>> table = territory_series(load_dataset("tests/data/valid"))  # doctest: +SKIP
    >>> list(table.columns[:3])  # doctest: +SKIP
    ['date', 'government_km2', 'hts_km2']
    """
    from mapper import model
    from mapper.territory import AREA_LESS_KINDS as LABEL_ONLY_KINDS

    t = territory if territory is not None else model.build(ds)
    if t._series is not None and t._series[0] is ds:  # the page and the images both ask
        return t._series[1].copy()
    sides = _sides(ds)
    # Model codes: factions, contested, then -1 (no data) -> the last side, unknown.
    to_side = np.array([sides.index(s) for s in t.sides] + [sides.index(UNKNOWN)],
                       dtype=np.int64)
    pl = ds.places
    ground = ~pl["kind"].isin(list(LABEL_ONLY_KINDS)).to_numpy()
    population = pl["population"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    population = np.where(ground, population, 0)
    area = t.atoms["area_km2"].to_numpy(dtype=float)
    rows = []
    days = t.keys.tolist()
    # Codes 0.. and -1 map to distinct sides: sum by code (+1: no data first), then reorder;
    # each side's sum adds the same atoms in the same order, so the same floats.
    one_to_one = len(set(to_side.tolist())) == len(to_side)
    by_code = np.roll(to_side, 1)  # code + 1 -> side
    km2: np.ndarray
    people: np.ndarray
    for k, atom_codes, place_codes in t.iter_keys():
        if one_to_one:
            km2 = np.zeros(len(sides))
            km2[by_code] = np.bincount(atom_codes + 1, weights=area, minlength=len(to_side))
            people = np.zeros(len(sides))
            people[by_code] = np.bincount(place_codes + 1, weights=population,
                                          minlength=len(to_side))
        else:
            km2 = np.bincount(to_side[atom_codes], weights=area, minlength=len(sides))
            people = np.bincount(to_side[place_codes], weights=population,
                                 minlength=len(sides))
        rows.append([ds.start + timedelta(days=int(days[k])), *km2.tolist(),
                     *np.rint(people).astype(np.int64).tolist()])
    columns = series_columns(ds)
    at_keys = pd.DataFrame(rows, columns=columns)
    dates = t.dates
    # Forward-fill: each day takes the totals of the last change on or before it.
    pos = np.searchsorted(t.keys, np.arange(len(dates)), side="right") - 1
    out = at_keys.iloc[pos].reset_index(drop=True)
    out["date"] = pd.Series(dates, dtype=object)
    for side in sides:
        out[f"{side}_km2"] = out[f"{side}_km2"].astype("float64")
        out[f"{side}_population"] = out[f"{side}_population"].astype("int64")
    out = out[columns]
    t._series = (ds, out.copy())
    return out


def series_payload(table: pd.DataFrame) -> dict[str, list[str] | list[float] | list[int]]:
    """A :func:`territory_series` table as JSON-ready columns, for a page to embed.

    Parameters
    ----------
    table
        From :func:`territory_series`.

    Returns
    -------
    dict
        Column name to a list: ``date`` as ISO text, areas rounded to 0.1 km², populations as
        integers. Same table, same payload.

    Examples
    --------
    >>> t = pd.DataFrame({"date": [date(2024, 11, 26)], "gov_km2": [12.345],
    ...                   "gov_population": [np.int64(7)]})
    >>> series_payload(t)
    {'date': ['2024-11-26'], 'gov_km2': [12.3], 'gov_population': [7]}
    """
    out: dict[str, list[str] | list[float] | list[int]] = {}
    for column in table.columns:
        if column == "date":
            out[column] = [d.isoformat() for d in table[column]]
        elif column.endswith("_km2"):
            out[column] = [round(float(v), 1) for v in table[column]]
        else:
            out[column] = [int(v) for v in table[column]]
    return out


def write_csv(table: pd.DataFrame, out: Path | str | None = None) -> str:
    """Write a :func:`territory_series` table as CSV: ISO dates, km² to 0.01, ``\\n`` endings.

    Parameters
    ----------
    table
        From :func:`territory_series`.
    out
        A file to write (atomically); ``None`` only returns the text.

    Returns
    -------
    str
        The CSV text.
    """
    frame = table.copy()
    frame["date"] = [d.isoformat() for d in frame["date"]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.2f", lineterminator="\n")
    text = buffer.getvalue()
    if out is not None:
        write_atomic(out, text.encode("utf-8"))
    return text


def _style(ds: Dataset, side: str) -> dict[str, object]:
    from matplotlib.colors import to_rgba

    from mapper.snapshot import area_style, line_colour

    style = dict(area_style(ds, None if side == UNKNOWN else side))
    face = style.pop("facecolor")
    colour = line_colour(ds, None if side == UNKNOWN else side)
    rgba = to_rgba
    # Denser than on the map: a chart band has no base map under it.
    face = rgba(colour, 0.75) if side not in (CONTESTED, UNKNOWN) else face
    if side == UNKNOWN:
        face = rgba(colour, 0.35)
    return {"facecolor": face, "edgecolor": colour, **style}


def _bands(ax: object, ds: Dataset, x: Sequence[date], table: pd.DataFrame,
           suffix: str) -> None:
    """Draw stacked step bands of the ``<side><suffix>`` columns (held from day to day)."""
    bottom = np.zeros(len(table))
    xs = np.array(x, dtype="datetime64[D]")
    # Each day's value holds until the next day: repeat the last value one day further.
    edges = np.append(xs, xs[-1] + np.timedelta64(1, "D"))
    for side in _sides(ds):
        values = table[f"{side}{suffix}"].to_numpy(dtype=float)
        if not values.any():
            continue
        top = bottom + values
        style = _style(ds, side)
        ax.fill_between(edges, np.append(bottom, bottom[-1]), np.append(top, top[-1]),  # type: ignore[attr-defined]
                        step="post", linewidth=0.6, **style)
        bottom = top


def _millions(v: float, _pos: object) -> str:
    return f"{v / 1e6:g} M" if v else "0"


def _thousands(v: float, _pos: object) -> str:
    return f"{v:,.0f}"


def chart_figure(ds: Dataset, table: pd.DataFrame | None = None, *, width: float = 7.5,
                 marker: date | None = None) -> Figure:
    """Stacked areas over time: km² held by each side, and (if known) the people they hold.

    Parameters
    ----------
    ds
        The dataset.
    table
        From :func:`territory_series` (computed when omitted).
    width
        Figure width in inches.
    marker
        A date to mark with a vertical line (for example the date of a snapshot).

    Returns
    -------
    matplotlib.figure.Figure
    """
    # matplotlib is imported here, not with the module: the page reads this module's
    # table (territory_series) and needs no plotting library.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    from mapper.snapshot import RC_PARAMS, side_label, wrap_text

    table = table if table is not None else territory_series(ds)
    sides = _sides(ds)
    has_people = bool(table[[f"{s}_population" for s in sides]].to_numpy().sum())
    panels = [("_km2", "Area held (km²)")]
    if has_people:
        panels.append(("_population", "People in the places held"))
    x = list(table["date"])
    title = wrap_text(ds.title, width - 0.5, 10.5)
    with matplotlib.rc_context(RC_PARAMS):
        fig = Figure(figsize=(width, 1.1 + 2.3 * len(panels)))
        FigureCanvasAgg(fig)
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for ax, (suffix, label) in zip(axes, panels, strict=True):
            _bands(ax, ds, x, table, suffix)
            ax.set_ylabel(label, fontsize=8)
            ax.tick_params(labelsize=7.5)
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_ylim(bottom=0)
            top = float(table[[f"{s}{suffix}" for s in sides]].sum(axis=1).max())
            ax.yaxis.set_major_formatter(FuncFormatter(_millions if top >= 1e6 else _thousands))
            if marker is not None:
                ax.axvline(np.datetime64(marker, "D"), color="#111111", linewidth=1.0,
                           linestyle="--")
        last = axes[-1]
        locator = AutoDateLocator()
        last.xaxis.set_major_locator(locator)
        last.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
        years = sorted({d.year for d in x})
        span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
        last.set_xlabel(span, fontsize=8)
        last.set_xlim(np.datetime64(x[0], "D"), np.datetime64(x[-1], "D") + np.timedelta64(1, "D"))
        fig.suptitle(title, x=0.02, ha="left", fontsize=10.5, fontweight="bold")
        handles = [Patch(label=side_label(ds, s), linewidth=0.6, **_style(ds, s))  # type: ignore[arg-type]
                   for s in sides if table[f"{s}_km2"].any() or table[f"{s}_population"].any()]
        fig.legend(handles=handles, loc="lower left", ncol=2, frameon=False, fontsize=7,
                   bbox_to_anchor=(0.02, 0.0))
        fig.subplots_adjust(left=0.12, right=0.97, top=1 - 0.55 / fig.get_figheight(),
                            bottom=(0.25 + 0.17 * ((len(handles) + 1) // 2) + 0.3)
                            / fig.get_figheight(), hspace=0.12)
    return fig


def chart(ds: Dataset, out: Path | str, *, fmt: str | None = None, dpi: float = 300,
          table: pd.DataFrame | None = None) -> Path:
    """Write the territory chart (:func:`chart_figure`) as PNG, SVG or PDF, deterministically.

    Parameters
    ----------
    ds
        The dataset.
    out
        The output file.
    fmt
        ``png``, ``svg`` or ``pdf`` (default: from the suffix of ``out``).
    dpi
        PNG resolution.
    table
        From :func:`territory_series` (computed when omitted).

    Returns
    -------
    Path
        ``out``.
    """
    from mapper.snapshot import format_of, save_figure

    fmt = format_of(out, fmt)
    return save_figure(chart_figure(ds, table), out, fmt=fmt, dpi=dpi)
