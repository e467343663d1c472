"""Malformed input, one thing wrong at a time: each gives one clear problem, or none.

Every case copies the valid fixture (``tests/data/valid``: every place has coordinates, so
nothing is geocoded), changes one thing in one file, then checks
``validate(folder, geocode=False)`` and ``mapper validate`` (geocoding on) run in-process:
either exactly the expected error (file, line, field and a phrase of the message) and exit code
2, or a clean dataset that loads and exit code 0; never a traceback. A problem that follows
from an earlier one (events naming places of a places.csv that could not be read) must not be
reported.
"""

from __future__ import annotations

import codecs
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapper.cli import main
from mapper.dataset import CELL_LIMIT, Dataset, load_dataset, validate
from mapper.errors import DatasetError, Problem

VALID = Path(__file__).parent / "data" / "valid"

Mutation = Callable[[Path], None]


# ---------------------------------------------------------------- mutations


def _text(folder: Path, file: str) -> str:
    return (folder / file).read_text(encoding="utf-8")


def sub(file: str, old: str, new: str) -> Mutation:
    """Replace one exact, unique piece of text in a file."""

    def mutate(folder: Path) -> None:
        text = _text(folder, file)
        assert text.count(old) == 1, f"{old!r} is not unique in {file}"
        (folder / file).write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def append(file: str, *lines: str) -> Mutation:
    """Add records at the end of a CSV file."""

    def mutate(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8", newline="") as handle:
            handle.write("".join(line + "\n" for line in lines))

    return mutate


def write(file: str, data: bytes | str) -> Mutation:
    """Replace a whole file."""

    def mutate(folder: Path) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        (folder / file).write_bytes(raw)

    return mutate


def raw_sub(file: str, old: bytes, new: bytes) -> Mutation:
    """Replace one exact, unique run of bytes in a file (to write bytes that are not UTF-8)."""

    def mutate(folder: Path) -> None:
        data = (folder / file).read_bytes()
        assert data.count(old) == 1, f"{old!r} is not unique in {file}"
        (folder / file).write_bytes(data.replace(old, new))

    return mutate


def recode(file: str, encoding: str, bom: bytes = b"") -> Mutation:
    """Save a file in another encoding."""

    def mutate(folder: Path) -> None:
        (folder / file).write_bytes(bom + _text(folder, file).encode(encoding))

    return mutate


def transform(file: str, change: Callable[[str], str]) -> Mutation:
    """Rewrite a file's text through a function."""

    def mutate(folder: Path) -> None:
        (folder / file).write_text(change(_text(folder, file)), encoding="utf-8")

    return mutate


def header_only(file: str) -> Mutation:
    """Keep only the header line of a CSV file."""
    return transform(file, lambda text: text.splitlines()[0] + "\n")


def delete(file: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / file).unlink()

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for m in mutations:
            m(folder)

    return mutate


# ---------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Error:
    """The one error a case must give: where, and a phrase of its message."""

    file: str
    line: int | None
    field: str | None
    phrase: str


Check = Callable[[Dataset], None]


@dataclass(frozen=True)
class Case:
    """One malformed (or odd but acceptable) input: ``error`` is ``None`` when it is valid."""

    id: str
    mutate: Mutation
    error: Error | None = None
    check: Check | None = None


def ok(case_id: str, mutate: Mutation, check: Check | None = None) -> Case:
    return Case(case_id, mutate, None, check)


def bad(case_id: str, mutate: Mutation, file: str, line: int | None, field: str | None,
        phrase: str) -> Case:
    return Case(case_id, mutate, Error(file, line, field, phrase))


def _place(pid: str, column: str, expected: object) -> Check:
    def check(ds: Dataset) -> None:
        assert ds.places.loc[pid, column] == expected

    return check


def _event(line: int, column: str, expected: object) -> Check:
    def check(ds: Dataset) -> None:
        assert ds.events.loc[ds.events["line"] == line, column].tolist() == [expected]

    return check


def _source(sid: str, column: str, expected: object) -> Check:
    def check(ds: Dataset) -> None:
        assert ds.sources.loc[sid, column] == expected

    return check


def _time(start: date, end: date) -> Check:
    def check(ds: Dataset) -> None:
        assert (ds.start, ds.end) == (start, end)

    return check


def _no_events(ds: Dataset) -> None:
    ev = ds.events
    assert len(ev) == 0
    assert ev.columns.tolist() == ["date", "date_text", "precision", "place_id", "controller",
                                   "kind", "description", "source_id", "line"]
    assert str(ev["line"].dtype) == "int64"
    assert len(ds.incidents) == 0 and len(ds.control_events) == 0


def _no_routes(ds: Dataset) -> None:
    assert len(ds.routes) == 0 and ds.routes.index.name == "id"


def _faction_colour(fid: str, colour: str) -> Check:
    def check(ds: Dataset) -> None:
        assert ds.factions[fid].colour == colour

    return check


def _places_count(n: int) -> Check:
    def check(ds: Dataset) -> None:
        assert len(ds.places) == n

    return check


TOML = "dataset.toml"
PLACES = "places.csv"
EVENTS = "events.csv"
SOURCES = "sources.csv"
ROUTES = "routes.csv"

TIME_TABLE = '[time]\nstart = "2024-11-26"\nend = "2024-12-02"\n'
SARAQIB = "saraqib,Saraqib,town,SY,35.8645,36.8059,,on the M4/M5 junction,سراقب"
ALEPPO_COORDS = "36.2021,37.1343"
EVENT_3 = "2020-03,saraqib,government,recaptured,The army took the town back.,aj-2020-03"
HUGE = "x" * 200_000
TEMPLATE = "{{ 7*7 }} {% if x %}y{% endif %} ${7*7} <%= 7*7 %>"

TOML_CASES = [
    bad("toml-missing", delete(TOML), TOML, None, None, "every dataset needs a dataset.toml"),
    bad("toml-empty", write(TOML, b""), TOML, None, None, "empty file: give at least a title"),
    bad("toml-blank", write(TOML, "\n  \n"), TOML, None, None, "empty file"),
    bad("toml-syntax", sub(TOML, 'end = "2024-12-02"', "end = "), TOML, 9, None,
        "not valid TOML"),
    bad("toml-unquoted-text", sub(TOML, 'title = "Fixture: Aleppo and Saraqib"', "title = Fixture"),
        TOML, 3, None, "text needs quotes"),
    bad("toml-nul", sub(TOML, "A small valid", "A small\x00 valid"), TOML, 4, None,
        "Illegal character"),
    bad("toml-control-escape", sub(TOML, 'label = "Syrian government and allies"',
                                   'label = "Syrian\\u0000 government"'),
        TOML, 17, "factions.label", "control character U+0000 (NUL) at character 7: delete it, "
                                    "or its escape \\u0000"),
    bad("toml-utf16", recode(TOML, "utf-16"), TOML, None, None, "UTF-16"),
    bad("toml-latin1", both(sub(TOML, "A small valid", "A small välid"), recode(TOML, "latin-1")),
        TOML, 4, None, "byte(s) e4 at column 25 are not UTF-8"),
    ok("toml-bom", recode(TOML, "utf-8", codecs.BOM_UTF8)),
    bad("toml-title-missing", sub(TOML, 'title = "Fixture: Aleppo and Saraqib"\n', ""), TOML,
        None, "title", "missing: give the map a title"),
    bad("toml-title-number", sub(TOML, 'title = "Fixture: Aleppo and Saraqib"', "title = 5"),
        TOML, 3, "title", "must be text in quotes"),
    bad("toml-description-number",
        sub(TOML, 'description = "A small valid dataset for the loader\'s tests."',
            "description = 3"), TOML, 4, "description", "must be a string"),
    bad("toml-countries-string", sub(TOML, '["SY", "UA"]', '"SY"'), TOML, 5, "countries",
        "must be a list"),
    bad("toml-country-name", sub(TOML, '["SY", "UA"]', '["SY", "Ukraine"]'), TOML, 5,
        "countries", "not an ISO 3166-1 alpha-2"),
    bad("toml-country-lower", sub(TOML, '["SY", "UA"]', '["SY", "ua"]'), TOML, 5, "countries",
        "write it in capitals: UA"),
    ok("toml-no-time", sub(TOML, TIME_TABLE, ""),
       _time(date(2016, 12, 1), date(2024, 11, 30))),
    ok("toml-no-time-end", sub(TOML, 'end = "2024-12-02"\n', ""),
       _time(date(2024, 11, 26), date(2024, 11, 30))),
    ok("toml-no-time-start", sub(TOML, 'start = "2024-11-26"\n', ""),
       _time(date(2016, 12, 1), date(2024, 12, 2))),
    bad("toml-start-after-last-event",
        sub(TOML, 'start = "2024-11-26"\nend = "2024-12-02"\n', 'start = "2025-01-01"\n'),
        TOML, 8, "time.start", "is after the last event (2024-11-30)"),
    bad("toml-start-after-end", sub(TOML, 'end = "2024-12-02"', 'end = "2024-11-02"'), TOML, 8,
        "time.start", "start 2024-11-26 is after end 2024-11-02"),
    bad("toml-end-month", sub(TOML, 'end = "2024-12-02"', 'end = "2024-12"'), TOML, 9,
        "time.end", "is not a full day"),
    bad("toml-end-impossible", sub(TOML, 'end = "2024-12-02"', 'end = "2024-02-30"'), TOML, 9,
        "time.end", "February 2024 has 29 days"),
    bad("toml-end-number", sub(TOML, 'end = "2024-12-02"', "end = 5"), TOML, 9, "time.end",
        "is not a date"),
    bad("toml-time-string", sub(TOML, TIME_TABLE, 'time = "2024"\n'), TOML, 7, "time",
        "must be a [time] table"),
    bad("toml-unknown-table", sub(TOML, "[time]", "[times]"), TOML, 7, "times",
        "unknown table [times]; did you mean 'time'?"),
    bad("toml-unknown-top-key", sub(TOML, 'countries = ["SY", "UA"]',
                                    'countries = ["SY", "UA"]\ncountry = "SY"'),
        TOML, 6, "country", "unknown key 'country'; did you mean 'countries'?"),
    bad("toml-title-typo", sub(TOML, "title = ", "titel = "), TOML, 3, "titel",
        "did you mean 'title'?"),
    bad("toml-time-key-typo", sub(TOML, 'start = "2024-11-26"', 'stat = "2024-11-26"'), TOML, 8,
        "time.stat", "unknown key 'stat' in [time]; did you mean 'start'?"),
    bad("toml-view-key-typo", sub(TOML, "center = [36.0, 36.9]", "centre = [36.0, 36.9]"), TOML,
        12, "view.centre", "did you mean 'center'?"),
    ok("toml-no-view", sub(TOML, "[view]\ncenter = [36.0, 36.9]\nzoom = 9\n", "")),
    bad("toml-zoom-big", sub(TOML, "zoom = 9", "zoom = 40"), TOML, 13, "view.zoom",
        "not a zoom level"),
    bad("toml-zoom-float", sub(TOML, "zoom = 9", "zoom = 8.5"), TOML, 13, "view.zoom",
        "not a zoom level"),
    bad("toml-center-range", sub(TOML, "center = [36.0, 36.9]", "center = [136.0, 36.9]"), TOML,
        12, "view.center", "out of range"),
    bad("toml-center-text", sub(TOML, "center = [36.0, 36.9]", 'center = "Aleppo"'), TOML, 12,
        "view.center", "must be [lat, lon]"),
    ok("toml-color-alias", sub(TOML, 'colour = "#2E7D32"', 'color = "#2E7D32"'),
       _faction_colour("hts", "#2e7d32")),
    bad("toml-color-empty", sub(TOML, 'colour = "#2E7D32"', 'color = ""'), TOML, 24,
        "factions.color", "color is empty: give a CSS colour such as #d55e00"),
    bad("toml-colour-empty", sub(TOML, 'colour = "#2E7D32"', 'colour = ""'), TOML, 24,
        "factions.colour", "colour is empty: give a CSS colour such as #d55e00"),
    bad("toml-colour-name", sub(TOML, 'colour = "#2E7D32"', 'colour = "green"'), TOML, 24,
        "factions.colour", "'green' is not a colour"),
    bad("toml-colour-missing", sub(TOML, 'colour = "#2E7D32"\n', ""), TOML, 21,
        "factions.colour", "missing: each faction needs a colour"),
    bad("toml-colour-and-color", sub(TOML, 'colour = "#2E7D32"',
                                     'colour = "#2E7D32"\ncolor = "#2E7D32"'),
        TOML, 25, "factions.color", "not both"),
    bad("toml-pattern-typo", sub(TOML, 'pattern = "hatch"', 'patern = "hatch"'), TOML, 25,
        "factions.patern", "unknown key 'patern' in [[factions]]; did you mean 'pattern'?"),
    bad("toml-colour-typo", sub(TOML, 'colour = "#2E7D32"', 'colur = "#2E7D32"'), TOML, 24,
        "factions.colur", "did you mean 'colour'?"),
    bad("toml-pattern-unknown", sub(TOML, 'pattern = "hatch"', 'pattern = "stripes"'), TOML, 25,
        "factions.pattern", "unknown pattern 'stripes'"),
    bad("toml-dash", sub(TOML, 'dash = "6 4"', 'dash = "6 x"'), TOML, 26, "factions.dash",
        "not an SVG dash array"),
    bad("toml-aliases-string", sub(TOML, 'aliases = ["regime", "government forces"]',
                                   'aliases = "regime"'),
        TOML, 19, "factions.aliases", "must be a list of strings"),
    bad("toml-faction-contested", sub(TOML, 'id = "hts"', 'id = "contested"'), TOML, 22,
        "factions.id", "'contested' is built in"),
    bad("toml-faction-id-caps", sub(TOML, 'id = "hts"', 'id = "HTS"'), TOML, 22, "factions.id",
        "'HTS' is not a slug"),
    bad("toml-faction-duplicate", sub(TOML, 'id = "hts"', 'id = "government"'), TOML, 22,
        "factions.id", "duplicate faction id 'government' (first declared on line 16)"),
    bad("toml-faction-label", sub(TOML, 'label = "HTS-led offensive"\n', ""), TOML, 21,
        "factions.label", "needs a label"),
    bad("toml-factions-missing", transform(TOML, lambda t: t.split("[[factions]]")[0]), TOML,
        None, "factions", "declare at least one [[factions]] table"),
    bad("toml-factions-singular", transform(TOML, lambda t: t.replace("[[factions]]",
                                                                      "[[faction]]")),
        TOML, 15, "faction", "unknown table [[faction]]; did you mean 'factions'?"),
    ok("toml-template-title", sub(TOML, "Fixture: Aleppo and Saraqib", TEMPLATE),
       lambda ds: _assert_equal(ds.title, TEMPLATE)),
]

PLACE_CASES = [
    bad("places-missing", delete(PLACES), PLACES, None, None, "every dataset needs a places.csv"),
    bad("places-empty", write(PLACES, b""), PLACES, 1, None,
        "empty file: expected a header row such as id,name,kind,country"),
    bad("places-blank", write(PLACES, "\n\n  \n"), PLACES, 1, None, "empty file"),
    bad("places-header-only", header_only(PLACES), PLACES, 1, None,
        "no places below the header"),
    bad("places-no-id-column", sub(PLACES, "id,name,kind", "ident,name,kind"), PLACES, 1, "id",
        "missing required column"),
    bad("places-column-typo", sub(PLACES, "id,name,kind,country", "id,nmae,kind,country"),
        PLACES, 1, "name", "missing required column; is 'nmae' meant to be it?"),
    bad("places-lat-typo", sub(PLACES, "lat,lon", "lattitude,lon"), PLACES, 1, "lat",
        "the header has lon but no lat; is 'lattitude' meant to be it?"),
    bad("places-column-twice", sub(PLACES, "query,notes", "query,name"), PLACES, 1, "name",
        "column named twice"),
    bad("places-column-unnamed", sub(PLACES, "notes,local_name", "notes,local_name,"), PLACES, 1,
        None, "a column has no name"),
    ok("places-title-case-header", sub(PLACES, "id,name,kind,country,lat,lon",
                                       "ID,Name,Kind,Country,Lat,Lon"),
       _place("saraqib", "lat", 35.8645)),
    ok("places-spelled-out-header", sub(PLACES, "lat,lon", "Latitude, Longitude"),
       _place("saraqib", "lon", 36.8059)),
    ok("places-bom-crlf", both(transform(PLACES, lambda t: t.replace("\n", "\r\n")),
                               recode(PLACES, "utf-8", codecs.BOM_UTF8)),
       _place("kharkiv", "local_name", "Харків")),
    bad("places-utf16", recode(PLACES, "utf-16"), PLACES, None, None,
        "the file is UTF-16 text"),
    bad("places-utf16-no-bom", recode(PLACES, "utf-16-le"), PLACES, None, None,
        "UTF-16 text without a byte-order mark"),
    bad("places-latin1", raw_sub(PLACES, b"largest city", "größte Stadt".encode("latin-1")),
        PLACES, 2, "notes", "byte(s) f6 at column 42 are not UTF-8"),
    bad("places-xlsx", write(PLACES, b"PK\x03\x04\x14\x00\x06\x00" + bytes(200)), PLACES, None,
        None, "zip archive, such as a spreadsheet workbook"),
    bad("places-xls", write(PLACES, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)), PLACES,
        None, None, "old Excel workbook"),
    ok("places-semicolons", transform(PLACES, lambda t: t.replace(",", ";").replace(
        "36.2021", "36,2021")), _place("aleppo", "lat", 36.2021)),
    ok("places-tabs", transform(PLACES, lambda t: t.replace(",", "\t")),
       _place("kuweires", "query", "Kuweires")),
    bad("places-open-quote", sub(PLACES, "saraqib,Saraqib", 'saraqib,"Saraqib'), PLACES, 3,
        None, "never closed"),
    bad("places-text-after-quote", sub(PLACES, "saraqib,Saraqib", 'saraqib,"Sara"qib'), PLACES,
        3, None, "text follows the closing quote"),
    bad("places-too-many-values", sub(PLACES, "on the M4/M5 junction", "on the M4, M5 junction"),
        PLACES, 3, None, "10 values but the header has 9 columns; quote values that contain "
                         "commas"),
    bad("places-nul", sub(PLACES, "Saraqib,town", "Sara\x00qib,town"), PLACES, 3, "name",
        "control character U+0000 (NUL) at character 5"),
    bad("places-escape", sub(PLACES, "largest city", "largest\x1b[1m city"), PLACES, 2, "notes",
        "control character U+001B (escape)"),
    bad("places-delete-char", sub(PLACES, "Kuweires air base", "Kuweires\x7f air base"), PLACES,
        4, "name", "U+007F (delete)"),
    bad("places-c1-char", sub(PLACES, "largest city", "largest\x85city"), PLACES, 2, "notes",
        "control character U+0085"),
    bad("places-control-in-multiline", sub(PLACES, "largest city of the north",
                                           '"largest city\nof the\x0c north"'),
        PLACES, 3, "notes", "U+000C (form feed)"),
    ok("places-tab-in-notes", sub(PLACES, "largest city of the north", '"largest\tcity"'),
       _place("aleppo", "notes", "largest\tcity")),
    ok("places-multiline-notes", sub(PLACES, "largest city of the north",
                                     '"largest city\nof the north"'),
       _place("kharkiv", "line", 6)),
    bad("places-huge-header", sub(PLACES, "notes,local_name", "notes," + HUGE), PLACES, 1, None,
        "cell too long (200000 characters, limit 131072)"),
    bad("places-null-island", sub(PLACES, ALEPPO_COORDS, "0,0"), PLACES, 2, "lat",
        "a spreadsheet writes it for coordinates left blank"),
    bad("places-huge-cell", sub(PLACES, "largest city of the north", HUGE), PLACES, 2, "notes",
        "cell too long (200000 characters, limit 131072)"),
    ok("places-cell-at-limit", sub(PLACES, "largest city of the north", "y" * CELL_LIMIT),
       lambda ds: _assert_equal(len(ds.places.loc["aleppo", "notes"]), CELL_LIMIT)),
    bad("places-id-not-slug", sub(PLACES, "saraqib,Saraqib", "Saraqib,Saraqib"), PLACES, 3, "id",
        "'Saraqib' is not a slug"),
    bad("places-id-duplicate", append(PLACES, SARAQIB), PLACES, 6, "id",
        "duplicate id 'saraqib' (first on line 3)"),
    bad("places-name-empty", sub(PLACES, "Saraqib,town", ",town"), PLACES, 3, "name",
        "empty: a value is required"),
    bad("places-kind-not-slug", sub(PLACES, "Saraqib,town", "Saraqib,Town"), PLACES, 3, "kind",
        "'Town' is not a slug"),
    ok("places-kind-unknown", sub(PLACES, "Saraqib,town", "Saraqib,hamlet"),
       _place("saraqib", "kind", "hamlet")),
    bad("places-country-unknown", sub(PLACES, "town,SY", "town,XX"), PLACES, 3, "country",
        "'XX' is not an ISO 3166-1 alpha-2 country code"),
    bad("places-country-lower", sub(PLACES, "town,SY", "town,sy"), PLACES, 3, "country",
        "write it in capitals: SY"),
    bad("places-lat-underscore", sub(PLACES, "35.8645,", "3_5.8645,"), PLACES, 3, "lat",
        "'3_5.8645' is not a decimal number"),
    bad("places-lat-exponent", sub(PLACES, "35.8645,", "3.58645e1,"), PLACES, 3, "lat",
        "'3.58645e1' is not a decimal number"),
    bad("places-lon-nan", sub(PLACES, ",36.8059", ",nan"), PLACES, 3, "lon",
        "'nan' is not a decimal number"),
    bad("places-lon-inf", sub(PLACES, ",36.8059", ",inf"), PLACES, 3, "lon",
        "'inf' is not a decimal number"),
    bad("places-lat-decimal-comma", sub(PLACES, "35.8645,", '"35,8645",'), PLACES, 3, "lat",
        "'35,8645' has a decimal comma; write a point: 35.8645"),
    bad("places-lat-degrees", sub(PLACES, "35.8645,", "35°52′,"), PLACES, 3, "lat",
        "is in degrees and minutes"),
    bad("places-lat-range", sub(PLACES, "35.8645,", "95.1,"), PLACES, 3, "lat",
        "95.1 is out of range -90..90"),
    bad("places-lon-range", sub(PLACES, ",36.8059", ",-181"), PLACES, 3, "lon",
        "-181 is out of range -180..180"),
    bad("places-lat-only", sub(PLACES, "35.8645,36.8059", "35.8645,"), PLACES, 3, "lon",
        "empty, but the other coordinate is given"),
    bad("places-swapped-sea", both(sub(TOML, '["SY", "UA"]', '["SY", "UA", "IQ"]'),
                                   sub(PLACES, "kharkiv,Kharkiv,city,UA,49.9808,36.2527",
                                       "mosul,Mosul,city,IQ,43.1189,36.335")),
        PLACES, 5, "lat", "lat and lon look swapped: 43.1189, 36.335 lies 851 km outside Iraq "
                          "(IQ), in the sea"),
    bad("places-swapped-land", sub(PLACES, "49.9808,36.2527", "36.2527,49.9808"), PLACES, 5,
        "lat", "in Iran (IR), but 49.9808, 36.2527 would be in Ukraine (UA): are lat and lon "
               "swapped?"),
    bad("places-in-another-country", sub(PLACES, ALEPPO_COORDS, "37.0662,37.3833"), PLACES, 2,
        "lat", "37.0662, 37.3833 lies 44 km outside Syria (SY), in Turkey (TR)"),
    bad("places-far-away", sub(PLACES, ALEPPO_COORDS, "-33.9,18.4"), PLACES, 2, "lat",
        "outside Syria (SY), in the sea or outside every country's outline"),
    ok("places-near-the-border", sub(PLACES, ALEPPO_COORDS, "36.7184,37.1212")),
    ok("places-outside-country-yes", both(
        sub(PLACES, "notes,local_name", "notes,local_name,outside_country"),
        sub(PLACES, ALEPPO_COORDS + ",,largest city of the north,حلب",
            "37.0662,37.3833,,largest city of the north,حلب,yes")),
       _place("aleppo", "outside_country", "yes")),
    bad("places-outside-country-bad", both(
        sub(PLACES, "notes,local_name", "notes,local_name,outside_country"),
        sub(PLACES, "largest city of the north,حلب", "largest city of the north,حلب,maybe")),
        PLACES, 2, "outside_country", "'maybe': write yes"),
    bad("places-population-huge", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", "junction,سراقب,99999999999999999999999")),
        PLACES, 3, "population", "99999999999999999999999 is too large: a population must be a "
                                 "whole number below 10,000,000,000"),
    bad("places-population-limit", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", "junction,سراقب,10000000000")),
        PLACES, 3, "population", "too large"),
    ok("places-population-below-limit", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", "junction,سراقب,9999999999")),
       _place("saraqib", "population", 9_999_999_999)),
    ok("places-population-commas", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", 'junction,سراقب,"34,311"')),
       _place("saraqib", "population", 34311)),
    bad("places-population-underscore", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", "junction,سراقب,34_311")),
        PLACES, 3, "population", "'34_311' is not a whole number of people"),
    bad("places-population-negative", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", "junction,سراقب,-5")),
        PLACES, 3, "population", "is not a whole number"),
    bad("places-population-decimal", both(
        sub(PLACES, "notes,local_name", "notes,local_name,population"),
        sub(PLACES, "junction,سراقب", "junction,سراقب,12.5")),
        PLACES, 3, "population", "is not a whole number"),
    ok("places-template-text", sub(PLACES, "largest city of the north", TEMPLATE),
       _place("aleppo", "notes", TEMPLATE)),
    ok("places-html-name", sub(PLACES, "Saraqib,town", "<b>Saraqib</b>,town"),
       _place("saraqib", "name", "<b>Saraqib</b>")),
    ok("places-header-after-blank-line", transform(PLACES, lambda t: "\n" + t),
       _place("saraqib", "line", 4)),
    ok("places-many-rows", append(PLACES, *(
        f"v{i},Village {i},village,SY,{35.5 + i % 40 * 0.01:.2f},{36.8 + i // 40 * 0.01:.2f},,,"
        for i in range(2000))), _places_count(2004)),
]

