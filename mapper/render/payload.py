"""Build the one JSON payload a time-slider page carries: columnar, rounded, change-based.

Nothing in the payload grows with places x days. Control is sent as the state on the first
day plus a list of changes (:func:`mapper.timeline.encode`); every geometry is sent once,
as integers (degrees x 10^precision) delta-encoded along each line or ring, latitude first.

Layout of the payload (keys of the top-level object):

``id``, ``title``, ``description``
    The dataset's id (its folder name: names downloaded images) and texts from ``dataset.toml``.
``start``, ``n``
    First day of the slider (ISO) and the number of days (every day from start to end).
``factions``
    ``[{id, label, colour, pattern, dash}]`` in legend order; controller codes index this
    list, and ``len(factions)`` is *contested*; ``-1`` is unknown.
``kinds``
    Place kinds; ``places.kind`` indexes it.
``places``
    Columns ``id``, ``name``, ``kind``, ``lat``, ``lon``, ``label`` (0/1: permanent label),
    ``marker`` (0/1: drawn as a marker; regions and countries are labels only), ``extra``
    (``{column: [text per place]}``, data columns shown in popups, not the geocoder's),
    ``population`` (0 unknown) and ``population_source`` (``GeoNames`` or ``places.csv``).
``control``
    Who holds the ground at each place, from the model: ``initial`` (a code per place), then
    per change ``day`` (as differences), ``place``, ``after``; each column packed
    (:func:`pack_ints`: a string, about half the bytes of a JSON array).
``events``
    Every event up to ``end``, in chronological order: ``place``, ``day`` (offset from
    ``start``, negative before it), ``prec`` (0 day, 1 month, 2 year), ``ctl`` (controller
    code, ``-2`` for an incident), ``kind`` (index into ``event_kinds``), ``desc`` (index
    into ``texts``: each distinct description is sent once), ``src`` (index into
    ``sources``, ``-1`` none), ``extra`` (``{column: {event: [...], text: [...]}}``: the
    non-empty cells of extra columns, by event index and index into ``texts``), and ``texts``;
    ``place``, ``day``, ``ctl``, ``kind``, ``desc`` and ``src`` are packed (:func:`pack_ints`).
``sources``
    Columns ``id``, ``title``, ``publisher``, ``url`` (http/https only, else empty),
    ``published`` (ISO first day, or empty), ``published_prec`` (as ``events.prec``, ``-1``
    none) and ``extra`` (``{column: [text per source]}``).
``atoms``, ``method``
    The ground of the territory model (:mod:`mapper.model`) as shared border arcs, with its
    control on day 0 and its changes (see :func:`_atoms`; the fronts, the borders between
    atoms, are not sent: the browser finds them in the arcs), and how the areas were made, in
    plain words (:func:`mapper.model.method_note`).
``routes``, ``segments``
    The routes and their segments, split at the middle (see :func:`build_payload`).
``territory``
    Area held by each side per day, for the chart under the slider (see :func:`_territory`).
``basemap``, ``countries``
    The offline base map, from Natural Earth, with no edge: ``levels`` of detail (1:10m
    around the data, coarser around it, 1:110m for the world; each with its ``scale``,
    ``box``, ``land`` and ``lakes`` polygons, ``borders`` and ``rivers`` lines), ``regions``
    (first-level subdivision borders near the places), country ``labels`` and ``cities``
    (see :func:`_basemap`); and the ISO codes of the dataset's own countries.
``tiles``
    Online tile layer (``name``, ``url``, ``attribution``, ``max_zoom``), only when the
    author asked for one (``mapper build --tiles NAME``); ``null`` otherwise.

>>> encode_line([(36.2, 37.16), (36.21, 37.15)], 3)
[37160, 36200, -10, 10]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from mapper.dataset import CONTESTED
from mapper.territory import AREA_LESS_KINDS

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from mapper.dataset import Dataset
    from mapper.model import Territory

__all__ = ["build_payload", "encode_line", "pack_ints", "pack_rings", "payload_json"]

#: Decimals kept for place coordinates (about 1 m).
PLACE_PRECISION = 5
#: Decimals kept for areas, fronts, routes and the base map (about 100 m).
AREA_PRECISION = 3
#: Kinds drawn as labels only: they take no part in areas, fronts or routes.
LABEL_ONLY_KINDS = AREA_LESS_KINDS
#: Kinds that get a permanent label on the map.
LABELLED_KINDS = frozenset({"capital", "city", "region", "country"})
#: Towns get a permanent label too when a map has at most this many of them (labels that
#: overlap are hidden in the browser; past this, towns are labelled only when zoomed in).
MAX_LABELLED_TOWNS = 60
#: Columns of ``Dataset.places`` that are not shown as "extra" lines in a popup.
_PLACE_BUILTIN = frozenset(
    {"name", "kind", "country", "query", "population", "population_source", "geocode_source",
     "match_id",
     "match_name", "line", "geometry", "lat", "lon", "label", "outside_country"}
)
#: Columns of ``Dataset.events`` that are not shown as extras.
_EVENT_BUILTIN = frozenset(
    {"date", "date_text", "precision", "place_id", "controller", "kind", "description",
     "source_id", "line"}
)
#: Columns of ``Dataset.sources`` that are not shown as extras.
_SOURCE_BUILTIN = frozenset(
    {"title", "publisher", "url", "published", "published_text", "published_precision", "line",
     "match_id", "match_name", "geocode_source", "population"}
)
#: Event date precision codes.
_PRECISION = {"day": 0, "month": 1, "year": 2}

#: Event columns sent packed (:func:`pack_ints`).
_PACKED_EVENT_COLUMNS = ("place", "day", "ctl", "kind", "desc", "src")
#: Code of an event that sets no controller (an incident).
INCIDENT = -2
#: Degrees added around the places' bounding box to choose the base map's countries.
BASEMAP_MARGIN = 3.0
#: Window size (pixels) whose initial view the base map covers in full.
BASEMAP_VIEW_PX = (2200, 1400)
#: ... but no more than this many degrees each side of the view's centre.
BASEMAP_MAX_HALF_DEG = 20.0
_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def _text(value: Any) -> str:
    """Return a cell as text, ``""`` for a missing value."""
    if value is None:
        return ""
    if not isinstance(value, str | list | tuple) and pd.isna(value):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def safe_url(value: Any) -> str:
    """Return ``value`` if it is an http(s) URL, else ``""``.

    Parameters
    ----------
    value
        A URL from the data.

    Returns
    -------
    str

    Examples
    --------
    >>> safe_url("https://example.org/a"), safe_url("javascript:alert(1)")
    ('https://example.org/a', '')
    """
    text = _text(value).strip()
    return text if _SAFE_URL.match(text) else ""


def encode_line(coords: Iterable[Sequence[float]], precision: int) -> list[int]:
    """Encode ``(lon, lat)`` coordinates as delta integers, latitude first.

    The browser rebuilds point ``k`` as the running sum of pairs ``0..k`` divided by
    ``10**precision``.

    Parameters
    ----------
    coords
        ``(lon, lat)`` pairs (shapely order).
    precision
        Decimals kept.

    Returns
    -------
    list of int
        ``[lat0, lon0, dlat1, dlon1, ...]``; consecutive duplicate points are dropped.

    Examples
    --------
    >>> encode_line([(1.0, 2.0), (1.0, 2.0), (1.5, 2.25)], 2)
    [200, 100, 25, 50]
    """
    scale = 10**precision
    out: list[int] = []
    plat = plon = 0
    first = True
    for xy in coords:
        lat, lon = round(xy[1] * scale), round(xy[0] * scale)
        if not first and lat == plat and lon == plon:
            continue
        out += [lat - plat, lon - plon]
        plat, plon, first = lat, lon, False
    return out


def encode_lines(lines: Sequence[np.ndarray], precision: int) -> list[list[int]]:
    """:func:`encode_line` of many ``(n, 2)`` coordinate arrays at once (the same numbers).

    Examples
    --------
    >>> encode_lines([np.array([[1.0, 2.0], [1.0, 2.0], [1.5, 2.25]])], 2)
    [[200, 100, 25, 50]]
    """
    if not len(lines):
        return []
    xy = np.concatenate([np.asarray(a, dtype=float).reshape(-1, 2) for a in lines])
    owner = np.repeat(np.arange(len(lines)), [len(a) for a in lines])
    scale = 10**precision
    lat = np.rint(xy[:, 1] * scale).astype(np.int64)  # half to even, as round()
    lon = np.rint(xy[:, 0] * scale).astype(np.int64)
    first = np.ones(len(xy), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    keep = first.copy()
    keep[1:] |= (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
    lat, lon, owner, first = lat[keep], lon[keep], owner[keep], first[keep]
    dlat = lat - np.where(first, 0, np.concatenate([[0], lat[:-1]]))
    dlon = lon - np.where(first, 0, np.concatenate([[0], lon[:-1]]))
    flat = np.column_stack([dlat, dlon]).ravel().tolist()
    ends = np.concatenate([[0], np.cumsum(2 * np.bincount(owner, minlength=len(lines)))])
    return [flat[a:b] for a, b in pairwise(ends.tolist())]


#: Alphabet of packed integer columns (base64url: no character JSON or HTML must escape).
PACK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def pack_ints(values: Sequence[int] | np.ndarray) -> str:
    """Pack whole numbers into a string: a compact column that JSON carries as text.

    Each number is zigzag-encoded (0, -1, 1, -2, 2 ... become 0, 1, 2, 3, 4 ...), then written
    five bits at a time, lowest first, one character of :data:`PACK_ALPHABET` each; the
    sixth bit (32) says another character follows. Numbers below 16 in size take one
    character, below 512 two, below 16,384 three: about half the bytes of a JSON array of
    small numbers. The page undoes it with ``util.unpackInts``.

    Parameters
    ----------
    values
        Whole numbers of magnitude below 2**52 (exact as JavaScript numbers).

    Returns
    -------
    str

    Examples
    --------
    >>> pack_ints([0, -1, 1, 15, 16, -300])
    'ABCegB3S'
    """
    v = np.asarray(values, dtype=np.int64)
    if not len(v):
        return ""
    if np.abs(v).max() >= 2**52:
        raise ValueError("pack_ints: a value is too large for a JavaScript number")
    z = np.where(v >= 0, 2 * v, -2 * v - 1).astype(np.uint64)
    groups = 11  # 11 x 5 bits > 53 bits
    digits = np.stack([(z >> np.uint64(5 * k)) & np.uint64(31) for k in range(groups)], axis=1)
    length = np.ones(len(z), dtype=np.int64)
    for k in range(1, groups):
        length += z >= np.uint64(1) << np.uint64(5 * k)
    col = np.arange(groups)
    used = col[None, :] < length[:, None]
    more = col[None, :] < (length - 1)[:, None]
    codes = digits.astype(np.int64) + 32 * more
    table = np.frombuffer(PACK_ALPHABET.encode("ascii"), dtype=np.uint8)
    return table[codes[used]].tobytes().decode("ascii")


def _controller_codes(ds: Dataset) -> dict[str | None, int]:
    """Controller id to code: factions in legend order, then contested; ``None`` -> -2."""
    codes: dict[str | None, int] = {f: i for i, f in enumerate(ds.factions)}
    codes[CONTESTED] = len(ds.factions)
    codes[None] = INCIDENT
    return codes


def _places(ds: Dataset) -> tuple[dict[str, Any], list[str]]:
    """Columnar places and the list of kinds."""
    pl = ds.places
    kinds = sorted({_text(k) for k in pl["kind"]})
    kind_index = {k: i for i, k in enumerate(kinds)}
    extra_cols = [c for c in pl.columns if c not in _PLACE_BUILTIN]
    lats = [round(float(g.y), PLACE_PRECISION) for g in pl.geometry]
    lons = [round(float(g.x), PLACE_PRECISION) for g in pl.geometry]
    label_col = pl["label"] if "label" in pl.columns else pd.Series("", index=pl.index)
    labelled = set(LABELLED_KINDS)
    if sum(_text(k) == "town" for k in pl["kind"]) <= MAX_LABELLED_TOWNS:
        labelled.add("town")
    labels = [
        1 if (_text(k) in labelled or _text(v).strip().lower() in {"yes", "true", "1"})
        else 0
        for k, v in zip(pl["kind"], label_col, strict=True)
    ]
    extra: dict[str, list[str]] = {}
    for col in extra_cols:
        values = [_text(v) for v in pl[col]]
        if any(values):
            extra[col] = values
    raw = list(pl["population"]) if "population" in pl.columns else [None] * len(pl)
    population = [0 if v is None or pd.isna(v) else max(int(v), 0) for v in raw]
    return {
        "id": [str(i) for i in pl.index],
        "name": [_text(v) for v in pl["name"]],
        "kind": [kind_index[_text(k)] for k in pl["kind"]],
        "lat": lats,
        "lon": lons,
        "label": labels,
        "marker": [0 if _text(k) in LABEL_ONLY_KINDS else 1 for k in pl["kind"]],
        "extra": extra,
        "population": population,
        "population_source": [{"places.csv": "places.csv", "geonames": "GeoNames"}.get(str(v), "")
                              for v in (pl["population_source"] if "population_source"
                                        in pl.columns else [""] * len(pl))],
    }, kinds


def _events(ds: Dataset, place_index: dict[str, int], source_index: dict[str, int]
            ) -> tuple[dict[str, Any], list[str]]:
    """Columnar events up to the end of the slider and the list of event kinds."""
    ev = ds.events
    codes = _controller_codes(ds)
    kinds = sorted({_text(k) for k in ev["kind"].tolist()})
    kind_index = {k: i for i, k in enumerate(kinds)}
    out: dict[str, Any] = {k: [] for k in
                           ("place", "day", "prec", "ctl", "kind", "desc", "src")}
    texts: dict[str, int] = {}
    extra_cols = [c for c in ev.columns if c not in _EVENT_BUILTIN]
    extra: dict[str, dict[str, list[int]]] = {c: {"event": [], "text": []} for c in extra_cols}
    if not extra_cols:  # column by column: the same numbers, without a loop over rows
        return _event_columns(ds, ev, codes, kind_index, place_index, source_index), kinds
    for row, values in zip(ev.itertuples(index=False),
                           ev[extra_cols].itertuples(index=False, name=None), strict=True):
        d: date = row.date
        if d > ds.end:
            continue
        for col, value in zip(extra_cols, values, strict=True):
            text = _text(value).strip()
            if text:
                extra[col]["event"].append(len(out["place"]))
                extra[col]["text"].append(texts.setdefault(text, len(texts)))
        ctl = row.controller if isinstance(row.controller, str) else None
        out["place"].append(place_index.get(str(row.place_id), -1))  # -1: an area
        out["day"].append((d - ds.start).days)
        out["prec"].append(_PRECISION.get(_text(row.precision), 0))
        out["ctl"].append(codes[ctl])
        out["kind"].append(kind_index[_text(row.kind)])
        out["desc"].append(texts.setdefault(_text(row.description), len(texts)))
        out["src"].append(source_index.get(_text(row.source_id), -1))
    out["extra"] = {c: v for c, v in extra.items() if v["event"]}
    columns = [np.asarray(out["desc"], dtype=np.int64)]
    columns += [np.asarray(v["text"], dtype=np.int64) for v in out["extra"].values()]
    out["texts"], columns = _most_used_first(list(texts), columns)
    out["desc"] = columns[0]
    for v, col in zip(out["extra"].values(), columns[1:], strict=True):
        v["text"] = col.tolist()
    out["day"] = _deltas(out["day"])  # events are in date order: small differences
    prec = out.pop("prec")  # nearly always 0 (a day): only the others are sent
    out["prec"] = {"at": [i for i, v in enumerate(prec) if v],
                   "value": [v for v in prec if v]}
    for key in _PACKED_EVENT_COLUMNS:
        out[key] = pack_ints(out[key])
    return out, kinds


def _event_columns(ds: Dataset, ev: pd.DataFrame, codes: dict[str | None, int],
                   kind_index: dict[str, int], place_index: dict[str, int],
                   source_index: dict[str, int]) -> dict[str, Any]:
    """:func:`_events` of events without extra columns, a column at a time."""
    day = np.array([d.toordinal() for d in ev["date"].tolist()], dtype=np.int64)
    shown = day <= ds.end.toordinal()
    ev, day = ev[shown], day[shown] - ds.start.toordinal()

    def mapped(column: str, value: Any) -> np.ndarray:
        """``value(cell)`` for every cell, computed once per distinct cell."""
        inv, uniq = pd.factorize(ev[column], use_na_sentinel=False)
        return np.array([value(u) for u in uniq], dtype=np.int64)[inv]

    texts: dict[str, int] = {}  # numbered in order of first use, as the rows would
    prec = mapped("precision", lambda v: _PRECISION.get(_text(v), 0))
    out: dict[str, Any] = {
        "place": mapped("place_id", lambda v: place_index.get(str(v), -1)),  # -1: an area
        "day": np.diff(day, prepend=0),  # events are in date order: small differences
        "ctl": np.array([codes[c if isinstance(c, str) else None]
                         for c in ev["controller"].tolist()], dtype=np.int64),
        "kind": mapped("kind", lambda v: kind_index[_text(v)]),
        "desc": mapped("description", lambda v: texts.setdefault(_text(v), len(texts))),
        "src": mapped("source_id", lambda v: source_index.get(_text(v), -1)),
        "extra": {},
        "texts": [],
        "prec": {"at": np.flatnonzero(prec).tolist(), "value": prec[prec != 0].tolist()},
    }
    out["texts"], (out["desc"],) = _most_used_first(list(texts), [out["desc"]])
    for key in _PACKED_EVENT_COLUMNS:
        out[key] = pack_ints(out[key])
    return out


def _most_used_first(texts: list[str], columns: list[np.ndarray]
                     ) -> tuple[list[str], list[np.ndarray]]:
    """Number ``texts`` again, the most used first (ties: in their order), so that the
    indices most events carry are the smallest (fewest characters once packed).

    Examples
    --------
    >>> _most_used_first(["a", "b", "c"], [np.array([0, 1, 2, 2]), np.array([1, 2])])
    (['c', 'b', 'a'], [array([2, 1, 0, 0]), array([1, 0])])
    """
    counts = np.bincount(np.concatenate([np.zeros(0, dtype=np.int64), *columns]),
                         minlength=len(texts))
    order = np.argsort(-counts, kind="stable")
    new = np.empty(len(order), dtype=np.int64)
    new[order] = np.arange(len(order))
    return [texts[i] for i in order.tolist()], [new[c] for c in columns]


def _sources(ds: Dataset) -> dict[str, Any]:
    """Columnar sources; unsafe URLs become empty; extra columns kept."""
    src = ds.sources
    n = len(src)

    def column(name: str) -> list[Any]:
        return list(src[name]) if name in src.columns else [None] * n

    published = [_text(v) for v in column("published")]
    precision = [_PRECISION.get(_text(p), 0) if d else -1
                 for d, p in zip(published, column("published_precision"), strict=True)]
    extra: dict[str, list[str]] = {}
    for col in src.columns:
        if col in _SOURCE_BUILTIN:
            continue
        values = [_text(v).strip() for v in src[col]]
        if any(values):
            extra[str(col)] = values
    return {
        "id": [str(i) for i in src.index],
        "title": [_text(v) for v in column("title")],
        "publisher": [_text(v) for v in column("publisher")],
        "url": [safe_url(v) for v in column("url")],
        "published": published,
        "published_prec": precision,
        "extra": extra,
    }


#: Tolerance (degrees) to which each border arc is simplified for the page (about 100 m);
#: arcs are shared, so neighbours stay exactly joined. Figures use the exact geometry.
ARC_TOLERANCE = 0.001


def _atoms(t: Territory) -> dict[str, Any]:
    """The model's atoms as shared arcs and their control.

    ``arcs``: every border once, all in one packed column (:func:`pack_ints`): each arc is
    encoded like a line (:func:`encode_line`), except that its first point is given as the
    difference from the first point of the arc before it (the first arc: from 0, 0);
    ``arc_size`` (packed): the number of points of each arc. ``rings``: per atom, its
    polygons, each a list of rings, each a list of arc references (``i`` as stored, ``-1 - i``
    reversed), packed by :func:`pack_rings`. ``km2``: tenths of km² per atom. ``control``:
    state of each atom on day 0 and its changes (``initial``, ``day`` as differences,
    ``atom``, ``after``), each packed.

    No fronts are sent: a front is an arc with an atom on each side, which the browser reads
    from ``rings`` (the first atom, in atom order, that uses an arc is its side ``a``, the
    other its side ``b``, as :func:`mapper.model.topology` numbers ``left`` and ``right``).
    """
    import shapely

    from mapper.model import encode_history

    topo = t.topology()
    # Simplify every arc of more than two points at once, then encode them all at once.
    xys: list[np.ndarray] = list(topo["arcs"])
    long = [i for i, xy in enumerate(xys) if len(xy) > 2]
    if long:
        lines = np.array([topo["lines"][i] for i in long], dtype=object)
        simple = shapely.simplify(lines, ARC_TOLERANCE, preserve_topology=False)
        xy, part = shapely.get_coordinates(simple, return_index=True)
        cuts = np.searchsorted(part, np.arange(1, len(long)))
        for i, piece in zip(long, np.split(xy, cuts), strict=True):
            xys[i] = piece
    arcs = encode_lines(xys, AREA_PRECISION)
    sizes = np.array([len(a) // 2 for a in arcs], dtype=np.int64)
    flat = np.array([v for a in arcs for v in a], dtype=np.int64).reshape(-1, 2)
    if len(flat):
        heads = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        first = flat[heads]  # absolute: encode_lines starts every arc from 0, 0
        flat[heads[1:]] = first[1:] - first[:-1]
    changes = encode_history(t.keys, t.atom_history)
    return {
        "arcs": pack_ints(flat.ravel()),
        "arc_size": pack_ints(sizes),
        "rings": pack_rings(topo["polygons"]),
        "km2": [round(float(v) * 10) for v in t.atoms["area_km2"]],
        "control": {"initial": pack_ints(changes["initial"]),
                    "day": pack_ints(_deltas(changes["day"])),
                    "atom": pack_ints(changes["unit"]), "after": pack_ints(changes["after"])},
    }


def pack_rings(polygons: Sequence[Sequence[Sequence[Sequence[int]]]]) -> dict[str, str]:
    """Pack each atom's polygons of rings of arc references into four integer columns.

    Parameters
    ----------
    polygons
        Per atom, its polygons, each a list of rings, each a list of arc references (``i``
        the arc as stored, ``-1 - i`` reversed).

    Returns
    -------
    dict
        ``atom`` (polygons per atom), ``poly`` (rings per polygon), ``ring`` (references per
        ring) and ``refs``: every reference in turn as ``2 * (i - i_before) + reversed``,
        where ``i_before`` is the arc of the reference before it (neighbouring references
        mostly name nearby arcs: small numbers); each column packed (:func:`pack_ints`).
        The page undoes it with ``util.unpackRings``.

    Examples
    --------
    >>> pack_rings([[[[0, 1]]], [[[2, -1], [3]]]])
    {'atom': 'CC', 'poly': 'CE', 'ring': 'EEC', 'refs': 'AEEFM'}
    """
    atom = [len(polys) for polys in polygons]
    poly = [len(rings) for polys in polygons for rings in polys]
    ring = [len(refs) for polys in polygons for rings in polys for refs in rings]
    flat = np.array([r for polys in polygons for rings in polys for refs in rings for r in refs],
                    dtype=np.int64)
    arc = np.where(flat >= 0, flat, -1 - flat)
    refs = 2 * np.diff(arc, prepend=0) + (flat < 0)
    return {"atom": pack_ints(atom), "poly": pack_ints(poly), "ring": pack_ints(ring),
            "refs": pack_ints(refs)}


def _deltas(values: Sequence[int]) -> list[int]:
    """``[v0, v1 - v0, v2 - v1, ...]``."""
    return [v - (values[k - 1] if k else 0) for k, v in enumerate(values)]


def _territory(ds: Dataset, t: Territory) -> dict[str, Any] | None:
    """Area (and population) held by each side, on the days it changes, delta-encoded.

    From :func:`mapper.stats.territory_series` on the page's own model, so the chart adds
    up what the map shows. ``sides`` are the factions' ids then ``contested`` and
    ``unknown`` (no data); ``day`` lists the slider days on which any figure changes (the
    first day always); ``km2[s]`` holds side ``s``'s area in tenths of km² and ``pop[s]`` its
    population (``pop`` is ``None`` when no place has a known population), on those days,
    each as :func:`_deltas`. The page fills the days between.
    ``None`` when the model has no ground.
    """
    from mapper import stats

    if not len(t.atoms):
        return None
    series = stats.series_payload(stats.territory_series(ds, territory=t))
    sides = [c[: -len("_km2")] for c in series if c.endswith("_km2")]
    n = len(series["date"])
    km2 = [[round(float(v) * 10) for v in series[f"{side}_km2"]] for side in sides]
    pop = [[int(v) for v in series[f"{side}_population"]] for side in sides]
    keep = [d for d in range(n) if d == 0 or any(col[d] != col[d - 1] for col in km2 + pop)]
    return {
        "sides": sides,
        "day": keep,
        "km2": [_deltas([col[d] for d in keep]) for col in km2],
        # No population known (no place has one): nothing to send.
        "pop": ([_deltas([col[d] for d in keep]) for col in pop]
                if any(any(col) for col in pop) else None),
    }


def _routes(ds: Dataset, place_index: dict[str, int]
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Routes (name, kind) and their segments split into two halves at the middle."""
    routes = ds.routes
    out_routes: dict[str, Any] = {"id": [], "name": [], "kind": []}
    out_segs: dict[str, Any] = {"route": [], "a": [], "b": [], "h1": [], "h2": []}
    if routes is None or len(routes) == 0:
        return out_routes, out_segs
    from mapper import territory

    route_index = {}
    for i, rid in enumerate(routes.index):
        route_index[str(rid)] = i
        out_routes["id"].append(str(rid))
        out_routes["name"].append(_text(routes.loc[rid, "name"]))
        out_routes["kind"].append(_text(routes.loc[rid, "kind"]) if "kind" in routes else "")
    segs = territory.route_segments(routes, ds.places).sort_values(["route_id", "seq"],
                                                                   kind="stable")
    for rid, a, b, geom in zip(segs["route_id"], segs["a"], segs["b"], segs.geometry,
                               strict=True):
        if geom is None or geom.is_empty or geom.geom_type != "LineString":
            continue
        h1 = encode_line(substring(geom, 0.0, 0.5, normalized=True).coords, AREA_PRECISION)
        h2 = encode_line(substring(geom, 0.5, 1.0, normalized=True).coords, AREA_PRECISION)
        out_segs["route"].append(route_index[str(rid)])
        out_segs["a"].append(place_index.get(_text(a), -1))
        out_segs["b"].append(place_index.get(_text(b), -1))
        out_segs["h1"].append(h1)
        out_segs["h2"].append(h2)
    return out_routes, out_segs


