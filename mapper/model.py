"""The territory model: who holds which ground on each day, computed once per dataset.

Every output (the page, the images, ``mapper stats``, ``mapper diff``, ``mapper export``)
reads this one model. It combines three kinds of dated fact about ground:

``snapshot``
    A file of polygons drawn by some source on one day (``snapshots/2024-11-26.geojson``),
    each with a controller; the ground of the countries it leaves uncovered is held by its
    ``rest`` side, or, without one, the snapshot says nothing about it. A snapshot holds until
    the next one.
``area``
    A named polygon (``areas.geojson``: a province, a pocket, a zone) handed to a side by a
    dated row of ``events.csv``, as a place is.
``place``
    A place handed to a side by ``events.csv``: it holds its own surroundings, the ground
    nearer to it than to any other place, within a reach (25 km by default), and inside the
    smallest area that contains it.

Rule: on each day, every piece of ground takes the controller of the most recent fact that
covers it; on the same date the more specific fact wins (a place over an area, a smaller
area over a larger one, an area over a snapshot). Ground that no fact covers is ``no data``
and is drawn and counted as such.

The ground is cut once into *atoms*: the pieces that every fact's outline bounds, so that
each atom has one controller a day. Atoms that share a border and have the same controller on
every day are merged. Their borders are stored once as *arcs* (a topology): the page receives
each arc once and rebuilds the atoms from them, and a front on a day is an arc whose two sides
are held by two different known sides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from mapper.dataset import Dataset

__all__ = ["CONTESTED", "EQUAL_AREA_CRS", "NO_DATA", "Fact", "History", "Territory", "build",
           "require_points", "topology"]

#: Equal-area CRS for every km² figure (NSIDC EASE-Grid 2.0 global, cylindrical equal-area).
EQUAL_AREA_CRS = "EPSG:6933"

#: Controller name of ground held by no known side on a day.
NO_DATA = "no data"

#: Controller name of contested ground (as in :mod:`mapper.timeline`).
CONTESTED = "contested"

#: Fact kinds, least specific first (the rank breaks ties between facts of one date).
FACT_KINDS = ("snapshot", "area", "place")

_WGS84 = pyproj.CRS("EPSG:4326")
_TO_EQUAL_AREA = pyproj.Transformer.from_crs(_WGS84, pyproj.CRS(EQUAL_AREA_CRS), always_xy=True)


@dataclass(frozen=True)
class Fact:
    """One outline of ground and the dated controllers it had.

    Attributes
    ----------
    kind
        ``snapshot``, ``area`` or ``place``.
    id
        The place or area id, or the snapshot's date for a snapshot layer.
    geometry
        The ground it speaks for, in lon/lat.
    dates
        The days its controller changed, ascending (``datetime.date``).
    controllers
        The controller from each of those days (``None``: the fact says nothing from then).
    rank
        Specificity: higher wins between facts of the same date.
    """

    kind: str
    id: str
    geometry: BaseGeometry
    dates: tuple[date, ...]
    controllers: tuple[str | None, ...]
    rank: int


def _equal_area(geoms: Any) -> Any:
    def move(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_EQUAL_AREA.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, move)


def area_km2(geoms: Any) -> np.ndarray:
    """Areas in km² in the equal-area projection :data:`EQUAL_AREA_CRS`.

    Parameters
    ----------
    geoms
        Shapely geometries in lon/lat (an array or a sequence).

    Returns
    -------
    numpy.ndarray
        One float per geometry (0 for an empty one).

    Examples
    --------
    >>> round(float(area_km2([shapely.box(36, 35, 37, 36)])[0]))
    10066
    """
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
    if not len(arr):
        return np.zeros(0)
    return np.nan_to_num(shapely.area(_equal_area(arr))) / 1e6


def _polygons_only(geom: BaseGeometry) -> BaseGeometry:
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _segments(geoms: Sequence[BaseGeometry],
              numbered: tuple[Sequence[_Outline], int] | None = None) -> np.ndarray:
    """Every boundary segment of the polygons, once (``x1, y1, x2, y2``, ends ordered), sorted.

    ``numbered``: the geometries' vertices already numbered (:func:`_outlines`), one outline
    per geometry.
    """
    if numbered is None:
        numbered = _outlines([g for g in geoms if g is not None and not g.is_empty])
    outlines, n_vertices = numbered
    if not len(outlines):
        return np.zeros((0, 4))
    xy = np.concatenate([o.xy for o in outlines])
    if len(xy) < 2:
        return np.zeros((0, 4))
    counts = np.concatenate([o.counts for o in outlines])
    # Daily snapshots repeat most of their segments: with the vertices numbered (hashing,
    # linear), keep the first segment of each pair of vertex numbers, then sort what is left.
    ids = np.concatenate([o.ids for o in outlines])
    # A segment joins each vertex to the next one of its ring.
    joins = np.ones(len(xy) - 1, dtype=bool)
    last = np.cumsum(counts) - 1
    joins[last[last < len(xy) - 1]] = False
    start = np.flatnonzero(joins)
    a, b = ids[start], ids[start + 1]
    pair = np.minimum(a, b).astype(np.int64) * n_vertices + np.maximum(a, b)
    start = start[~pd.Index(pair).duplicated()]
    seg = np.hstack([xy[start], xy[start + 1]])
    flip = (seg[:, 0] > seg[:, 2]) | ((seg[:, 0] == seg[:, 2]) & (seg[:, 1] > seg[:, 3]))
    seg[flip] = seg[flip][:, [2, 3, 0, 1]]
    seg = np.unique(seg, axis=0)
    return seg[(seg[:, 0] != seg[:, 2]) | (seg[:, 1] != seg[:, 3])]


def _faces(outlines: Sequence[BaseGeometry], ground: BaseGeometry,
           numbered: tuple[Sequence[_Outline], int] | None = None) -> np.ndarray:
    """Cut ``ground`` by every outline into faces that no outline crosses.

    ``numbered``: the vertices of ``[ground, *outlines]`` numbered (:func:`_outlines`).
    """
    seg = _segments([ground, *outlines], numbered)
    lines = shapely.linestrings(seg.reshape(-1, 2), indices=np.repeat(np.arange(len(seg)), 2))
    noded = shapely.union_all(lines)  # nodes every crossing, once
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))),
                       dtype=object)
    if not len(faces):
        return faces
    inside = shapely.contains_properly(ground, shapely.point_on_surface(faces))
    shapely.prepare(ground)
    return faces[inside]


def _differs(*columns: np.ndarray) -> np.ndarray:
    """Rows that differ from the row before in any of ``columns`` (the first row always)."""
    out = np.zeros(len(columns[0]), dtype=bool)
    out[:1] = True
    for col in columns:
        out[1:] |= col[1:] != col[:-1]
    return out


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    """``n + 1`` offsets of each owner's rows, for rows grouped by owner ``0 .. n - 1``."""
    return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))])


