"""Places from placemarks: ``mapper import places``.

:func:`import_places` reads the point features of a GIS file: KML/KMZ from Google My Maps
or Google Earth (placemarks in a Document and its Folders), GeoJSON, a GeoPackage or
Shapefile from QGIS, anything GDAL reads (through :func:`mapper.areas.read_features`), and
writes them as ``places.csv`` rows: ``id`` (a slug of the name, unique), ``name``, ``kind``,
``country`` (the Natural Earth outline holding the point, or ``--country``), ``lat``,
``lon`` and ``notes`` (the description, as plain text: the HTML Google puts in KML
descriptions is turned into text, never kept as markup). The layer's name (a KML folder,
a GeoPackage layer) is kept in ``folder``. Lines and polygons are skipped.

With ``out`` a new dataset folder is written (``places.csv``, empty ``events.csv`` and
``sources.csv``, a ``dataset.toml`` fitted to the places); with ``append`` the rows are
added to an existing dataset's ``places.csv`` (ids made unique against its own, a
placemark already there by name and point skipped). Either way the folder is written
whole or not at all.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from mapper.areas import read_features, slug
from mapper.errors import Problem
from mapper.importers import (
    ImportFailed,
    check_out,
    csv_text,
    dataset_toml,
    fit_view,
    write_dataset,
)

__all__ = ["PlacesImport", "html_to_text", "import_places"]

#: Property names read as the placemark's name / description, in order of preference.
NAME_FIELDS: tuple[str, ...] = ("name", "title", "label", "nom", "naam")
DESCRIPTION_FIELDS: tuple[str, ...] = ("description", "desc", "notes", "note", "comment")

#: Tags after which text starts a new line.
_BLOCK = frozenset(
    {
        "br",
        "p",
        "div",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "dd",
        "dt",
    }
)
#: Tags whose content is not text for a reader.
_SKIP = frozenset({"script", "style", "head", "title"})

_KINDS = (
    "capital",
    "city",
    "town",
    "village",
    "district",
    "site",
    "airbase",
    "base",
    "crossing",
    "region",
    "country",
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    """Plain text of an HTML fragment (a KML description): tags dropped, entities decoded.

    Line breaks (``<br>``, paragraphs, list items) become ``" / "`` between the lines.

    Examples
    --------
    >>> html_to_text('Held by <b>HTS</b><br>since 29&nbsp;Nov<script>x()</script>')
    'Held by HTS / since 29 Nov'
    >>> html_to_text("5 &lt; 6 &amp; plain")
    '5 < 6 & plain'
    """
    if "<" not in text and "&" not in text:
        return " ".join(text.split())
    parser = _Text()
    parser.feed(text)
    parser.close()
    joined = html.unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in joined.split("\n")]
    return " / ".join(line for line in lines if line)


@dataclass(frozen=True)
class PlacesImport:
    """What :func:`import_places` wrote.

    Attributes
    ----------
    path
        The dataset folder.
    added
        Places written.
    skipped
        Placemarks already in the dataset (``append``), not written again.
    warnings
        Problems that did not stop the import.
    """

    path: Path
    added: int
    skipped: int
    warnings: list[Problem] = field(default_factory=list)


def _value(props: dict[str, Any], fields: Sequence[str]) -> str:
    for name in fields:
        value = props.get(name)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        text = str(value).strip()
        if text:
            return text
    return ""


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


_COUNTRY = re.compile(r"[A-Z]{2}")


def _read_existing(folder: Path, problems: list[Problem],
                   ) -> tuple[list[str], list[list[str]], str]:
    """The header, rows and delimiter of a dataset's places.csv."""
    path = folder / "places.csv"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            Problem(
                str(path),
                None,
                None,
                f"cannot read it ({exc}); --append needs a dataset folder with a UTF-8 places.csv",
            )
        )
        return [], [], ","
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return ["id", "name", "kind", "country", "lat", "lon", "notes"], [], ","
    return ([h.strip() for h in rows[0]], [r for r in rows[1:] if any(v.strip() for v in r)],
            delimiter)


#: Header names read as the format's (as the loader reads them).
_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon"}


def _canonical(name: str) -> str:
    """A header name as the loader reads it: ``Place ID`` is ``place_id``, ``Lat`` is ``lat``.

    Examples
    --------
    >>> _canonical(" Latitude "), _canonical("Place-ID")
    ('lat', 'place_id')
    """
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    return _ALIASES.get(key, key)