EVENT_CASES = [
    bad("events-missing", delete(EVENTS), EVENTS, None, None, "every dataset needs a events.csv"),
    bad("events-empty", write(EVENTS, b""), EVENTS, 1, None, "empty file: expected a header row"),
    ok("events-header-only", both(header_only(EVENTS), delete(ROUTES)), _no_events),
    bad("events-header-only-no-time", both(header_only(EVENTS), delete(ROUTES),
                                           sub(TOML, TIME_TABLE, "")),
        TOML, None, "time", "no [time] start and end, and no events to take them from"),
    ok("events-title-case-header", sub(EVENTS, "date,place_id,controller,kind,description,"
                                               "source_id",
                                       "Date,Place ID,Controller,Kind,Description,Source-ID"),
       _event(3, "source_id", "aj-2020-03")),
    bad("events-column-typo", sub(EVENTS, "date,place_id", "date,plce_id"), EVENTS, 1,
        "place_id", "missing required column; is 'plce_id' meant to be it?"),
    bad("events-no-source-column", transform(EVENTS, lambda t: "\n".join(
        line.rsplit(",", 1)[0] for line in t.splitlines()) + "\n"), EVENTS, 1, "source_id",
        "missing required column"),
    bad("events-impossible-date", sub(EVENTS, "2020-03,saraqib", "2024-02-30,saraqib"), EVENTS,
        3, "date", "'2024-02-30' is not a real day: February 2024 has 29 days"),
    bad("events-slash-date", sub(EVENTS, "2020-03,saraqib", "30/03/2020,saraqib"), EVENTS, 3,
        "date", "is not a date; write YYYY-MM-DD"),
    bad("events-short-date", sub(EVENTS, "2020-03,saraqib", "2020-3,saraqib"), EVENTS, 3, "date",
        "is not a date"),
    bad("events-empty-date", sub(EVENTS, "2020-03,saraqib", ",saraqib"), EVENTS, 3, "date",
        "empty: a value is required"),
    bad("events-unknown-place", sub(EVENTS, "2020-03,saraqib", "2020-03,saraqeb"), EVENTS, 3,
        "place_id", "unknown place 'saraqeb'"),
    bad("events-unknown-controller", sub(EVENTS, "aleppo,hts,entered", "aleppo,rebels,entered"),
        EVENTS, 4, "controller", "unknown controller 'rebels'"),
    bad("events-unknown-source", sub(EVENTS, "back.,aj-2020-03", "back.,aj-2020-04"), EVENTS, 3,
        "source_id", "unknown source 'aj-2020-04': not in sources.csv"),
    bad("events-kind-not-slug", sub(EVENTS, "hts,entered", "hts,Entered"), EVENTS, 4, "kind",
        "'Entered' is not a slug"),
    bad("events-hand-to-holder", append(EVENTS, "2024-12-01,saraqib,hts,captured,Again.,"
                                                "st-2024-12-01"),
        EVENTS, 7, "controller", "hands 'saraqib' to 'hts', which already holds it"),
    bad("events-nul", sub(EVENTS, "took back the whole", "took back\x00 the whole"), EVENTS, 2,
        "description", "control character U+0000 (NUL) at character 28"),
    bad("events-unit-separator-at-end", sub(EVENTS, "took back the whole city.",
                                            "took back the whole city.\x1f"),
        EVENTS, 2, "description", "control character U+001F at character 44"),
    bad("events-control-in-header", sub(EVENTS, "date,place_id", "date\x01,place_id"), EVENTS, 1,
        None, "control character U+0001"),
    bad("events-huge-description", sub(EVENTS, "The army took the town back.", HUGE), EVENTS, 3,
        "description", "cell too long (200000 characters, limit 131072)"),
    bad("events-huge-from-open-quote", transform(EVENTS, lambda t: t.replace(
        "The army took", '"The army took') + "\n" * 3 + "y" * 140_000 + '"\n'), EVENTS, 3,
        "description", "runs over 8 lines, to line 10; is a quote left open here?"),
    bad("events-open-quote", sub(EVENTS, "The army took the town back.",
                                 '"The army took the town back.'),
        EVENTS, 3, None, "bad CSV from this line on: a quote opened in this record is never "
                         "closed"),
    bad("events-open-quote-runs-on", both(
        sub(EVENTS, "The army took the town back.", '"The army took the town back.'),
        sub(EVENTS, "The town fell to the offensive.", '"The town fell to the offensive."')),
        EVENTS, 3, None, "a quote opened here seems never closed (the value runs on to line 5)"),
    bad("events-too-many-values", sub(EVENTS, "The town fell to the offensive.",
                                      "The town fell, at last."),
        EVENTS, 5, None, "7 values but the header has 6 columns"),
    ok("events-semicolons", transform(EVENTS, lambda t: t.replace(",", ";")),
       _event(4, "controller", "hts")),
    ok("events-tabs", transform(EVENTS, lambda t: t.replace(",", "\t")),
       _event(6, "kind", "airstrike")),
    ok("events-quoted-commas", sub(EVENTS, "The town fell to the offensive.",
                                   '"The town fell, at last, to ""the offensive""."'),
       _event(5, "description", 'The town fell, at last, to "the offensive".')),
    ok("events-template-text", sub(EVENTS, "The army took the town back.", TEMPLATE),
       _event(3, "description", TEMPLATE)),
    bad("events-latin1", raw_sub(EVENTS, b"took back", b"took b\xe4ck"),
        EVENTS, 2, "description", "(in Windows-1252 or Latin-1 they would read 'ä')"),
    bad("events-invalid-utf8", raw_sub(EVENTS, b"hit the city", b"hit the \xff\xfe city"),
        EVENTS, 6, "description", "byte(s) ff at column 47 are not UTF-8"),
    ok("events-coarse-year", sub(EVENTS, "2016-12,aleppo", "2016,aleppo"),
       _event(2, "precision", "year")),
    ok("events-after-end", append(EVENTS, "2024-12-08,aleppo,,airstrike,Again.,st-2024-12-01")),
    ok("events-blank-and-empty-rows", transform(EVENTS, lambda t: t.replace(
        EVENT_3 + "\n", EVENT_3 + "\n\n,,,,,\n")), _event(7, "place_id", "saraqib")),
    ok("events-many-rows", append(EVENTS, *(
        f"2024-11-30,kuweires,,airstrike,Strike {i}.,st-2024-12-01" for i in range(5000))),
       lambda ds: _assert_equal(len(ds.incidents), 5001)),
]

