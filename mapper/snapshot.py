"""Static maps for reports: the map at one date (a snapshot) or a panel per date (multiples).

The drawing follows the interactive page: the same faction colours, fill patterns (drawn as
matplotlib hatches), areas of control, front lines, routes coloured by who holds each stretch,
place markers and labels, on the offline country outlines of :mod:`mapper.basemap`. Each figure
has a title with the date, a legend, a source line and a scale bar.

Maps are drawn in a local transverse Mercator projection centred on the data, in metres, so the
scale bar is exact at the centre and good to well under 1% across a region the size of Syria.

Output is deterministic: the same dataset, date and options give a byte-identical file
(PNG, SVG or PDF) because every time stamp and random id in the files is fixed.

>>> ds = load_dataset("geodata/aleppo-2024")  # doctest: +SKIP
>>> snapshot(ds, date(2024, 11, 30), "aleppo-2024-11-30.png")  # doctest: +SKIP
PosixPath('aleppo-2024-11-30.png')
"""

from __future__ import annotations

import io
import math
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pyproj
import shapely
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import IdentityTransform
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from mapper._files import write_atomic
from mapper.dataset import CONTESTED, format_date
from mapper.territory import AREA_LESS_KINDS as LABEL_ONLY_KINDS

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from mapper.dataset import Dataset
    from mapper.model import Territory

__all__ = [
    "FORMATS",
    "RC_PARAMS",
    "MapLayers",
    "area_style",
    "draw_map",
    "figure_bytes",
    "front_mask",
    "layers",
    "legend_handles",
    "line_colour",
    "multiples",
    "multiples_figure",
    "save_figure",
    "side_label",
    "snapshot",
    "snapshot_figure",
    "source_line",
    "state_on",
    "wrap_text",
]

#: Output formats of the static images.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

#: Print resolution of PNG output.
PRINT_DPI = 300

#: A faction's ``pattern`` as a matplotlib hatch (``solid``: no hatch).
HATCHES: dict[str, str | None] = {"solid": None, "hatch": "///", "cross": "xxx", "dots": ".."}

#: Colours shared with the interactive page (``mapper/render/static/js/styles.js``).
UNKNOWN_COLOUR = "#9e9e9e"
FRONT_COLOUR = "#1a1a1a"
CONTESTED_LINE = "#555555"
CONTESTED_HATCH = "#333333"
RIVER_COLOUR = "#8fb3cc"  # styles.js BASE.river
SEA_COLOUR = "#cfdfe8"
OWN_LAND = "#fbfaf7"
OTHER_LAND = "#efece6"
BORDER_COLOUR = "#8c8c8c"

#: Publishers named in the source line under a map (the most cited first).
MAX_CREDITS = 10

#: Fill opacity of the areas of control.
AREA_ALPHA = 0.33

#: Marker diameter in points by place kind; kinds not listed use ``_DEFAULT_MARKER``.
MARKER_PT: dict[str, float] = {"capital": 9.5, "city": 7.5, "town": 5.5, "airbase": 5.5,
                               "base": 5.0, "crossing": 5.0, "district": 4.5, "village": 4.0,
                               "site": 4.0}
_DEFAULT_MARKER = 4.5

#: Which labels a map shows, and which wins an overlap (lower first): the main towns.
LABEL_RANK: dict[str, int] = {"capital": 0, "country": 1, "city": 2, "region": 3, "town": 4}
#: The smaller set of labels drawn on each panel of small multiples.
PANEL_LABEL_KINDS = frozenset({"capital", "city", "country"})

#: Width (km) under which a map labels every place, not only the main towns.
DETAIL_KM = 80.0

#: Label font size (points) by kind.
LABEL_PT: dict[str, float] = {"capital": 8.5, "city": 7.5, "town": 6.5, "region": 6.5,
                              "country": 7.0}

#: Matplotlib settings that make every output file depend on its content only.
RC_PARAMS: dict[RcKeyType, Any] = {
    "svg.hashsalt": "mapper",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "hatch.linewidth": 0.8,
    "path.simplify": True,
    "text.parse_math": False,  # a "$" in a name or title is text, not TeX
}
#: Metadata that would otherwise carry the time or the library version.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