def import_places(
    path: Path | str,
    *,
    out: Path | str | None = None,
    append: Path | str | None = None,
    kind: str = "town",
    country: str | None = None,
    name_field: str | None = None,
    title: str | None = None,
    start: date | None = None,
    force: bool = False,
) -> PlacesImport:
    """Turn the placemarks of a KML/KMZ, GeoJSON or other GIS file into ``places.csv`` rows.

    Parameters
    ----------
    path
        The file.
    out
        A new dataset folder to write (missing or empty unless ``force``).
    append
        An existing dataset folder whose ``places.csv`` gets the new rows.
    kind
        The ``kind`` of every place (a placemark's own ``kind`` property wins when it is one
        of the format's kinds).
    country
        ISO 3166-1 alpha-2 code of every place; default: the country whose outline holds
        the point.
    name_field
        The property holding the name (default: ``name``, ``title``, ``label``).
    title
        Title of a new dataset (default: the file's name).
    start
        The day a new dataset's ``[time]`` shows (default: today); edit it with the events.
    force
        Replace a non-empty ``out``.

    Returns
    -------
    PlacesImport

    Raises
    ------
    ImportFailed
        With every problem; nothing is written then.

    Examples
    --------
    >>> import_places("front.kmz", out="geodata/front-2024")  # doctest: +SKIP
    PlacesImport(path=PosixPath('geodata/front-2024'), added=42, skipped=0, warnings=[])
    """
    from mapper.imports.events import countries_at

    path = Path(path)
    problems: list[Problem] = []
    label = str(path)
    if (out is None) == (append is None):
        problems.append(
            Problem(
                "--out",
                None,
                None,
                "give --out DIR (a new dataset) or "
                "--append DATASET (add to its places.csv), one of them",
            )
        )
    if kind not in _KINDS:
        problems.append(
            Problem("--kind", None, None, f"{kind!r} is not a kind of place ({', '.join(_KINDS)})")
        )
    code = (country or "").strip().upper()
    if country is not None and not _COUNTRY.fullmatch(code):
        problems.append(
            Problem(
                "--country",
                None,
                None,
                f"{country!r} is not an ISO 3166-1 alpha-2 code (such as SY)",
            )
        )
    if not path.is_file():
        problems.append(Problem(label, None, None, "no such file"))
    target = Path(out if out is not None else append or ".")
    if out is not None:
        check_out(target, force, problems)
    elif append is not None and not (target / "dataset.toml").is_file():
        problems.append(
            Problem(
                str(target),
                None,
                None,
                "not a dataset folder (no dataset.toml); use --out to start a new one",
            )
        )
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)

    features, found = read_features(path, label, points=True, layer_field="folder")
    problems += found
    if features is None:
        raise ImportFailed(problems)
    if not features:
        problems.append(
            Problem(
                label,
                None,
                None,
                "holds no point placemark (lines and "
                "polygons are skipped); export the places as points",
            )
        )
        raise ImportFailed(problems)

    header = ["id", "name", "kind", "country", "lat", "lon", "notes", "folder"]
    existing: list[list[str]] = []
    delimiter = ","
    if append is not None:
        header, existing, delimiter = _read_existing(target, problems)
        for column in ("notes", "folder"):
            if column not in [_canonical(h) for h in header]:
                header.append(column)
        lacking = [c for c in ("id", "name", "kind", "country", "lat", "lon")
                   if c not in [_canonical(h) for h in header]]
        if header and lacking:
            problems.append(Problem(str(target / "places.csv"), 1, None, "no column "
                                    f"{', '.join(lacking)}: add it to the header first"))
            raise ImportFailed(problems)
    col = {_canonical(name): i for i, name in enumerate(header)}
    taken = {row[col["id"]] for row in existing if "id" in col and len(row) > col["id"]}
    seen = {
        (row[col["name"]].casefold(), row[col["lat"]], row[col["lon"]])
        for row in existing
        if {"name", "lat", "lon"} <= col.keys()
        and len(row) > max(col["name"], col["lat"], col["lon"])
    }
    names = (name_field.strip().lower(),) if name_field else NAME_FIELDS
    located = dict.fromkeys((n for n, _, _ in features), "")
    if not code:
        found_codes = countries_at([(g.y, g.x) for _, _, g in features])
        located = {n: c for (n, _, _), c in zip(features, found_codes, strict=True)}
    rows: list[list[str]] = []
    skipped = 0
    for number, props, geom in features:
        name = html_to_text(_value(props, names))
        if not name:
            have = ", ".join(props) or "none"
            problems.append(
                Problem(
                    label,
                    None,
                    "name",
                    f"feature {number}: no name (the properties are: {have}); give --name-field",
                )
            )
            continue
        lat, lon = round(geom.y, 6), round(geom.x, 6)
        place_country = code or located[number]
        if not place_country:
            problems.append(
                Problem(
                    label,
                    None,
                    "geometry",
                    f"feature {number} ({name}): "
                    f"{lat}, {lon} lies in no country's outline; give "
                    "--country",
                )
            )
            continue
        key = (name.casefold(), _number(lat), _number(lon))
        if key in seen:
            skipped += 1
            continue
        seen.add(key)
        own_kind = _value(props, ("kind",)).lower()
        values = {
            "id": _unique(slug(name) or "place", taken),
            "name": name,
            "kind": own_kind if own_kind in _KINDS else kind,
            "country": place_country,
            "lat": _number(lat),
            "lon": _number(lon),
            "notes": html_to_text(_value(props, DESCRIPTION_FIELDS)),
            "folder": html_to_text(_value(props, ("folder",))),
        }
        rows.append([values.get(_canonical(h), "") for h in header])
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)

    if append is not None:
        width = len(header)
        body = [row + [""] * (width - len(row)) for row in existing] + rows
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)
        texts = {"places.csv": buf.getvalue()}
        write_dataset(target, texts, keep=True)
        return PlacesImport(
            path=target,
            added=len(rows),
            skipped=skipped,
            warnings=[p for p in problems if p.severity != "error"],
        )

    rows.sort(key=lambda r: r[0])
    day = start or date.today()
    lats = [float(r[4]) for r in rows]
    lons = [float(r[5]) for r in rows]
    view = fit_view((min(lons), min(lats), max(lons), max(lats)))
    countries = sorted({r[3] for r in rows})
    toml = dataset_toml(
        command="places", title=(title or "").strip() or path.stem,
        description=f"Places imported from {path.name}.", countries=countries, start=day,
        end=day, view=view, time_note="no events yet: set the range the map shows",
        factions_note="A side is needed before events can hand places to it: rename this one.",
        factions=[("side-a", "Side A (rename it in dataset.toml)", None)])
    texts = {
        "dataset.toml": toml,
        "places.csv": csv_text(header, rows),
        "events.csv": "date,place_id,controller,kind,description,source_id\n",
        "sources.csv": "id,title,publisher,url,published\n",
    }
    write_dataset(target, texts, force=force)
    return PlacesImport(
        path=target,
        added=len(rows),
        skipped=0,
        warnings=[p for p in problems if p.severity != "error"],
    )