class History:
    """Each unit's controller over the key days, stored as its changes (compressed rows).

    Unit ``u``'s entries are ``ptr[u]:ptr[u + 1]``, in key order: the first at key 0 (its
    state from the first day), then one per key on which its code (or, where ``source`` is
    kept, its deciding fact) changes. Memory grows with the changes, not with units x days.

    Parameters
    ----------
    ptr
        ``n_units + 1`` offsets into the entries.
    key
        Key index (into :attr:`Territory.keys`) of each entry.
    code
        Controller code from that key on (``-1``: no data).
    source
        Index of the deciding fact from that key on (``-1``: none), or ``None`` when the
        history tracks codes only.
    """

    __slots__ = ("_comp", "_span", "code", "key", "ptr", "source")

    def __init__(self, ptr: np.ndarray, key: np.ndarray, code: np.ndarray,
                 source: np.ndarray | None) -> None:
        self.ptr = np.asarray(ptr, dtype=np.int64)
        self.key = np.asarray(key, dtype=np.int32)
        self.code = np.asarray(code, dtype=np.int16)
        self.source = None if source is None else np.asarray(source, dtype=np.int32)
        self._comp: np.ndarray | None = None  # unit x span + key of each entry, sorted
        self._span = 0

    def __len__(self) -> int:
        return len(self.ptr) - 1

    def __repr__(self) -> str:
        return f"History({len(self)} units, {len(self.key)} entries)"

    def units(self) -> np.ndarray:
        """The unit of each entry."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.ptr))

    def _positions(self, k: int) -> np.ndarray:
        """Per unit, its entry in force on key ``k``."""
        span = int(self.key.max(initial=0)) + 1 if self._comp is None else self._span
        if self._comp is None:
            self._comp, self._span = self.units() * span + self.key, span
        k = min(max(int(k), 0), span - 1)
        query = np.arange(len(self), dtype=np.int64) * span + k
        return np.searchsorted(self._comp, query, side="right") - 1

    def codes_at(self, k: int) -> np.ndarray:
        """The code of every unit on key ``k`` (a new ``int16`` array)."""
        return self.code[self._positions(k)]

    def sources_at(self, k: int) -> np.ndarray:
        """The deciding fact of every unit on key ``k`` (``-1``: none)."""
        if self.source is None:
            raise ValueError("this history keeps no sources")
        return self.source[self._positions(k)]

    def changes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every change of code after key 0: ``key``, ``unit`` and new ``code``, in order of
        key then unit."""
        units = self.units()
        idx = np.flatnonzero(_differs(units, self.code) & ~_differs(units))
        order = np.lexsort((units[idx], self.key[idx]))
        idx = idx[order]
        return self.key[idx].astype(np.int64), units[idx], self.code[idx]

    def rows(self, n_keys: int) -> Iterator[np.ndarray]:
        """The codes of every unit on each key in turn (one array, updated in place: copy
        what you keep)."""
        cur = self.codes_at(0)
        keys, units, codes = self.changes()
        cut = np.searchsorted(keys, np.arange(n_keys + 1))
        for k in range(n_keys):
            a, b = cut[k], cut[k + 1]
            cur[units[a:b]] = codes[a:b]
            yield cur

    def select(self, units: np.ndarray) -> History:
        """The histories of ``units``, in that order."""
        units = np.asarray(units, dtype=np.int64)
        lengths = self.ptr[units + 1] - self.ptr[units]
        ptr = np.concatenate([[0], np.cumsum(lengths)])
        idx = np.repeat(self.ptr[units] - ptr[:-1], lengths) + np.arange(int(ptr[-1]))
        return History(ptr, self.key[idx], self.code[idx],
                       None if self.source is None else self.source[idx])

    def codes_only(self) -> History:
        """The same history without sources: entries only where the code changes."""
        units = self.units()
        keep = _differs(units, self.code)
        return History(_offsets(units[keep], len(self)), self.key[keep], self.code[keep], None)

    def ever(self, code_min: int = 0) -> np.ndarray:
        """Per unit: whether its code is ``>= code_min`` on some key."""
        hit = np.bincount(self.units()[self.code >= code_min], minlength=len(self))
        return hit > 0

    def groups(self) -> np.ndarray:
        """A group number per unit, equal for units with the same history."""
        rec = np.empty(len(self.key), dtype=[("k", "<i4"), ("c", "<i2"), ("s", "<i4")])
        rec["k"], rec["c"] = self.key, self.code
        rec["s"] = -1 if self.source is None else self.source
        raw, size = rec.tobytes(), rec.dtype.itemsize
        seen: dict[bytes, int] = {}
        ptr = (self.ptr * size).tolist()
        return np.array([seen.setdefault(raw[a:b], len(seen))
                         for a, b in pairwise(ptr)], dtype=np.int64)