# --------------------------------------------------------------------------------------------
# Geometry computed once per dataset
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlaceArrays:
    """The places of :class:`MapLayers` as plain lists and arrays (map coordinates)."""

    ids: list[str]
    names: list[str]
    kinds: list[str]
    label: list[bool]
    population: list[float]  # 0 where unknown
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class MapLayers:
    """Everything a map needs that does not depend on the date, in map coordinates (metres).

    Build it with :func:`layers`; :func:`draw_map` only restyles it per date.

    Attributes
    ----------
    crs
        The map's projection (local transverse Mercator, metres).
    extent
        ``(xmin, ymin, xmax, ymax)`` of the map frame, in ``crs``.
    basemap
        Country outlines cut to the frame; column ``own`` (one of the dataset's countries).
    territory
        The territory model (:mod:`mapper.model`): who holds each atom of ground on a day.
    atoms
        The model's atoms, in ``crs``, in the model's order.
    fronts
        The borders between atoms (the model's arcs), in ``crs``: columns ``left``,
        ``right`` (atom indexes; ``-1`` outside); a front where both sides differ.
    segments
        Route stretches between two waypoint places, split at their middle: columns
        ``route_id``, ``a``, ``b``, and geometries ``first`` (the half at ``a``), ``second``.
    places
        Every place (index: place id), columns ``name``, ``kind``, ``label`` (drawn with a
        permanent label: the main towns, or every place on a close-up), ``population``.
    """

    crs: pyproj.CRS
    extent: tuple[float, float, float, float]
    basemap: gpd.GeoDataFrame
    territory: Territory
    atoms: gpd.GeoSeries
    fronts: gpd.GeoDataFrame
    segments: pd.DataFrame
    places: gpd.GeoDataFrame
    rivers: gpd.GeoSeries | None = None

    @cached_property
    def river_path(self) -> MplPath | None:
        """The rivers (Natural Earth, as the page draws them) as one path of open lines."""
        parts = [MplPath(xy) for xy in _lines_xy(self.rivers if self.rivers is not None else [])
                 if len(xy) > 1]
        return MplPath.make_compound_path(*parts) if parts else None

    @cached_property
    def basemap_paths(self) -> list[MplPath | None]:
        """The country outlines as matplotlib paths, made once and shared by every panel."""
        return [_path(geom) for geom in self.basemap.geometry]

    @cached_property
    def _atom_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every atom's rings as one vertex array, one code array, and each vertex's atom.

        The rings are those :func:`_path` makes of each atom, in the same order, read from
        all atoms at once.
        """
        return _ring_vertices(self.atoms)

    @cached_property
    def _front_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every front's line parts as one vertex array, one code array, and each vertex's
        front."""
        return _line_vertices(self.fronts.geometry)

    @cached_property
    def _place_arrays(self) -> _PlaceArrays:
        """The places as plain arrays, read once for every map drawn from these layers."""
        pl = self.places
        return _PlaceArrays(
            ids=[str(p) for p in pl.index], names=pl["name"].astype(str).tolist(),
            kinds=pl["kind"].astype(str).tolist(),
            label=[bool(v) for v in pl["label"].tolist()],
            population=[0.0 if pd.isna(v) else float(v) for v in pl["population"].tolist()],
            x=np.asarray(shapely.get_x(pl.geometry.to_numpy()), dtype=float),
            y=np.asarray(shapely.get_y(pl.geometry.to_numpy()), dtype=float))

    @cached_property
    def _label_boxes(self) -> dict[tuple[Any, ...], tuple[float, float, float, float]]:
        """Label extents already measured, relative to the label's anchor, in pixels (see
        :func:`_label_box`); shared by every map drawn from these layers."""
        return {}

    def front_path(self, mask: np.ndarray) -> MplPath | None:
        """The fronts picked by ``mask`` (one boolean per row of ``fronts``) as one path.

        Parameters
        ----------
        mask
            As :func:`front_mask` gives.

        Returns
        -------
        matplotlib.path.Path or None
            One open sub-path per line part, in the order of ``fronts``; ``None`` if none.
        """
        verts, kinds, owner = self._front_parts
        take = mask[owner] if len(owner) else np.zeros(0, dtype=bool)
        return MplPath(verts[take], kinds[take]) if take.any() else None

    def holder_paths(self, codes: np.ndarray) -> list[tuple[int, MplPath]]:
        """The ground of each holder on a day, as one compound path per holder.

        Parameters
        ----------
        codes
            Controller code of each atom on the day (``-1``: no data), as
            :meth:`mapper.model.Territory.codes_on` gives.

        Returns
        -------
        list of (int, matplotlib.path.Path)
            Each code that holds some drawable ground, in increasing order, with the
            atoms it holds joined into one path (the atoms do not overlap).
        """
        verts, kinds, owner = self._atom_parts
        if not len(owner):
            return []
        per_vertex = np.asarray(codes)[owner]
        return [(int(code), MplPath(verts[per_vertex == code], kinds[per_vertex == code]))
                for code in np.unique(per_vertex).tolist()]


def _local_crs(lon: float, lat: float) -> pyproj.CRS:
    """Transverse Mercator centred on (lon, lat), in metres."""
    return pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat:.4f} +lon_0={lon:.4f} +k=1 +x_0=0 +y_0=0 +datum=WGS84 "
        "+units=m +no_defs"
    )


def _labelled(places: gpd.GeoDataFrame) -> list[bool]:
    """Whether each place gets a permanent label: a main kind, or ``label`` set in the data."""
    flag = places["label"] if "label" in places.columns else pd.Series("", index=places.index)
    return [
        str(kind) in LABEL_RANK or str(value).strip().lower() in {"yes", "true", "1"}
        for kind, value in zip(places["kind"], flag.fillna(""), strict=True)
    ]


