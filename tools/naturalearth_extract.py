"""Copy the Natural Earth layers that no package ships into ``mapper/data/`` (run by hand).

Natural Earth (naturalearthdata.com) is public domain. The two 1:10m layers read here are
GeoJSON conversions of Natural Earth 4.x (files dated 2017-11-09); see ``mapper/data/README.md``.
What is kept:

* ``ne_10m_rivers.geojson``: every river and lake centre line, properties ``name`` and
  ``scalerank`` (1 the largest rivers .. 10), simplified to 0.002 degrees (about 200 m, the
  page's finest base-map detail) and rounded to 3 decimals (about 100 m).
* ``ne_10m_places.csv``: populated places of ``scalerank`` 7 or less (towns of some
  50,000 people and up, capitals), columns ``name``, ``iso2``, ``scalerank``, ``pop_max``,
  ``lon``, ``lat``; sorted, so a rerun gives the same bytes.

Usage::

    python tools/naturalearth_extract.py /path/to/naturalearth mapper/data
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pyogrio
import shapely

RIVER_TOLERANCE_DEG = 0.002
PLACES_MAX_SCALERANK = 7


def rivers(src: Path, out: Path) -> None:
    """Write the simplified rivers as one GeoJSON feature per line."""
    df = pyogrio.read_dataframe(src / "ne_10m_rivers_lake_centerlines.json")
    df = df[df.geometry.notna()]
    geoms = shapely.set_precision(shapely.simplify(df.geometry.to_numpy(), RIVER_TOLERANCE_DEG),
                                  0.001)
    rows = []
    for name, rank, geom in zip(df["name"], df["scalerank"], geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        rows.append((int(rank), str(name) if isinstance(name, str) else "",
                     json.loads(shapely.to_geojson(geom))))
    rows.sort(key=lambda r: (r[0], r[1], json.dumps(r[2])))
    lines = [json.dumps({"type": "Feature", "properties": {"name": n, "scalerank": r},
                         "geometry": g}, separators=(",", ":"), ensure_ascii=False)
             for r, n, g in rows]
    text = ('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n")
    (out / "ne_10m_rivers.geojson").write_text(text, "utf-8")


def places(src: Path, out: Path) -> None:
    """Write the larger populated places as a sorted CSV."""
    df = pyogrio.read_dataframe(src / "ne_10m_populated_places_simple.json")
    df = df[df["scalerank"] <= PLACES_MAX_SCALERANK]
    rows = sorted(
        (str(n), str(iso) if isinstance(iso, str) and iso != "-99" else "", int(r), int(p),
         round(float(g.x), 4), round(float(g.y), 4))
        for n, iso, r, p, g in zip(df["name"], df["iso_a2"], df["scalerank"], df["pop_max"],
                                   df.geometry, strict=True)
    )
    with (out / "ne_10m_places.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name", "iso2", "scalerank", "pop_max", "lon", "lat"])
        w.writerows(rows)


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    rivers(source, target)
    places(source, target)