def _basemap_bbox(ds: Dataset, *, view: bool = True) -> tuple[float, float, float, float]:
    """The box the offline base map covers: the places' box plus :data:`BASEMAP_MARGIN`,
    and (``view``) the initial view in a window of :data:`BASEMAP_VIEW_PX`."""
    pl = ds.places
    if len(pl) == 0:
        lat, lon = ds.view.lat, ds.view.lon
        bounds = (lon, lat, lon, lat)
    else:
        b = pl.total_bounds
        bounds = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    m = BASEMAP_MARGIN
    # Also what a large window (BASEMAP_VIEW_PX) shows around the initial view, so no edge
    # of the base map shows at the first zoom (degrees per pixel at zoom z: 360 / 256 / 2^z).
    if not view:
        return (round(max(bounds[0] - m, -180.0), 3), round(max(bounds[1] - m, -85.0), 3),
                round(min(bounds[2] + m, 180.0), 3), round(min(bounds[3] + m, 85.0), 3))
    per_px = 360.0 / 256.0 / 2.0 ** ds.view.zoom
    half_lon = min(BASEMAP_VIEW_PX[0] / 2 * per_px, BASEMAP_MAX_HALF_DEG)
    half_lat = min(BASEMAP_VIEW_PX[1] / 2 * per_px * math.cos(math.radians(ds.view.lat)),
                   BASEMAP_MAX_HALF_DEG)
    box = (min(bounds[0] - m, ds.view.lon - half_lon), min(bounds[1] - m, ds.view.lat - half_lat),
           max(bounds[2] + m, ds.view.lon + half_lon), max(bounds[3] + m, ds.view.lat + half_lat))
    return (round(max(box[0], -180.0), 3), round(max(box[1], -85.0), 3),
            round(min(box[2], 180.0), 3), round(min(box[3], 85.0), 3))


