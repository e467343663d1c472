"""Exports for GIS users: the places, the areas and the front lines of one day.

Three layers, all in EPSG:4326:

``places``
    Every place with a point: ``id``, ``name``, ``kind``, ``country``, ``population``,
    ``controller`` (faction id, ``contested`` or ``unknown``), ``controller_label``,
    ``colour`` (the side's colour, ``#rrggbb``, for data-defined styling), ``since`` (when
    the current controller took over, as precisely as the event's date is known: ISO
    ``2024-11-28``, ``2014-06`` for a month, ``2014`` for a year; empty when not recorded) and
    ``since_precision`` (``day``, ``month``, ``year`` or empty).
``areas``
    The ground of each side on the day, from the territory model (:mod:`mapper.model`), one
    (Multi)Polygon per side, ``unknown`` for the ground no fact covers: ``id`` (the side),
    ``name`` (its label), ``controller``, ``controller_label``, ``colour``, ``area_km2``
    (equal-area, EPSG:6933).
``fronts``
    The borders between the ground of two different known sides (as the maps draw them), one
    feature per pair of sides: ``a``, ``b`` (the two sides, in legend order),
    ``a_controller``, ``b_controller``, ``length_km``.

Every feature also carries ``date`` (the day exported, ISO).

Formats:

``gpkg``
    One GeoPackage with the three layers (QGIS lists them when the file is opened).
``geojson``
    One FeatureCollection holding the features of all three layers; each feature has a
    ``layer`` property (``places``, ``areas`` or ``fronts``) and an id ``<layer>/<id>``.
    QGIS opens it as one sub-layer per geometry type; filter on ``layer`` to split it.
    Coordinates are rounded to 5 decimals (about 1 m), one feature per line, sorted.

Both are deterministic: the same dataset and day give byte-identical files.

>>> export(load_dataset("geodata/aleppo-2024"), date(2024, 11, 30),
...        "aleppo-2024-11-30.gpkg")  # doctest: +SKIP
PosixPath('aleppo-2024-11-30.gpkg')
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from mapper._files import _readable, write_atomic
from mapper.dataset import CONTESTED

if TYPE_CHECKING:
    from mapper.dataset import Dataset

__all__ = ["EXPORT_FORMATS", "LAYERS", "export", "export_layers", "to_geojson_text"]

#: Output formats of :func:`export`.
EXPORT_FORMATS: tuple[str, ...] = ("geojson", "gpkg")

#: Layer names, in the order they are written.
LAYERS: tuple[str, ...] = ("places", "areas", "fronts")

#: Decimals kept in GeoJSON coordinates (about 1 m).
GEOJSON_PRECISION = 5

#: The time stamp GDAL writes into a GeoPackage (fixed, so the file depends on content only).
_GPKG_TIMESTAMP = "2000-01-01T00:00:00Z"



def coarse_date(day: date, precision: str) -> str:
    """Write a date no more precisely than it is known (ISO 8601 reduced precision).

    Parameters
    ----------
    day
        The date (a coarse date is stored as its first day).
    precision
        ``"day"``, ``"month"`` or ``"year"``.

    Returns
    -------
    str

    Examples
    --------
    >>> coarse_date(date(2014, 6, 1), "month"), coarse_date(date(2014, 1, 1), "year")
    ('2014-06', '2014')
    """
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _controller_columns(ds: Dataset, controllers: list[str | None]) -> dict[str, list[str]]:
    from mapper.snapshot import UNKNOWN_COLOUR, side_label

    names = [c if c is not None else "unknown" for c in controllers]
    colours = [
        ds.factions[c].colour if c in ds.factions else ("#ffffff" if c == CONTESTED
                                                         else UNKNOWN_COLOUR)
        for c in controllers
    ]
    return {"controller": names, "controller_label": [side_label(ds, n) for n in names],
            "colour": colours}


def export_layers(ds: Dataset, day: date) -> dict[str, gpd.GeoDataFrame]:
    """Build the three layers of one day (see the module docstring for their columns).

    Parameters
    ----------
    ds
        The dataset.
    day
        The day, within ``ds.start..ds.end``.

    Returns
    -------
    dict
        ``places``, ``areas``, ``fronts``: GeoDataFrames in EPSG:4326 with a plain
        ``RangeIndex``, sorted by id (fronts by ``a``, ``b``).

    Raises
    ------
    ValueError
        If ``day`` is outside the dataset's time range, or a place has no coordinates.

    Examples
    --------
    >>> layers = export_layers(ds, date(2024, 11, 30))  # doctest: +SKIP
    >>> layers["places"].set_index("id").loc["aleppo", "controller"]  # doctest: +SKIP
    'contested'
    """
    from mapper import model
    from mapper.timeline import Timeline

    t = model.build(ds)
    t.day_index(day)
    state = t.places_on(day)
    tl = Timeline.from_dataset(ds)
    iso = day.isoformat()

    pl = ds.places
    ids = [str(p) for p in pl.index]
    ev = ds.events
    precision_of: dict[int, str] = {}
    if "line" in ev.columns and "precision" in ev.columns:
        precision_of = {int(n): str(p) for n, p in zip(ev["line"], ev["precision"], strict=True)
                        if pd.notna(n) and pd.notna(p)}
    since: list[str] = []
    since_precision: list[str] = []
    held_now = tl.control_at(day)
    for pid in ids:
        current, prec = "", ""
        for interval in tl.intervals(pid):
            if interval.start is not None and interval.start > day:
                break
            prec = (precision_of.get(interval.line, "day") if interval.line is not None
                    else "day") if interval.start is not None else ""
            current = coarse_date(interval.start, prec) if interval.start is not None else ""
        same = held_now.get(pid) == state.get(pid)
        since.append(current if same else "")
        since_precision.append(prec if same and current else "")
    population = pl["population"].astype("Int64")
    places = gpd.GeoDataFrame(
        {"id": ids, "name": pl["name"].astype(str).to_list(),
         "kind": pl["kind"].astype(str).to_list(), "country": pl["country"].astype(str).to_list(),
         "population": population.reset_index(drop=True),
         **_controller_columns(ds, [state.get(p) for p in ids]), "since": since,
         "since_precision": since_precision, "date": [iso] * len(ids)},
        geometry=list(pl.geometry), crs="EPSG:4326",
    )

    held = t.areas_on(day)
    sides = [None if c == model.NO_DATA else str(c) for c in held["controller"]]
    cols = _controller_columns(ds, sides)
    areas = gpd.GeoDataFrame(
        {"id": cols["controller"], "name": cols["controller_label"], **cols,
         "area_km2": np.round(held["area_km2"].to_numpy(dtype=float), 3),
         "date": [iso] * len(held)},
        geometry=list(held.geometry), crs="EPSG:4326",
    )

    edges = t.fronts_on(day)
    fronts = gpd.GeoDataFrame(
        {"a": [str(a) for a in edges["a"]], "b": [str(b) for b in edges["b"]],
         "a_controller": [str(a) for a in edges["a"]],
         "b_controller": [str(b) for b in edges["b"]],
         "length_km": np.round(edges["length_km"].to_numpy(dtype=float), 3),
         "date": [iso] * len(edges)},
        geometry=list(edges.geometry), crs="EPSG:4326",
    )
    return {
        "places": places.sort_values("id", kind="stable").reset_index(drop=True),
        "areas": areas.sort_values("id", kind="stable").reset_index(drop=True),
        "fronts": fronts.sort_values(["a", "b"], kind="stable").reset_index(drop=True),
    }


def to_geojson_text(layers: dict[str, gpd.GeoDataFrame], *, dataset: str = "",
                    day: date | None = None) -> str:
    """Write the layers as one GeoJSON FeatureCollection, a ``layer`` property on each feature.

    Parameters
    ----------
    layers
        From :func:`export_layers`.
    dataset
        The dataset id, kept as the collection's ``name``.
    day
        The day exported, kept as the collection's ``date``.

    Returns
    -------
    str
        The text: one feature a line, features ordered by layer then id.
    """
    from mapper.basemap import to_geojson

    features: list[dict[str, Any]] = []
    for layer in LAYERS:
        gdf = layers[layer]
        key = (gdf["id"] if "id" in gdf.columns
               else pd.Series([f"{a}|{b}" for a, b in zip(gdf["a"], gdf["b"], strict=True)],
                              index=gdf.index))
        keyed = gdf.set_index(pd.Index([f"{layer}/{k}" for k in key]))
        keyed = keyed.assign(layer=layer)
        collection = to_geojson(keyed, precision=GEOJSON_PRECISION)
        features.extend(collection["features"])
    head: dict[str, Any] = {"type": "FeatureCollection", "name": dataset,
                            "date": day.isoformat() if day is not None else None}
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
             for f in features]
    start = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return start + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"


def _write_gpkg(layers: dict[str, gpd.GeoDataFrame], out: Path) -> None:
    """Write the layers into a new GeoPackage at ``out`` (which must not exist)."""
    previous = {"OGR_CURRENT_DATE": pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")}
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_TIMESTAMP})
    try:
        for layer in LAYERS:
            gdf = layers[layer]
            pyogrio.write_dataframe(gdf, out, layer=layer, driver="GPKG",
                                    append=out.exists(), promote_to_multi=layer != "places")
    finally:
        pyogrio.set_gdal_config_options(previous)


def format_of(out: Path | str, fmt: str | None = None) -> str:
    """The export format: ``fmt`` if given, else from the file's suffix.

    Parameters
    ----------
    out
        The output file.
    fmt
        ``geojson`` or ``gpkg``, or ``None``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the format is not one of :data:`EXPORT_FORMATS`.

    Examples
    --------
    >>> format_of("x.json"), format_of("x.gpkg")
    ('geojson', 'gpkg')
    """
    value = (fmt or Path(out).suffix.lstrip(".")).lower()
    value = "geojson" if value == "json" else value
    if value not in EXPORT_FORMATS:
        raise ValueError(f"{out}: unknown export format {value!r}; use one of "
                         f"{', '.join(EXPORT_FORMATS)}")
    return value


def export(ds: Dataset, day: date, out: Path | str, *, fmt: str | None = None) -> Path:
    """Write the places, areas and front lines of one day for GIS (GeoPackage or GeoJSON).

    The file is written beside ``out`` under a temporary name, then renamed into place.

    Parameters
    ----------
    ds
        The dataset.
    day
        The day, within ``ds.start..ds.end``.
    out
        The output file.
    fmt
        ``geojson`` or ``gpkg`` (default: from the suffix of ``out``).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        If the format is unknown or ``day`` is outside the dataset's time range.
    """
    out = Path(out)
    fmt = format_of(out, fmt)
    layers = export_layers(ds, day)
    if fmt == "geojson":
        text = to_geojson_text(layers, dataset=ds.id, day=day)
        return write_atomic(out, text.encode("utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent)
    tmp = Path(tmpdir) / out.name
    try:
        _write_gpkg(layers, tmp)
        _readable(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        Path(tmpdir).rmdir()
    return out