@dataclass
class Territory:
    """The model of one dataset: atoms of ground and their controller on every day.

    Build it with :func:`build`.

    Attributes
    ----------
    start
        First day of the slider.
    n_days
        Number of days on the slider.
    sides
        Controller names, in code order: the factions, then ``contested``; code ``-1`` is
        :data:`NO_DATA`.
    atoms
        GeoDataFrame (lon/lat) of the atoms, with ``area_km2``.
    keys
        The days (indexes from ``start``) on which any atom or place may change, ascending;
        the first is 0.
    atom_history
        Each atom's controller code and deciding fact (index into ``facts``, ``-1``: none)
        over the key days, as its changes (:class:`History`); :meth:`codes_at_key` gives
        one key day's codes.
    place_ids
        The places, in dataset order.
    place_history
        The controller code of the ground at each place over the key days (codes only).
    facts
        The facts, as used.
    """

    start: date
    n_days: int
    sides: list[str]
    atoms: gpd.GeoDataFrame
    keys: np.ndarray
    atom_history: History
    place_ids: list[str]
    place_history: History
    facts: list[Fact]
    _topology: dict[str, Any] | None = field(default=None, repr=False)
    #: :func:`mapper.stats.territory_series` of this model, with the dataset it was made for.
    _series: tuple[Any, pd.DataFrame] | None = field(default=None, repr=False)

    # -- days ---------------------------------------------------------------------------------

    @property
    def dates(self) -> list[date]:
        """Every day of the slider."""
        return [self.start + timedelta(days=i) for i in range(self.n_days)]

    def day_index(self, day: date) -> int:
        """The slider index of ``day``.

        Raises
        ------
        ValueError
            If ``day`` is not on the slider.
        """
        i = (day - self.start).days
        if not 0 <= i < self.n_days:
            end = self.start + timedelta(days=self.n_days - 1)
            raise ValueError(f"{day.isoformat()} is outside the dataset's time range "
                             f"{self.start.isoformat()} to {end.isoformat()} "
                             "(dataset.toml [time])")
        return i

    def _key(self, day: date) -> int:
        return int(np.searchsorted(self.keys, self.day_index(day), side="right") - 1)

    def change_dates(self) -> list[date]:
        """Days after the first on which some atom or place changes controller."""
        changed = np.union1d(self.atom_history.changes()[0], self.place_history.changes()[0])
        return [self.start + timedelta(days=int(self.keys[k])) for k in changed.tolist()]

    def codes_at_key(self, k: int) -> np.ndarray:
        """Controller code of each atom from key day ``k`` (an index into :attr:`keys`) on."""
        return self.atom_history.codes_at(k)

    def sources_at_key(self, k: int) -> np.ndarray:
        """Index into :attr:`facts` of the fact that decides each atom from key day ``k`` on
        (``-1``: none)."""
        return self.atom_history.sources_at(k)

    def place_codes_at_key(self, k: int) -> np.ndarray:
        """Controller code of the ground at each place from key day ``k`` on."""
        return self.place_history.codes_at(k)

    def iter_keys(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Each key day in turn: its index, the atoms' codes and the places' codes.

        The two arrays are updated in place from one key day to the next: copy what you keep.
        """
        n = len(self.keys)
        yield from zip(range(n), self.atom_history.rows(n), self.place_history.rows(n),
                       strict=True)

    def ever_held(self) -> np.ndarray:
        """Per atom: whether some side (not :data:`NO_DATA`) holds it on some day."""
        return self.atom_history.ever(0)

    # -- state on a day -----------------------------------------------------------------------

    def name(self, code: int) -> str:
        """The controller name of a code (:data:`NO_DATA` for -1)."""
        return NO_DATA if code < 0 else self.sides[code]

    def codes_on(self, day: date) -> np.ndarray:
        """Controller code of each atom on ``day``."""
        return self.codes_at_key(self._key(day))

    def places_on(self, day: date) -> dict[str, str | None]:
        """Controller of the ground at each place on ``day`` (``None``: no data)."""
        codes = self.place_codes_at_key(self._key(day))
        return {p: (None if c < 0 else self.sides[c])
                for p, c in zip(self.place_ids, codes.tolist(), strict=True)}

    def held_km2(self, day: date) -> dict[str, float]:
        """km² held by each side on ``day``, :data:`NO_DATA` included; adds up to the ground.

        Examples
        --------
        >>> t = build(load_dataset("tests/data/areas/geojson"))  # doctest: +SKIP
        >>> t.held_km2(t.start)  # doctest: +SKIP
        {'government': 120.5, 'hts': 40.25, 'no data': 0.0}
        """
        codes = self.codes_on(day)
        area = self.atoms["area_km2"].to_numpy(dtype=float)
        sums = np.bincount(codes + 1, weights=area, minlength=len(self.sides) + 1)
        return {NO_DATA: float(sums[0]),
                **{s: float(v) for s, v in zip(self.sides, sums[1:], strict=True)}}

    def areas_on(self, day: date) -> gpd.GeoDataFrame:
        """The ground of each side on ``day``: one (Multi)Polygon per controller.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``controller``, ``area_km2``, geometry (lon/lat), sides in code order,
            :data:`NO_DATA` last; sides holding nothing are left out.
        """
        codes = self.codes_on(day)
        geoms = self.atoms.geometry.to_numpy()
        area = self.atoms["area_km2"].to_numpy(dtype=float)
        rows = []
        for code in [*range(len(self.sides)), -1]:
            pick = codes == code
            if pick.any():
                rows.append((self.name(code), float(area[pick].sum()),
                             shapely.union_all(geoms[pick])))
        return gpd.GeoDataFrame(
            {"controller": [r[0] for r in rows], "area_km2": [r[1] for r in rows]},
            geometry=[r[2] for r in rows], crs=_WGS84)

    def fronts_on(self, day: date) -> gpd.GeoDataFrame:
        """The front lines of ``day``: borders between ground of two different known sides.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``a``, ``b`` (the two controllers, ``a < b`` in code order), ``length_km``
            and geometry (merged lines, lon/lat), one row per pair of sides.
        """
        topo = self.topology()
        codes = self.codes_on(day)
        left, right = topo["left"], topo["right"]
        ok = (left >= 0) & (right >= 0)
        ca = np.where(ok, codes[np.maximum(left, 0)], -1)
        cb = np.where(ok, codes[np.maximum(right, 0)], -1)
        front = ok & (ca >= 0) & (cb >= 0) & (ca != cb)
        geod = pyproj.Geod(ellps="WGS84")
        rows: dict[tuple[int, int], list[BaseGeometry]] = {}
        for i in np.flatnonzero(front):
            a, b = sorted((int(ca[i]), int(cb[i])))
            rows.setdefault((a, b), []).append(topo["lines"][i])
        out = []
        for (a, b), lines in sorted(rows.items()):
            merged = shapely.line_merge(shapely.union_all(lines))
            out.append((self.sides[a], self.sides[b],
                        float(geod.geometry_length(merged)) / 1000, merged))
        return gpd.GeoDataFrame(
            {"a": [r[0] for r in out], "b": [r[1] for r in out],
             "length_km": [r[2] for r in out]},
            geometry=[r[3] for r in out], crs=_WGS84)

    def diff(self, day_from: date, day_to: date) -> gpd.GeoDataFrame:
        """Ground that changed hands between two days.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``before``, ``after``, ``area_km2`` and geometry: one row per pair of
            controllers with ground passing from the first to the second, largest first.
        """
        c0, c1 = self.codes_on(day_from), self.codes_on(day_to)
        moved = c0 != c1
        geoms = self.atoms.geometry.to_numpy()
        area = self.atoms["area_km2"].to_numpy(dtype=float)
        pairs: dict[tuple[int, int], list[int]] = {}
        for i in np.flatnonzero(moved):
            pairs.setdefault((int(c0[i]), int(c1[i])), []).append(int(i))
        rows = sorted(((self.name(a), self.name(b), float(area[idx].sum()),
                        shapely.union_all(geoms[idx])) for (a, b), idx in pairs.items()),
                      key=lambda r: (-r[2], r[0], r[1]))
        return gpd.GeoDataFrame(
            {"before": [r[0] for r in rows], "after": [r[1] for r in rows],
             "area_km2": [r[2] for r in rows]},
            geometry=[r[3] for r in rows], crs=_WGS84)

    def atom_at(self, lon: float, lat: float) -> int:
        """The atom containing a point (lon/lat), or -1 when it is off the model's ground."""
        geoms = self.atoms.geometry.to_numpy()
        hits = shapely.STRtree(geoms).query(shapely.Point(lon, lat), predicate="intersects")
        return int(hits.min()) if len(hits) else -1

    def controller_at(self, day: date, lon: float, lat: float) -> str | None:
        """Who holds the ground at a point on ``day`` (:data:`NO_DATA` where no fact covers
        it, ``None`` off the model's ground)."""
        atom = self.atom_at(lon, lat)
        return None if atom < 0 else self.name(int(self.codes_on(day)[atom]))

    # -- geometry for drawing -----------------------------------------------------------------

    def topology(self) -> dict[str, Any]:
        """The atoms' borders as shared arcs (see :func:`topology`), computed once."""
        if self._topology is None:
            self._topology = topology(self.atoms.geometry.to_numpy())
        return self._topology


def _state_history(facts: Sequence[Fact], member: list[np.ndarray], n_units: int,
                   keys: np.ndarray, start: date, code: Mapping[str | None, int],
                   ) -> History:
    """Controller code and deciding fact of each unit on each key day, as changes.

    ``member[f]`` lists the units (atoms or places) that fact ``f`` covers. On a key day a
    unit takes the code of the fact that speaks for it (its last change on or before that
    day names a controller) with the most recent change; on the same date the higher rank
    wins, then the fact listed first. Only the key days on which a fact covering the unit
    changes are looked at, so the work grows with (units x their facts' changes), not with
    units x days.
    """
    n_keys = len(keys)
    last_day = int(keys[-1]) if n_keys else -1
    # Every fact's changes in one pass (facts covering no unit or saying nothing left out).
    used = [f for f, fact in enumerate(facts) if len(member[f]) and fact.dates]
    origin = start.toordinal()
    # Facts often share one tuple of dates (every face of a snapshot layer): each distinct
    # tuple is converted once, and nothing builds a Python list per change.
    day_arrays: dict[int, np.ndarray] = {}
    for f in used:
        dates = facts[f].dates
        if id(dates) not in day_arrays:
            day_arrays[id(dates)] = np.fromiter((d.toordinal() - origin for d in dates),
                                                dtype=np.int64, count=len(dates))
    rel = (np.concatenate([day_arrays[id(facts[f].dates)] for f in used]) if used
           else np.zeros(0, dtype=np.int64))
    val = np.fromiter((code[c] if c is not None else -2 for f in used
                       for c in facts[f].controllers), dtype=np.int64, count=len(rel))
    ev_of = np.repeat(np.array(used, dtype=np.int64),
                      [len(facts[f].dates) for f in used]).astype(np.int64)
    keep = rel <= last_day  # a change after the last key never takes effect
    rel, val, ev_of = rel[keep], val[keep], ev_of[keep]
    n_ev = np.bincount(ev_of, minlength=len(facts)).astype(np.int64)
    rank = np.array([fact.rank for fact in facts], dtype=np.int64)
    speaking = np.flatnonzero(n_ev > 0)
    if not len(speaking):
        return History(np.arange(n_units + 1), np.zeros(n_units), np.full(n_units, -1),
                       np.full(n_units, -1))
    pu = np.concatenate([np.asarray(member[f], dtype=np.int64) for f in speaking.tolist()])
    pf = np.repeat(speaking, [len(member[f]) for f in speaking.tolist()]).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(n_ev)])  # fact f's changes: first[f]:first[f + 1]
    ev_fact = ev_of
    ev_key = np.maximum(np.searchsorted(keys, rel, side="right") - 1, 0)
    # A unit that one fact alone speaks for follows that fact's own timeline, the same for
    # all its units: computed once per fact, not once per unit and change (a daily snapshot
    # covers most faces alone, with hundreds of dates each).
    sole = np.bincount(pu, minlength=n_units)[pu] == 1
    sole_units, sole_facts = pu[sole], pf[sole]
    pu, pf = pu[~sole], pf[~sole]

    def spread(owner: np.ndarray, lo: np.ndarray, count: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
        """For each item i, the indexes lo[i] .. lo[i] + count[i] - 1, with their item."""
        total = int(count.sum())
        item = np.repeat(np.arange(len(owner), dtype=np.int64), count)
        offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        return item, lo[item] + offset

    # The key days on which each unit may change: key 0 and every change of its facts.
    item, ev = spread(pu, first[pf], n_ev[pf])
    span = n_keys + 1
    comp = np.unique(np.concatenate([np.arange(n_units, dtype=np.int64) * span,
                                     pu[item] * span + ev_key[ev]]))
    b_unit, b_key = comp // span, comp % span
    b_ptr = np.searchsorted(b_unit, np.arange(n_units + 1))
    # Each (unit, fact) pair on each of the unit's key days: the fact's last change by then.
    item, b = spread(pu, b_ptr[pu], b_ptr[pu + 1] - b_ptr[pu])
    f = pf[item]
    lo = int(rel.min())
    # (wide enough for the key days too: a key day past a fact's last change must not reach
    # into the next fact's changes; every change kept is on or before the last key day)
    width = max(int(rel.max()), last_day) - lo + 2
    at = np.searchsorted(ev_fact * width + (rel - lo), f * width + (keys[b_key[b]] - lo),
                         side="right") - 1
    has = at >= first[f]
    at = np.where(has, at, 0)
    none = -(2 ** 62)
    score = np.where(has & (val[at] != -2), rel[at] * 4096 + rank[f], none)
    # Per key day: the highest score, then the first fact.
    order = np.lexsort((f, -score, b))
    b, f, at, score = b[order], f[order], at[order], score[order]
    top = _differs(b)
    b, f, at, score = b[top], f[top], at[top], score[top]
    won = score > none
    b_code = np.full(len(comp), -1, dtype=np.int64)
    b_src = np.full(len(comp), -1, dtype=np.int64)
    b_code[b[won]] = val[at[won]]
    b_src[b[won]] = f[won]
    # Keep a unit's first key day and the days its code or deciding fact changes.
    keep = _differs(b_unit, b_code, b_src)
    r_unit, r_key, r_code, r_src = b_unit[keep], b_key[keep], b_code[keep], b_src[keep]
    if len(sole_units):
        # In slices of about a million changes, cut between facts, to bound the memory.
        cuts = np.unique(np.concatenate([first[np.searchsorted(
            first, np.arange(0, len(ev_fact), 1 << 20), side="right") - 1], [len(ev_fact)]]))
        rows = [_fact_timelines(ev_fact[a:b], ev_key[a:b], val[a:b])
                for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True)]
        t_fact, t_key, t_code, t_src = (np.concatenate(part) for part in zip(*rows, strict=True))
        t_ptr = _offsets(t_fact, len(facts))
        alone = np.zeros(n_units, dtype=bool)
        alone[sole_units] = True
        mine = ~alone[r_unit]  # the rows above for those units say "no data" only
        item, row = spread(sole_units, t_ptr[sole_facts],
                           t_ptr[sole_facts + 1] - t_ptr[sole_facts])
        r_unit = np.concatenate([r_unit[mine], sole_units[item]])
        r_key = np.concatenate([r_key[mine], t_key[row]])
        r_code = np.concatenate([r_code[mine], t_code[row]])
        r_src = np.concatenate([r_src[mine], t_src[row]])
        order = np.lexsort((r_key, r_unit))
        r_unit, r_key, r_code, r_src = (r_unit[order], r_key[order], r_code[order],
                                        r_src[order])
    return History(_offsets(r_unit, n_units), r_key, r_code, r_src)


