"""Areas and fronts: the geometry computed once, in Python, before rendering.

Each place that stands for ground (every kind except ``region`` and ``country``) gets a
*cell*: the part of the map nearer to it than to any other place (a Voronoi cell), cut to the
dataset's countries and to a disc around the place. A cell takes its place's controller on each
day, and the shared boundary of two cells held by different sides is a front line.

Distances are measured in a local azimuthal equidistant projection centred on the places, which
is exact from its centre and good to well under 1% over a region the size of Syria.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from mapper.dataset import Dataset

__all__ = ["AREA_LESS_KINDS", "MAX_DISTANCE_KM", "area_km2", "cells", "dataset_cells", "fronts",
           "held_area", "route_segments"]

#: Place kinds drawn as labels only; they get no cell, no front and no marker.
AREA_LESS_KINDS = frozenset({"region", "country"})

#: Radius (km) of the disc a place's area may reach, on the page and in every image.
MAX_DISTANCE_KM = 25.0

#: Equal-area CRS for areas (NSIDC EASE-Grid 2.0 global, cylindrical equal-area).
EQUAL_AREA_CRS = "EPSG:6933"

#: Distance (m) by which places sharing one point are spread before the tessellation.
_SPREAD_M = 1.0

_WGS84 = pyproj.CRS("EPSG:4326")
_GEOD = pyproj.Geod(ellps="WGS84")


def _local_crs(lon: float, lat: float) -> pyproj.CRS:
    """An azimuthal equidistant CRS centred on (lon, lat), in metres."""
    return pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +x_0=0 +y_0=0 +datum=WGS84 +units=m"
    )


def _transform(geoms: Any, src: pyproj.CRS, dst: pyproj.CRS) -> Any:
    """Reproject shapely geometries (array or one) from ``src`` to ``dst``."""
    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, move)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygons of a geometry (an overlay can add stray lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon") or geom.is_empty:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _from_second_vertex(polys: np.ndarray) -> np.ndarray:
    """The same simple polygons (no holes), each ring started at its second vertex."""
    if len(polys) == 0:
        return np.empty(0, dtype=object)
    xy, ring = shapely.get_coordinates(polys, return_index=True)
    counts = np.bincount(ring, minlength=len(polys))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # Each closed ring v0 v1 ... vn-1 v0 becomes v1 ... vn-1 v0 v1.
    pos = np.arange(len(xy)) - np.repeat(starts, counts)
    src = np.where(pos < np.repeat(counts, counts) - 1, pos + 1, 1) + np.repeat(starts, counts)
    return shapely.polygons(shapely.linearrings(xy[src], indices=ring))


def cells(
    places: gpd.GeoDataFrame,
    *,
    clip: BaseGeometry | None = None,
    max_distance_km: float = MAX_DISTANCE_KM,
) -> gpd.GeoDataFrame:
    """Divide the ground between the places: one Voronoi cell per area-bearing place.

    Each cell is the set of points nearer to its place than to any other, cut to ``clip`` and
    to a disc of ``max_distance_km`` around the place, so a remote place does not claim a
    whole desert.

    Places at the same point share its cell fairly: they are spread by one metre on a small
    circle (in order of id, starting due east, counter-clockwise) before the tessellation, so
    their cell is split into equal wedges that meet at the point. Each wedge then has the
    point on its edge rather than inside it.

    Parameters
    ----------
    places
        Indexed by place id, point geometry (any CRS; lon/lat if none), with a ``kind``
        column (optional: without it every place gets a cell).
    clip
        Area to keep, in lon/lat (usually ``basemap.country_shape(ds.countries)``).
    max_distance_km
        Radius of the disc around each place.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by place id (``id``), one row per area-bearing place, in the order of
        ``places``; geometry a (Multi)Polygon in EPSG:4326, empty when the place lies
        outside ``clip``.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame({"kind": ["town", "town", "region"]},
    ...                        index=pd.Index(["a", "b", "r"], name="id"),
    ...                        geometry=gpd.points_from_xy([37.0, 37.2, 37.1], [36.0, 36.0, 36.1]),
    ...                        crs="EPSG:4326")
    >>> c = cells(pts, max_distance_km=10)
    >>> list(c.index), bool(c.geometry["a"].contains(pts.geometry["a"]))
    (['a', 'b'], True)
    """
    if max_distance_km <= 0:
        raise ValueError(f"max_distance_km must be positive, not {max_distance_km}")
    if places.crs is not None and not places.crs.equals(_WGS84):
        places = places.to_crs(_WGS84)
    if "kind" in places.columns:
        places = places[~places["kind"].isin(AREA_LESS_KINDS).to_numpy()]
    index = pd.Index(places.index, name="id")
    if len(places) == 0:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=_WGS84), index=index)
    pts = places.geometry.to_numpy()
    if shapely.is_empty(pts).any() or pd.isna(pts).any():
        bad = index[np.asarray(shapely.is_empty(pts) | pd.isna(pts))][0]
        raise ValueError(f"places: geometry: place {bad!r} has no coordinates")
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    crs = _local_crs(
        (float(lon.min()) + float(lon.max())) / 2, (float(lat.min()) + float(lat.max())) / 2
    )
    fwd = pyproj.Transformer.from_crs(_WGS84, crs, always_xy=True)
    x, y = (np.asarray(v, dtype=float) for v in fwd.transform(lon, lat))
    radius = max_distance_km * 1000.0

    # Spread places sharing a point so that each one gets its own wedge of the cell.
    sx, sy = x.copy(), y.copy()
    frame = pd.DataFrame({"x": x, "y": y, "id": [str(i) for i in index]})
    groups = frame.groupby(["x", "y"], sort=False)["id"]
    size = groups.transform("size").to_numpy()
    if (size > 1).any():
        rank = frame.groupby(["x", "y"], sort=False)["id"].rank(method="first").to_numpy() - 1
        shared = size > 1
        angle = 2 * np.pi * rank[shared] / size[shared]
        sx[shared] += _SPREAD_M * np.cos(angle)
        sy[shared] += _SPREAD_M * np.sin(angle)

    pad = radius * 2 + 1000.0
    frame_box = shapely.box(sx.min() - pad, sy.min() - pad, sx.max() + pad, sy.max() + pad)
    seeds = shapely.multipoints(np.column_stack([sx, sy]))
    vor = shapely.voronoi_polygons(seeds, extend_to=frame_box, ordered=True)
    raw = shapely.get_parts(vor)
    if len(raw) != len(x):  # cannot happen once points are distinct; guard all the same
        raise RuntimeError(f"tessellation gave {len(raw)} cells for {len(x)} places")
    # Inside a Voronoi cell its own place is the nearest, so cutting every cell by the union
    # of all discs equals cutting it by its own disc; and neighbours sharing an edge get the
    # very same cut points, which keeps their common boundary exact.
    discs = shapely.buffer(shapely.points(x, y), radius, quad_segs=16)
    reach = shapely.union_all(discs)
    # Most cells lie wholly inside their own disc, hence inside the reach, and need no cut:
    # only the others go through the (costly) overlay. The overlay hands an uncut Voronoi
    # cell back as the same ring started at its second vertex, so the kept cells are given
    # that very form and the output does not depend on which path a cell took.
    inside = shapely.contains_properly(discs, raw)
    geoms = np.empty(len(raw), dtype=object)
    geoms[inside] = _from_second_vertex(raw[inside])
    shapely.prepare(reach)
    geoms[~inside] = shapely.intersection(raw[~inside], reach)
    geoms = _transform(geoms, crs, _WGS84)
    if clip is not None:
        # Clip in lon/lat, where the outline's straight edges are drawn, so a place inside
        # the outline always stays inside its cell.
        clip = shapely.make_valid(clip)
        shapely.prepare(clip)
        # As above: a simple cell wholly inside the outline is kept in the overlay's form.
        whole = (shapely.contains_properly(clip, geoms) & (shapely.get_type_id(geoms) == 3)
                 & (shapely.get_num_interior_rings(geoms) == 0))
        geoms[whole] = _from_second_vertex(geoms[whole])
        geoms[~whole] = shapely.intersection(geoms[~whole], clip)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6)) | shapely.is_empty(geoms)
    out = np.array([g if ok else _polygonal(g) for g, ok in zip(geoms, polygonal, strict=True)],
                   dtype=object)
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(out, index=index, crs=_WGS84), index=index)


def _lines_only(geom: BaseGeometry) -> BaseGeometry | None:
    """Keep the line parts of an intersection, merged; ``None`` when there are none."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("LineString", "MultiLineString"):
        parts = list(shapely.get_parts(geom))
    else:
        parts = [
            p for p in shapely.get_parts(geom) if p.geom_type in ("LineString", "MultiLineString")
        ]
    if not parts:
        return None
    merged = shapely.line_merge(shapely.union_all(parts))
    return merged if merged.length > 0 else None



