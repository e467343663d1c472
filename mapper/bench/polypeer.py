"""Build the polygon benchmark's peer page: the same daily polygons in folium's
``TimestampedGeoJson``.

The plugin (a wrapper of Leaflet.TimeDimension's GeoJSON layer) shows, at each time, the
features whose ``times`` fall in ``(now - duration, now]``; for a feature that is not a
point it keeps ``coordinates[k]`` for the ``k`` whose time is in that window, so
``times`` needs one timestamp per element of ``coordinates``: per part of a MultiPolygon.
So each snapshot file becomes one Feature per side it draws: its MultiPolygon, ``times`` the
file's day (ms since epoch, UTC) once per part, ``style`` the side's colour.
``duration="PT23H"`` shows the current day's polygons only. The rest of the countries
(``[snapshots] rest``) is not drawn: the peer is fed only the polygons of the files, which
favours it (our page also draws the rest and the fronts).

The dataset is read with ``tomllib`` and ``json``, not with our loader, so the peer's
figures do not depend on it.
"""

from __future__ import annotations

import html
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

_EPOCH_DAY = date(1970, 1, 1).toordinal()


def daily_features(folder: Path | str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read a snapshot dataset (``mapper import snapshots`` output) as timestamped features.

    Parameters
    ----------
    folder
        The dataset folder: ``dataset.toml`` and ``snapshots/YYYY-MM-DD.geojson``.

    Returns
    -------
    tuple
        The parsed ``dataset.toml``, and one Feature per file and side, by date.
    """
    folder = Path(folder)
    meta = tomllib.loads((folder / "dataset.toml").read_text(encoding="utf-8"))
    table = meta.get("snapshots", {})
    side = table.get("side")
    key = str(table.get("controller_field", "controller")).lower()
    colours = {f["id"]: f.get("colour", f.get("color", "#555555"))
               for f in meta.get("factions", [])}
    labels = {f["id"]: f.get("label", f["id"]) for f in meta.get("factions", [])}
    features: list[dict[str, Any]] = []
    for path in sorted((folder / "snapshots").glob("*.geojson")):
        ms = (date.fromisoformat(path.stem).toordinal() - _EPOCH_DAY) * 86_400_000
        for feat in json.loads(path.read_text(encoding="utf-8"))["features"]:
            props = {str(k).lower(): v for k, v in (feat.get("properties") or {}).items()}
            who = str(side if side is not None else props.get(key, ""))
            geom = feat["geometry"]
            parts = geom["coordinates"] if geom["type"] == "MultiPolygon" else [
                geom["coordinates"]]
            colour = colours.get(who, "#555555")
            features.append({
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": parts},
                "properties": {
                    "times": [ms] * len(parts),
                    "style": {"color": colour, "weight": 1, "fillColor": colour,
                              "fillOpacity": 0.45},
                    "tooltip": html.escape(str(labels.get(who, who))),
                },
            })
    return meta, features


def build_polygon_peer_html(folder: Path | str) -> str:
    """Render the folium ``TimestampedGeoJson`` page of a snapshot dataset.

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
    >>> page = build_polygon_peer_html("benchmarks/out/data/polygons/dataset")  # doctest: +SKIP
    """
    import folium
    from folium.plugins import TimestampedGeoJson

    meta, features = daily_features(folder)
    view = meta.get("view", {})
    centre = view.get("center", [0.0, 0.0])
    m = folium.Map(location=[float(centre[0]), float(centre[1])],
                   zoom_start=int(view.get("zoom", 6)), tiles=None)
    TimestampedGeoJson(
        {"type": "FeatureCollection", "features": features},
        period="P1D", duration="PT23H", add_last_point=False, auto_play=False, loop=False,
        date_options="YYYY-MM-DD", transition_time=0,
    ).add_to(m)
    page: str = m.get_root().render()
    return page