def _fit_aspect(bounds: tuple[float, float, float, float], *, lo: float = 0.62,
                hi: float = 1.45) -> tuple[float, float, float, float]:
    """Widen a frame so that its height/width ratio lies within ``lo..hi``."""
    x0, y0, x1, y1 = bounds
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if h / w > hi:
        w = h / hi
    elif h / w < lo:
        h = w * lo
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def layers(ds: Dataset, *, bbox: tuple[float, float, float, float] | None = None,
           territory: Territory | None = None) -> MapLayers:
    """Compute the date-independent geometry of a dataset's map, once.

    Parameters
    ----------
    ds
        A loaded dataset.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` to frame; default: all ground some side
        holds on some day, with a margin.
    territory
        The dataset's model (:func:`mapper.model.build`), if already built.

    Returns
    -------
    MapLayers

    Raises
    ------
    ValueError
        If the dataset has no place with coordinates, or ``bbox`` is empty.

    Examples
    --------
    >>> lay = layers(load_dataset("tests/data/valid"))  # doctest: +SKIP
    >>> len(lay.atoms) > 0  # doctest: +SKIP
    True
    """
    from mapper import basemap, model
    from mapper import territory as terr

    pts = ds.places
    ground = pts[~pts["kind"].isin(list(LABEL_ONLY_KINDS)).to_numpy()]
    t = territory if territory is not None else model.build(ds)
    if len(pts) == 0 and not len(t.atoms):
        raise ValueError(f"{ds.path}: places.csv: no place, area or snapshot; nothing to draw")
    topo = t.topology()
    routes = ds.routes[ds.routes.geometry.notna()] if len(ds.routes) else ds.routes
    segs = terr.route_segments(routes, pts) if len(routes) else None

    if bbox is not None:
        if not (bbox[0] < bbox[2] and bbox[1] < bbox[3]):
            raise ValueError(f"bbox {bbox} is empty: expected min_lon,min_lat,max_lon,max_lat")
        frame_ll = bbox
    else:
        held = t.ever_held()  # ground some side holds on some day
        full = t.atoms[held]
        b = (full if len(full) else ground if len(ground) else pts).total_bounds
        frame_ll = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    crs = _local_crs((frame_ll[0] + frame_ll[2]) / 2, (frame_ll[1] + frame_ll[3]) / 2)
    to_map = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    ring = shapely.segmentize(shapely.box(*frame_ll), 0.05)
    x, y = to_map.transform(*np.asarray(ring.exterior.coords).T)
    x0, y0, x1, y1 = float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y))
    if bbox is None:
        pad = 0.05 * max(x1 - x0, y1 - y0, 20_000.0)
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    extent = _fit_aspect((x0, y0, x1, y1))

    # Country outlines: only the part near the frame, so the projection stays well-behaved.
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    fx0, fy0, fx1, fy1 = extent
    span = max(fx1 - fx0, fy1 - fy0)
    around = shapely.segmentize(
        shapely.box(fx0 - span, fy0 - span, fx1 + span, fy1 + span), span / 20)
    lon, lat = back.transform(*np.asarray(around.exterior.coords).T)
    window = shapely.Polygon(np.column_stack([lon, lat]))
    world = basemap.countries(bbox=window.bounds, detail="10m")
    world = world.assign(geometry=shapely.intersection(world.geometry.to_numpy(), window))
    world = world[~world.geometry.is_empty]
    own = {c.upper() for c in ds.countries}
    world = world.assign(own=[c in own for c in world["iso2"].fillna("")])

    segments = pd.DataFrame({"route_id": [], "a": [], "b": [], "first": [], "second": []})
    if segs is not None and len(segs):
        seg_m = segs.to_crs(crs)
        firsts, seconds = [], []
        for geom in seg_m.geometry:
            firsts.append(substring(geom, 0.0, 0.5, normalized=True))
            seconds.append(substring(geom, 0.5, 1.0, normalized=True))
        segments = pd.DataFrame({"route_id": seg_m["route_id"].to_numpy(),
                                 "a": seg_m["a"].to_numpy(), "b": seg_m["b"].to_numpy(),
                                 "first": firsts, "second": seconds})

    # A close-up (a frame narrower than DETAIL_KM) has room to name every place.
    detail = extent[2] - extent[0] < DETAIL_KM * 1000
    places = gpd.GeoDataFrame(
        {"name": pts["name"].astype(str), "kind": pts["kind"].astype(str),
         "label": [True] * len(pts) if detail else _labelled(pts),
         "population": pts["population"]},
        geometry=pts.geometry, crs=pts.crs,
    ).to_crs(crs)
    fronts = gpd.GeoDataFrame({"left": topo["left"], "right": topo["right"]},
                              geometry=list(topo["lines"]), crs="EPSG:4326")
    inner = (fronts["left"] >= 0) & (fronts["right"] >= 0)
    # Rivers: the larger ones (Natural Earth scalerank up to 6: the Euphrates, the Tigris, the
    # Orontes, the Oskil), cut to the window.
    rivers = basemap.rivers(window.bounds, max_rank=6).geometry
    rivers = gpd.GeoSeries(shapely.intersection(rivers.to_numpy(), window),
                           crs="EPSG:4326").to_crs(crs)
    return MapLayers(crs=crs, extent=extent, basemap=world.to_crs(crs), territory=t,
                     atoms=t.atoms.geometry.to_crs(crs), fronts=fronts[inner].to_crs(crs),
                     segments=segments, places=places, rivers=rivers[~rivers.is_empty])


# --------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------


def _dash(spec: str | None, width: float) -> Any:
    """An SVG dash array (``"6 4"``) as a matplotlib line style for a line of ``width``."""
    if not spec:
        return "solid"
    values = [float(v) for v in spec.replace(",", " ").split()]
    if len(values) % 2:
        values *= 2
    return (0, tuple(v / max(width, 0.1) for v in values))


def line_colour(ds: Dataset, controller: str | None) -> str:
    """The colour of a route stretch or marker edge held by ``controller``.

    Parameters
    ----------
    ds
        The dataset (its factions' colours).
    controller
        A faction id, ``contested``, or ``None`` (unknown).

    Returns
    -------
    str
        A ``#rrggbb`` colour.
    """
    if controller is None:
        return UNKNOWN_COLOUR
    if controller == CONTESTED:
        return CONTESTED_LINE
    return ds.factions[controller].colour


def area_style(ds: Dataset, controller: str | None) -> dict[str, Any]:
    """How an area held by ``controller`` is filled: colour, opacity and hatch.

    Parameters
    ----------
    ds
        The dataset (its factions' colours and patterns).
    controller
        A faction id, ``contested``, or ``None`` (unknown).

    Returns
    -------
    dict
        Keyword arguments of a :class:`~matplotlib.patches.Patch`: ``facecolor`` (RGBA),
        ``hatch`` (or ``None``) and, with a hatch, ``hatchcolor``.
    """
    rgba = to_rgba
    if controller is None:
        return {"facecolor": rgba(UNKNOWN_COLOUR, 0.12), "hatch": None}
    if controller == CONTESTED:
        return {"facecolor": rgba("#ffffff", 0.45), "hatch": "\\\\\\",
                "hatchcolor": CONTESTED_HATCH}
    faction = ds.factions[controller]
    hatch = HATCHES.get(faction.pattern or "solid")
    style: dict[str, Any] = {"facecolor": rgba(faction.colour, AREA_ALPHA), "hatch": hatch}
    if hatch:
        style["hatchcolor"] = faction.colour
    return style


def _marker_style(ds: Dataset, controller: str | None) -> dict[str, Any]:
    """Keyword arguments of ``Axes.scatter`` for the places held by ``controller``."""
    if controller is None:
        return {"c": UNKNOWN_COLOUR, "edgecolors": "#5f5f5f", "linewidths": 0.6}
    if controller == CONTESTED:
        return {"c": "#ffffff", "edgecolors": "#111111", "linewidths": 1.1,
                "linestyles": (0, (2.0, 1.2))}
    return {"c": ds.factions[controller].colour, "edgecolors": "#1f1f1f", "linewidths": 0.6}


def side_label(ds: Dataset, controller: str) -> str:
    """The legend text of a side.

    Parameters
    ----------
    ds
        The dataset.
    controller
        A faction id, ``contested`` or ``unknown`` (no data).

    Returns
    -------
    str
        The faction's label, ``Contested`` or ``No data``.
    """
    if controller == CONTESTED:
        return "Contested"
    if controller == "unknown":
        return "No data"
    return ds.factions[controller].label