def dataset_cells(ds: Dataset, *, max_distance_km: float = MAX_DISTANCE_KM) -> gpd.GeoDataFrame:
    """The areas of a dataset: :func:`cells` of its places, cut to its countries.

    The interactive page, the images, the statistics and the exports all draw these.

    Parameters
    ----------
    ds
        The dataset (its places need coordinates).
    max_distance_km
        How far an area reaches from its place.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by place id.
    """
    from mapper import basemap

    clip = basemap.country_shape(list(ds.countries)) if ds.countries else None
    return cells(ds.places, clip=clip, max_distance_km=max_distance_km)

def fronts(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Find every pair of adjacent cells and the boundary they share.

    Candidate pairs come from a spatial index (STRtree), so the work grows with the number of
    neighbours, not with the square of the number of cells. Cells touching only at a point are
    not adjacent.

    Parameters
    ----------
    cells
        As returned by :func:`cells` (indexed by place id).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``a``, ``b`` (place ids, ``a < b``) and geometry the shared boundary
        (LineString or MultiLineString, EPSG:4326), sorted by ``a``, ``b``.

    Examples
    --------
    >>> sq = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
    ...                                 shapely.box(2, 2, 3, 3)], index=["x", "y", "z"])
    >>> fronts(sq)[["a", "b"]].values.tolist()
    [['x', 'y']]
    """
    ids = np.array([str(i) for i in cells.index], dtype=object)
    geoms = cells.geometry.to_numpy()
    empty = pd.isna(geoms) | shapely.is_empty(geoms)
    geoms = np.where(empty, None, geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = ids[left] < ids[right]
    left, right = left[keep], right[keep]
    shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    lines = [_lines_only(g) for g in shared]
    ok = np.array([g is not None for g in lines], dtype=bool)
    out = gpd.GeoDataFrame(
        {"a": ids[left][ok], "b": ids[right][ok]},
        geometry=gpd.GeoSeries(np.array(lines, dtype=object)[ok], crs=cells.crs),
    )
    return out.sort_values(["a", "b"], kind="stable").reset_index(drop=True)


def route_segments(routes: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cut each route into the stretches between consecutive waypoints that are places.

    Bare coordinate waypoints only shape the line: they stay inside the stretch that spans
    them. A route with fewer than two place waypoints gives no segment.

    Parameters
    ----------
    routes
        Indexed by route id, with ``waypoints`` (list: a place id, or ``None`` for a bare
        coordinate) and a LineString geometry with one vertex per waypoint (lon/lat), as
        ``Dataset.routes`` holds. If the vertex count differs, place waypoints take their
        coordinates from ``places``.
    places
        Indexed by place id, point geometry in lon/lat.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``route_id``, ``seq`` (0, 1, ... along the route), ``a``, ``b`` (place ids),
        ``length_km`` (geodesic, WGS 84) and geometry a LineString (EPSG:4326).

    Raises
    ------
    ValueError
        If a waypoint names an unknown place, or a route's geometry cannot be matched to its
        waypoints (the message names the route and, when known, its routes.csv line).

    Examples
    --------
    >>> pl = gpd.GeoDataFrame(geometry=gpd.points_from_xy([36.0, 37.0], [35.0, 36.0]),
    ...                       index=["p", "q"], crs="EPSG:4326")
    >>> rt = gpd.GeoDataFrame({"waypoints": [["p", None, "q"]]}, index=["r1"], crs="EPSG:4326",
    ...                       geometry=[shapely.LineString([(36, 35), (36.5, 35.2), (37, 36)])])
    >>> route_segments(rt, pl)[["route_id", "seq", "a", "b"]].values.tolist()
    [['r1', 0, 'p', 'q']]
    """
    if routes.crs is not None and not routes.crs.equals(_WGS84):
        routes = routes.to_crs(_WGS84)
    if places.crs is not None and not places.crs.equals(_WGS84):
        places = places.to_crs(_WGS84)
    pxy = {str(k): (g.x, g.y) for k, g in zip(places.index, places.geometry, strict=True)}
    rows: dict[str, list[Any]] = {"route_id": [], "seq": [], "a": [], "b": []}
    coords_out: list[np.ndarray] = []
    for rid, wps, geom, line in zip(
        routes.index, routes["waypoints"], routes.geometry,
        routes["line"] if "line" in routes.columns else [None] * len(routes), strict=True,
    ):
        where = f"routes.csv:{line}: waypoints" if line is not None else "routes.csv: waypoints"
        wps = list(wps)
        verts = shapely.get_coordinates(geom) if geom is not None else np.empty((0, 2))
        for w in wps:
            if w is not None and w not in pxy:
                raise ValueError(f"{where}: route {rid!r} names unknown place {w!r}")
        if len(verts) != len(wps):
            if any(w is None for w in wps):
                raise ValueError(
                    f"{where}: route {rid!r} has {len(wps)} waypoints but its line has "
                    f"{len(verts)} vertices"
                )
            verts = np.array([pxy[w] for w in wps], dtype=float).reshape(-1, 2)
        stops = [i for i, w in enumerate(wps) if w is not None]
        for seq, (i, j) in enumerate(itertools.pairwise(stops)):
            rows["route_id"].append(str(rid))
            rows["seq"].append(seq)
            rows["a"].append(wps[i])
            rows["b"].append(wps[j])
            coords_out.append(verts[i : j + 1])
    lengths = np.zeros(len(coords_out))
    owner_all = np.repeat(np.arange(len(coords_out)), [len(c) for c in coords_out])
    if coords_out:
        # One vectorised geodesic call over every consecutive vertex pair of every segment.
        starts = np.concatenate([c[:-1] for c in coords_out])
        ends = np.concatenate([c[1:] for c in coords_out])
        _, _, dist = _GEOD.inv(starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])
        owner = np.repeat(np.arange(len(coords_out)), [len(c) - 1 for c in coords_out])
        lengths = np.bincount(owner, weights=np.asarray(dist), minlength=len(coords_out)) / 1000
    lines = (
        shapely.linestrings(np.concatenate(coords_out), indices=owner_all)
        if coords_out
        else np.array([], dtype=object)
    )
    geometry = gpd.GeoSeries(lines, crs=_WGS84)
    return gpd.GeoDataFrame(
        {**rows, "length_km": lengths}, geometry=geometry, crs=_WGS84
    ).astype({"seq": "int64"})