def _snapped_parts(geom: BaseGeometry, precision: int, kind: str) -> np.ndarray:
    """The parts of ``geom`` snapped to a grid of ``10**-precision`` degrees, as
    :func:`mapper.basemap.to_geojson` snaps them, if the snapped geometry is of ``kind``
    (``"Polygon"`` or ``"LineString"``) or its Multi- form; else none."""
    snapped = shapely.set_precision(geom, 10.0**-precision)
    if snapped is None or snapped.is_empty or snapped.geom_type not in (kind, "Multi" + kind):
        return np.empty(0, dtype=object)
    return shapely.get_parts(snapped)


def _coords_of(geoms: np.ndarray) -> list[np.ndarray]:
    """The coordinate arrays of some LineStrings or LinearRings, in order."""
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    return np.split(xy, np.flatnonzero(np.diff(owner)) + 1) if len(xy) else []


def _shape_polygons(geom: BaseGeometry, precision: int) -> list[list[list[int]]]:
    """Encode the polygons of a geometry as rings of :func:`encode_line`, snapped and rounded
    to ``precision`` as in GeoJSON; rings of fewer than three points are left out."""
    polys = _snapped_parts(geom, precision, "Polygon")
    if not len(polys):
        return []
    rings, owner = shapely.get_rings(polys, return_index=True)
    codes = encode_lines(_coords_of(rings), precision) if len(rings) else []
    out: list[list[list[int]]] = [[] for _ in polys]
    for k, code in zip(owner.tolist(), codes, strict=True):
        if len(code) >= 6:
            out[k].append(code)
    return [p for p in out if p]


