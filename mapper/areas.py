"""Areas and dated snapshots of control: polygons read from any file GDAL reads (pyogrio).

A dataset folder may hold

``areas.geojson`` (or ``.gpkg``, ``.kml``, ``.kmz``, ``.shp``, ``.fgb``)
    Named areas (a province, a pocket, a zone) that ``events.csv`` hands to a side as it
    hands a place: each feature has an ``id`` (a slug; from the ``name`` when absent), a
    ``name`` and a ``kind`` (``area`` when absent). Every layer of the file is read (Google
    My Maps writes one per folder).
``snapshots/``
    One file per date, the date in its name (``2024-11-26.geojson``, ``isw_20241126.kmz``),
    each holding the polygons of control as some source drew them that day: a ``controller``
    property per feature (another field with ``[snapshots] controller_field``), or, with
    ``[snapshots] side``, every feature is that side's ground. With ``[snapshots] rest``, the
    rest of the dataset's countries is held by that side.

Column names are matched without regard to case (``Name`` and ``Description`` as KML gives
them). Problems come back as :class:`mapper.errors.Problem`, with the file and the feature
number (1-based, in file order) in place of a line.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mapper.errors import Problem

__all__ = ["AREA_SUFFIXES", "SNAPSHOT_DIR", "Snapshot", "date_in_name", "find_area_file",
           "read_areas", "read_features", "read_polygons", "read_snapshots", "slug"]

#: File suffixes read as polygon files.
AREA_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml", ".kmz", ".shp", ".fgb")

#: The folder of dated snapshot files inside a dataset.
SNAPSHOT_DIR = "snapshots"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True)
class Snapshot:
    """The polygons of control one source drew on one day.

    Attributes
    ----------
    date
        The day it shows.
    path
        The file.
    controllers
        The controller of each polygon feature, in file order.
    geometries
        Each feature's (Multi)Polygon, lon/lat, valid.
    rest
        Side holding the rest of the dataset's countries, or ``None`` (no data there).
    source_id
        The source it comes from (``sources.csv``), or ``None``.
    """

    date: date
    path: Path
    controllers: tuple[str, ...]
    geometries: tuple[BaseGeometry, ...]
    rest: str | None = None
    source_id: str | None = None

    @cached_property
    def polygons(self) -> gpd.GeoDataFrame:
        """The features as a GeoDataFrame (lon/lat) with a ``controller`` column.

        Made when first asked for: a dataset of daily snapshots holds hundreds, and the
        model reads :attr:`controllers` and :attr:`geometries` directly.
        """
        return gpd.GeoDataFrame({"controller": list(self.controllers)},
                                geometry=list(self.geometries), crs="EPSG:4326")

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(west, south, east, north)`` of every polygon, or ``None`` when there is none."""
        if not self.geometries:
            return None
        b = shapely.total_bounds(np.array(self.geometries, dtype=object))
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def slug(text: str) -> str:
    """A slug of a name: lower case ASCII words joined by hyphens.

    Examples
    --------
    >>> slug("Idlib pocket (HTS), Nov. 2024")
    'idlib-pocket-hts-nov-2024'
    >>> slug("Raʾs al-ʿAyn")
    'ras-al-ayn'
    """
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def date_in_name(name: str) -> date | None:
    """The date written in a file name (``20240708`` or ``2024-07-08``), or ``None``.

    Examples
    --------
    >>> date_in_name("control_2024-07-08_v2.geojson")
    datetime.date(2024, 7, 8)
    >>> date_in_name("isw20241126.kmz"), date_in_name("notes.geojson")
    (datetime.date(2024, 11, 26), None)
    """
    for m in _DATE_IN_NAME.finditer(name):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return None


def find_area_file(folder: Path) -> tuple[Path | None, list[Problem]]:
    """The dataset's areas file (``areas.<suffix>``), if any.

    Returns
    -------
    tuple
        The path or ``None``, and a problem when there are several.
    """
    found = sorted(p for p in folder.glob("areas.*") if p.suffix.lower() in AREA_SUFFIXES)
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        return None, [Problem(found[1].name, None, None,
                              f"several areas files ({names}): keep one")]
    return (found[0] if found else None), []


_ONE_LAYER = (".geojson", ".json", ".shp", ".fgb")


@lru_cache(maxsize=64)
def _to_lonlat(crs: str | None) -> Any:
    """A function turning ``crs`` coordinates into lon/lat, or ``None`` when they are.

    Cached: the files of a snapshot folder all name the same CRS, and parsing it costs
    about a millisecond.
    """
    if not crs:
        return None
    import pyproj

    source = pyproj.CRS.from_user_input(crs)
    if source.equals("EPSG:4326") or source.equals("OGC:CRS84"):
        return None
    to = pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    return lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1]))