def area_km2(cells: gpd.GeoDataFrame) -> pd.Series:
    """Return the area of each cell in square kilometres (equal-area projection EPSG:6933).

    Parameters
    ----------
    cells
        As returned by :func:`cells`.

    Returns
    -------
    pandas.Series
        Indexed like ``cells``; empty cells have area 0.

    Examples
    --------
    >>> sq = gpd.GeoDataFrame(geometry=[shapely.box(36, 35, 37, 36)], index=["a"],
    ...                       crs="EPSG:4326")
    >>> round(float(area_km2(sq)["a"]))
    10066
    """
    crs = cells.crs if cells.crs is not None else _WGS84
    geoms = _transform(cells.geometry.to_numpy(), pyproj.CRS(crs), pyproj.CRS(EQUAL_AREA_CRS))
    area = np.nan_to_num(shapely.area(geoms)) / 1e6
    return pd.Series(area, index=cells.index, name="area_km2")


def held_area(cells: gpd.GeoDataFrame, state: Mapping[str, str | None]) -> dict[str, float]:
    """Sum the cells' areas by controller.

    Parameters
    ----------
    cells
        As returned by :func:`cells`.
    state
        Place id to controller (``Timeline.control_at``); a place missing from it or mapped to
        ``None`` counts as ``unknown``.

    Returns
    -------
    dict
        Controller (or ``unknown``) to km², sorted by controller; the values add up to the
        total area of the cells.

    Examples
    --------
    >>> sq = gpd.GeoDataFrame(geometry=[shapely.box(36, 35, 37, 36), shapely.box(37, 35, 38, 36)],
    ...                       index=["a", "b"], crs="EPSG:4326")
    >>> {k: round(v) for k, v in held_area(sq, {"a": "hts"}).items()}
    {'hts': 10066, 'unknown': 10066}
    """
    area = area_km2(cells)
    holder = [state.get(str(p)) or "unknown" for p in area.index]
    sums = area.groupby(np.array(holder, dtype=object)).sum()
    return {str(k): float(v) for k, v in sorted(sums.items())}