def legend_handles(ds: Dataset, lay: MapLayers | None = None) -> list[Artist]:
    """Legend entries: each faction, contested, unknown, then front line and route cut.

    Parameters
    ----------
    ds
        The dataset (its factions, in legend order).
    lay
        When given, the front line and route cut entries appear only if the map has them.

    Returns
    -------
    list of matplotlib artists
        Each with its label set.
    """
    handles: list[Artist] = []
    for fid in [*ds.factions, CONTESTED, None]:
        style = area_style(ds, fid)
        colour = line_colour(ds, fid) if fid != CONTESTED else "#111111"
        handles.append(Patch(label=side_label(ds, fid or "unknown"), edgecolor=colour,
                             linewidth=0.8, **style))
    if lay is None or len(lay.fronts):
        handles.append(Line2D([], [], color=FRONT_COLOUR, linewidth=1.8, label="Front line"))
    if lay is None or len(lay.segments):
        handles.append(Line2D([], [], color="#777777", linewidth=2.0, marker="o",
                              markersize=4.5, markerfacecolor="#ffffff",
                              markeredgecolor="#111111", label="Route (cut between sides)"))
    return handles


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def _path(geom: BaseGeometry) -> MplPath | None:
    """A matplotlib path of a (multi)polygon, holes included; ``None`` when empty."""
    if geom is None or geom.is_empty:
        return None
    parts: list[MplPath] = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 4:
                continue
            codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            parts.append(MplPath(xy, codes))
    return MplPath.make_compound_path(*parts) if parts else None


def _ring_vertices(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rings of many (multi)polygons as one vertex array, one code array and each
    vertex's geometry (its position in ``geoms``).

    The same rings in the same order as :func:`_path` of each geometry in turn (exterior then
    holes of each polygon part; parts that are not polygons, and rings of fewer than four
    points, left out), computed for all geometries at once.
    """
    arr = np.asarray(geoms.array if hasattr(geoms, "array") else geoms, dtype=object)
    parts, part_of = shapely.get_parts(arr, return_index=True)
    poly = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, part_of = parts[poly], part_of[poly]
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    size = np.bincount(vertex_ring, minlength=len(rings))
    keep = (size >= 4)[vertex_ring]
    xy, vertex_ring = xy[keep], vertex_ring[keep]
    if not len(xy):
        return np.zeros((0, 2)), np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
    first = np.r_[True, vertex_ring[1:] != vertex_ring[:-1]]
    last = np.r_[vertex_ring[1:] != vertex_ring[:-1], True]
    codes[first] = MplPath.MOVETO
    codes[last] = MplPath.CLOSEPOLY
    return xy, codes, part_of[ring_of[vertex_ring]].astype(np.int64)


def _line_vertices(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The line parts of many geometries as one vertex array, one code array (a ``MOVETO``
    starting each part) and each vertex's geometry; the parts of :func:`_lines_xy`."""
    arr = np.asarray(geoms.array if hasattr(geoms, "array") else geoms, dtype=object)
    parts, part_of = shapely.get_parts(arr, return_index=True)
    line = (shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)
    parts, part_of = parts[line], part_of[line]
    xy, vertex_part = shapely.get_coordinates(parts, return_index=True)
    if not len(xy):
        return np.zeros((0, 2)), np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
    codes[np.r_[True, vertex_part[1:] != vertex_part[:-1]]] = MplPath.MOVETO
    return xy, codes, part_of[vertex_part].astype(np.int64)


def _add(ax: Axes, patch: PathPatch) -> None:
    """Add a patch in data coordinates without ``add_patch``'s data-limit update.

    The limits are the map's frame, set beforehand; updating them walks every vertex of
    every patch (most of the time a map took).
    """
    ax.add_artist(patch)


def _lines_xy(geoms: Iterable[BaseGeometry]) -> list[np.ndarray]:
    """Coordinate arrays of every line part of some geometries."""
    out: list[np.ndarray] = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for part in shapely.get_parts(geom):
            if part.geom_type == "LineString" and not part.is_empty:
                out.append(np.asarray(part.coords)[:, :2])
    return out


def _nice_length(span_m: float) -> float:
    """A round length (1, 2 or 5 x 10^k metres) near a fifth of ``span_m``."""
    target = span_m / 5
    power = 10 ** math.floor(math.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float], fontsize: float) -> None:
    """A two-part scale bar in the lower left corner of the frame (map units are metres)."""
    x0, y0, x1, y1 = extent
    length = _nice_length(x1 - x0)
    left, base = x0 + 0.04 * (x1 - x0), y0 + 0.035 * (y1 - y0)
    height = 0.009 * (y1 - y0)
    for i, colour in enumerate(("#1a1a1a", "#ffffff")):
        ax.add_patch(Rectangle((left + i * length / 2, base), length / 2, height,
                               facecolor=colour, edgecolor="#1a1a1a", linewidth=0.6, zorder=9))
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for frac in (0.0, 0.5, 1.0):
        km = length * frac / 1000
        text = f"{km:g} km" if frac == 1.0 else f"{km:g}"
        ax.text(left + frac * length, base + height * 1.8, text, ha="center", va="bottom",
                fontsize=fontsize, zorder=9, path_effects=halo)