SOURCE_CASES = [
    bad("sources-missing", delete(SOURCES), SOURCES, None, None,
        "every dataset needs a sources.csv"),
    bad("sources-empty", write(SOURCES, b""), SOURCES, 1, None,
        "empty file: expected a header row such as id,title,publisher,url,published"),
    bad("sources-header-only", header_only(SOURCES), SOURCES, 1, None,
        "no sources below the header, but 6 row(s) cite one (the first: events.csv line 2)"),
    bad("sources-url-space", sub(SOURCES, "https://www.aljazeera.com/",
                                 "https://www.aljazeera.com/news story"),
        SOURCES, 3, "url", "has a space at character 31"),
    bad("sources-url-javascript", sub(SOURCES, "https://www.aljazeera.com/", "javascript:alert(1)"),
        SOURCES, 3, "url", "is not an http:// or https:// address"),
    bad("sources-url-ftp", sub(SOURCES, "https://www.aljazeera.com/", "ftp://x.org/a"), SOURCES,
        3, "url", "is not an http:// or https:// address"),
    bad("sources-url-relative", sub(SOURCES, "https://www.aljazeera.com/", "www.aljazeera.com"),
        SOURCES, 3, "url", "is not an http:// or https:// address"),
    bad("sources-url-one-slash", sub(SOURCES, "https://www.aljazeera.com/",
                                     "https:/www.aljazeera.com/"),
        SOURCES, 3, "url", "is not an http:// or https:// address"),
    bad("sources-url-no-host", sub(SOURCES, "https://www.aljazeera.com/", "https://"), SOURCES,
        3, "url", "has no host name"),
    bad("sources-url-bad-host", sub(SOURCES, "https://www.aljazeera.com/", "https://aljazeera/"),
        SOURCES, 3, "url", "has no valid host name ('aljazeera')"),
    bad("sources-url-bracket", sub(SOURCES, "https://www.aljazeera.com/", "https://[fe80::1/"),
        SOURCES, 3, "url", "is not a valid address"),
    bad("sources-url-bad-port", sub(SOURCES, "https://www.aljazeera.com/",
                                    "https://www.aljazeera.com:x/"),
        SOURCES, 3, "url", "has a bad port"),
    bad("sources-url-angle", sub(SOURCES, "https://www.aljazeera.com/",
                                 "https://www.aljazeera.com/<script>"),
        SOURCES, 3, "url", "has '<' at character 27, which a URL cannot hold; write it as %3C"),
    bad("sources-url-quote", sub(SOURCES, "https://www.aljazeera.com/",
                                 '"https://www.aljazeera.com/""x"'),
        SOURCES, 3, "url", "has '\"' at character 27"),
    bad("sources-url-nul", sub(SOURCES, "https://www.aljazeera.com/",
                               "https://www.aljazeera.com/\x00"),
        SOURCES, 3, "url", "control character U+0000"),
    ok("sources-url-unicode-path", sub(SOURCES, "https://www.aljazeera.com/",
                                       "https://uk.wikipedia.org/wiki/Харків"),
       _source("aj-2020-03", "url", "https://uk.wikipedia.org/wiki/Харків")),
    ok("sources-url-query-fragment", sub(SOURCES, "https://www.aljazeera.com/",
                                         "https://www.aljazeera.com/a?b=1&c=%20#d")),
    ok("sources-url-upper-case", sub(SOURCES, "https://www.aljazeera.com/",
                                     "HTTPS://WWW.ALJAZEERA.COM/")),
    ok("sources-url-port", sub(SOURCES, "https://www.aljazeera.com/",
                               "https://www.aljazeera.com:8443/x")),
    bad("sources-published-bad", sub(SOURCES, "/,2020-03", "/,2020-3"), SOURCES, 3, "published",
        "is not a date"),
    bad("sources-title-empty", sub(SOURCES, "Syrian army retakes Saraqib", ""), SOURCES, 3,
        "title", "empty: a value is required"),
    bad("sources-id-duplicate", append(SOURCES, "aj-2020-03,Again,Al Jazeera,,"), SOURCES, 5,
        "id", "duplicate id 'aj-2020-03' (first on line 3)"),
    ok("sources-unused", append(SOURCES, "spare,Spare,Nobody,,")),
    ok("sources-template-title", sub(SOURCES, "Syrian army retakes Saraqib", TEMPLATE),
       _source("aj-2020-03", "title", TEMPLATE)),
    ok("sources-semicolons", transform(SOURCES, lambda t: t.replace(",", ";")),
       _source("aj-2020-03", "publisher", "Al Jazeera")),
    bad("sources-utf16", recode(SOURCES, "utf-16-be", codecs.BOM_UTF16_BE), SOURCES, None,
        None, "UTF-16"),
]

