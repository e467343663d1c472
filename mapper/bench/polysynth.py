"""Generate daily snapshot files of one side's ground whose front moves a little every day.

The polygon benchmark (``python -m mapper.bench.run --polygons``) imports the folder this
writes with ``mapper import snapshots DIR --side A --rest B --countries SY``: side ``A`` holds
the ground each file draws, side ``B`` the rest of Syria.

Each file (``front_YYYYMMDD.geojson``, one a day) holds one Feature: a MultiPolygon of
about ``vertices`` vertices in all, made of

* the **main body**: the west of Syria, bounded on the east by a *front* that runs from the
  Turkish border in the north to the Jordanian border in the south, and on the west by a
  coarse path of a few vertices outside the country (through Turkey, the sea, Lebanon and
  Jordan), as trackers' files often overshoot borders; the map clips it to the country;
* a few **pockets**: small islands of ``A`` inside ``B``'s ground, east of the front.

The front is a fixed smooth *base curve* plus an offset along the curve's fixed normal at
each vertex (a jagged start: a sum of sines of a few wavelengths). Every day one *stretch* of
a front moves: mostly the main front, sometimes a pocket's edge; 8 to 40 km of it advances or
retreats by 1 to 4 km at most (0.5 to 2 km on a pocket), under a smooth ``sin²`` window, so a
bulge forms or flattens, as a local attack or withdrawal would. Only the vertices inside the
stretch get new coordinates; every other vertex keeps exactly the same coordinates (the same
6-decimal numbers) from day to day. Offsets are bounded (25 km either way of the start), and
a stretch moves only where its whole range of movement lies inside Syria, so the main front
never reaches the border or a pocket. As the vertices of a front sit on the normals of a
smooth curve that do not cross within that range, no edge can cross another: every
polygon is valid on every day.

The same :class:`PolySpec` (seed included) always writes byte-identical files.

Command line::

    python -m mapper.bench.polysynth --days 730 --vertices 3000 --out /tmp/fronts
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import numpy as np

from mapper._files import folder_lock, recover_folder, replace_folder

#: Kilometres per degree of latitude, and of longitude at the equator (local projection).
_KM_LAT = 110.574
_KM_LON = 111.320

#: Centre of the local equirectangular projection the curves are drawn in.
_LAT0 = 34.8

#: The main front's base curve: (lon, lat) control points, north (outside the Turkish border)
#: to south (outside the Jordanian border).
_FRONT_CONTROL: tuple[tuple[float, float], ...] = (
    (38.20, 37.50), (38.30, 36.60), (38.35, 35.90), (38.15, 35.00),
    (37.75, 34.10), (37.30, 33.20), (36.95, 32.40), (36.85, 31.90),
)

#: The main body's path outside Syria, from the front's south end back to its north end.
_OUTER: tuple[tuple[float, float], ...] = (
    (36.40, 31.70), (34.80, 31.90), (34.90, 34.70), (35.20, 37.70), (38.20, 37.75),
)

#: Largest offset of a front from where it starts (km), either way.
MAX_OFFSET_KM = 25.0


@dataclass(frozen=True)
class PolySpec:
    """What to generate.

    Parameters
    ----------
    days
        Number of daily files.
    vertices
        Vertices of the MultiPolygon in all (about; each ring's closing vertex not counted).
    pockets
        Number of pockets east of the front.
    seed
        Seed of the random generator; the same spec gives byte-identical files.
    start
        Day of the first file.
    """

    days: int = 730
    vertices: int = 3000
    pockets: int = 4
    seed: int = 1
    start: date = date(2023, 1, 1)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days: must be at least 1, got {self.days}")
        if self.pockets < 0:
            raise ValueError(f"pockets: must not be negative, got {self.pockets}")
        if self.vertices < 200 + 24 * self.pockets:
            raise ValueError(f"vertices: at least {200 + 24 * self.pockets} for "
                             f"{self.pockets} pocket(s), got {self.vertices}")

    @property
    def end(self) -> date:
        """Day of the last file."""
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class PolySummary:
    """What :func:`generate_fronts` wrote.

    Attributes
    ----------
    path
        The folder of snapshot files.
    files
        Files written (one a day).
    vertices
        Vertices of one day's MultiPolygon (the same every day).
    moved_per_day
        Mean number of vertices that got new coordinates from one day to the next.
    bytes
        Bytes of all files.
    seconds
        Wall time, writes included.
    """

    path: Path
    files: int
    vertices: int
    moved_per_day: float
    bytes: int
    seconds: float


def _to_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    k = _KM_LON * math.cos(math.radians(_LAT0))
    return np.column_stack([lon * k, (lat - _LAT0) * _KM_LAT])


def _to_deg(xy: np.ndarray) -> np.ndarray:
    k = _KM_LON * math.cos(math.radians(_LAT0))
    return np.column_stack([xy[:, 0] / k, xy[:, 1] / _KM_LAT + _LAT0])


def _catmull_rom(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points along a Catmull-Rom spline through ``points``, evenly spaced in length."""
    p = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    dense = []
    for i in range(1, len(p) - 2):
        t = np.linspace(0.0, 1.0, 200, endpoint=False)[:, None]
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        dense.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                            + (3 * p1 - p0 - 3 * p2 + p3) * t**3))
    dense.append(points[-1:])
    curve = np.vstack(dense)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(curve, axis=0).T))])
    at = np.linspace(0.0, s[-1], n)
    return np.column_stack([np.interp(at, s, curve[:, 0]), np.interp(at, s, curve[:, 1])])