def _shape_lines(geom: BaseGeometry, precision: int) -> list[list[int]]:
    """Encode the lines of a geometry as :func:`encode_line` does, snapped and rounded to
    ``precision`` as in GeoJSON; lines of fewer than two points are left out."""
    lines = _snapped_parts(geom, precision, "LineString")
    if not len(lines):
        return []
    return [e for e in encode_lines(_coords_of(lines), precision) if len(e) >= 4]


def _basemap(ds: Dataset) -> dict[str, Any]:
    """The offline base map (Natural Earth), encoded like areas, with no edge at any zoom.

    ``levels`` are the rings of :func:`mapper.basemap.levels`, nearest first: 1:10m detail
    around the data, coarser in a band around it, Natural Earth 1:110m for the rest of the
    world. Each has ``scale`` (coordinates are integers, degrees x scale), ``box`` (its outer
    box; the ring before it is cut out of it), ``land`` and ``lakes`` (polygons), ``borders``
    and ``rivers`` (lines), encoded as :func:`encode_line` does. ``land`` is for filling:
    the browser strokes its coast, leaving out the edges that lie on the ring boxes.
    ``regions`` (first-level subdivision borders, only within :data:`BASEMAP_MARGIN` of the
    places) are encoded at :data:`AREA_PRECISION`; ``labels`` has columns ``name``,
    ``iso2``, ``lat``, ``lon`` (country label points; countries named like a place of the
    dataset are left out); ``cities`` has columns ``name``, ``rank`` (Natural Earth
    ``scalerank``), ``lat``, ``lon``: Natural Earth's towns and cities that are not places of
    the dataset (none within :data:`CITY_CLEARANCE_DEG` of a place, none of the same name).
    """
    from mapper import basemap

    near_box = _basemap_bbox(ds, view=False)
    rings = basemap.ring_shapes(near_box, ("land", "lakes", "borders", "rivers"))
    levels = []
    for ring in rings:
        p = int(ring["precision"])
        levels.append({
            "scale": 10 ** p,
            "box": ring["box"],
            "land": _shape_polygons(ring["land"], p),
            "lakes": _shape_polygons(ring["lakes"], p),
            "borders": _shape_lines(ring["borders"], p),
            "rivers": _shape_lines(ring["rivers"], p),
        })
    names = {_text(v).strip().lower() for v in ds.places["name"]}
    labels: dict[str, list[Any]] = {"name": [], "iso2": [], "lat": [], "lon": []}
    label_box = tuple(rings[1]["box"]) if len(rings) > 1 else near_box
    for feature in basemap.country_labels(label_box, precision=AREA_PRECISION)["features"]:
        props = feature.get("properties") or {}
        name = _text(props.get("name"))
        if not name or name.strip().lower() in names:
            continue
        lon, lat = feature["geometry"]["coordinates"][:2]
        labels["name"].append(name)
        labels["iso2"].append(_text(props.get("iso2")))
        labels["lat"].append(round(float(lat), AREA_PRECISION))
        labels["lon"].append(round(float(lon), AREA_PRECISION))
    return {
        "levels": levels,
        # Region lines (many bytes) only around the places, where they help.
        "regions": _shape_lines(basemap.layer_shape("regions", near_box), AREA_PRECISION),
        "labels": labels,
        "cities": _cities(ds, near_box, label_box),
    }