def _fact_timelines(ev_fact: np.ndarray, ev_key: np.ndarray, val: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What each fact alone says on the key days: its changes as compressed rows.

    ``ev_fact``, ``ev_key`` and ``val`` give each change's fact, key index and controller
    code (``-2``: says nothing), grouped by fact in date order. Returns the rows, in order
    of fact then key: ``fact``, ``key``, ``code`` (``-1``: no data) and ``source`` (the
    fact, or ``-1`` where it says nothing); each fact's first row is at key 0.
    """
    last = np.ones(len(ev_fact), dtype=bool)  # a fact's last change on each key day
    last[:-1] = _differs(ev_fact, ev_key)[1:]
    fact, key, value = ev_fact[last], ev_key[last], val[last]
    speaks = value != -2
    code = np.where(speaks, value, -1)
    src = np.where(speaks, fact, -1)
    # A fact whose first change comes after key 0 says "no data" until then.
    late = fact[_differs(fact) & (key > 0)]
    fact = np.concatenate([late, fact])
    key = np.concatenate([np.zeros(len(late), dtype=key.dtype), key])
    code = np.concatenate([np.full(len(late), -1, dtype=code.dtype), code])
    src = np.concatenate([np.full(len(late), -1, dtype=src.dtype), src])
    order = np.lexsort((key, fact))
    fact, key, code, src = fact[order], key[order], code[order], src[order]
    keep = _differs(fact, code, src)
    return fact[keep], key[keep], code[keep], src[keep]


def _merge_atoms(geoms: np.ndarray, history: History) -> tuple[np.ndarray, History]:
    """Merge neighbouring atoms that have the same controller and deciding fact every day."""
    if len(geoms) < 2:
        return geoms, history
    group = history.groups()  # equal histories, found by hashing each atom's changes
    # Connected components of touching atoms within each group (union-find).
    parent = np.arange(len(geoms))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    # Only atoms whose history another atom shares can merge: index those alone.
    cand = np.flatnonzero(np.bincount(group)[group] > 1)
    tree = shapely.STRtree(geoms[cand])
    left, right = tree.query(geoms[cand], predicate="touches")
    left, right = cand[left], cand[right]
    same = (group[left] == group[right]) & (left < right)
    left, right = left[same], right[same]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]),
                                                 shapely.boundary(geoms[right]))) > 0
    for a, b in zip(left[shared].tolist(), right[shared].tolist(), strict=True):
        ra, rb = find(a), find(b)  # touching at a point only is no shared border
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(len(geoms))])
    keep, count = np.unique(roots, return_counts=True)
    by_root = np.argsort(roots, kind="stable")  # each component's atoms in index order
    ends = np.cumsum(count)
    merged = np.array([shapely.union_all(geoms[by_root[e - c:e]]) if c > 1 else geoms[r]
                       for r, c, e in zip(keep.tolist(), count.tolist(), ends.tolist(),
                                          strict=True)], dtype=object)
    merged = np.array([_polygons_only(shapely.make_valid(g)) if not g.is_valid else g
                       for g in merged], dtype=object)
    return merged, history.select(keep)


def require_points(ds: Dataset) -> None:
    """Check that every place has coordinates, as the maps, statistics and exports need.

    Parameters
    ----------
    ds
        The dataset.

    Raises
    ------
    ValueError
        Naming the first place without coordinates and its line in ``places.csv`` (a dataset
        loaded with ``geocode=False`` keeps such places).
    """
    geoms = ds.places.geometry
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        pid = str(ds.places.index[missing.to_numpy()][0])
        line = ds.places["line"][pid] if "line" in ds.places.columns else None
        where = f"places.csv:{line}" if line is not None else "places.csv"
        raise ValueError(f"{where}: lat/lon: place {pid!r} has no coordinates; give them, or "
                         "load the dataset with geocoding on")


def _rings_xy(geom: BaseGeometry) -> list[np.ndarray]:
    """The coordinates of every ring of a (multi)polygon, closing point dropped."""
    xy, counts = _ring_coords(geom)
    ends = np.cumsum(counts)
    return [xy[e - n:e - 1] for n, e in zip(counts.tolist(), ends.tolist(), strict=True)]


def _ring_coords(geom: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Every ring's coordinates (closing points kept) end to end, and each ring's count.

    Empty rings are left out. One call of each shapely function for the whole geometry.
    """
    rings = shapely.get_rings(shapely.get_parts(geom))
    counts = shapely.get_num_coordinates(rings)
    rings, counts = rings[counts > 0], counts[counts > 0]
    if not len(rings):
        return np.zeros((0, 2)), counts
    return shapely.get_coordinates(rings), counts


def _vertex_keys(xy: np.ndarray) -> np.ndarray:
    """One hashable value per vertex: ``x + iy`` (equal exactly when the vertices are)."""
    return np.ascontiguousarray(xy, dtype=np.float64).view(np.complex128).ravel()


@dataclass(frozen=True)
class _Outline:
    """The vertices of one outline: ``xy`` (every ring end to end, closing points kept),
    ``counts`` (vertices of each ring) and ``ids`` (a number per distinct vertex, shared by
    the outlines compared)."""

    xy: np.ndarray
    counts: np.ndarray
    ids: np.ndarray


def _outlines(geoms: Sequence[BaseGeometry]) -> tuple[list[_Outline], int]:
    """The :class:`_Outline` of each geometry, vertices numbered across all of them
    (hashing, linear), and how many distinct vertices there are."""
    # As _ring_coords of each geometry, but one call of each shapely function for them all.
    if not len(geoms):
        return [], 0
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    parts, part_g = shapely.get_parts(arr, return_index=True)
    rings, ring_p = shapely.get_rings(parts, return_index=True)
    counts = shapely.get_num_coordinates(rings)
    keep = counts > 0
    counts, ring_g = counts[keep], part_g[ring_p[keep]]
    allxy = shapely.get_coordinates(rings[keep]) if keep.any() else np.zeros((0, 2))
    ids, uniq = pd.factorize(_vertex_keys(allxy))
    ring_ends = np.cumsum(np.bincount(ring_g, minlength=len(geoms)))[:-1]
    size_ends = np.cumsum(np.bincount(ring_g, weights=counts, minlength=len(geoms))
                          .astype(np.int64))[:-1]
    return [_Outline(xy, c, part) for xy, c, part in zip(
        np.split(allxy, size_ends), np.split(counts, ring_ends), np.split(ids, size_ends),
        strict=True)], len(uniq)


def _changed_box(before: _Outline, after: _Outline, seen: np.ndarray,
                 ) -> tuple[float, float, float, float] | None:
    """The box around what differs between two outlines (None: the same vertices).

    The ground that changed lies between the parts of the two boundaries that differ, so
    inside the box of those parts: the vertices found in one outline and not the other, with
    their neighbours along their ring (an edge that replaces a dropped vertex ends at them).
    ``seen`` is a scratch array of ``False``, one per vertex number (left all ``False``).
    """
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    for mine, other in ((before, after), (after, before)):
        seen[other.ids] = True
        odd = ~seen[mine.ids]
        seen[other.ids] = False
        if not odd.any():
            continue
        # Per ring (closing point dropped): the odd vertices and their two neighbours.
        ends = np.cumsum(mine.counts)
        ring_of = np.repeat(np.arange(len(mine.counts)), mine.counts)
        for r in np.unique(ring_of[odd]).tolist():
            s0, s1 = int(ends[r] - mine.counts[r]), int(ends[r] - 1)
            ring_odd = odd[s0:s1]
            if ring_odd.any():
                near = ring_odd.copy()
                near[1:] |= ring_odd[:-1]
                near[0] |= ring_odd[-1]
                near[:-1] |= ring_odd[1:]
                near[-1] |= ring_odd[0]
                pick = mine.xy[s0:s1][near]
                lo.append(pick.min(axis=0))
                hi.append(pick.max(axis=0))
    if not lo:
        return None
    low, high = np.min(lo, axis=0), np.max(hi, axis=0)
    return (float(low[0]), float(low[1]), float(high[0]), float(high[1]))


def _snapshot_holders(snap_geoms: Sequence[Sequence[tuple[str | None, BaseGeometry]]],
                      probe: np.ndarray,
                      numbered: tuple[Sequence[_Outline], int] | None = None) -> np.ndarray:
    """Who holds each probe point in each snapshot (the last part containing it; None: no one).

    A snapshot is tested in full only when its sides differ from the one before; otherwise
    only the points in the box of each side's changed outline (:func:`_changed_box`, through an
    index of the points) are tested again, the others keep the previous snapshot's holder.
    Daily files that move a front a little cost little. ``numbered``: the vertices of every
    part, snapshot after snapshot, already numbered (:func:`_outlines`).
    """
    out = np.full((len(snap_geoms), len(probe)), None, dtype=object)
    if not len(probe):
        return out
    tree = shapely.STRtree(probe)

    def holders(parts: Sequence[tuple[str | None, BaseGeometry]], idx: np.ndarray) -> np.ndarray:
        got = np.full(len(idx), None, dtype=object)
        pts = probe[idx]
        for ctl, g in parts:
            if g.is_empty or not len(idx):
                continue
            shapely.prepare(g)
            got[shapely.contains(g, pts)] = ctl
        return got

    # Every outline's vertices, numbered once for all the comparisons below.
    flat, n_vertices = numbered or _outlines([g for parts in snap_geoms for _, g in parts])
    seen = np.zeros(n_vertices, dtype=bool)
    everything = np.arange(len(probe))
    prev: dict[str | None, _Outline] | None = None
    pos = 0
    for s_i, parts in enumerate(snap_geoms):
        sides = dict(parts)
        outline = dict(zip([ctl for ctl, _ in parts], flat[pos:pos + len(parts)], strict=True))
        pos += len(parts)
        if prev is None or len(sides) != len(parts) or set(sides) != set(prev):
            out[s_i] = holders(parts, everything)
        else:
            out[s_i] = out[s_i - 1]
            boxes = [b for ctl, _ in parts
                     if (b := _changed_box(prev[ctl], outline[ctl], seen)) is not None]
            near = [tree.query(shapely.box(*b)) for b in boxes]
            idx = np.unique(np.concatenate(near)) if near else everything[:0]
            out[s_i, idx] = holders(parts, idx)
        prev = outline if len(sides) == len(parts) else None
    return out


def build(ds: Dataset, *, reach_km: float | None = None) -> Territory:
    """Build the territory model of a dataset.

    Parameters
    ----------
    ds
        A loaded dataset (places with coordinates; optional ``areas`` and ``snapshots``).
    reach_km
        How far a place's surroundings reach; default: the dataset's setting (25 km).

    Returns
    -------
    Territory

    Raises
    ------
    ValueError
        If a place has no coordinates, or an event names a controller that is not a faction.
    """
    from mapper import basemap, territory

    require_points(ds)
    reach = reach_km if reach_km is not None else float(getattr(ds, "reach_km", 25.0))
    sides = [*ds.factions, CONTESTED]
    code: dict[str | None, int] = {s: i for i, s in enumerate(sides)}
    start, n_days = ds.start, (ds.end - ds.start).days + 1

    areas: gpd.GeoDataFrame | None = getattr(ds, "areas", None)
    snapshots: list[Any] = list(getattr(ds, "snapshots", None) or [])
    countries = list(ds.countries)
    ground = basemap.country_shape(countries) if countries else None

    place_ids = [str(p) for p in ds.places.index]
    area_ids = [str(a) for a in areas.index] if areas is not None and len(areas) else []
    history = _histories(ds.control_events, ds.end)
    unknown = sorted(set(history) - set(place_ids) - set(area_ids))
    if unknown:
        raise ValueError(f"events.csv: place_id: unknown place or area {unknown[0]!r}")
    for ctl in {c for _, cs in history.values() for c in cs}:
        if ctl is not None and ctl not in code:
            raise ValueError(f"events.csv: controller: {ctl!r} is not a declared faction")

    facts: list[Fact] = []
    # Snapshots: one layer whose outline per controller changes on each snapshot's date.
    snap_geoms: list[list[tuple[str | None, BaseGeometry]]] = []
    for snap in sorted(snapshots, key=lambda s: s.date):
        parts: list[tuple[str | None, BaseGeometry]] = [
            (str(c), _polygons_only(shapely.make_valid(g)))
            for c, g in zip(snap.controllers, snap.geometries, strict=True)]
        if snap.rest is not None and ground is not None:
            # One part is its own union (valid, as made so above): no overlay needed.
            covered = (shapely.Polygon() if not parts else parts[0][1] if len(parts) == 1
                       else shapely.union_all([g for _, g in parts]))
            parts.append((snap.rest, shapely.difference(ground, covered)))
        snap_geoms.append(parts)
    # Areas: clipped to the countries.
    area_geom: dict[str, BaseGeometry] = {}
    if area_ids:
        assert areas is not None
        for aid, g in zip(area_ids, areas.geometry, strict=True):
            g = _polygons_only(shapely.make_valid(g))
            area_geom[aid] = shapely.intersection(g, ground) if ground is not None else g
    order = sorted(area_ids, key=lambda a: -float(area_km2([area_geom[a]])[0]))
    area_rank = {a: 1 + i for i, a in enumerate(order)}  # smaller areas rank higher

    # Places: their surroundings, inside the smallest area that holds them.
    cells = territory.cells(ds.places, clip=ground, max_distance_km=reach)
    smallest: dict[str, str] = {}
    place_pts = ds.places.geometry.to_numpy()
    for aid in reversed(order):
        g = area_geom[aid]
        shapely.prepare(g)
        for i in np.flatnonzero(shapely.contains(g, place_pts)).tolist():  # all places at once
            smallest.setdefault(place_ids[i], aid)
    place_cell: dict[str, BaseGeometry] = {}
    for pid, geom in zip(cells.index, cells.geometry, strict=True):
        pid = str(pid)
        if pid in smallest:
            geom = _polygons_only(shapely.intersection(geom, area_geom[smallest[pid]]))
        place_cell[pid] = geom

    # The ground the model covers: the countries, or everything the facts outline.
    outlines = ([g for parts in snap_geoms for _, g in parts] + list(area_geom.values())
                + list(place_cell.values()))
    if ground is None:
        ground = shapely.union_all([g for g in outlines if not g.is_empty])
    # Every outline's vertices numbered once, for the faces and for the snapshots' changes.
    numbered, n_vertices = _outlines([ground, *outlines])
    faces = _faces(outlines, ground, (numbered, n_vertices))
    n_parts = sum(len(parts) for parts in snap_geoms)
    snap_numbered = numbered[1:1 + n_parts]
    del numbered  # (memory) the other outlines' vertices are not needed any more
    probe = shapely.point_on_surface(faces) if len(faces) else np.array([], dtype=object)
    members: list[np.ndarray] = []

    def covered_by(geom: BaseGeometry) -> np.ndarray:
        if geom.is_empty or not len(probe):
            return np.zeros(0, dtype=np.int64)
        shapely.prepare(geom)
        return np.flatnonzero(shapely.contains(geom, probe))

    # Snapshot layer as facts: one fact per controller region would not hold between
    # snapshots; instead each face gets one "snapshot" fact whose controller changes.
    if snap_geoms:
        snap_dates = tuple(s.date for s in sorted(snapshots, key=lambda s: s.date))
        face_ctl = _snapshot_holders(snap_geoms, probe, (snap_numbered, n_vertices))
        del snap_numbered
        # Faces with the same snapshot history share one fact.
        keyed: dict[tuple[Any, ...], list[int]] = {}
        for f in range(len(faces)):
            keyed.setdefault(tuple(face_ctl[:, f]), []).append(f)
        for hist, idx in sorted(keyed.items(), key=lambda kv: kv[1][0]):
            facts.append(Fact("snapshot", f"snapshots:{idx[0]}", shapely.Polygon(),
                              snap_dates, tuple(hist), 0))
            members.append(np.array(idx, dtype=np.int64))
        del face_ctl, keyed  # (memory) a controller per face and snapshot
    for aid in area_ids:
        dates, ctls = history.get(aid, ((), ()))
        facts.append(Fact("area", aid, area_geom[aid], dates, ctls, area_rank[aid]))
        members.append(covered_by(area_geom[aid]))
    place_rank = len(area_ids) + 2
    place_geoms = [place_cell.get(pid, shapely.Polygon()) for pid in place_ids]
    inside: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(place_geoms)
    if len(probe) and place_geoms:  # one index query for all places, not places x faces
        gi, pi = shapely.STRtree(probe).query(np.array(place_geoms, dtype=object),
                                              predicate="contains")
        by_place = np.lexsort((pi, gi))
        gi, pi = gi[by_place], pi[by_place].astype(np.int64)
        cut = np.searchsorted(gi, np.arange(len(place_geoms) + 1))
        inside = [pi[cut[k]:cut[k + 1]] for k in range(len(place_geoms))]
    for pid, geom, within in zip(place_ids, place_geoms, inside, strict=True):
        dates, ctls = history.get(pid, ((), ()))
        facts.append(Fact("place", pid, geom, dates, ctls, place_rank))
        members.append(within)

    # The snapshot facts share one tuple of dates: each distinct tuple is counted once.
    distinct = {id(f.dates): f.dates for f in facts}.values()
    keys = np.unique(np.concatenate([[0], *[
        np.array([(d - start).days for d in dates], dtype=np.int64) for dates in distinct]]))
    keys = keys[(keys >= 0) & (keys < n_days)]
    atom_history = _state_history(facts, members, len(faces), keys, start, code)
    faces, atom_history = _merge_atoms(faces, atom_history)

    # The ground at each place: the same rule at the place's point.
    pts = ds.places.geometry.to_numpy()
    point_facts: list[Fact] = []
    point_members: list[np.ndarray] = []
    for i, pid in enumerate(place_ids):
        dates, ctls = history.get(pid, ((), ()))
        point_facts.append(Fact("place", pid, pts[i], dates, ctls, place_rank))
        point_members.append(np.array([i], dtype=np.int64))
    for aid in area_ids:
        dates, ctls = history.get(aid, ((), ()))
        point_facts.append(Fact("area", aid, area_geom[aid], dates, ctls, area_rank[aid]))
        point_members.append(np.flatnonzero(shapely.intersects(area_geom[aid], pts)))
    if snap_geoms:
        point_hist = np.full((len(snap_geoms), len(pts)), None, dtype=object)
        for s_i, snap_parts in enumerate(snap_geoms):
            for ctl, g in snap_parts:
                point_hist[s_i, shapely.intersects(g, pts)] = ctl
        snap_dates = tuple(s.date for s in sorted(snapshots, key=lambda s: s.date))
        for i, pid in enumerate(place_ids):
            point_facts.append(Fact("snapshot", pid, pts[i], snap_dates,
                                    tuple(point_hist[:, i]), 0))
            point_members.append(np.array([i], dtype=np.int64))
    place_history = _state_history(point_facts, point_members, len(place_ids), keys, start,
                                   code).codes_only()

    atoms = gpd.GeoDataFrame({"area_km2": area_km2(faces)}, geometry=list(faces), crs=_WGS84)
    return Territory(start=start, n_days=n_days, sides=sides, atoms=atoms, keys=keys,
                     atom_history=atom_history, place_ids=place_ids,
                     place_history=place_history, facts=facts)


def _histories(events: pd.DataFrame, end: date,
               ) -> dict[str, tuple[tuple[date, ...], tuple[str | None, ...]]]:
    """Every dated control fact of each place or area, in order (repeats kept).

    A repeated controller matters here: it is a newer fact about that ground, which can
    outweigh an older fact about a larger area.
    """
    out: dict[str, tuple[list[date], list[str | None]]] = {}
    if not len(events):
        return {}
    ev = events.loc[events["controller"].notna(), ["date", "place_id", "controller"]]
    ev = ev.assign(_d=[d for d in ev["date"]])
    ev = ev[[d <= end for d in ev["_d"]]]
    order = np.argsort(np.array([d.toordinal() for d in ev["_d"]]), kind="stable")
    for d, uid, ctl in zip(ev["_d"].to_numpy()[order], ev["place_id"].to_numpy()[order],
                           ev["controller"].to_numpy()[order], strict=True):
        dates, ctls = out.setdefault(str(uid), ([], []))
        if dates and dates[-1] == d:  # two facts of one day: the later row wins
            ctls[-1] = str(ctl)
            continue
        dates.append(d)
        ctls.append(str(ctl))
    return {k: (tuple(v[0]), tuple(v[1])) for k, v in out.items()}

def _topology_rings(geoms: Sequence[BaseGeometry], decimals: int,
                    ) -> tuple[list[tuple[int, int, int]], np.ndarray, np.ndarray]:
    """The rings :func:`topology` splits: ``(geometry, polygon, ring)`` of each, their
    coordinates end to end (rounded, repeated points dropped, closing points kept) and the
    vertices of each. Rings of fewer than four vertices are left out."""
    valid = [gi for gi, g in enumerate(geoms) if g is not None and not g.is_empty]
    if not valid:
        return [], np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    parts, part_g = shapely.get_parts(np.array([geoms[i] for i in valid], dtype=object),
                                      return_index=True)
    part_g = np.asarray(valid, dtype=np.int64)[part_g]
    first_part = np.r_[True, part_g[1:] != part_g[:-1]]
    part_i = np.arange(len(parts)) - np.maximum.accumulate(
        np.where(first_part, np.arange(len(parts)), 0))
    polys = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, part_g, part_i = parts[polys], part_g[polys], part_i[polys]
    rings, ring_p = shapely.get_rings(parts, return_index=True)
    first_ring = np.r_[True, ring_p[1:] != ring_p[:-1]]
    ring_i = np.arange(len(rings)) - np.maximum.accumulate(
        np.where(first_ring, np.arange(len(rings)), 0))
    xy = np.round(shapely.get_coordinates(rings), decimals)
    n = shapely.get_num_coordinates(rings)
    ring_at = np.repeat(np.arange(len(rings)), n)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1) | (ring_at[1:] != ring_at[:-1])
    counts = np.bincount(ring_at[keep], minlength=len(rings))
    xy, ring_at = xy[keep], ring_at[keep]
    big = counts >= 4
    xy = xy[big[ring_at]]
    ring_of = [(int(g), int(p), int(r)) for g, p, r in
               zip(part_g[ring_p[big]], part_i[ring_p[big]], ring_i[big], strict=True)]
    return ring_of, xy, counts[big]


