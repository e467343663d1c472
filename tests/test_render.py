"""Unit tests of mapper.render: the page is self-contained, deterministic, compact and safe."""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mapper.dataset import Dataset
from mapper.render import build_payload, payload_json, render_html
from mapper.render.element import browser_script, chrome_html, read_static
from mapper.render.page import leaflet_assets
from mapper.render.payload import INCIDENT, encode_line, pack_ints, pack_rings, safe_url
from mapper.timeline import Timeline, encode

MINI = Path(__file__).parent / "data" / "mini"


def unpack(text: str) -> list[int]:
    """Decode a packed column (payload.pack_ints) the plain way: the reference for tests."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    out, z, shift = [], 0, 0
    for ch in text:
        v = alphabet.index(ch)
        z |= (v & 31) << shift
        if v & 32:
            shift += 5
            continue
        out.append(-(z + 1) // 2 if z % 2 else z // 2)
        z, shift = 0, 0
    assert shift == 0, "cut short"
    return out


def test_pack_ints_round_trips_and_is_smaller_than_json() -> None:
    import random

    rng = random.Random(4)
    for values in ([], [0], [-1, 1, -16, 16, 15, -15, 511, 512, -512],
                   [rng.randint(-(2**51), 2**51) for _ in range(500)],
                   [rng.randint(0, 50_000) for _ in range(500)]):
        packed = pack_ints(values)
        assert unpack(packed) == values
        assert re.fullmatch(r"[A-Za-z0-9_-]*", packed)  # nothing JSON or HTML escapes
    small = [rng.randint(-3, 3) for _ in range(1000)]  # day differences, codes
    assert len(pack_ints(small)) == 1000
    places = [rng.randint(0, 50_000) for _ in range(1000)]
    assert len(pack_ints(places)) < 0.7 * len(json.dumps(places, separators=(",", ":")))
    with pytest.raises(ValueError, match="too large"):
        pack_ints([2**53])


def _unpack_rings(packed: dict[str, str]) -> list[list[list[list[int]]]]:
    """payload.pack_rings undone, written here from its description."""
    atom, poly, ring, refs = (unpack(packed[k]) for k in ("atom", "poly", "ring", "refs"))
    arc, polys_iter, rings_iter, refs_iter = 0, iter(poly), iter(ring), iter(refs)
    out = []
    for n_polys in atom:
        polys = []
        for _ in range(n_polys):
            rings = []
            for _ in range(next(polys_iter)):
                row = []
                for _ in range(next(rings_iter)):
                    v = next(refs_iter)
                    arc += (v - (v & 1)) // 2
                    row.append(-1 - arc if v & 1 else arc)
                rings.append(row)
            polys.append(rings)
        out.append(polys)
    return out


def test_rings_are_the_model_topology(mini: Dataset) -> None:
    from mapper import model

    t = model.build(mini)
    want = [[[list(r) for r in poly] for poly in polys] for polys in t.topology()["polygons"]]
    assert any(len(refs) > 1 for polys in want for poly in polys for refs in poly)
    assert any(r < 0 for polys in want for poly in polys for refs in poly for r in refs)
    assert _unpack_rings(pack_rings(want)) == want


def _payload_from_page(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', html, re.S)
    assert m, "no payload element"
    return json.loads(m.group(1))


def test_page_links_nothing_off_the_page(mini_html: str) -> None:
    assert mini_html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", mini_html, re.I)
    assert not re.search(r"<link\b", mini_html, re.I)
    assert not re.search(r"""url\(\s*['"]?(https?:)?//""", mini_html, re.I)
    assert "images/" not in mini_html  # Leaflet's images are inlined
    for name in ("jquery", "bootstrap", "cdn.jsdelivr", "cdnjs", "awesome-markers"):
        assert name not in mini_html.lower(), name
    assert "sourceMappingURL" not in mini_html
    assert "data:image/png;base64," in mini_html
    assert 'L.version="1.9' in mini_html or 't.version="1.9' in mini_html


def test_same_input_gives_identical_bytes(mini: Dataset, mini_html: str) -> None:
    again = render_html(mini)
    assert again == mini_html
    assert not re.search(r"[0-9a-f]{32}", mini_html.replace("base64,", "")), "random ids left"


def test_identical_bytes_across_processes(mini_html: str) -> None:
    code = ("import sys; from mapper.dataset import load_dataset; from mapper.render import "
            "render_html; sys.stdout.write(render_html(load_dataset(sys.argv[1], geocode=False)))")
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code, str(MINI)], env=env, check=True,
                             capture_output=True, text=True, encoding="utf-8").stdout
        assert out == mini_html, seed