#: A Natural Earth city this close (degrees, about 10 km) to a place of the dataset is left
#: out of the base map: the dataset's own marker names it.
CITY_CLEARANCE_DEG = 0.1
#: Natural Earth cities kept: up to this ``scalerank`` near the data (about 50,000 people and
#: up), and up to the second value in the band around it (large cities only).
CITY_MAX_RANK = (7, 3)


def _cities(ds: Dataset, near_box: tuple[float, float, float, float],
            far_box: tuple[float, float, float, float]) -> dict[str, list[Any]]:
    """Natural Earth cities for the base map, largest first (see :func:`_basemap`)."""
    from mapper import basemap

    near = basemap.cities(near_box, max_rank=CITY_MAX_RANK[0])
    far = basemap.cities(far_box, max_rank=CITY_MAX_RANK[1])
    both = pd.concat([near, far]).drop_duplicates(["name", "lon", "lat"])
    both = both.sort_values(["scalerank", "pop_max", "name"], ascending=[True, False, True],
                            kind="stable")
    names = {_text(v).strip().lower() for v in ds.places["name"]}
    pts = ds.places.geometry
    lons = pts.x.to_numpy(dtype=float) if len(pts) else np.zeros(0)
    lats = pts.y.to_numpy(dtype=float) if len(pts) else np.zeros(0)
    out: dict[str, list[Any]] = {"name": [], "rank": [], "lat": [], "lon": []}
    for name, rank, lon, lat in zip(both["name"], both["scalerank"], both["lon"], both["lat"],
                                    strict=True):
        if name.strip().lower() in names:
            continue
        if np.any((np.abs(lon - lons) < CITY_CLEARANCE_DEG)
                  & (np.abs(lat - lats) < CITY_CLEARANCE_DEG)):
            continue  # a place of the dataset is there (every place tested at once)
        out["name"].append(name)
        out["rank"].append(int(rank))
        out["lat"].append(round(float(lat), AREA_PRECISION))
        out["lon"].append(round(float(lon), AREA_PRECISION))
    return out