def _normals(curve: np.ndarray, closed: bool) -> np.ndarray:
    """Unit normals of a polyline (to the right of its direction; outward for a CCW ring)."""
    if closed:
        d = np.roll(curve, -1, axis=0) - np.roll(curve, 1, axis=0)
    else:
        d = np.gradient(curve, axis=0)
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    return np.column_stack([d[:, 1], -d[:, 0]])


def _roughness(rng: np.random.Generator, s: np.ndarray, waves: tuple[tuple[float, float], ...],
               period: float | None = None) -> np.ndarray:
    """A jagged offset along arc length ``s``: a sum of sines (amplitude km, wavelength km)."""
    out = np.zeros_like(s)
    for amp, wave in waves:
        if period is not None:  # a whole number of waves around a closed ring
            wave = period / max(1, round(period / wave))
        out += amp * rng.uniform(0.6, 1.0) * np.sin(2 * np.pi * s / wave
                                                    + rng.uniform(0, 2 * np.pi))
    return out


@dataclass
class _Front:
    """One moving boundary: vertices on fixed normals of a base curve, at offsets ``d``."""

    base: np.ndarray         # (n, 2) km
    normal: np.ndarray       # (n, 2) unit vectors, pointing into B's ground
    d: np.ndarray            # (n,) offset from the base, km (moves)
    d0: np.ndarray           # (n,) offset on the first day
    movable: np.ndarray      # (n,) bool: the whole range of movement lies inside the country
    closed: bool
    step_km: tuple[float, float]      # amplitude range of a day's move
    stretch_km: tuple[float, float]   # length range of a day's stretch
    spacing_km: float
    bound_km: float = MAX_OFFSET_KM   # largest offset from the first day's, either way

    def xy(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.base[idx] + self.d[idx, None] * self.normal[idx]


def _inside(shape: Any, xy_km: np.ndarray) -> np.ndarray:
    import shapely

    deg = _to_deg(xy_km)
    return np.asarray(shapely.contains_xy(shape, deg[:, 0], deg[:, 1]))


def _fronts(spec: PolySpec, rng: np.random.Generator, country: Any) -> list[_Front]:
    """The main front and the pockets' rings, in their first day's position."""
    import shapely

    n_pocket = max(24, round(0.04 * spec.vertices)) if spec.pockets else 0
    n_main = spec.vertices - spec.pockets * n_pocket - len(_OUTER)
    ctrl = np.array(_FRONT_CONTROL)
    base = _catmull_rom(_to_km(ctrl[:, 0], ctrl[:, 1]), n_main)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(base, axis=0).T))])
    # Normals to the right of a north-to-south line point west; B's ground is east.
    normal = -_normals(base, closed=False)
    d0 = _roughness(rng, s, ((6.0, 140.0), (3.0, 45.0), (1.2, 14.0), (0.4, 4.5)))
    reach = MAX_OFFSET_KM + 2.0
    inner = country.buffer(-0.02)  # about 2 km inside the border
    movable = (_inside(inner, base + (d0 + reach)[:, None] * normal)
               & _inside(inner, base + (d0 - reach)[:, None] * normal))
    fronts = [_Front(base, normal, d0.copy(), d0, movable, False, (1.0, 4.0), (8.0, 40.0),
                     float(s[-1] / (n_main - 1)))]

    # Pockets: east of everything the main front can reach, inside the country, apart.
    outer = _to_km(np.array([p[0] for p in _OUTER]), np.array([p[1] for p in _OUTER]))
    farthest = base + (d0 + reach)[:, None] * normal  # the main body at its largest
    body = shapely.make_valid(shapely.Polygon(_to_deg(np.vstack([farthest, outer]))))
    shapely.prepare(inner)
    shapely.prepare(body)
    placed: list[tuple[np.ndarray, float]] = []
    x0, y0, x1, y1 = country.bounds
    tries = 0
    while len(placed) < spec.pockets:
        tries += 1
        if tries > 20_000:  # pragma: no cover - the east of Syria has room for dozens
            raise RuntimeError("no room for the pockets; ask for fewer")
        radius = float(rng.uniform(10.0, 22.0))
        lon, lat = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        centre = _to_km(np.array([lon]), np.array([lat]))[0]
        keep_out = (1.7 * radius + 5.0) / 80.0  # its largest reach, and a margin
        disc = shapely.Point(lon, lat).buffer(keep_out)
        if not inner.contains(disc) or body.intersects(disc):
            continue
        if any(np.hypot(*(centre - c)) < (radius + r) * 1.7 + 10 for c, r in placed):
            continue
        placed.append((centre, radius))
    for centre, radius in placed:
        theta = np.linspace(0.0, 2 * np.pi, n_pocket, endpoint=False)
        normal = np.column_stack([np.cos(theta), np.sin(theta)])  # outward: into B's ground
        base = centre + radius * normal  # counter-clockwise
        perimeter = 2 * np.pi * radius
        s = theta * radius
        d0 = _roughness(rng, s, ((radius * 0.12, perimeter / 3), (radius * 0.05, 9.0),
                                 (0.3, 3.0)), period=perimeter)
        fronts.append(_Front(base, normal, d0.copy(), d0, np.ones(n_pocket, dtype=bool), True,
                             (0.5, 2.0), (5.0, min(25.0, perimeter / 3)),
                             perimeter / n_pocket, min(MAX_OFFSET_KM, 0.5 * radius)))
    return fronts


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs ``[i, j)`` of True in a boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _move(front: _Front, rng: np.random.Generator, day: int) -> int:
    """Advance or pull back one stretch of ``front``; return how many vertices moved."""
    n = len(front.base)
    length = round(rng.uniform(*front.stretch_km) / front.spacing_km)
    length = max(4, min(length, n // 2))
    amp = float(rng.uniform(*front.step_km))
    u = float(rng.random())
    if front.closed:
        first = int(rng.integers(0, n))
        idx = (first + np.arange(1, length)) % n
        where = first / n
    else:
        runs = [(a, b) for a, b in _runs(front.movable) if b - a > length + 2]
        if not runs:
            return 0
        weights = np.array([b - a - length for a, b in runs], dtype=float)
        a, b = runs[int(rng.choice(len(runs), p=weights / weights.sum()))]
        first = int(rng.integers(a, b - length))
        idx = first + np.arange(1, length)
        where = first / n
    # A slowly turning tide: each sector attacks for some months, then falls back.
    tide = 0.5 + 0.3 * math.sin(2 * math.pi * (1.5 * where + day / 240.0))
    sign = 1.0 if u < tide else -1.0
    w = np.sin(np.pi * np.arange(1, length) / length) ** 2
    lo, hi = front.d0[idx] - front.bound_km, front.d0[idx] + front.bound_km
    step = sign * amp * w
    if np.any(front.d[idx] + step > hi) or np.any(front.d[idx] + step < lo):
        step = -step  # at the limit of its range: the front turns back there
    new = np.clip(front.d[idx] + step, lo, hi)
    front.d[idx] = new
    return len(idx)


def _ring_deg(xy_km: np.ndarray) -> list[list[float]]:
    deg = np.round(_to_deg(xy_km), 6)
    ring = deg.tolist()
    ring.append(ring[0])
    return ring


def _signed_area(ring: list[list[float]]) -> float:
    a = np.asarray(ring)
    return 0.5 * float(np.sum(a[:-1, 0] * a[1:, 1] - a[1:, 0] * a[:-1, 1]))


def _feature_text(rings: list[list[list[float]]], day: date) -> str:
    """The day's file: one Feature, a MultiPolygon, compact JSON with fixed key order."""
    coords = json.dumps([[r] for r in rings], separators=(",", ":"))
    head = json.dumps({"type": "FeatureCollection", "name": f"front_{day:%Y%m%d}"})[:-1]
    return (head + ', "features": [{"type": "Feature", "properties": {"side": "A", '
            f'"date": "{day.isoformat()}"}}, "geometry": {{"type": "MultiPolygon", '
            f'"coordinates": {coords}}}}}]}}\n')


def file_name(day: date) -> str:
    """The snapshot file of one day, e.g. ``front_20230101.geojson``."""
    return f"front_{day:%Y%m%d}.geojson"


def generate_fronts(spec: PolySpec, out: Path | str) -> PolySummary:
    """Write one GeoJSON file a day of side A's ground into the folder ``out``.

    Parameters
    ----------
    spec
        Days, vertices, pockets, seed, first day.
    out
        The folder; replaced whole (atomically) by the new files.

    Returns
    -------
    PolySummary

    Examples
    --------
    >>> import tempfile
    >>> s = generate_fronts(PolySpec(days=3, vertices=400, pockets=1), tempfile.mkdtemp())
    >>> s.files, s.vertices
    (3, 400)
    """
    import shapely

    from mapper import basemap

    t0 = time.perf_counter()
    out = Path(out)
    rng = np.random.default_rng(spec.seed)
    country = basemap.country_shape(["SY"])
    shapely.prepare(country)
    fronts = _fronts(spec, rng, country)
    outer = _to_km(np.array([p[0] for p in _OUTER]), np.array([p[1] for p in _OUTER]))
    main_cw = None
    files: dict[str, bytes] = {}
    moved = 0
    total = 0
    for i in range(spec.days):
        day = spec.start + timedelta(days=i)
        if i:
            pick = 0 if not spec.pockets or rng.random() < 0.8 else int(
                rng.integers(1, len(fronts)))
            moved += _move(fronts[pick], rng, i)
        main = _ring_deg(np.vstack([fronts[0].xy(), outer]))
        if main_cw is None:
            main_cw = _signed_area(main) < 0
        if main_cw:
            main = main[::-1]  # exterior rings counter-clockwise (RFC 7946)
        rings = [main] + [_ring_deg(f.xy()) for f in fronts[1:]]
        text = _feature_text(rings, day).encode("utf-8")
        total += len(text)
        files[file_name(day)] = text
    with folder_lock(out):
        recover_folder(out)
        replace_folder(out, files, keep=False)
    n_vertices = len(fronts[0].base) + len(outer) + sum(len(f.base) for f in fronts[1:])
    return PolySummary(path=out, files=spec.days, vertices=n_vertices,
                       moved_per_day=moved / max(1, spec.days - 1), bytes=total,
                       seconds=time.perf_counter() - t0)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--days", "-d", type=int, default=730, show_default=True, help="Daily files.")
@click.option("--vertices", "-v", type=int, default=3000, show_default=True,
              help="Vertices of a day's MultiPolygon, in all.")
@click.option("--pockets", type=int, default=4, show_default=True,
              help="Pockets of A east of the front.")
@click.option("--seed", "-s", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2023-01-01",
              show_default=True, help="Day of the first file.")
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="Folder of snapshot files to write (replaced whole).")
def main(days: int, vertices: int, pockets: int, seed: int, start: Any, out: Path) -> None:
    """Write DAYS daily snapshot files of side A's ground in Syria, its front moving a little
    each day; import them with `mapper import snapshots OUT --side A --rest B --countries SY`.

    \b
    Example:
      python -m mapper.bench.polysynth --days 730 --vertices 3000 --out /tmp/fronts
    """
    try:
        spec = PolySpec(days=days, vertices=vertices, pockets=pockets, seed=seed,
                        start=start.date())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    s = generate_fronts(spec, out)
    click.echo(f"{s.path}: {s.files} files, {s.vertices} vertices a day, "
               f"{s.moved_per_day:.0f} moved a day on average, {s.bytes / 1e6:.1f} MB, "
               f"{s.seconds:.2f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