def read_features(path: Path, label: str, *, columns: bool = True, points: bool = False,
                  layer_field: str | None = None,
                  ) -> tuple[list[tuple[int, dict[str, Any], BaseGeometry]] | None,
                             list[Problem]]:
    """The polygon (or point) features of every layer of a GIS file, in lon/lat, made valid.

    No data frame is built (a snapshot folder holds hundreds of files);
    :func:`read_polygons` is the same as a GeoDataFrame.

    Parameters
    ----------
    path
        The file.
    label
        How problems name the file.
    columns
        Also read the properties (lower-case names; the first of two alike is kept).
    points
        Keep the point features instead of the polygons (placemarks: the first point of a
        multi-point); lines and polygons are then skipped.
    layer_field
        Also give each feature's layer name (a KML folder) as this property, unless the
        feature has a property of that name already.

    Returns
    -------
    tuple
        ``(number, properties, geometry)`` per polygon (or point) feature (numbers 1-based
        over all layers, in file order; other geometries skipped), or ``None`` when
        unreadable; and the problems.
    """

    import pyogrio

    problems: list[Problem] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL notes on KML styles and the like
            layers: list[Any] = ([None] if path.suffix.lower() in _ONE_LAYER else
                                 [str(row[0]) for row in pyogrio.list_layers(path)])
            read = []
            for layer in layers:
                meta, _, wkb, values = pyogrio.raw.read(path, layer=layer, force_2d=True,
                                                        columns=None if columns else [])
                read.append((layer, meta, wkb, values))
    except Exception as exc:  # GDAL's own message says what it could not read
        return None, [Problem(label, None, None, f"cannot read this file as GIS data ({exc}); "
                                                 "save it as GeoJSON, GeoPackage, KML/KMZ or "
                                                 "Shapefile")]
    out: list[tuple[int, dict[str, Any], BaseGeometry]] = []
    number = 0
    for layer, meta, wkb, values in read:
        names = [str(n).strip().lower() for n in meta["fields"]]
        keep = [i for i, n in enumerate(names) if n not in names[:i] and n != "geometry"]
        geoms = shapely.from_wkb(wkb) if wkb is not None else np.full(len(values[0]) if
                                                                      values else 0, None)
        fix = _to_lonlat(meta.get("crs"))
        for j, geom in enumerate(geoms):
            number += 1
            if geom is None or geom.is_empty:
                problems.append(Problem(label, None, "geometry",
                                        f"feature {number}: has no geometry"))
                continue
            if points:
                found = [g for g in shapely.get_parts(geom) if g.geom_type == "Point"]
                if not found:
                    continue  # a line or outline beside the placemarks
                geom = found[0]
            elif geom.geom_type not in ("Polygon", "MultiPolygon"):
                polys = [g for g in shapely.get_parts(geom)
                         if g.geom_type in ("Polygon", "MultiPolygon")]
                if not polys:
                    continue  # a line or point (a placemark beside the outlines): not ground
                geom = polys[0] if len(polys) == 1 else shapely.union_all(polys)
            if fix is not None:
                geom = shapely.transform(geom, fix)
            x0, y0, x1, y1 = geom.bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                problems.append(Problem(label, None, "geometry", f"feature {number}: "
                                        "coordinates outside lon -180..180, lat -90..90; is "
                                        "the file in another projection without saying so "
                                        "(a .prj file)?"))
                continue
            if not geom.is_valid:
                geom = shapely.make_valid(geom)
                parts = [g for g in shapely.get_parts(geom)
                         if g.geom_type in ("Polygon", "MultiPolygon")]
                geom = shapely.union_all(parts) if parts else shapely.Polygon()
            props = {names[i]: values[i][j] for i in keep}
            if layer_field is not None and layer is not None:
                props.setdefault(layer_field, str(layer))
            out.append((number, props, geom))
    return out, problems