def tile_layer(name: str) -> dict[str, Any]:
    """The online tile layer of an xyzservices provider: URL template, attribution, zoom limit.

    Parameters
    ----------
    name
        Provider name as xyzservices spells it (``OpenStreetMap.Mapnik``, ``CartoDB.Positron``);
        case and dots are not significant.

    Returns
    -------
    dict

    Raises
    ------
    MapperError
        If no provider has that name, or it needs an API key.

    Examples
    --------
    >>> tile_layer("OpenStreetMap.Mapnik")["url"]
    'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
    """
    import difflib

    import xyzservices.providers as xyz

    from mapper.errors import MapperError

    try:
        provider = xyz.query_name(name)
    except ValueError:
        names = list(xyz.flatten())
        near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise MapperError(f"--tiles: no tile provider named {name!r}{hint}; names are "
                          "those of xyzservices, e.g. OpenStreetMap.Mapnik") from None
    if provider.requires_token():
        raise MapperError(f"--tiles: {provider.name} needs an API key; pick a provider "
                          "that does not, e.g. OpenStreetMap.Mapnik")
    url = provider.build_url()
    if not _SAFE_URL.match(url.replace("{", "").replace("}", "")):
        raise MapperError(f"--tiles: {provider.name} has no https tile address")
    return {
        "name": provider.name,
        "url": url,
        "attribution": provider.html_attribution,
        "max_zoom": int(provider.get("max_zoom", 18)),
    }