ROUTE_CASES = [
    ok("routes-missing", delete(ROUTES), _no_routes),
    ok("routes-header-only", header_only(ROUTES), _no_routes),
    bad("routes-empty", write(ROUTES, b""), ROUTES, 1, None, "empty file"),
    bad("routes-unknown-place", sub(ROUTES, "36.95;saraqib", "36.95;hama"), ROUTES, 2,
        "waypoints", "waypoint 3: unknown place 'hama'"),
    bad("routes-bad-coordinate", sub(ROUTES, "36.05 36.95", "36.05 east"), ROUTES, 2,
        "waypoints", "waypoint 2: '36.05 east' is neither"),
    bad("routes-underscore-coordinate", sub(ROUTES, "36.05 36.95", "3_6.05 36.95"), ROUTES, 2,
        "waypoints", "waypoint 2: '3_6.05 36.95' is neither"),
    bad("routes-coordinate-range", sub(ROUTES, "36.05 36.95", "136.05 36.95"), ROUTES, 2,
        "waypoints", "is out of range"),
    bad("routes-one-waypoint", sub(ROUTES, "aleppo;36.05 36.95;saraqib", "aleppo"), ROUTES, 2,
        "waypoints", "a route needs at least 2 waypoints, found 1"),
    bad("routes-empty-waypoint", sub(ROUTES, "aleppo;36.05 36.95;", "aleppo;;"), ROUTES, 2,
        "waypoints", "waypoint 2 is empty"),
    bad("routes-no-waypoints", sub(ROUTES, "aleppo;36.05 36.95;saraqib", ""), ROUTES, 2,
        "waypoints", "empty: a value is required"),
    bad("routes-unknown-source", sub(ROUTES, "saraqib,reuters-2024-11-30", "saraqib,reuters"),
        ROUTES, 2, "source_id", "unknown source 'reuters'"),
    bad("routes-id-not-slug", sub(ROUTES, "m5,", "M5,"), ROUTES, 2, "id", "'M5' is not a slug"),
    bad("routes-nul", sub(ROUTES, "M5 highway", "M5\x00 highway"), ROUTES, 2, "name",
        "control character U+0000 (NUL) at character 3"),
    ok("routes-semicolons", write(ROUTES, "id;name;kind;waypoints;source_id;notes\n"
                                          'm5;M5;highway;"aleppo;36.05 36.95;saraqib";'
                                          "reuters-2024-11-30;\n"),
       lambda ds: _assert_equal(ds.routes.loc["m5", "waypoints"], ["aleppo", None, "saraqib"])),
]