def read_polygons(path: Path, name: str) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read every polygon feature of a file, all layers, in lon/lat; lower-case columns.

    Parameters
    ----------
    path
        The file.
    name
        How problems name the file (relative to the dataset).

    Returns
    -------
    tuple
        The features (column ``feature``: 1-based number in file order) or ``None``, and the
        problems found (:func:`read_features`).
    """
    features, problems = read_features(path, name)
    if features is None:
        return None, problems
    if not features:
        return gpd.GeoDataFrame({"feature": []}, geometry=[], crs="EPSG:4326"), problems
    frame = pd.DataFrame([props for _, props, _ in features])
    frame["feature"] = [number for number, _, _ in features]
    gdf = gpd.GeoDataFrame(frame, geometry=[geom for _, _, geom in features], crs="EPSG:4326")
    return gdf, problems


def _text(row: Any, key: str) -> str:
    value = row.get(key)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def read_areas(path: Path, *, name: str | None = None,
               place_ids: set[str] | None = None) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read a dataset's areas file.

    Parameters
    ----------
    path
        The file (``areas.geojson``, ``areas.kml``, ...).
    name
        How problems name the file; default its file name.
    place_ids
        The dataset's place ids: an area may not reuse one.

    Returns
    -------
    tuple
        GeoDataFrame indexed by ``id`` with ``name``, ``kind``, ``description``, ``feature``
        (or ``None`` when unreadable), and the problems.

    Examples
    --------
    >>> areas, problems = read_areas(Path("tests/data/areas/kml/areas.kml"))  # doctest: +SKIP
    """
    label = name or path.name
    gdf, problems = read_polygons(path, label)
    if gdf is None:
        return None, problems
    ids, names, kinds, descs = [], [], [], []
    seen: dict[str, int] = {}
    for i, (_, row) in zip(gdf["feature"], gdf.iterrows(), strict=True):
        nm = _text(row, "name")
        aid = _text(row, "id") or slug(nm)
        if not nm:
            nm = aid
        if not aid:
            problems.append(Problem(label, None, "id", f"feature {i}: has neither an id nor a "
                                    "name; give it an id such as 'idlib-pocket'"))
        elif not _SLUG.match(aid):
            problems.append(Problem(label, None, "id", f"feature {i}: {aid!r} is not a slug; "
                                    f"use lower-case words joined by hyphens, e.g. {slug(aid)!r}"))
        elif aid in seen:
            problems.append(Problem(label, None, "id", f"feature {i}: id {aid!r} is also "
                                    f"feature {seen[aid]}'s; ids must be unique"))
        elif place_ids is not None and aid in place_ids:
            problems.append(Problem(label, None, "id", f"feature {i}: {aid!r} is also a place "
                                    "id in places.csv; give the area another id"))
        seen.setdefault(aid, i)
        ids.append(aid)
        names.append(nm)
        kinds.append(_text(row, "kind") or "area")
        descs.append(_text(row, "description"))
    out = gpd.GeoDataFrame({"name": names, "kind": kinds, "description": descs,
                            "feature": list(gdf["feature"])},
                           geometry=list(gdf.geometry), crs="EPSG:4326",
                           index=pd.Index(ids, name="id"))
    if not len(out):
        problems.append(Problem(label, None, None, "holds no polygon; draw the areas as "
                                "polygons (lines and points are not ground)"))
    return out[~out.index.duplicated()], problems


def read_snapshots(folder: Path, *, factions: set[str], settings: dict[str, Any] | None = None,
                   ) -> tuple[list[Snapshot], list[Problem]]:
    """Read the dated snapshot files of a dataset's ``snapshots/`` folder.

    Parameters
    ----------
    folder
        The dataset folder.
    factions
        Faction ids (plus ``contested``) a controller may name.
    settings
        The ``[snapshots]`` table of ``dataset.toml``: ``controller_field``, ``side``,
        ``rest``, ``source_id``.

    Returns
    -------
    tuple
        The snapshots by date, and the problems.
    """
    settings = settings or {}
    where = folder / SNAPSHOT_DIR
    if not where.is_dir():
        return [], []
    field = str(settings.get("controller_field", "controller")).strip().lower()
    side = settings.get("side")
    rest = settings.get("rest")
    source_id = settings.get("source_id")
    problems: list[Problem] = []
    for key, value in (("side", side), ("rest", rest)):
        if value is not None and value not in factions:
            problems.append(Problem("dataset.toml", None, f"snapshots.{key}",
                                    f"{value!r} is not a declared faction"))
    out: list[Snapshot] = []
    by_date: dict[date, str] = {}
    files = sorted(p for p in where.iterdir() if p.suffix.lower() in AREA_SUFFIXES)
    for path in files:
        label = f"{SNAPSHOT_DIR}/{path.name}"
        day = date_in_name(path.name)
        if day is None:
            problems.append(Problem(label, None, None, "no date in the file name; name it "
                                    "by the day it shows, e.g. 2024-11-26.geojson"))
            continue
        if day in by_date:
            problems.append(Problem(label, None, None, f"shows {day.isoformat()} as "
                                    f"{by_date[day]} does; keep one file per day"))
            continue
        by_date[day] = path.name
        if side is not None:  # every feature is that side's: no properties to read
            features, found = read_features(path, label, columns=False)
            problems += found
            if features is None:
                continue
            geoms = [geom for _, _, geom in features]
            controllers = [str(side)] * len(geoms)
        else:
            gdf, found = read_polygons(path, label)
            problems += found
            if gdf is None:
                continue
            if field not in gdf.columns:
                problems.append(Problem(label, None, field, "no such property; give each "
                                        f"feature a {field!r} naming its side, or set "
                                        "[snapshots] side"))
                continue
            controllers = []
            for i, value in zip(gdf["feature"], gdf[field], strict=True):
                text = "" if value is None or pd.isna(value) else str(value).strip()
                if text not in factions:
                    near = ", ".join(sorted(factions))
                    problems.append(Problem(label, None, field, f"feature {i}: {text!r} is not "
                                            f"a declared faction (one of {near})"))
                controllers.append(text)
            geoms = list(gdf.geometry)
        out.append(Snapshot(day, path, tuple(controllers), tuple(geoms), rest, source_id))
    return sorted(out, key=lambda s: s.date), problems
