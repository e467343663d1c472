"""Build areas.geojson for kharkiv-2022: Kharkiv oblast cut into three units of control.

Run from the repository root: ``python geodata/kharkiv-2022/make_areas.py``. The output is
deterministic.

* The oblast outline is the face of Natural Earth 1:10m admin-1 boundary lines (shipped with
  the base map, public domain) and Ukraine's outline that contains Kharkiv: about 31,400 km²,
  against the official 31,415 km².
* The pre-offensive front (early September 2022) and the Oskil are drawn by us as lines through
  points placed between towns the sources put on each side; neither course is surveyed. See each
  feature's ``description`` and the dataset README.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point, mapping
from shapely.ops import split

from mapper import basemap
from mapper.basemap import country_shape

HERE = Path(__file__).parent
KHARKIV = Point(36.255, 49.982)  # GeoNames point of the city (mapper geocode)

# The front before 6 September 2022, north to south (lon, lat). Our approximation: between
# Kozacha Lopan (Russian) and Kharkiv, north of Vovchansk's western approaches, east of Staryi
# Saltiv (Ukrainian since May), down the Siverskyi Donets east of Chuhuiv (Ukrainian), west of
# Volokhiv Yar and Balakliia (Russian), and west and south of Izium (Russian) into Donetsk oblast.
# The ends lie outside the oblast so the line cuts it through.
FRONT = [(35.90, 50.55), (36.15, 50.20), (36.60, 50.15), (36.90, 50.10), (36.88, 49.95),
         (36.80, 49.75), (36.78, 49.50), (36.90, 49.35), (37.05, 49.15), (37.20, 48.80)]

# The Oskil, north to south, as the line between the places the sources put west of it
# (Dvorichna, Kupiansk, Izium) and east of it (Kupiansk-Vuzlovyi, Borova). Not the river's
# surveyed course: the points are ours.
OSKIL = [(37.70, 50.60), (37.72, 50.10), (37.70, 49.85), (37.630, 49.69), (37.60, 49.40),
         (37.45, 49.20), (37.55, 48.80)]


def oblast() -> shapely.Geometry:
    ua = country_shape(["UA"])
    lines = gpd.read_file(basemap._path("regions"), bbox=(33, 47.5, 41, 52)).geometry
    faces = shapely.polygonize(shapely.get_parts(shapely.union_all([*lines, ua.boundary])))
    return next(f for f in shapely.get_parts(faces) if f.contains(KHARKIV))


def east_of(poly: shapely.Geometry, line: list[tuple[float, float]]) -> shapely.Geometry:
    """The part of ``poly`` east of ``line`` (which must cut it through)."""
    parts = shapely.get_parts(split(poly, LineString(line)))
    ln = LineString(line)

    def east(p: shapely.Geometry) -> bool:
        c = p.representative_point()
        near = ln.interpolate(ln.project(c))
        return c.x > near.x

    return shapely.union_all([p for p in parts if east(p)])


def main() -> None:
    ob = oblast()
    occupied = east_of(ob, FRONT)
    east_bank = east_of(ob, OSKIL)
    west_occupied = occupied.difference(east_bank)
    held = ob.difference(occupied.union(east_bank))
    areas = [
        ("kharkiv-east-of-oskil", "Kharkiv oblast east of the Oskil", "area", east_bank,
         "Russian-held from late February 2022 (Kupiansk 27 February). Its west edge is our line "
         "for the Oskil (points between Kupiansk and Kupiansk-Vuzlovyi, west of Borova, east of "
         "Izium; not the surveyed river). After Ukraine crossed the river on 13 September the unit "
         "is shown contested: Ukraine took Kupiansk-Vuzlovyi (26-27 September) and Borova "
         "(3 October), but no source read gives the line east of the river in early October."),
        ("kharkiv-occupied-west", "Russian-occupied Kharkiv oblast west of the Oskil", "area",
         west_occupied,
         "Occupied from March-April 2022 (Balakliia 3 March, Izium 1 April) to the September "
         "counteroffensive; Russia's defence ministry announced on 10-11 September that its "
         "forces had left everything west of the Oskil. The west edge is the pre-offensive front "
         "as we drew it between towns held by each side (Kozacha Lopan, Vovchansk, Volokhiv Yar, "
         "Balakliia, Izium Russian; Kharkiv, Staryi Saltiv, Chuhuiv Ukrainian), following the "
         "Siverskyi Donets east of Chuhuiv; its course between those towns is not sourced and "
         "may be off by 10-20 km."),
        ("kharkiv-ukrainian-held", "Ukrainian-held Kharkiv oblast", "area", held,
         "The rest of the oblast, Ukrainian-held from early May 2022 (Kharkiv defended; the "
         "front static until September). Its east edge is the line described for the occupied "
         "unit, with the same uncertainty."),
    ]
    feats = [{"type": "Feature",
              "properties": {"id": i, "name": n, "kind": k, "description": d},
              "geometry": mapping(shapely.set_precision(g, 1e-5))} for i, n, k, g, d in areas]
    fc = {"type": "FeatureCollection", "features": feats}
    (HERE / "areas.geojson").write_text(json.dumps(fc, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