CASCADE_CASES = [
    # The root cause only: events and routes name places/sources of a file that failed.
    bad("cascade-places-open-quote", sub(PLACES, "saraqib,Saraqib", 'saraqib,"Saraqib'), PLACES,
        3, None, "never closed"),
    bad("cascade-places-utf16", recode(PLACES, "utf-16"), PLACES, None, None, "UTF-16"),
    bad("cascade-sources-open-quote", sub(SOURCES, "aj-2020-03,Syrian", 'aj-2020-03,"Syrian'),
        SOURCES, 3, None, "never closed"),
    bad("cascade-toml-broken", sub(TOML, "[view]", "[view"), TOML, 11, None, "not valid TOML"),
    bad("cascade-no-places-column", sub(PLACES, "id,name", "place,name"), PLACES, 1, "id",
        "missing required column"),
    bad("cascade-faction-typo", sub(TOML, 'id = "hts"', 'idd = "hts"'), TOML, 22,
        "factions.idd", "did you mean 'id'?"),
]

CASES = TOML_CASES + PLACE_CASES + EVENT_CASES + SOURCE_CASES + ROUTE_CASES + CASCADE_CASES


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def _prefix(error: Error) -> str:
    """How the CLI prints the start of the error (``file:line: field: ``)."""
    return str(Problem(error.file, error.line, error.field, "@"))[:-1]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_the_matrix_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed(case: Case, tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "set"
    shutil.copytree(VALID, folder)
    case.mutate(folder)
    problems = validate(folder, geocode=False)
    errors = [p for p in problems if p.severity == "error"]
    result = runner.invoke(main, ["-q", "validate", str(folder)])  # geocoding on
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    if case.error is None:
        assert errors == [], [str(p) for p in errors]
        assert result.exit_code == 0, result.output
        assert result.stdout.strip().startswith(f"{folder}: ok")
        ds = load_dataset(folder, geocode=False)
        if case.check is not None:
            case.check(ds)
        return
    want = case.error
    assert len(errors) == 1, [str(p) for p in errors]
    (got,) = errors
    assert (got.file, got.line, got.field) == (want.file, want.line, want.field), str(got)
    assert want.phrase in got.message, str(got)
    assert result.exit_code == 2, result.output
    printed = [line for line in result.stderr.splitlines() if not line.startswith(str(folder))
               and "warning: " not in line]
    assert printed == [str(got)]
    assert printed[0].startswith(_prefix(want))
    assert result.stderr.splitlines()[-1] == f"{folder}: 1 error(s)"
    with pytest.raises(DatasetError) as info:
        load_dataset(folder, geocode=False)
    assert info.value.problems == [got]


# ---------------------------------------------------------------- beyond one error


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "set"
    shutil.copytree(VALID, folder)
    return folder


def test_latin1_file_is_summed_up_not_listed(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    rows = [f"2024-11-30,kuweires,,airstrike,Frappe aérienne {i}.,st-2024-12-01"
            for i in range(40)]
    append(EVENTS, *rows)(folder)
    recode(EVENTS, "latin-1")(folder)
    errors = [p for p in validate(folder, geocode=False) if p.severity == "error"]
    # Five lines in full, then one that sums up the other 35; nothing about the garbled values.
    assert [(p.line, p.field) for p in errors] == [(7, "description"), (8, "description"),
                                                   (9, "description"), (10, "description"),
                                                   (11, "description"), (12, "description")]
    assert errors[-1].message.startswith("this line and 34 more have bytes that are not UTF-8")


def test_many_control_characters_are_summed_up(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    transform(EVENTS, lambda t: t.replace("e", "e\x02"))(folder)
    errors = [p for p in validate(folder, geocode=False) if p.severity == "error"]
    assert len(errors) == 6
    assert all("U+0002" in p.message for p in errors[:5])
    assert "more hold control characters" in errors[5].message


def test_header_only_places_gives_one_error_not_one_per_event(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    header_only(PLACES)(folder)
    assert [str(p) for p in validate(folder, geocode=False)] == [
        "places.csv:1: no places below the header: add the places, one a line (such as "
        "aleppo,Aleppo,city,SY,36.2021,37.1343), or areas (areas.geojson) or snapshots "
        "(snapshots/) of control"]


def test_empty_events_load_with_every_column(tmp_path: Path) -> None:
    from mapper.timeline import Timeline

    folder = _copy(tmp_path)
    header_only(EVENTS)(folder)
    delete(ROUTES)(folder)
    assert [str(p) for p in validate(folder, geocode=False)] == [
        "events.csv:1: warning: no events below the header: the map shows no change of control"]
    ds = load_dataset(folder, geocode=False)
    _no_events(ds)
    assert {c: str(t) for c, t in ds.events.dtypes.items()} == {
        "date": "object", "date_text": "str", "precision": "str", "place_id": "str",
        "controller": "object", "kind": "str", "description": "str", "source_id": "str",
        "line": "int64"}
    # Downstream code copes: every place is unknown on every day.
    timeline = Timeline.from_dataset(ds)
    assert timeline.control_at(ds.end) == dict.fromkeys(ds.places.index)


def test_semicolon_file_with_quoted_semicolons(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    transform(SOURCES, lambda t: t.replace(",", ";").replace(
        "Syrian army retakes Saraqib", '"Syrian army; retakes Saraqib"'))(folder)
    assert validate(folder, geocode=False) == []
    ds = load_dataset(folder, geocode=False)
    assert ds.sources.loc["aj-2020-03", "title"] == "Syrian army; retakes Saraqib"


def test_cli_with_geocoding_on_gives_the_same_error(tmp_path: Path, runner: CliRunner) -> None:
    folder = _copy(tmp_path)
    sub(PLACES, "49.9808,36.2527", "36.2527,49.9808")(folder)
    result = runner.invoke(main, ["-q", "validate", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(
        "places.csv:5: lat: 36.2527, 49.9808 lies 1,537 km outside Ukraine (UA), in Iran (IR)")


def test_not_a_folder(tmp_path: Path, runner: CliRunner) -> None:
    file = tmp_path / "dataset.toml"
    file.write_text("title = 'x'\n", encoding="utf-8")
    result = runner.invoke(main, ["-q", "validate", str(file)])
    assert result.exit_code == 2
    assert "not a dataset folder" in result.stderr
    assert "Traceback" not in result.output


def test_empty_events_give_a_credit_line(tmp_path: Path) -> None:
    from mapper.snapshot import source_line

    folder = _copy(tmp_path)
    header_only(EVENTS)(folder)
    delete(ROUTES)(folder)
    ds = load_dataset(folder, geocode=False)
    assert source_line(ds, ds.end).startswith("Sources: none")
