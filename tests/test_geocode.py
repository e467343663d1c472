"""Tests for mapper.geocode: folding, the offline gazetteer, the cache, places, Nominatim.

Reference coordinates (checked against the gazetteer's answers to within a few km) come from
the English Wikipedia infoboxes of each place, rounded; the GeoNames ids are those of
https://www.geonames.org/<id>.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd
import pytest
from fake_nominatim import serve

from mapper import geocode, settings
from mapper.errors import GeocodeError
from mapper.geocode import (
    CacheEntry,
    Gazetteer,
    fold,
    geocode_places,
    locate_places,
    read_cache,
    skeleton,
    write_cache,
)


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (an independent copy of the formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def places(*rows: dict[str, object]) -> pd.DataFrame:
    """A places table as load_dataset(geocode=False) gives it; line = 2 + row number."""
    records = []
    for i, row in enumerate(rows):
        rec: dict[str, object] = {"id": f"p{i}", "kind": "town", "country": "SY",
                                  "lat": math.nan, "lon": math.nan, "query": "", "line": i + 2}
        rec.update(row)
        records.append(rec)
    return pd.DataFrame(records).set_index("id")


# --- fold and skeleton ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "folded"), [
    ("Ma‘arrat an Nu‘mān", "maarrat al numan"),
    ("Maarat al-Numan", "maarat al numan"),
    ("Ma'arat al-Nu'man", "maarat al numan"),
    ("Maʿarrat al-Nuʿmān", "maarrat al numan"),
    ("Tall Rif‘at", "tall rifat"),
    ("Khān Shaykhūn", "khan shaykhun"),
    ("Ash Shaykh Miskīn", "al shaykh miskin"),
    ("El-Bab", "al bab"),
    ("  St.  Louis ", "st louis"),
    ("Łódź", "lodz"),
    ("İdlib", "idlib"),
    ("Ḩalab", "halab"),
    ("Балаклія", "балаклія"),
    ("An Nabk", "al nabk"),        # assimilated article before its own consonant
    ("An Bord", "an bord"),        # not an article: the next word starts otherwise
    ("", ""),
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_is_idempotent() -> None:
    for text in ("Ma‘arrat an Nu‘mān", "Khan-Sheikhoun", "Tall Rif‘at"):
        assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(("a", "b"), [
    ("Khan Shaykhun", "Khan Sheikhoun"),
    ("Ma‘arrat an Nu‘mān", "Maarat al-Numan"),
    ("Tal Rifaat", "Tall Rif'at"),
    ("Tell Abyad", "Tal Abyad"),
    ("Raqqah", "Raqqa"),
    ("Qamishli", "Kamishli"),
])
def test_spelling_variants_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(fold(a)) == skeleton(fold(b))


def test_skeleton_keeps_different_places_apart() -> None:
    assert skeleton(fold("Aleppo")) != skeleton(fold("Idlib"))
    assert skeleton(fold("Homs")) != skeleton(fold("Hama"))


# --- the gazetteer ----------------------------------------------------------------------------


# (name, country, kind, GeoNames id, reference lat, lon from the Wikipedia infobox)
KNOWN = [
    ("Aleppo", "SY", "city", 170063, 36.2, 37.15),          # 36°12′N 37°09′E
    ("Saraqib", "SY", "town", 164816, 35.8636, 36.8006),    # 35°51′49″N 36°48′2″E
    ("Idlib", "SY", "city", 169389, 35.93, 36.63),          # 35°55′48″N 36°37′48″E
    ("Damascus", "SY", "capital", 170654, 33.5131, 36.2919),  # 33°30′47″N 36°17′31″E
    ("Kharkiv", "UA", "city", 706483, 49.9925, 36.2311),    # 49°59′33″N 36°13′52″E
    ("Mosul", "IQ", "city", 99072, 36.34, 43.13),           # 36°20′N 43°08′E
    ("Bakhmut", "UA", "city", 713174, 48.5956, 38.0003),    # 48°35′44″N 38°00′01″E
    ("Artemivsk", "UA", "city", 713174, 48.5956, 38.0003),  # Bakhmut's name 1924-2016
    ("Balakliia", "UA", "town", 712926, 49.4627, 36.8586),  # 49°27′46″N 36°51′31″E, Kharkiv obl.
]


@pytest.mark.parametrize(("name", "country", "kind", "geonameid", "lat", "lon"), KNOWN)
def test_lookup_known_places(gaz: Gazetteer, name: str, country: str, kind: str,
                             geonameid: int, lat: float, lon: float) -> None:
    best = gaz.lookup(name, country=country, kind=kind)[0]
    assert best.geonameid == geonameid
    assert best.country == country
    assert km(best.lat, best.lon, lat, lon) < 5


def test_balakliia_prefers_the_kharkiv_town(gaz: Gazetteer) -> None:
    found = gaz.lookup("Balakliia", country="UA", kind="town")
    assert len({e.geonameid for e in found}) >= 2  # the small namesake is there, ranked after
    assert found[0].admin1 == "07"  # Kharkiv oblast
    assert found[0].population > 20_000
    # as a village, the exact-name village of 500 people wins instead
    assert gaz.lookup("Balakliia", country="UA", kind="village")[0].population < 1000


@pytest.mark.parametrize(("spelling", "geonameid"), [
    ("Khan Shaykhun", 168325),
    ("Khan Sheikhoun", 168325),
    ("Khan Sheikhoon", 168325),  # only the skeleton rules reach this one
    ("Maarat al-Numan", 167611),
    ("Ma'arat al-Nu'man", 167611),
    ("Ma‘arrat an Nu‘mān", 167611),
    ("Tal Rifaat", 163476),
    ("Tall Rif'at", 163476),
    ("Tell Rifaat", 163476),
])
def test_spelling_variants_find_the_place(gaz: Gazetteer, spelling: str, geonameid: int) -> None:
    assert gaz.lookup(spelling, country="SY", kind="town")[0].geonameid == geonameid


def test_variant_tier_ranks_after_real_names(gaz: Gazetteer) -> None:
    ranked = gaz.candidates("Tal Rifaat", country="SY", kind="town")
    assert ranked[0][0][2] == 2  # reached through the spelling-variant table
    exact = gaz.candidates("Tall Rif'at", country="SY", kind="town")
    assert exact[0][0][2] == 0


def test_country_steers_and_springfield(gaz: Gazetteer) -> None:
    us = gaz.lookup("Springfield", country="US", kind="city")
    assert us[0].country == "US"
    biggest = max((e for e in us if e.country == "US" and fold(e.name) == "springfield"),
                  key=lambda e: e.population)
    assert us[0] == biggest
    damascus = gaz.lookup("Damascus", country="US", kind="town")
    assert damascus[0].country == "US"
    assert gaz.lookup("Damascus", country="SY")[0].geonameid == 170654


def test_lookup_unknown_is_empty(gaz: Gazetteer) -> None:
    assert gaz.lookup("Zzyzxqwv Nowhere", country="SY") == []


def test_indexes(gaz: Gazetteer) -> None:
    assert Gazetteer.load() is gaz
    assert any(e.geonameid == 170063 for e in gaz.by_folded_name["aleppo"])
    assert any(e.geonameid == 170063 for e in gaz.by_folded_name["halab"])
    assert gaz.countries["syria"] == "SY"
    assert gaz.countries["ukraine"] == "UA"
    assert gaz.countries["united states"] == "US"
    assert gaz.country_code("Iraq") == "IQ"
    assert gaz.country_code("sy") == "SY"
    assert gaz.country_code("Atlantis") is None


# --- the cache --------------------------------------------------------------------------------


def test_cache_round_trip_is_byte_identical(tmp_path: Path) -> None:
    entries = [
        CacheEntry("Saraqib", "SY", 35.86447, 36.80591, "geonames", "164816", "Saraqib", 34231),
        CacheEntry("Kuweires airbase", "SY", 36.1869, 37.5831, "manual"),
        CacheEntry("Aleppo", "SY", 36.20124, 37.16117, "geonames", "170063", "Aleppo", 2098210),
        CacheEntry("Bakhmut", "UA", 48.59419, 37.99886, "geonames", "713174", "Bakhmut", 80500),
        CacheEntry("Ma‘arrat, \"an\" Nu‘mān", "SY", -0.0000001, 1e-7, "nominatim", "R1", "x"),
    ]
    first = tmp_path / "a" / "geocode.csv"
    write_cache(first, entries)
    text = first.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "query,country,lat,lon,source,match_id,match_name,population"
    assert [line.split(",")[0] for line in lines[1:3]] == ["Aleppo", "Kuweires airbase"]
    assert lines[-1].startswith("Bakhmut,UA,48.59419,37.99886,geonames,713174")
    assert "36.20124,37.16117" in text and ",0,0," in text
    loaded = read_cache(first)
    assert loaded[("saraqib", "SY")].population == 34231
    assert loaded[("kuweires airbase", "SY")].population is None
    second = tmp_path / "b.csv"
    write_cache(second, loaded)
    assert second.read_bytes() == first.read_bytes()
    write_cache(first, reversed(list(loaded.values())))
    assert second.read_bytes() == first.read_bytes()
    assert [p.name for p in first.parent.iterdir()] == ["geocode.csv"]  # no temp file left


@pytest.mark.parametrize(("bad_line", "field"), [
    ("Idlib,SY,abc,36.6,geonames,169389,Idlib,128840", "lat"),
    ("Idlib,SY,35.9,236.6,geonames,169389,Idlib,128840", "lon"),
    ("Idlib,Syria,35.9,36.6,geonames,169389,Idlib,128840", "country"),
    ("Idlib,SY,35.9,36.6,google,169389,Idlib,128840", "source"),
    ("Idlib,SY,35.9,36.6,geonames,169389,Idlib,many", "population"),
    (",SY,35.9,36.6,geonames,169389,Idlib,1", "query"),
])
def test_corrupt_cache_names_file_line_and_field(tmp_path: Path, bad_line: str,
                                                 field: str) -> None:
    path = tmp_path / "geocode.csv"
    path.write_text("query,country,lat,lon,source,match_id,match_name,population\n"
                    "Aleppo,SY,36.2,37.16,geonames,170063,Aleppo,2098210\n"
                    f"{bad_line}\n", encoding="utf-8")
    with pytest.raises(GeocodeError) as info:
        read_cache(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), 3, field)
    assert str(info.value).startswith(f"{path}:3: {field}: ")


def test_cache_missing_column_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "geocode.csv"
    assert read_cache(path) == {}
    path.write_text("query,country,lat\nAleppo,SY,36.2\n", encoding="utf-8")
    with pytest.raises(GeocodeError, match=r":1: lon: missing column"):
        read_cache(path)


# --- places -----------------------------------------------------------------------------------


def test_locate_places_from_the_gazetteer(tmp_path: Path) -> None:
    df = places({"name": "Aleppo", "kind": "city"}, {"name": "Khan Sheikhoun"},
                {"name": "Balakliia", "country": "UA"},
                {"name": "Mosul Old City", "query": "Mosul, Iraq", "country": "IQ"})
    out, problems = locate_places(df, cache=tmp_path / "none.csv", online=False)
    assert problems == []
    assert list(out["geocode_source"]) == ["geonames"] * 4
    assert list(out["match_id"]) == ["170063", "168325", "712926", "99072"]
    assert out.loc["p0", "population"] == 2098210
    assert str(out["population"].dtype) == "Int64"
    assert km(out.loc["p0", "lat"], out.loc["p0", "lon"], 36.2, 37.15) < 5
    assert list(df["lat"].isna()) == [True] * 4  # the input is not modified


def test_lat_lon_in_the_row_always_win(tmp_path: Path) -> None:
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Idlib", "SY", 1.0, 2.0, "manual")])
    df = places({"name": "Idlib", "kind": "city", "lat": 35.93, "lon": 36.64},
                {"name": "Nameless hill", "lat": 35.5, "lon": 36.5})
    out, problems = locate_places(df, cache=cache, online=False, confirm=True)
    assert problems == []
    assert (out.loc["p0", "lat"], out.loc["p0", "lon"]) == (35.93, 36.64)
    assert list(out["geocode_source"]) == ["places.csv", "places.csv"]
    assert out.loc["p0", "match_id"] == "169389"  # confirmed nearby: population borrowed
    assert out.loc["p0", "population"] == 128840
    assert pd.isna(out.loc["p1", "population"])
    assert out.loc["p1", "match_id"] == ""


def test_cache_hit_beats_gazetteer(tmp_path: Path) -> None:
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Saraqeb", "SY", 35.87, 36.81, "manual", "", "Saraqib", 1)])
    df = places({"name": "Saraqib", "query": "Saraqeb"}, {"name": "Saraqib"})
    out, _ = locate_places(df, cache=cache, online=False)
    assert out.loc["p0", "geocode_source"] == "cache"
    assert (out.loc["p0", "lat"], out.loc["p0", "lon"]) == (35.87, 36.81)
    assert out.loc["p1", "geocode_source"] == "geonames"  # other key: not in the cache


def test_unresolved_place_is_an_error_with_its_line(tmp_path: Path) -> None:
    df = places({"name": "Aleppo"}, {"name": "Foo"}, {"name": "Bar", "query": "Bar hill"})
    out, problems = locate_places(df, file="geodata/x/places.csv", cache=tmp_path / "c.csv",
                                  online=False)
    texts = [str(p) for p in problems]
    assert len(texts) == 2
    assert texts[0] == ("geodata/x/places.csv:3: name: 'Foo' (SY) not found in the gazetteer "
                        "or cache; add lat/lon or a query; no gazetteer entry has a close name")
    assert texts[1].startswith("geodata/x/places.csv:4: query: 'Bar hill' (SY) not found in "
                               "the gazetteer or cache; add lat/lon or a query; closest "
                               "gazetteer entries: ")
    assert "(SY, " in texts[1] and "query = " in texts[1]
    assert all(p.severity == "error" for p in problems)
    assert out.loc["p1", "geocode_source"] == ""
    assert math.isnan(out.loc["p1", "lat"])


def test_country_is_a_constraint(tmp_path: Path) -> None:
    # Kharkiv exists in Ukraine only: asked in Syria it must not be placed in Ukraine.
    _, problems = locate_places(places({"name": "Kharkiv", "kind": "city"}),
                                cache=tmp_path / "c.csv", online=False)
    assert len(problems) == 1 and "not found" in problems[0].message


def test_ambiguous_place_is_a_warning(tmp_path: Path) -> None:
    df = places({"name": "Springfield", "country": "US", "kind": "city"})
    out, problems = locate_places(df, cache=tmp_path / "c.csv", online=False)
    assert out.loc["p0", "match_name"] == "Springfield"
    assert out.loc["p0", "country"] == "US"
    assert [p.severity for p in problems] == ["warning"]
    assert problems[0].line == 2 and "ambiguous" in problems[0].message


def test_geocode_places_merges_into_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Kuweires airbase", "SY", 36.1869, 37.5831, "manual")])
    df = places({"name": "Aleppo", "kind": "city"}, {"name": "Idlib", "lat": 35.9, "lon": 36.6},
                {"name": "Foo"})
    dry = geocode_places(df, cache=cache, write_cache=False)
    # Aleppo resolved, Idlib's given coordinates confirmed by a GeoNames entry 4 km away
    assert len(dry.added) == 2 and not dry.written
    assert len(read_cache(cache)) == 1
    report = geocode_places(df, cache=cache)
    assert report.written
    assert set(read_cache(cache)) == {("kuweires airbase", "SY"), ("aleppo", "SY"),
                                      ("idlib", "SY")}
    assert read_cache(cache)[("idlib", "SY")].population == 128840
    assert [r.source for r in report.rows] == ["geonames", "places.csv", ""]
    assert len(report.missing) == 1 and report.ambiguous == []
    text = report.format()
    assert "3 place(s): 1 places.csv, 1 geonames, 1 missing; 0 ambiguous, 1 missing" in text
    assert "Aleppo (170063)" in text
    # a second run hits the cache and leaves the file byte-identical
    before = cache.read_bytes()
    again = geocode_places(df, cache=cache)
    assert [r.source for r in again.rows] == ["cache", "places.csv", ""]
    assert again.added == [] and cache.read_bytes() == before


# --- online, against a fake Nominatim on 127.0.0.1 --------------------------------------------


def test_nominatim_fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "kuweires military airbase": {"lat": "36.1869", "lon": "37.5831", "osm_type": "way",
                                      "osm_id": 123456, "place_id": 1,
                                      "display_name": "Kuweires Airbase, Aleppo, Syria"},
        "nayrab airport": {"lat": "36.1807", "lon": "37.2244", "osm_type": "node",
                           "osm_id": 42, "place_id": 2,
                           "display_name": "Aleppo International Airport, Syria"},
    }
    with serve(answers) as fake:
        monkeypatch.setattr(settings, "nominatim_domain", fake.domain)
        monkeypatch.setattr(settings, "nominatim_scheme", "http")
        monkeypatch.setattr(settings, "online_min_delay", 0.2)
        cache = tmp_path / "geocode.csv"
        df = places({"name": "Kuweires", "query": "Kuweires military airbase", "kind": "airbase"},
                    {"name": "Nayrab airport", "kind": "airbase"},
                    {"name": "Nowhere at all"},
                    {"name": "Aleppo", "kind": "city"})
        report = geocode_places(df, cache=cache, online=True)

    searches = [r for r in fake.requests if r.path == "/search"]
    assert [r.params["q"] for r in searches] == [
        "Kuweires military airbase", "Nayrab airport", "Nowhere at all"]  # Aleppo stays offline
    for r in searches:
        assert r.headers["User-Agent"] == settings.user_agent
        assert r.params["countrycodes"] == "sy"
    gaps = [b.time - a.time for a, b in itertools.pairwise(searches)]
    assert min(gaps) >= 0.19
    assert [r.source for r in report.rows] == ["nominatim", "nominatim", "", "geonames"]
    assert "not found in the gazetteer, cache or Nominatim" in str(report.missing[0])
    stored = read_cache(cache)
    hit = stored[("kuweires military airbase", "SY")]
    assert (hit.lat, hit.lon, hit.source, hit.match_id) == (36.1869, 37.5831, "nominatim",
                                                            "W123456")
    assert hit.match_name == "Kuweires Airbase"
    assert stored[("nayrab airport", "SY")].match_id == "N42"
    assert stored[("aleppo", "SY")].source == "geonames"


def test_offline_never_calls_nominatim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise AssertionError("network used while offline")

    monkeypatch.setattr(geocode, "_nominatim", boom)
    monkeypatch.setattr(settings, "online_geocoding", False)
    _, problems = locate_places(places({"name": "Nowhere at all"}), cache=tmp_path / "c.csv")
    assert len(problems) == 1


# --- a dataset folder (needs mapper.dataset.load_dataset) -------------------------------------


def test_geocode_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.dataset import load_dataset

    folder = _tiny_dataset(tmp_path / "tiny")
    assert len(load_dataset(folder, geocode=False).places) == 2
    cache = tmp_path / "geocode.csv"
    monkeypatch.setattr(settings, "geocode_cache", cache)
    report = geocode.geocode_dataset(folder)
    assert [(r.place_id, r.source) for r in report.rows] == [("aleppo", "geonames"),
                                                             ("saraqib", "places.csv")]
    assert ("aleppo", "SY") in read_cache(cache)


def test_progress_bar_on_many_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    df = places(*[{"name": "Idlib"}] * 60)
    monkeypatch.setattr(settings, "progress", False)
    locate_places(df, cache=tmp_path / "c.csv", online=False)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(settings, "progress", True)
    out, _ = locate_places(df, cache=tmp_path / "c.csv", online=False)
    assert "geocoding" in capsys.readouterr().err
    assert set(out["match_id"]) == {"169389"}


def _tiny_dataset(folder: Path) -> Path:
    folder.mkdir()
    (folder / "dataset.toml").write_text(
        'title = "Tiny"\ncountries = ["SY"]\n[time]\nstart = "2024-11-27"\nend = "2024-11-30"\n'
        '[view]\ncenter = [36.0, 37.0]\nzoom = 8\n'
        '[[factions]]\nid = "government"\nlabel = "Government"\ncolour = "#c0392b"\n',
        encoding="utf-8")
    (folder / "places.csv").write_text(
        "id,name,kind,country,lat,lon,query\n"
        "aleppo,Aleppo,city,SY,,,\nsaraqib,Saraqib,town,SY,35.86,36.8,\n", encoding="utf-8")
    (folder / "sources.csv").write_text("id,title,publisher\ns1,A report,Someone\n",
                                        encoding="utf-8")
    (folder / "events.csv").write_text(
        "date,place_id,controller,kind,description,source_id\n"
        "2024-11-27,aleppo,government,held,Held.,s1\n", encoding="utf-8")
    return folder


def test_geocode_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from mapper.cli import main

    folder = _tiny_dataset(tmp_path / "tiny")
    cache = tmp_path / "geocode.csv"
    monkeypatch.setattr(settings, "geocode_cache", cache)
    runner = CliRunner()
    dry = runner.invoke(main, ["-q", "geocode", str(folder), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Aleppo (170063)" in dry.output and "dry run" in dry.output
    assert not cache.exists()
    real = runner.invoke(main, ["-q", "geocode", str(folder)])
    assert real.exit_code == 0, real.output
    assert ("aleppo", "SY") in read_cache(cache)
    with (folder / "places.csv").open("a", encoding="utf-8") as fh:
        fh.write("foo,Foo,village,SY,,,\n")
    missing = runner.invoke(main, ["-q", "geocode", str(folder)])
    assert missing.exit_code == 2
    assert "places.csv:4: name: 'Foo' (SY) not found" in missing.output


def test_places_with_coordinates_need_no_gazetteer(tmp_path: Path) -> None:
    # Without `confirm`, a place with lat/lon takes population only from the cache or its own
    # `population` column, so loading such a dataset never reads the 235k-entry gazetteer.
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Idlib", "SY", 35.9306, 36.6339, "geonames", "169389",
                                   "Idlib", 128840)])
    df = places({"name": "Idlib", "kind": "city", "lat": 35.93, "lon": 36.64},
                {"name": "Saraqib", "lat": 35.86, "lon": 36.8},
                {"name": "Far Idlib", "lat": 30.0, "lon": 30.0})
    df["population"] = [float("nan"), 34000.0, float("nan")]
    out, problems = locate_places(df, cache=cache, online=False)
    assert problems == []
    assert out.loc["p0", "population"] == 128840 and out.loc["p0", "match_id"] == "169389"
    assert out.loc["p1", "population"] == 34000 and out.loc["p1", "match_id"] == ""
    assert pd.isna(out.loc["p2", "population"])


# --- suggestions for names the gazetteer does not find ------------------------------------


def test_suggest_offers_close_names_with_the_query_that_picks_them() -> None:
    from mapper.geocode import Gazetteer

    gaz = Gazetteer.load()
    offers = gaz.suggest("Shirqat", country="IQ", near=[(36.335, 43.1189)])
    assert offers, "no suggestion for Shirqat"
    first = offers[0]
    assert first.entry.country == "IQ"
    assert first.query is not None
    assert gaz.lookup(first.query, country="IQ")[0].geonameid == first.entry.geonameid
    assert first.km is not None and 50 < first.km < 150   # Sharqat lies ~90 km from Mosul
    text = str(first)
    assert "IQ" in text and "pop." in text and "km from the nearest place" in text
    assert gaz.suggest("", country="IQ") == []


def test_validate_and_geocode_show_suggestions(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from mapper.cli import main

    ds = tmp_path / "mosul"
    ds.mkdir()
    (ds / "dataset.toml").write_text(
        'title = "t"\ncountries = ["IQ"]\n[time]\nstart = "2016-10-17"\nend = "2016-10-18"\n'
        '[[factions]]\nid = "a"\nlabel = "A"\ncolour = "#000000"\n', encoding="utf-8")
    (ds / "places.csv").write_text(
        "id,name,kind,country,lat,lon\nmosul,Mosul,city,IQ,36.335,43.1189\n"
        "shirqat,Shirqat,town,IQ,,\n", encoding="utf-8")
    (ds / "events.csv").write_text("date,place_id,controller,kind,description,source_id\n",
                                   encoding="utf-8")
    (ds / "sources.csv").write_text("id,title,publisher,url,published\n", encoding="utf-8")
    empty = tmp_path / "cache.csv"
    empty.write_text("query,country,lat,lon,source,match_id,match_name,population\n",
                     encoding="utf-8")
    monkeypatch.setattr(settings, "geocode_cache", empty)
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(ds)])
    geocoded = runner.invoke(main, ["geocode", str(ds), "--dry-run"])
    assert result.exit_code == 2
    assert "places.csv:3:" in result.output and "closest gazetteer entries" in result.output
    assert "as 'Sharqat' (IQ" in result.output
    assert geocoded.exit_code == 2 and "closest gazetteer entries" in geocoded.output
