"""Build the peer page: the same dataset drawn with folium's ``TimestampedGeoJson`` plugin.

The plugin (a wrapper of Leaflet.TimeDimension) documents its input as GeoJSON features whose
``times`` property has one timestamp per coordinate; on each time step it shows the coordinates
whose time falls in ``(now - duration, now]``. Style is per feature, not per time. So each place
becomes one ``MultiPoint`` feature per *holding run* (a stretch of days with one holder): the
place's coordinate repeated once per day of the run, ``times`` = those days (ms since epoch,
UTC), and ``style``/``iconstyle`` in the holder's colour. ``duration="PT23H"`` shows only the
current day's point (with ``P1D`` the plugin also keeps a point whose run ended the day before).
Days before a place's first event (unknown holder) are not drawn.

The dataset is read here with ``tomllib``, ``csv`` and plain Python, not with
:func:`mapper.dataset.load_dataset`, so the peer's figures do not depend on our loader.
"""

from __future__ import annotations

import csv
import html
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

#: Colour of ``contested`` in the peer page (the same as ours uses is not required).
CONTESTED_COLOUR = "#7f7f7f"
_EPOCH_DAY = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Run:
    """Days ``first`` to ``last`` (inclusive day indexes into the period) held by ``holder``."""

    place: str
    holder: str
    first: int
    last: int


def _first_day(text: str, where: str) -> date:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` to the first day of that period."""
    try:
        parts = [int(p) for p in text.strip().split("-")]
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{where}: date: not a date: {text!r}") from exc


def holding_runs(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, str]], list[Run]]:
    """Read a dataset folder and list every place's holding runs within the period.

    Parameters
    ----------
    folder
        A dataset folder (format: ``geodata/README.md``) whose places all have lat/lon.

    Returns
    -------
    tuple
        ``(meta, places, runs)``: the parsed ``dataset.toml``, places by id (the CSV row), and
        the runs in place order then time order.
    """
    meta = tomllib.loads((folder / "dataset.toml").read_text(encoding="utf-8"))
    start = _first_day(str(meta["time"]["start"]), "dataset.toml: time.start")
    end = _first_day(str(meta["time"]["end"]), "dataset.toml: time.end")
    n_days = (end - start).days + 1
    with (folder / "places.csv").open(encoding="utf-8", newline="") as fh:
        places = {row["id"]: row for row in csv.DictReader(fh)}
    changes: dict[str, list[tuple[int, int, str]]] = {pid: [] for pid in places}
    with (folder / "events.csv").open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if not row["controller"]:
                continue
            day = (_first_day(row["date"], f"events.csv:{line}") - start).days
            changes[row["place_id"]].append((max(day, 0), line, row["controller"]))
    runs: list[Run] = []
    for pid, items in changes.items():
        items.sort()  # by day, then file line: same-day events apply in file order
        holder: str | None = None
        since = 0
        for day, _, who in items:
            if day >= n_days:
                break
            if holder is not None and day > since:
                runs.append(Run(pid, holder, since, day - 1))
            holder, since = who, day
        if holder is not None:
            runs.append(Run(pid, holder, since, n_days - 1))
    return meta, places, runs


def build_peer_html(folder: Path | str) -> str:
    """Render the folium ``TimestampedGeoJson`` page for a dataset folder.

    Parameters
    ----------
    folder
        The dataset folder.

    Returns
    -------
    str
        The complete HTML page, as folium renders it (it loads its scripts from CDNs).

    Examples
    --------
    >>> page = build_peer_html("geodata/example")  # doctest: +SKIP
    >>> "L.timeDimension" in page  # doctest: +SKIP
    True
    """
    import folium
    from folium.plugins import TimestampedGeoJson

    folder = Path(folder)
    meta, places, runs = holding_runs(folder)
    start = _first_day(str(meta["time"]["start"]), "dataset.toml: time.start")
    ms0 = (start.toordinal() - _EPOCH_DAY) * 86_400_000
    colours = {f["id"]: f["colour"] for f in meta.get("factions", [])}
    labels = {f["id"]: f["label"] for f in meta.get("factions", [])}
    colours["contested"], labels["contested"] = CONTESTED_COLOUR, "Contested"
    coords = {pid: [round(float(p["lon"]), 5), round(float(p["lat"]), 5)]
              for pid, p in places.items()}
    features: list[dict[str, Any]] = []
    for run in runs:
        colour = colours.get(run.holder, CONTESTED_COLOUR)
        n = run.last - run.first + 1
        name = places[run.place]["name"]
        features.append({
            "type": "Feature",
            "geometry": {"type": "MultiPoint", "coordinates": [coords[run.place]] * n},
            "properties": {
                "times": [ms0 + (run.first + i) * 86_400_000 for i in range(n)],
                "icon": "circle",
                "iconstyle": {"radius": 5, "color": "#333333", "weight": 1,
                              "fillColor": colour, "fillOpacity": 0.9},
                "style": {"color": "#333333", "weight": 1, "fillColor": colour,
                          "fillOpacity": 0.9},
                "tooltip": html.escape(name),
                "popup": f"<b>{html.escape(name)}</b><br>"
                         f"{html.escape(labels.get(run.holder, run.holder))}",
            },
        })
    view = meta.get("view", {})
    centre = view.get("center", [0.0, 0.0])
    m = folium.Map(location=[float(centre[0]), float(centre[1])],
                   zoom_start=int(view.get("zoom", 7)), tiles=None)
    TimestampedGeoJson(
        {"type": "FeatureCollection", "features": features},
        period="P1D", duration="PT23H", add_last_point=False, auto_play=False, loop=False,
        date_options="YYYY-MM-DD", transition_time=0,
    ).add_to(m)
    page: str = m.get_root().render()
    return page