def test_ids_are_fixed(mini_html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', mini_html)
    assert ids == ["ts-head", "ts-main", "ts-map", "ts-sources", "ts-bar", "ts-foot",
                   "ts-data"], ids
    assert 'window.mapperTimeSlider("ts", {"canvas": false' in mini_html


def test_payload_layout(mini: Dataset, mini_html: str) -> None:
    payload = _payload_from_page(mini_html)
    assert payload == json.loads(payload_json(build_payload(mini)))
    tl = Timeline.from_dataset(mini)
    assert payload["start"] == "2024-11-26" and payload["n"] == len(tl.dates) == 10
    # control changes: days sent as differences, `before` left for the page to replay
    full = encode(tl, list(mini.factions))
    sent = {k: unpack(v) for k, v in payload["control"].items()}  # each column packed
    assert set(sent) == {"initial", "day", "place", "after"}
    # from the territory model: the same changes as the places' own timeline here (no areas),
    # ordered by place within a day
    days = list(itertools.accumulate(sent["day"]))
    assert sent["initial"] == full["initial"]
    assert sorted(zip(days, sent["place"], sent["after"], strict=True)) == sorted(
        zip(full["day"], full["place"], full["after"], strict=True))
    places = payload["places"]
    assert places["id"] == list(mini.places.index)
    assert all(len(v) == len(places["id"]) for k, v in places.items() if k != "extra")
    assert places["marker"][places["id"].index("idlib-region")] == 0
    labelled = {p for p, flag in zip(places["id"], places["label"], strict=True) if flag}
    # few towns: every town is labelled (overlaps are hidden in the browser)
    assert labelled == {"aleppo", "idlib", "hama", "saraqib", "idlib-region", "atarib", "maarat",
                        "khan-shaykhun"}
    assert places["extra"]["notes"][0] == "Largest city of the north"
    assert set(places["extra"]) == {"notes", "local_name"}  # data columns, not loader ones
    events = dict(payload["events"])
    for key in ("place", "day", "ctl", "kind", "desc", "src"):  # sent packed
        events[key] = unpack(events[key])
    events["day"] = list(itertools.accumulate(events["day"]))  # sent as differences
    prec = [0] * len(events["day"])  # sent for the events not dated to the day only
    for at, value in zip(events["prec"]["at"], events["prec"]["value"], strict=True):
        prec[at] = value
    events["prec"] = prec
    assert len(events["day"]) == len(mini.events)
    incident = events["ctl"].index(INCIDENT)
    assert events["texts"][events["desc"][incident]] == "Aircraft struck the outskirts."
    # descriptions and extra cells share one text table, each distinct text once
    assert set(events["texts"]) == (set(mini.events["description"])
                                    | {"At least 12 killed, per the wire."})
    note = events["extra"]["casualties_note"]
    assert [events["texts"][t] for t in note["text"]] == ["At least 12 killed, per the wire."]
    assert [events["day"][e] for e in note["event"]] == [3]  # 29 November
    assert list(events["extra"]) == ["casualties_note"]  # not date_text, line, ...
    assert events["day"][incident] == (date(2024, 11, 30) - date(2024, 11, 26)).days
    assert events["day"][0] < 0 and events["prec"][0] == 2  # 2012, year precision
    atoms = payload["atoms"]
    rings = _unpack_rings(atoms["rings"])
    assert len(rings) == len(atoms["km2"]) == len(unpack(atoms["control"]["initial"]))
    assert sum(atoms["km2"]) / 10 == pytest.approx(185_900, rel=0.01)  # all of Syria
    # no fronts sent: the browser finds them in the arcs (arcs between two atoms)
    assert "fronts" not in payload and payload["segments"]["a"]
    sizes = unpack(atoms["arc_size"])
    assert len(unpack(atoms["arcs"])) == 2 * sum(sizes) and min(sizes) >= 2
    used = [{r if r >= 0 else -1 - r for poly in polys for ring in poly for r in ring}
            for polys in rings]
    shared = sum(1 for a in range(len(sizes)) if sum(a in u for u in used) == 2)
    assert shared  # fronts can be drawn
    assert "no data" in payload["method"]
    assert payload["routes"]["name"] == ["M5 highway"]
    base = payload["basemap"]
    near, _band, world = base["levels"]  # 1:10m near the data, coarser around it, 1:110m
    assert near["land"] and near["borders"] and near["rivers"] and base["regions"]
    assert [lv["scale"] for lv in base["levels"]] == [1000, 100, 10]
    assert world["box"] == [-180.0, -85.0, 180.0, 85.0] and world["land"]
    assert set(base["labels"]) == {"name", "iso2", "lat", "lon"}
    assert {"Syria", "Lebanon"} <= set(base["labels"]["name"])  # label points in the box
    i = base["labels"]["name"].index("Syria")
    assert base["labels"]["iso2"][i] == "SY"
    assert payload["tiles"] is None  # no online tiles unless the author asks for them


def test_tiles_only_when_asked(mini: Dataset) -> None:
    from mapper.errors import MapperError

    tiles = build_payload(mini, tiles="openstreetmap.mapnik")["tiles"]
    assert tiles["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in tiles["attribution"] and tiles["max_zoom"] == 19
    with pytest.raises(MapperError, match=r"no tile provider named 'OpenStreetMap\.Mapnk'"
                       r".*did you mean OpenStreetMap\.Mapnik"):
        build_payload(mini, tiles="OpenStreetMap.Mapnk")
    assert "tile.openstreetmap.org" not in render_html(mini)


def test_coordinates_are_rounded(mini_html: str) -> None:
    payload = _payload_from_page(mini_html)
    for value in payload["places"]["lat"] + payload["places"]["lon"]:
        assert round(value, 5) == value
    assert isinstance(payload["atoms"]["arcs"], str)  # packed integers (see pack_ints)
    base = payload["basemap"]
    near = base["levels"][0]
    for ring in near["land"][0] + near["borders"] + near["rivers"]:
        assert ring and all(isinstance(v, int) for v in ring)
    for value in base["labels"]["lat"] + base["labels"]["lon"]:
        assert round(value, 3) == value


def test_page_size_is_small(mini_html: str) -> None:
    size = len(mini_html.encode("utf-8"))
    js, css = leaflet_assets()
    own = size - len(js.encode()) - len(css.encode())
    # 400 kB before incidents.js and the packed columns' decoder, 410 kB before issue 14's
    # drawing speed-ups (marker images, labels placed in one pass, credit lines kept), 412 kB
    # before the atoms' arcs and rings were packed and the fronts left to the browser, 411 kB
    # before the raster painting of pages with over 20,000 atoms (ground.js 14.8 -> 33.6 kB)
    # and the stamped markers of pages with over 5,000 places; 432 kB before the fronts drawn
    # as hairlines, the phone step's quiet timers and far base-map names, and the ACLED step
    # and jump work (incident marks kept per cell, stamping front to back); 446 kB before
    # the steps drawn in their own task, stamped patches, the incidents' canvas and the
    # raster chosen by border vertices; 452 kB before the areas and fronts repainted in the
    # boxes of what changed (kept paths, fronts culled) and the incidents' SVG; 460 kB
    # before the raster painted run by run with its fronts' pixel pairs listed once; 464 kB
    # before the date's texts in boxes laid out alone, sized for their longest text (stop 23).
    assert size < 466_000, size
    payload = len(payload_json(_payload_from_page(mini_html)).encode())
    assert payload < 100_000, payload  # mostly the base map (about 80 KB: the whole world)
    # Our JS (slider, chart, ground, compare, PNG drawing, label placement, keyboard and
    # screen-reader support), CSS (embed and print included), markup.
    # 160 kB before the atom raster and stamped markers, 172 kB before the hairline fronts
    # and the ACLED step and jump work; 184 kB before the step and jump work of stop 19, 190
    # kB before the boxed repaints of the areas and fronts and the incidents' SVG, 196 kB
    # before the raster painted run by run (stop 21), 200 kB before the date's texts in
    # boxes laid out alone, sized for their longest text, and written in place (stop 23).
    assert own - payload < 204_000, own - payload


def test_payload_does_not_grow_with_days(mini: Dataset) -> None:
    longer = copy.copy(mini)
    longer.end = date(2025, 12, 31)  # 400 more days, no more events
    short = len(payload_json(build_payload(mini)))
    long_ = len(payload_json(build_payload(longer)))
    assert long_ - short < 20  # only the day count changes


class _Scripts(HTMLParser):
    """Collect the script elements an HTML parser sees, with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._in = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.scripts[-1] += data


def test_script_text_is_escaped_in_the_payload(mini_html: str) -> None:
    assert r"<b>Bold<\/b> claim <script>window.__pwned = 1<\/script>" in mini_html
    parser = _Scripts()
    parser.feed(mini_html)
    # The payload, Leaflet, the map script: the data opened no element.
    assert len(parser.scripts) == 3
    payload = json.loads(parser.scripts[0])
    assert "<script>window.__pwned = 1</script>" in " ".join(payload["events"]["texts"])


def test_payload_json_escaping() -> None:
    text = payload_json({"a": "</script><!-- x -->", "b": "\u2028"})
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == {"a": "</script><!-- x -->", "b": "\u2028"}
    with pytest.raises(ValueError):
        payload_json({"x": float("nan")})


def test_title_is_escaped(mini: Dataset) -> None:
    evil = copy.copy(mini)
    evil.title = "A <img src=x onerror=alert(1)> & B"
    html = render_html(evil)
    escaped = "A &lt;img src=x onerror=alert(1)&gt; &amp; B"
    assert f"<title>{escaped}</title>" in html
    assert '<h1 class="ts-title"></h1>' in html  # filled from the payload, as textContent
    parser = _Scripts()
    parser.feed(html)
    outside = html
    for text in parser.scripts:
        outside = outside.replace(text, "")
    assert "<img" not in outside


def test_unsafe_urls_are_dropped(tampered: Dataset) -> None:
    payload = build_payload(tampered)
    i = payload["sources"]["id"].index("fx-gazette")
    assert payload["sources"]["url"][i] == ""
    assert "javascript:" not in render_html(tampered)


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b=1&c=2", True), ("http://example.org", True),
    ("HTTPS://EXAMPLE.ORG", True), ("javascript:alert(1)", False), ("ftp://x.org", False),
    ("//example.org", False), ("https://exa mple.org", False), ("data:text/html,x", False),
    ('https://x.org/"onmouseover="x', False), (None, False), ("", False),
])
def test_safe_url(url: str | None, ok: bool) -> None:
    assert (safe_url(url) != "") is ok


def test_encode_line_round_trip() -> None:
    pts = [(36.63391, 35.93062), (36.8059, 35.8646), (36.8059, 35.8646), (37.1343, 36.2021)]
    ints = encode_line(pts, 3)
    lat = lon = 0
    out = []
    for i in range(0, len(ints), 2):
        lat += ints[i]
        lon += ints[i + 1]
        out.append((lon / 1000, lat / 1000))
    assert out == [(36.634, 35.931), (36.806, 35.865), (37.134, 36.202)]


def test_canvas_is_chosen_for_many_places(mini: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.render import page

    assert '"canvas": false' in render_html(mini)
    monkeypatch.setattr(page, "CANVAS_THRESHOLD", 3)
    html = render_html(mini)
    assert '"canvas": true' in html


def test_static_assets_are_checked() -> None:
    assert "window.mapperTimeSlider" in browser_script()
    assert ".ts-bar" in read_static("timeslider.css")
    with pytest.raises(ValueError, match="speed"):
        chrome_html("ts", 3)


def test_head_carries_the_site_index_tags(mini: Dataset, mini_html: str) -> None:
    from mapper.site import meta_fields

    head = mini_html[:mini_html.index("</head>")]
    assert meta_fields(mini)["title"] == mini.title
    assert f'<meta name="mapper:title" content="{mini.title}">' in head
    assert mini_html.index('<meta name="mapper:title"') < 20_000  # before the inlined assets
    assert '<meta name="mapper:start" content="2024-11-26">' in head


def test_sources_carry_precision_and_extras(mini: Dataset) -> None:
    src = build_payload(mini)["sources"]
    i = src["id"].index("fx-archive")
    assert src["published"][i] == "2020-03-01" and src["published_prec"][i] == 1  # month
    assert src["published_prec"][src["id"].index("fx-wire")] == 0
    assert src["extra"] == {"notes": ["Wire copy, updated twice.", "", "Background only."]}


def test_territory_population_when_known(mini: Dataset) -> None:
    ds = copy.copy(mini)
    places = mini.places.copy()
    places["population"] = places["population"].astype("Int64")
    places.loc["saraqib", "population"] = 34_311
    ds.places = places
    terr = build_payload(ds)["territory"]
    gov, hts = terr["sides"].index("government"), terr["sides"].index("hts")
    days = terr["day"]
    total = {side: sum(terr["pop"][side][:days.index(3) + 1]) for side in (gov, hts)}
    assert total == {gov: 0, hts: 34_311}  # Saraqib fell to HTS on 29 November (day 3)


def test_population_is_sent_not_geocoder_columns(mini: Dataset) -> None:
    ds = copy.copy(mini)
    places = mini.places.copy()
    places["population"] = places["population"].astype("Int64")
    places.loc["aleppo", "population"] = 2_098_210
    places.loc["aleppo", "match_id"] = "170063"
    places.loc["aleppo", "population_source"] = "geonames"
    ds.places = places
    pl = build_payload(ds)["places"]
    i = pl["id"].index("aleppo")
    assert pl["population"][i] == 2_098_210 and pl["population_source"][i] == "GeoNames"
    assert pl["population"][pl["id"].index("hama")] == 0
    assert pl["population_source"][pl["id"].index("hama")] == ""
    assert not {"match_id", "match_name", "geocode_source", "population", "line"} & set(pl["extra"])


def test_territory_is_the_stats_series_on_change_days(mini: Dataset) -> None:
    from mapper import stats

    terr = build_payload(mini)["territory"]
    table = stats.series_payload(stats.territory_series(mini))
    assert terr["sides"] == ["government", "hts", "contested", "unknown"]
    n = len(table["date"])
    assert terr["day"][0] == 0 and len(terr["day"]) < n  # only the days something changes
    assert terr["pop"] is None  # the fixture knows no population
    for s, side in enumerate(terr["sides"]):
        km2 = pop = 0
        filled_km2, filled_pop = [], []
        pops = terr["pop"][s] if terr["pop"] is not None else [0] * len(terr["day"])
        changes = dict(zip(terr["day"], zip(terr["km2"][s], pops, strict=True), strict=True))
        for day in range(n):  # forward-fill, as the page does
            if day in changes:
                km2 += changes[day][0]
                pop += changes[day][1]
            filled_km2.append(km2 / 10)
            filled_pop.append(pop)
        assert filled_km2 == pytest.approx(table[f"{side}_km2"], abs=1e-9), side
        assert filled_pop == table[f"{side}_population"], side


def test_many_towns_are_labelled_only_through_the_label_column(
    mini: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapper.render import payload as payload_module

    monkeypatch.setattr(payload_module, "MAX_LABELLED_TOWNS", 2)
    places = build_payload(mini)["places"]
    labelled = {p for p, flag in zip(places["id"], places["label"], strict=True) if flag}
    assert labelled == {"aleppo", "idlib", "hama", "saraqib", "idlib-region"}


def test_events_column_path_matches_the_row_path(aleppo: Dataset) -> None:
    """Events without extra columns are encoded a column at a time; with an extra column
    that is empty everywhere the row by row path runs and must give the very same payload."""
    from mapper.render import payload as pl

    places = {p: i for i, p in enumerate(str(i) for i in aleppo.places.index)}
    sources = {s: i for i, s in enumerate(str(i) for i in aleppo.sources.index)}
    assert not [c for c in aleppo.events.columns if c not in pl._EVENT_BUILTIN]
    by_column = pl._events(aleppo, places, sources)
    padded = copy.copy(aleppo)
    padded.events = aleppo.events.assign(note="")
    assert pl._events(padded, places, sources) == by_column
    assert len(unpack(by_column[0]["place"])) == int((aleppo.events["date"] <= aleppo.end).sum())


def test_encode_lines_is_encode_line_of_each() -> None:
    import numpy as np

    from mapper.render.payload import encode_lines

    rng = np.random.default_rng(7)
    lines = [np.round(rng.uniform(35, 37, size=(n, 2)), int(rng.integers(1, 7)))
             for n in rng.integers(1, 12, size=60)]
    lines.append(np.array([[36.0, 35.0], [36.0, 35.0], [36.0, 35.0]]))  # repeats only
    lines.append(np.array([[36.000004, 35.0], [36.000005, 35.0], [36.000015, 35.0]]))  # halves
    for precision in (2, 5, 6):
        assert encode_lines(lines, precision) == [encode_line(a, precision) for a in lines]
