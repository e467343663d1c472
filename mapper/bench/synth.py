"""Generate a synthetic, valid dataset of any size, for benchmarks and load tests.

The dataset follows ``geodata/README.md``: ``N`` places scattered over a real country-shaped
area (Syria: the outline from :func:`mapper.basemap.country_shape` when that module is
available, else its bounding box), a period of ``D`` days, and four factions that take each
place from one another about ``K`` times in the period. Every place also gets one event before
the period starts (so the map opens with a holder), a share of changes go to ``contested``, and
a few incidents (air strikes, shelling) change no control. No event ever hands a place to the
side that already holds it, so the validator accepts the output.

The same :class:`SynthSpec` (seed included) always produces byte-identical files.

Command line::

    python -m mapper.bench.synth --places 2000 --days 1000 --changes 10 --seed 1 --out /tmp/bench
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import numpy as np

from mapper._files import write_atomic

#: The four synthetic factions, in legend order: (id, label, colour). Data, not code.
FACTIONS: tuple[tuple[str, str, str], ...] = (
    ("northern-alliance", "Northern Alliance", "#c0392b"),
    ("southern-coalition", "Southern Coalition", "#2e7d32"),
    ("river-front", "River Front", "#1f5fbf"),
    ("desert-army", "Desert Army", "#b8860b"),
)

#: Approximate bounding box of Syria (lon_min, lat_min, lon_max, lat_max), from the extent of
#: the Natural Earth admin-0 outline; used when :mod:`mapper.basemap` is not available.
SYRIA_BBOX: tuple[float, float, float, float] = (35.73, 32.31, 42.38, 37.32)

_PLACE_KINDS: tuple[tuple[str, float], ...] = (
    ("city", 0.03), ("town", 0.17), ("village", 0.70), ("site", 0.03),
    ("base", 0.03), ("airbase", 0.02), ("crossing", 0.02),
)
_NAME_HEADS = ("Tal", "Kafr", "Ain", "Deir", "Khirbet", "Jisr", "Maarat", "Bir", "Umm", "Beit",
               "Qasr", "Mazraat", "Harat", "Ras", "Wadi", "Abu")
_NAME_TAILS = ("Hamra", "Nour", "Zeitun", "Sahl", "Jabal", "Rumman", "Tuffah", "Qamh", "Shams",
               "Ward", "Hajar", "Nahr", "Ghazal", "Tin", "Karm", "Sinduq", "Fayda", "Sawda",
               "Bayda", "Kabir", "Saghir", "Jadid", "Atiq", "Gharbi", "Sharqi")
_INCIDENT_KINDS = ("airstrike", "shelling", "clashes")
_PUBLISHERS = ("Synthetic Wire", "Benchmark Herald", "Test Monitor", "Example Observer")


@dataclass(frozen=True)
class SynthSpec:
    """What to generate.

    Parameters
    ----------
    places
        Number of places.
    days
        Length of the period, in days (inclusive of both ends).
    changes
        Mean number of control changes per place inside the period (Poisson).
    seed
        Seed of the random generator; the same spec gives byte-identical files.
    start
        First day of the period.
    contested_share
        Share of control changes that make a place ``contested``.
    incident_rate
        Incidents (no change of control) per control change, on average.
    sources
        Number of sources the events cite.
    """

    places: int = 200
    days: int = 200
    changes: float = 5.0
    seed: int = 0
    start: date = date(2020, 1, 1)
    contested_share: float = 0.1
    incident_rate: float = 0.05
    sources: int = 8

    def __post_init__(self) -> None:
        if self.places < 1:
            raise ValueError(f"places: must be at least 1, got {self.places}")
        if self.days < 1:
            raise ValueError(f"days: must be at least 1, got {self.days}")
        if self.changes < 0:
            raise ValueError(f"changes: must not be negative, got {self.changes}")
        if not 0 <= self.contested_share <= 1:
            raise ValueError(f"contested_share: must be in [0, 1], got {self.contested_share}")
        if self.incident_rate < 0:
            raise ValueError(f"incident_rate: must not be negative, got {self.incident_rate}")
        if self.sources < 1:
            raise ValueError(f"sources: must be at least 1, got {self.sources}")

    @property
    def end(self) -> date:
        """Last day of the period."""
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`generate` wrote.

    Attributes
    ----------
    path
        The dataset folder.
    places, events, control_changes, incidents, sources
        Counts of rows written (``events`` counts every row of ``events.csv``, including the
        one opening event per place dated before the period).
    area
        Where the points were drawn: ``"country_shape"`` or ``"bbox"``.
    seconds
        Wall time of the generation, writes included.
    """

    path: Path
    places: int
    events: int
    control_changes: int
    incidents: int
    sources: int
    area: str
    seconds: float