def _overlaps(box: tuple[float, float, float, float],
              grid: dict[tuple[int, int], list[tuple[float, float, float, float]]],
              cell: float) -> bool:
    """Whether ``box`` overlaps (edges excluded, as ``Bbox.overlaps``) a box kept in ``grid``."""
    x0, y0, x1, y1 = box
    for gx in range(int(x0 // cell), int(x1 // cell) + 1):
        for gy in range(int(y0 // cell), int(y1 // cell) + 1):
            for a0, b0, a1, b1 in grid.get((gx, gy), ()):
                if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
                    return True
    return False


@dataclass(frozen=True)
class _Label:
    """A place name a map may show: where, what, how big; which label wins an overlap."""

    key: tuple[int, float, str]  # (rank of the kind, -population, place id): lower wins
    x: float
    y: float
    text: str
    size: float
    centred: bool  # regions and countries: centred on the point, grey italic capitals
    bold: bool
    dx: float  # the others: this many points right of the point


def _label_artist(ax: Axes, label: _Label, halo: list[Any]) -> Text:
    """Add the text of a label to ``ax``."""
    if label.centred:
        return ax.text(label.x, label.y, label.text, ha="center", va="center",
                       fontsize=label.size, color="#6b6b6b", style="italic", zorder=10,
                       path_effects=halo, clip_on=True)
    return ax.annotate(label.text, (label.x, label.y), xytext=(label.dx, 0),
                       textcoords="offset points", ha="left", va="center", fontsize=label.size,
                       color="#141414", zorder=10, path_effects=halo,
                       fontweight="bold" if label.bold else "normal",
                       annotation_clip=False)  # its point is in the frame: drawn unchecked


def _label_box(label: _Label, probe: Text, renderer: Any,
               cache: dict[tuple[Any, ...], tuple[float, float, float, float]],
               ) -> tuple[float, float, float, float]:
    """The extent of a label's text around its anchor, in pixels: ``(x0, y0, x1, y1)`` to
    add to the anchor's pixel position.

    Measured once per text, font and resolution with ``probe``, a text artist of the
    figure at the origin in pixels (the extent matplotlib gives the label itself, less its
    position), then read from ``cache``: the panels of small multiples show the same names
    at the same size.
    """
    font = FontProperties(size=label.size, weight="bold" if label.bold else "normal",
                          style="italic" if label.centred else "normal")
    fig = probe.get_figure(root=True)
    assert fig is not None
    key = (fig.dpi, label.text, font, label.centred, matplotlib.rcParams["text.parse_math"],
           matplotlib.rcParams["text.usetex"])
    box = cache.get(key)
    if box is None:
        probe.set_text(label.text)
        probe.set_fontproperties(font)
        probe.set_horizontalalignment("center" if label.centred else "left")
        ext = probe.get_window_extent(renderer)
        box = cache[key] = (float(ext.x0), float(ext.y0), float(ext.x1), float(ext.y1))
    return box


def _declutter(ax: Axes, labels: Sequence[_Label],
               cache: dict[tuple[Any, ...], tuple[float, float, float, float]] | None = None,
               ) -> set[tuple[int, float, str]]:
    """Pick the labels to show: those that overlap no label of higher rank and fit in the
    frame.

    Parameters
    ----------
    ax
        The map's axes (limits and size set).
    labels
        The candidates.
    cache
        Text extents measured before (:func:`_label_box`), filled as needed.

    Returns
    -------
    set
        The ``key`` of each label to show.
    """
    fig = ax.get_figure(root=True)
    assert fig is not None
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # a figure made without pyplot
        canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    cache = {} if cache is None else cache
    probe = Text(0.0, 0.0, "", va="center", transform=IdentityTransform())
    probe.set_figure(fig)  # never added to it: measures text the way the figure would
    cell = 50.0  # pixels: kept boxes are looked up in the grid cells a box spans
    grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}
    points = fig.dpi / 72
    anchors = ax.transData.transform([(lab.x, lab.y) for lab in labels])
    shown: set[tuple[int, float, str]] = set()
    for i in sorted(range(len(labels)), key=lambda j: labels[j].key):
        label = labels[i]
        ax_, ay_ = (float(v) for v in anchors[i])
        # The label's position in pixels, as matplotlib places it: the anchor, or the anchor
        # and the offset (points) of a label set off to the right of its marker.
        px, py = (ax_, ay_) if label.centred else (label.dx * points + ax_, ay_)
        # A point surely inside the label's padded box: its anchor (centred labels), or just
        # right of it. Inside a kept box, the label overlaps it: hidden without measuring it.
        qx = px if label.centred else px + 1.0
        if any(a0 < qx < a1 and b0 < py < b1
               for a0, b0, a1, b1 in grid.get((int(qx // cell), int(py // cell)), ())):
            continue
        rx0, ry0, rx1, ry1 = _label_box(label, probe, renderer, cache)
        box = ((rx0 + px) - 1.5, (ry0 + py) - 1.5, (rx1 + px) + 1.5, (ry1 + py) + 1.5)
        inside = (box[0] >= frame.x0 and box[2] <= frame.x1 and box[1] >= frame.y0
                  and box[3] <= frame.y1)
        if not inside or _overlaps(box, grid, cell):
            continue
        shown.add(label.key)
        for gx in range(int(box[0] // cell), int(box[2] // cell) + 1):
            for gy in range(int(box[1] // cell), int(box[3] // cell) + 1):
                grid.setdefault((gx, gy), []).append(box)
    return shown


def front_mask(fronts: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """Which borders between atoms are front lines on a day: both sides known and different.

    Parameters
    ----------
    fronts
        Columns ``left`` and ``right`` (atom indexes, ``-1`` outside), as
        :attr:`MapLayers.fronts`.
    codes
        Controller code of each atom on the day (``-1``: no data).

    Returns
    -------
    numpy.ndarray
        One boolean per row of ``fronts``.

    Examples
    --------
    >>> edges = pd.DataFrame({"left": [0, 0, -1], "right": [1, 2, 1]})
    >>> front_mask(edges, np.array([0, 1, -1])).tolist()
    [True, False, False]
    """
    left = fronts["left"].to_numpy(dtype=np.int64)
    right = fronts["right"].to_numpy(dtype=np.int64)
    ok = (left >= 0) & (right >= 0)
    a = np.where(ok, codes[np.maximum(left, 0)], -1)
    b = np.where(ok, codes[np.maximum(right, 0)], -1)
    return ok & (a >= 0) & (b >= 0) & (a != b)


def draw_map(ax: Axes, ds: Dataset, lay: MapLayers, day: date, *,
             label_kinds: Iterable[str] | None = None, scale: float = 1.0,
             scale_bar: bool = True) -> None:
    """Draw the map of one day on ``ax``: base map, areas, fronts, routes, places, labels.

    Parameters
    ----------
    ax
        The axes to draw on; its limits are set to ``lay.extent``.
    ds
        The dataset (factions and their styles).
    lay
        From :func:`layers`.
    day
        The day, within the dataset's range; the model (``lay.territory``) says who holds
        each atom of ground and each place.
    label_kinds
        Kinds that get a label (default: every place flagged in ``lay.places["label"]``).
    scale
        Multiplies line widths, marker sizes and fonts (smaller for small multiples).
    scale_bar
        Draw a scale bar.
    """
    state = lay.territory.places_on(day)
    codes = lay.territory.codes_on(day)
    x0, y0, x1, y1 = lay.extent
    ax.set_facecolor(SEA_COLOUR)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#555555")

    for own, path in zip(lay.basemap["own"], lay.basemap_paths, strict=True):
        if path is not None:
            _add(ax, PathPatch(path, facecolor=OWN_LAND if own else OTHER_LAND,
                               edgecolor=BORDER_COLOUR, linewidth=(0.9 if own else 0.6) * scale,
                               zorder=1))

    if lay.river_path is not None:  # under the areas' see-through fills, as on the page
        _add(ax, PathPatch(lay.river_path, fill=False, edgecolor=RIVER_COLOUR,
                           linewidth=0.8 * scale, zorder=1.5, gid="rivers"))

    # Areas: the ground of each holder (no data: the unknown style) as one patch, joined
    # from the atoms' paths that layers() made once.
    for code, path in lay.holder_paths(codes):
        side = None if code < 0 else lay.territory.sides[code]
        _add(ax, PathPatch(path, edgecolor="none", linewidth=0, zorder=2,
                           gid=f"area-{side or 'no-data'}", **area_style(ds, side)))

    # Fronts: borders between ground held by two different known sides.
    shown = lay.front_path(front_mask(lay.fronts, codes))
    if shown is not None:  # one path: as a LineCollection of its parts, drawn in one call
        _add(ax, PathPatch(shown, fill=False, edgecolor=FRONT_COLOUR, linewidth=1.8 * scale,
                           capstyle="round", joinstyle="round", zorder=4, gid="fronts"))

    # Routes: each half coloured by the side holding its end; a cut mark where sides differ.
    width = 2.0 * scale
    cuts: list[tuple[float, float]] = []
    for a, b, first, second in zip(lay.segments["a"], lay.segments["b"], lay.segments["first"],
                                   lay.segments["second"], strict=True):
        for pid, half in ((a, first), (b, second)):
            ctl = state.get(str(pid))
            xy = _lines_xy([half])
            if not xy:
                continue
            ax.add_collection(LineCollection(xy, colors="#ffffff", linewidths=width + 1.4 * scale,
                                             capstyle="butt", zorder=5))
            dash = ds.factions[ctl].dash if ctl in ds.factions else None
            ax.add_collection(LineCollection(xy, colors=line_colour(ds, ctl), linewidths=width,
                                             linestyles=_dash(dash, width), capstyle="butt",
                                             zorder=6))
        ca, cb = state.get(str(a)), state.get(str(b))
        if ca is not None and cb is not None and ca != cb and not second.is_empty:
            cuts.append(second.coords[0][:2])
    if cuts:
        cx, cy = zip(*cuts, strict=True)
        ax.scatter(cx, cy, s=(4.0 * scale) ** 2, c="#ffffff", edgecolors="#111111",
                   linewidths=1.0 * scale, zorder=7)

    # Places: one marker each, grouped by controller so each group is one collection.
    pa = lay._place_arrays
    holders = [*ds.factions, CONTESTED, None]
    slot = {ctl: k for k, ctl in enumerate(holders)}
    markers = [i for i, k in enumerate(pa.kinds) if k not in LABEL_ONLY_KINDS]
    held = np.array([slot.get(state.get(pa.ids[i]), -1) for i in markers], dtype=np.int64)
    marker_at = np.array(markers, dtype=np.int64)
    for k, ctl in enumerate(holders):
        pick = marker_at[held == k]
        if not len(pick):
            continue
        sizes = np.array([(MARKER_PT.get(pa.kinds[i], _DEFAULT_MARKER) * scale) ** 2
                          for i in pick.tolist()])  # an array: scatter reads a list per item
        ax.scatter(pa.x[pick], pa.y[pick], s=sizes, zorder=8,
                   gid=f"places-{ctl or 'unknown'}", **_marker_style(ds, ctl))

    # Labels: main towns to the right of their marker; regions and countries centred.
    kinds = set(label_kinds) if label_kinds is not None else None
    labels: list[_Label] = []
    for pid, name, kind, flag, pop, x, y in zip(pa.ids, pa.names, pa.kinds, pa.label,
                                                pa.population, pa.x.tolist(), pa.y.tolist(),
                                                strict=True):
        if not (kind in kinds if kinds is not None else flag):
            continue
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        centred = kind in LABEL_ONLY_KINDS
        labels.append(_Label(
            key=(LABEL_RANK.get(kind, 5), -pop, pid), x=x, y=y,
            text=name.upper() if centred else name, size=LABEL_PT.get(kind, 6.5) * scale,
            centred=centred, bold=kind in ("capital", "city"),
            dx=0.0 if centred else MARKER_PT.get(kind, _DEFAULT_MARKER) * scale / 2
            + 1.5 * scale))
    if labels:
        kept = _declutter(ax, labels, lay._label_boxes)
        halo = [patheffects.withStroke(linewidth=2.2 * scale, foreground="white")]
        for label in labels:  # in the order of the places, as they always were drawn
            if label.key in kept:
                _label_artist(ax, label, halo)
    if scale_bar:
        _scale_bar(ax, lay.extent, 6.5 * scale)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def source_line(ds: Dataset, day: date, territory: Territory | None = None) -> str:
    """The credit line under a map: the publishers behind the facts up to ``day``, and how
    the areas were made.

    Parameters
    ----------
    ds
        The dataset.
    day
        The map's date; events after it are not credited.
    territory
        The dataset's model, for the sentence on method.

    Returns
    -------
    str
        Publishers by the number of events they support (most first, then by name), at most
        :data:`MAX_CREDITS` of them, then the method.
    """
    from mapper import model

    dates = ds.events["date"].to_numpy()
    upto = np.fromiter((d <= day for d in dates), dtype=bool, count=len(dates))
    used = Counter(ds.events["source_id"].to_numpy()[upto].tolist())  # once per source, not event
    counts: Counter[str] = Counter()
    for sid, n in used.items():
        if sid in ds.sources.index:
            counts[str(ds.sources.at[sid, "publisher"])] += n
    for snap in getattr(ds, "snapshots", None) or []:
        if snap.date <= day and snap.source_id in ds.sources.index:
            counts[str(ds.sources.at[snap.source_id, "publisher"])] += 1
    publishers = [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    cited = ", ".join(publishers[:MAX_CREDITS]) if publishers else "none"
    if len(publishers) > MAX_CREDITS:
        cited += f" and {len(publishers) - MAX_CREDITS} more"
    return (f"Sources: {cited} (full list in the dataset's sources.csv). "
            f"{model.method_note(ds, short=True)} Base map: Natural Earth. Made with mapper.")


def state_on(ds: Dataset, day: date, territory: Territory | None = None,
             ) -> dict[str, str | None]:
    """Who holds the ground at each place on ``day``, from the territory model.

    Parameters
    ----------
    ds
        The dataset.
    day
        A day within ``ds.start..ds.end``.
    territory
        The dataset's model (:func:`mapper.model.build`), if already built.

    Returns
    -------
    dict
        Place id to faction id, ``contested`` or ``None`` (no data).

    Raises
    ------
    ValueError
        If ``day`` is outside the time range (the message names ``dataset.toml [time]``).
    """
    from mapper import model

    t = territory if territory is not None else model.build(ds)
    t.day_index(day)
    return t.places_on(day)


def wrap_text(text: str, width_in: float, fontsize: float) -> str:
    """Wrap text to a width in inches (an average glyph is about 0.55 em wide).

    Parameters
    ----------
    text
        One paragraph.
    width_in
        The width available, in inches.
    fontsize
        The font size, in points.

    Returns
    -------
    str
        The text with line breaks.

    Examples
    --------
    >>> wrap_text("one two three four five six", 1.0, 10.0).splitlines()[0]
    'one two three four'
    """
    chars = max(20, int(width_in * 72 / (fontsize * 0.55)))
    return "\n".join(textwrap.wrap(text, chars))


def _layout(fig: Figure, *, width: float, top: float, body: float, legend: float,
            footer: float) -> float:
    """Set the figure height from its bands (inches); return it."""
    height = top + body + legend + footer
    fig.set_size_inches(width, height)
    return height


def snapshot_figure(ds: Dataset, day: date, *, lay: MapLayers | None = None,
                    width: float = 7.5) -> Figure:
    """Draw the map of one day as a figure with title, legend, source line and scale bar.

    Parameters
    ----------
    ds
        The dataset.
    day
        The date, within ``ds.start..ds.end``.
    lay
        Precomputed :func:`layers` (computed when omitted).
    width
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; it is freed when no longer referenced.

    Raises
    ------
    ValueError
        If ``day`` is outside the dataset's time range.
    """
    lay = lay if lay is not None else layers(ds)
    lay.territory.day_index(day)  # a clear error for a day off the slider
    x0, y0, x1, y1 = lay.extent
    margin = 0.25
    map_w = width - 2 * margin
    map_h = map_w * (y1 - y0) / (x1 - x0)
    handles = legend_handles(ds, lay)
    ncol = 2
    legend_h = 0.17 * math.ceil(len(handles) / ncol) + 0.15
    title = wrap_text(ds.title, width - 0.5, 11)
    title_h = 0.28 * (title.count("\n") + 1) + 0.45
    credit = wrap_text(source_line(ds, day, lay.territory), width - 0.5, 6.5)
    footer_h = 0.13 * (credit.count("\n") + 1) + 0.2
    with matplotlib.rc_context(RC_PARAMS):
        fig = Figure()
        FigureCanvasAgg(fig)
        height = _layout(fig, width=width, top=title_h, body=map_h, legend=legend_h,
                         footer=footer_h)
        fig.patch.set_facecolor("white")
        ax = fig.add_axes((margin / width, (legend_h + footer_h) / height, map_w / width,
                           map_h / height))
        fig.text(margin / width, 1 - 0.15 / height, title, ha="left", va="top", fontsize=11,
                 fontweight="bold")
        fig.text(margin / width, (legend_h + footer_h + map_h + 0.1) / height,
                 f"Who held what on {format_date(day)}", ha="left", va="bottom", fontsize=10)
        draw_map(ax, ds, lay, day)
        fig.legend(handles=handles, loc="upper left", ncol=ncol, frameon=False, fontsize=7.5,
                   bbox_to_anchor=(margin / width, (legend_h + footer_h - 0.05) / height),
                   handlelength=2.2, columnspacing=1.5, borderaxespad=0)
        fig.text(margin / width, 0.08 / height, credit, ha="left", va="bottom", fontsize=6.5,
                 color="#444444")
    return fig


def multiples_figure(ds: Dataset, days: Sequence[date], *, lay: MapLayers | None = None,
                     ncols: int | None = None, panel_width: float = 3.2) -> Figure:
    """Draw one panel per date, with one shared legend, title and source line.

    Parameters
    ----------
    ds
        The dataset.
    days
        The dates, each within ``ds.start..ds.end``; panels follow this order.
    lay
        Precomputed :func:`layers` (computed when omitted).
    ncols
        Panels per row (default: up to 3).
    panel_width
        Width of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``days`` is empty or a date is outside the dataset's time range.
    """
    if not days:
        raise ValueError("no date given for the small multiples")
    lay = lay if lay is not None else layers(ds)
    for d in days:
        lay.territory.day_index(d)  # a clear error for a day off the slider
    x0, y0, x1, y1 = lay.extent
    ncols = ncols or min(len(days), 3)
    nrows = math.ceil(len(days) / ncols)
    gap, margin, head = 0.12, 0.25, 0.22
    panel_h = panel_width * (y1 - y0) / (x1 - x0)
    width = 2 * margin + ncols * panel_width + (ncols - 1) * gap
    body = nrows * (panel_h + head) + (nrows - 1) * gap
    handles = legend_handles(ds, lay)
    ncol_legend = 3 if width >= 7 else 2
    legend_h = 0.17 * math.ceil(len(handles) / ncol_legend) + 0.15
    title = wrap_text(ds.title, width - 0.5, 11)
    title_h = 0.28 * (title.count("\n") + 1) + 0.25
    credit = wrap_text(source_line(ds, max(days), lay.territory), width - 0.5, 6.5)
    footer_h = 0.13 * (credit.count("\n") + 1) + 0.2
    with matplotlib.rc_context(RC_PARAMS):
        fig = Figure()
        FigureCanvasAgg(fig)
        height = _layout(fig, width=width, top=title_h, body=body, legend=legend_h,
                         footer=footer_h)
        fig.patch.set_facecolor("white")
        fig.text(margin / width, 1 - 0.15 / height, title, ha="left", va="top", fontsize=11,
                 fontweight="bold")
        for i, day in enumerate(days):
            row, col = divmod(i, ncols)
            left = margin + col * (panel_width + gap)
            bottom = legend_h + footer_h + (nrows - 1 - row) * (panel_h + head + gap)
            ax = fig.add_axes((left / width, bottom / height, panel_width / width,
                               panel_h / height))
            draw_map(ax, ds, lay, day, label_kinds=PANEL_LABEL_KINDS, scale=0.7,
                     scale_bar=i == 0)
            ax.set_title(format_date(day), fontsize=8.5, loc="left", pad=3)
        fig.legend(handles=handles, loc="upper left", ncol=ncol_legend, frameon=False,
                   fontsize=7, bbox_to_anchor=(margin / width, (legend_h + footer_h - 0.05)
                                               / height),
                   handlelength=2.2, columnspacing=1.5, borderaxespad=0)
        fig.text(margin / width, 0.08 / height, credit, ha="left", va="bottom", fontsize=6.5,
                 color="#444444")
    return fig


# --------------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------------


def format_of(out: Path | str, fmt: str | None = None) -> str:
    """The image format: ``fmt`` if given, else the file's suffix.

    Parameters
    ----------
    out
        The output file.
    fmt
        ``png``, ``svg`` or ``pdf``, or ``None``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the format is not one of :data:`FORMATS`.

    Examples
    --------
    >>> format_of("map.SVG")
    'svg'
    """
    value = (fmt or Path(out).suffix.lstrip(".")).lower()
    if value not in FORMATS:
        raise ValueError(f"{out}: unknown image format {value!r}; use one of "
                         f"{', '.join(FORMATS)}")
    return value


def figure_bytes(fig: Figure, fmt: str, *, dpi: float = PRINT_DPI) -> bytes:
    """Render a figure to bytes with no time stamp or random id: same figure, same bytes.

    Parameters
    ----------
    fig
        The figure.
    fmt
        ``png``, ``svg`` or ``pdf``.
    dpi
        Resolution of a PNG (and of images embedded in SVG/PDF).

    Returns
    -------
    bytes
    """
    fmt = format_of("figure", fmt)
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC_PARAMS):
        if fmt == "png":
            png = _png_bytes(fig, dpi)
            if png is not None:
                return png
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA[fmt],
                    facecolor=fig.get_facecolor())
    return buffer.getvalue()


#: zlib level of the PNGs: 3 packs these maps as tightly as 6 (the usual) in two thirds of
#: the time.
PNG_COMPRESS_LEVEL = 3


def _png_bytes(fig: Figure, dpi: float) -> bytes | None:
    """The figure as an RGB PNG when it is opaque everywhere (a map on white is), else
    ``None`` (the caller saves an RGBA PNG through matplotlib).

    The pixels are the ones matplotlib's PNG holds; without the alpha channel the file
    is smaller and quicker to compress. No time stamp or software name is written.
    """
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi, facecolor=fig.get_facecolor())
    width, height = (int(v) for v in fig.get_size_inches() * dpi)  # as the Agg canvas
    pixels = np.frombuffer(raw.getbuffer(), dtype=np.uint8)
    if len(pixels) != width * height * 4:
        return None
    rgba = pixels.reshape(height, width, 4)
    if not (rgba[:, :, 3] == 255).all():
        return None
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[:, :, :3])).save(
        out, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def save_figure(fig: Figure, out: Path | str, *, fmt: str | None = None,
                dpi: float = PRINT_DPI) -> Path:
    """Save a figure deterministically and atomically.

    Parameters
    ----------
    fig
        The figure.
    out
        The output file.
    fmt
        ``png``, ``svg`` or ``pdf`` (default: from the suffix of ``out``).
    dpi
        PNG resolution.

    Returns
    -------
    Path
        ``out``.
    """
    return write_atomic(out, figure_bytes(fig, format_of(out, fmt), dpi=dpi))


def snapshot(ds: Dataset, day: date, out: Path | str, *, fmt: str | None = None,
             dpi: float = PRINT_DPI, bbox: tuple[float, float, float, float] | None = None,
             width: float = 7.5) -> Path:
    """Write the map of one day as an image file (PNG at print resolution, SVG or PDF).

    Parameters
    ----------
    ds
        The dataset.
    day
        The date, within ``ds.start..ds.end``.
    out
        The output file.
    fmt
        ``png``, ``svg`` or ``pdf`` (default: from the suffix of ``out``).
    dpi
        PNG resolution.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` to frame (default: every area).
    width
        Figure width in inches.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> snapshot(ds, date(2024, 11, 30), "out.png", dpi=100)  # doctest: +SKIP
    PosixPath('out.png')
    """
    fmt = format_of(out, fmt)
    fig = snapshot_figure(ds, day, lay=layers(ds, bbox=bbox), width=width)
    return save_figure(fig, out, fmt=fmt, dpi=dpi)


def multiples(ds: Dataset, days: Sequence[date], out: Path | str, *, fmt: str | None = None,
              dpi: float = PRINT_DPI, bbox: tuple[float, float, float, float] | None = None,
              ncols: int | None = None) -> Path:
    """Write small multiples, one panel per date, as an image file.

    Parameters
    ----------
    ds
        The dataset.
    days
        The dates, each within ``ds.start..ds.end``.
    out
        The output file.
    fmt
        ``png``, ``svg`` or ``pdf`` (default: from the suffix of ``out``).
    dpi
        PNG resolution.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` to frame (default: every area).
    ncols
        Panels per row (default: up to 3).

    Returns
    -------
    Path
        ``out``.
    """
    fmt = format_of(out, fmt)
    fig = multiples_figure(ds, days, lay=layers(ds, bbox=bbox), ncols=ncols)
    return save_figure(fig, out, fmt=fmt, dpi=dpi)


def change_days(ds: Dataset, territory: Territory | None = None) -> list[date]:
    """The first day of the slider and every day on which ground or a place changes hands.

    Parameters
    ----------
    ds
        The dataset.
    territory
        Its model, if already built.

    Returns
    -------
    list of datetime.date
        Sorted, without duplicates.
    """
    from mapper import model

    t = territory if territory is not None else model.build(ds)
    return sorted({ds.start, *t.change_dates()})