def build_payload(ds: Dataset, *, tiles: str | None = None,
                  territory: Territory | None = None) -> dict[str, Any]:
    """Build the page's data for a dataset (see the module docstring for its layout).

    Parameters
    ----------
    ds
        A loaded dataset.
    tiles
        An xyzservices provider name for online tiles (see :func:`tile_layer`); ``None`` for
        none: the page then requests nothing.
    territory
        The dataset's model (:func:`mapper.model.build`), if already built.

    Returns
    -------
    dict
        Plain JSON-ready values; the same dataset always gives the same payload.

    Raises
    ------
    ValueError
        If an event names a controller that is not a declared faction (from the timeline).

    Examples
    --------
    >>> payload = build_payload(load_dataset("geodata/aleppo-2024"))  # doctest: +SKIP
    >>> payload["places"]["id"][:2]  # doctest: +SKIP
    ['aleppo', 'saraqib']
    """
    from mapper import model

    t = territory if territory is not None else model.build(ds)
    places, kinds = _places(ds)
    if places["id"] != list(t.place_ids):
        raise ValueError("model places are not in the dataset's place order")
    place_index = {p: i for i, p in enumerate(places["id"])}
    sources = _sources(ds)
    source_index = {s: i for i, s in enumerate(sources["id"])}
    events, event_kinds = _events(ds, place_index, source_index)
    atoms = _atoms(t)
    control = model.encode_history(t.keys, t.place_history)
    routes, segments = _routes(ds, place_index)
    return {
        "id": ds.id,
        "title": ds.title,
        "description": ds.description,
        "start": ds.start.isoformat(),
        "n": t.n_days,
        "countries": list(ds.countries),
        "view": {"lat": ds.view.lat, "lon": ds.view.lon, "zoom": ds.view.zoom},
        "factions": [
            {"id": f.id, "label": f.label, "colour": f.colour, "pattern": f.pattern or "solid",
             "dash": f.dash or ""}
            for f in ds.factions.values()
        ],
        "kinds": kinds,
        "places": places,
        "control": {"initial": pack_ints(control["initial"]),
                    "day": pack_ints(_deltas(control["day"])),
                    "place": pack_ints(control["unit"]), "after": pack_ints(control["after"])},
        "event_kinds": event_kinds,
        "events": events,
        "sources": sources,
        "atoms": atoms,
        "method": model.method_note(ds),
        "routes": routes,
        "segments": segments,
        "territory": _territory(ds, t),
        "basemap": _basemap(ds),
        "tiles": tile_layer(tiles) if tiles else None,
    }


def payload_json(payload: dict[str, Any]) -> str:
    """Serialise a payload as compact JSON that is safe inside an HTML ``<script>`` element.

    ``</`` becomes ``<\\/`` and ``<!--`` becomes ``<\\u0021--``, so no data can close the
    element or open an HTML comment; the result is still valid JSON.

    Parameters
    ----------
    payload
        JSON-ready values; floats must be finite.

    Returns
    -------
    str

    Examples
    --------
    >>> payload_json({"d": "</script><!--"})
    '{"d":"<\\\\/script><\\\\u0021--"}'
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      sort_keys=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")