def topology(geoms: Sequence[BaseGeometry] | np.ndarray, *, decimals: int = 6,
             ) -> dict[str, Any]:
    """Split the borders of non-overlapping polygons into arcs, each stored once.

    Parameters
    ----------
    geoms
        Polygons or MultiPolygons (lon/lat) that share borders exactly (as overlays give).
    decimals
        Coordinates are compared after rounding to this many decimals.

    Returns
    -------
    dict
        ``arcs``: list of ``(n, 2)`` coordinate arrays; ``polygons``: per geometry, a list of
        polygons, each a list of rings, each a list of arc references (``i`` the arc as
        stored, ``~i`` reversed); ``left``/``right``: per arc, the geometry on each side
        (``-1``: outside); ``lines``: per arc, a LineString.

    Examples
    --------
    >>> t = topology([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> len(t["arcs"]), sorted(zip(t["left"].tolist(), t["right"].tolist()))
    (3, [(-1, 0), (-1, 1), (0, 1)])
    """
    geoms = list(geoms)
    empty_lines: list[BaseGeometry] = []
    ring_of, rings_xy, counts = _topology_rings(geoms, decimals)
    if not len(counts):
        return {"arcs": [], "polygons": [[] for _ in geoms], "left": np.zeros(0, dtype=int),
                "right": np.zeros(0, dtype=int), "lines": empty_lines}
    # Number the distinct vertices (closing points left out) in (x, y) order, as sorting the
    # rows would, but by hashing (linear) and then sorting only the distinct ones.
    open_ = np.ones(len(rings_xy), dtype=bool)
    open_[np.cumsum(counts) - 1] = False
    allxy = rings_xy[open_]
    codes, uniq = pd.factorize(_vertex_keys(allxy + 0.0))  # + 0.0: -0.0 is 0.0
    order = np.lexsort((uniq.imag, uniq.real))
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    vid = rank[codes]
    uniq_xy = np.zeros((len(uniq), 2))
    uniq_xy[vid] = allxy
    sizes = (counts - 1).tolist()
    ring_v = np.split(vid, np.cumsum(sizes)[:-1])
    # A vertex is a junction where its number of distinct neighbours is not two.
    ends = np.cumsum(sizes)
    nxt = np.empty_like(vid)
    nxt[:-1] = vid[1:]
    nxt[ends - 1] = vid[ends - np.asarray(sizes)]  # each ring's last vertex: its first
    pair = np.minimum(vid, nxt) * len(uniq) + np.maximum(vid, nxt)
    edges = np.unique(pair)
    degree = np.bincount(np.concatenate([edges // len(uniq), edges % len(uniq)]),
                         minlength=len(uniq_xy))
    junction = degree != 2

    arc_index: dict[tuple[int, ...], int] = {}
    arcs: list[np.ndarray] = []
    sides: list[list[int]] = []
    polygons: list[list[list[list[int]]]] = [[] for _ in geoms]
    poly_slot: dict[tuple[int, int], int] = {}
    for (gi, pi, _ri), v in zip(ring_of, ring_v, strict=True):
        cut = np.flatnonzero(junction[v])
        if len(cut) == 0:  # no junction: start at the smallest vertex id
            cut = np.array([int(np.argmin(v))])
        refs: list[int] = []
        for j, c0 in enumerate(cut):
            c1 = cut[(j + 1) % len(cut)]
            seq = np.concatenate([v[c0:], v[:c1 + 1]]) if c1 <= c0 else v[c0:c1 + 1]
            key = tuple(seq.tolist())
            rev = key[::-1]
            if key in arc_index:
                k = arc_index[key]
                refs.append(k)
                sides[k].append(gi)
            elif rev in arc_index:
                k = arc_index[rev]
                refs.append(~k)
                sides[k].append(gi)
            else:
                k = len(arcs)
                arc_index[key] = k
                arcs.append(uniq_xy[np.array(key)])
                sides.append([gi])
                refs.append(k)
        slot = poly_slot.setdefault((gi, pi), len(polygons[gi]))
        if slot == len(polygons[gi]):
            polygons[gi].append([])
        polygons[gi][slot].append(refs)
    left = np.array([s[0] for s in sides], dtype=np.int64)
    right = np.array([s[1] if len(s) > 1 else -1 for s in sides], dtype=np.int64)
    # Outside on the left: order each pair so that -1 comes first.
    swap = right < 0
    left, right = np.where(swap, right, left), np.where(swap, left, right)
    lines = list(shapely.linestrings(np.vstack(arcs),
                                     indices=np.repeat(np.arange(len(arcs)),
                                                       [len(x) for x in arcs])))
    return {"arcs": arcs, "polygons": polygons, "left": left, "right": right, "lines": lines}


def encode_history(keys: np.ndarray, history: History) -> dict[str, list[int]]:
    """A :class:`History` as the state on day 0 plus its changes, for the browser.

    Parameters
    ----------
    keys
        Key days (slider indexes), ascending, the first 0.
    history
        The units' codes over those keys.

    Returns
    -------
    dict
        ``initial`` (a code per unit), and per change ``day`` (slider index), ``unit`` and
        ``after``, in order of day then unit.

    Examples
    --------
    >>> h = History(np.array([0, 1, 3]), np.array([0, 0, 1]), np.array([0, 1, 0]), None)
    >>> encode_history(np.array([0, 3]), h)
    {'initial': [0, 1], 'day': [3], 'unit': [1], 'after': [0]}
    """
    key, unit, code = history.changes()
    return {"initial": history.codes_at(0).tolist() if len(history) else [],
            "day": np.asarray(keys)[key].astype(np.int64).tolist(), "unit": unit.tolist(),
            "after": code.astype(np.int64).tolist()}


def method_note(ds: Dataset, *, short: bool = False) -> str:
    """How the areas of a dataset's maps are made, in plain words.

    Parameters
    ----------
    ds
        The dataset.
    short
        One sentence for an image's credit line, instead of the page's paragraph.

    Returns
    -------
    str

    Examples
    --------
    >>> method_note(load_dataset("geodata/kharkiv-2022"), short=True)  # doctest: +SKIP
    'Areas: the ground nearest each place, within 25 km; no data elsewhere.'
    """
    reach = float(getattr(ds, "reach_km", 25.0))
    snaps = list(getattr(ds, "snapshots", None) or [])
    areas = getattr(ds, "areas", None)
    n_areas = 0 if areas is None else len(areas)
    drawn = []
    if snaps:
        drawn.append(f"{len(snaps)} dated snapshot{'s' if len(snaps) != 1 else ''}")
    if n_areas:
        drawn.append(f"{n_areas} area{'s' if n_areas != 1 else ''} drawn in the data")
    if short:
        if not drawn:
            return (f"Areas: the ground nearest each place, within {reach:g} km; "
                    "no data elsewhere.")
        return (f"Areas: {' and '.join(drawn)}, each place's own surroundings "
                f"(within {reach:g} km); the most recent fact wins; no data where none.")
    parts = []
    if drawn:
        parts.append(f"Drawn from the data: {' and '.join(drawn)}, each handed to a side on "
                     "a date by a cited source.")
    inside = " and inside the smallest area around it" if n_areas else ""
    parts.append(f"Derived: each place holds the ground nearer to it than to any other place, "
                 f"within {reach:g} km{inside}"
                 "; on each day every piece of ground takes the side of the most recent fact "
                 "that covers it (on the same date a place outweighs an area, and an area a "
                 "snapshot); front lines are the borders between ground of two sides.")
    parts.append("Unknown: ground no fact covers is drawn and counted as \"no data\". "
                 "Areas are measured in an equal-area projection (EPSG:6933).")
    return " ".join(parts)