def country_area(countries: tuple[str, ...] = ("SY",)) -> tuple[Any, str]:
    """Return the area to scatter places in, and where it came from.

    Parameters
    ----------
    countries
        ISO 3166-1 alpha-2 codes.

    Returns
    -------
    tuple
        ``(geometry, "country_shape")`` with a shapely geometry from
        :func:`mapper.basemap.country_shape`, or ``(None, "bbox")`` if that outline is
        empty: then :data:`SYRIA_BBOX` is used.

    Examples
    --------
    >>> geom, how = country_area(("SY",))
    >>> how
    'country_shape'
    """
    from mapper import basemap

    shape: Any = basemap.country_shape(list(countries))
    if shape.is_empty:  # a country with no outline in Natural Earth: its bounding box
        return None, "bbox"
    return shape, "country_shape"


def _points(rng: np.random.Generator, n: int, area: Any) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` uniform points (lon, lat) inside ``area`` (or the Syria bounding box)."""
    if area is None:
        x0, y0, x1, y1 = SYRIA_BBOX
        return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    import shapely

    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(64, 2 * (n - have))
        x = rng.uniform(x0, x1, batch)
        y = rng.uniform(y0, y1, batch)
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _toml_text(spec: SynthSpec, center: tuple[float, float]) -> str:
    q = json.dumps  # a JSON string of plain ASCII text is a valid TOML basic string
    lines = [
        f"title = {q(f'Synthetic benchmark: {spec.places} places, {spec.days} days')}",
        "description = "
        + q(f"Generated by mapper.bench.synth (seed {spec.seed}, about {spec.changes:g} "
            "changes per place); not real events."),
        'countries = ["SY"]',
        "",
        "[time]",
        f'start = "{spec.start.isoformat()}"',
        f'end = "{spec.end.isoformat()}"',
        "",
        "[view]",
        f"center = [{center[0]:.4f}, {center[1]:.4f}]",
        "zoom = 7",
    ]
    for fid, label, colour in FACTIONS:
        lines += ["", "[[factions]]", f"id = {q(fid)}", f"label = {q(label)}",
                  f"colour = {q(colour)}"]
    return "\n".join(lines) + "\n"


def generate(spec: SynthSpec, out: Path | str) -> SynthSummary:
    """Write a synthetic dataset folder (``dataset.toml``, ``places.csv``, ``events.csv``,
    ``sources.csv``) to ``out``.

    Parameters
    ----------
    spec
        Sizes, seed and shares.
    out
        The dataset folder; created if needed, files in it replaced atomically.

    Returns
    -------
    SynthSummary
        Counts of what was written.

    Examples
    --------
    >>> import tempfile
    >>> s = generate(SynthSpec(places=20, days=30, changes=2, seed=1), tempfile.mkdtemp())
    >>> s.places, s.events >= 20
    (20, True)
    """
    t0 = time.perf_counter()
    out = Path(out)
    rng = np.random.default_rng(spec.seed)
    area, area_from = country_area(("SY",))
    lon, lat = _points(rng, spec.places, area)

    kind_names = [k for k, _ in _PLACE_KINDS]
    kind_p = np.array([p for _, p in _PLACE_KINDS])
    kinds = rng.choice(len(kind_names), size=spec.places, p=kind_p / kind_p.sum())
    heads = rng.integers(0, len(_NAME_HEADS), spec.places)
    tails = rng.integers(0, len(_NAME_TAILS), spec.places)
    names = [f"{_NAME_HEADS[h]} {_NAME_TAILS[t]}" for h, t in zip(heads, tails, strict=True)]
    ids = [f"p{i:05d}" for i in range(spec.places)]
    place_rows = [
        [ids[i], names[i], kind_names[kinds[i]], "SY", f"{lat[i]:.5f}", f"{lon[i]:.5f}", ""]
        for i in range(spec.places)
    ]

    source_ids = [f"synth-{i + 1:02d}" for i in range(spec.sources)]
    source_rows = [
        [sid, f"Synthetic report {i + 1}", _PUBLISHERS[i % len(_PUBLISHERS)],
         f"https://example.org/synthetic/{i + 1}", spec.start.isoformat()]
        for i, sid in enumerate(source_ids)
    ]

    n_factions = len(FACTIONS)
    contested = n_factions  # index used for ``contested``
    labels = [label for _, label, _ in FACTIONS]
    n_changes = np.minimum(rng.poisson(spec.changes, spec.places), spec.days)
    n_incidents = rng.poisson(spec.changes * spec.incident_rate, spec.places)
    total = int(n_changes.sum())
    flip_u = rng.random(total)
    pick3 = rng.integers(0, n_factions - 1, total)
    pick4 = rng.integers(0, n_factions, total)
    first_holder = rng.integers(0, n_factions, spec.places)
    first_offset = rng.integers(1, 366, spec.places)
    src_pick = rng.integers(0, spec.sources, total + spec.places + int(n_incidents.sum()))
    ordinal0 = spec.start.toordinal()

    # (day ordinal, place index, sequence, row) so the file is chronological and stable.
    keyed: list[tuple[int, int, int, list[str]]] = []
    k = 0  # position in the per-change random draws
    s = 0  # position in the source draws
    for i in range(spec.places):
        pid, name = ids[i], names[i]
        holder = int(first_holder[i])
        seen = {holder}
        day0 = ordinal0 - int(first_offset[i])
        keyed.append((day0, i, 0, [
            date.fromordinal(day0).isoformat(), pid, FACTIONS[holder][0], "captured",
            f"{labels[holder]} held {name} before the period began.", source_ids[src_pick[s]],
        ]))
        s += 1
        m = int(n_changes[i])
        days = np.sort(rng.choice(spec.days, size=m, replace=False)) if m else ()
        for seq, d in enumerate(days, start=1):
            if flip_u[k] < spec.contested_share and holder != contested:
                new = contested
            elif holder == contested:
                new = int(pick4[k])
            else:
                new = (holder + 1 + int(pick3[k])) % n_factions
            k += 1
            if new == contested:
                kind, text = "contested", f"Fighting for {name}; no side holds it."
            else:
                kind = "recaptured" if new in seen else "captured"
                text = f"{labels[new]} {'retook' if new in seen else 'took'} {name}."
                seen.add(new)
            holder = new
            fid = "contested" if new == contested else FACTIONS[new][0]
            day = ordinal0 + int(d)
            keyed.append((day, i, seq, [date.fromordinal(day).isoformat(), pid, fid, kind, text,
                                        source_ids[src_pick[s]]]))
            s += 1
        for j in range(int(n_incidents[i])):
            day = ordinal0 + int(rng.integers(0, spec.days))
            what = _INCIDENT_KINDS[int(rng.integers(0, len(_INCIDENT_KINDS)))]
            text = {"airstrike": f"Air strike reported near {name}.",
                    "shelling": f"Shelling hit the outskirts of {name}.",
                    "clashes": f"Clashes on the edge of {name}; no change of control."}[what]
            # sequence after every change of the place: incidents never reorder control
            keyed.append((day, i, 1_000_000 + j, [date.fromordinal(day).isoformat(), pid, "",
                                                  what, text, source_ids[src_pick[s]]]))
            s += 1
    keyed.sort(key=lambda e: (e[0], e[1], e[2]))

    if area is not None:
        c = area.centroid
        center = (round(float(c.y), 4), round(float(c.x), 4))
    else:
        x0, y0, x1, y1 = SYRIA_BBOX
        center = ((y0 + y1) / 2, (x0 + x1) / 2)

    write_atomic(out / "places.csv", _csv_text(
        ["id", "name", "kind", "country", "lat", "lon", "notes"], place_rows))
    write_atomic(out / "sources.csv", _csv_text(
        ["id", "title", "publisher", "url", "published"], source_rows))
    write_atomic(out / "events.csv", _csv_text(
        ["date", "place_id", "controller", "kind", "description", "source_id"],
        [e[3] for e in keyed]))
    write_atomic(out / "dataset.toml", _toml_text(spec, center))
    return SynthSummary(
        path=out, places=spec.places, events=len(keyed), control_changes=total,
        incidents=int(n_incidents.sum()), sources=spec.sources, area=area_from,
        seconds=time.perf_counter() - t0,
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--places", "-n", type=int, default=200, show_default=True, help="Places.")
@click.option("--days", "-d", type=int, default=200, show_default=True, help="Days in the period.")
@click.option("--changes", "-k", type=float, default=5.0, show_default=True,
              help="Mean control changes per place in the period.")
@click.option("--incidents", "-i", type=float, default=0.05, show_default=True,
              help="Incidents (no control change) per control change.")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2020-01-01",
              show_default=True, help="First day of the period.")
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="Dataset folder to write.")
def main(places: int, days: int, changes: float, incidents: float, seed: int, start: Any,
         out: Path) -> None:
    """Write a synthetic dataset of PLACES x DAYS with about CHANGES control changes a place.

    \b
    Example:
      python -m mapper.bench.synth --places 2000 --days 1000 --changes 10 --out /tmp/medium
      python -m mapper.bench.synth -n 50000 -d 2922 -k 1.8 --incidents 4 --out /tmp/acled
    """
    try:
        spec = SynthSpec(places=places, days=days, changes=changes, incident_rate=incidents,
                         seed=seed, start=start.date())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    s = generate(spec, out)
    click.echo(f"{s.path}: {s.places} places, {s.events} events ({s.control_changes} changes, "
               f"{s.incidents} incidents), area from {s.area}, {s.seconds:.2f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
