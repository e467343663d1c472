"""Make a dataset from files drawn elsewhere: ``mapper import snapshots``.

:func:`import_snapshots` turns a folder of dated polygon files (a tracker's daily maps of
who holds what, in any format GDAL reads: GeoJSON, GeoPackage, KML/KMZ, Shapefile; the date
in each file's name, ``20240708`` or ``2024-07-08``) into a dataset folder
(``geodata/README.md``) whose ground comes from those snapshots:

``dataset.toml``
    title, countries, ``[time]`` from the first to the last date, ``[view]`` fitted to the
    polygons, a faction per side met (colours from the Okabe-Ito palette, which readers with
    any common colour-vision deficiency tell apart, and fill patterns), and ``[snapshots]``.
``snapshots/YYYY-MM-DD.geojson``
    one file a date, normalised: one Feature per side holding only a ``controller``
    property, a MultiPolygon in lon/lat rounded to 6 decimals (about 0.1 m), exterior rings
    counter-clockwise, each ring starting at its lowest vertex, parts in a fixed order: the
    same polygons always give the same bytes.
``sources.csv``
    one source describing the import; ``places.csv`` and ``events.csv`` have their header
    only (add places and events later as for any dataset).

Who holds each polygon: ``side`` (every feature is that side's), or a property of each
feature (``controller_field``, ``controller`` by default; its value is made a faction id
such as ``hts`` from ``HTS``). With ``rest`` the rest of the ``countries`` is held by that
side on every date.

The folder is written whole or not at all (staged beside ``out``, then swapped in; see
:mod:`mapper._files`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mapper import settings
from mapper._files import folder_lock, recover_folder, replace_folder
from mapper.areas import AREA_SUFFIXES, SNAPSHOT_DIR, date_in_name, read_features, slug
from mapper.errors import MapperError, Problem

__all__ = ["OKABE_ITO", "ImportFailed", "ImportSummary", "check_out", "csv_text",
           "dataset_toml", "faction_styles", "fit_view", "import_snapshots", "snapshot_geojson",
           "toml_string", "write_dataset"]

#: The Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), most distinct first:
#: blue and vermillion, then bluish green, orange, reddish purple, sky blue, yellow, black.
OKABE_ITO: tuple[str, ...] = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7",
                              "#56b4e9", "#f0e442", "#000000")

#: Fill patterns, in the order the factions take them (as ``dataset.toml`` spells them).
PATTERNS: tuple[str, ...] = ("solid", "hatch", "cross", "dots")

#: The source row's id in ``sources.csv``.
SOURCE_ID = "snapshot-files"

#: The publisher written when none is given (``sources.csv`` requires one).
UNKNOWN_PUBLISHER = "unknown"

#: Decimals kept in the snapshot files (1e-6 degree: about 0.1 m).
DECIMALS = 6

#: Built-in controller a file may name without declaring it.
CONTESTED = "contested"

#: Map size (pixels) the initial view is fitted to, and its closest zoom (as the loader's).
_VIEW_PX = (800, 500)
_VIEW_MAX_ZOOM = 10

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class ImportFailed(MapperError):
    """The files cannot be imported; ``problems`` lists every error found.

    Parameters
    ----------
    problems
        Errors (and warnings), each ``file: message``.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors))


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`import_snapshots` wrote.

    Attributes
    ----------
    path
        The dataset folder.
    files
        Snapshot files (one a date).
    start, end
        First and last date.
    factions
        Faction ids, in legend order.
    vertices
        Vertices in all the snapshot files written.
    warnings
        Problems that did not stop the import (files skipped, empty files).
    """

    path: Path
    files: int
    start: date
    end: date
    factions: tuple[str, ...]
    vertices: int
    warnings: list[Problem] = field(default_factory=list)


def faction_styles(n: int) -> list[tuple[str, str]]:
    """Colour and fill pattern of the ``n`` first factions: no two alike up to 32.

    Examples
    --------
    >>> faction_styles(3)
    [('#0072b2', 'solid'), ('#d55e00', 'hatch'), ('#009e73', 'cross')]
    >>> faction_styles(9)[8]
    ('#0072b2', 'hatch')
    """
    k = len(OKABE_ITO)
    return [(OKABE_ITO[i % k], PATTERNS[(i + i // k) % len(PATTERNS)]) for i in range(n)]


def _check_url(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) address with a host, or ``None``."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// address"
    if any(c.isspace() or c in '"<>\\^`{|}' for c in url):
        return f"{url!r} holds a space or a character a URL cannot hold; percent-encode it"
    return None


def _oriented_ring(xy: np.ndarray, ccw: bool) -> np.ndarray:
    """A closed ring turned the given way, starting (and ending) at its lowest vertex."""
    open_ = xy[:-1]
    x, y = open_[:, 0], open_[:, 1]
    area2 = float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
    if (area2 > 0) != ccw:
        open_ = open_[::-1]
    first = int(np.lexsort((open_[:, 1], open_[:, 0]))[0])
    open_ = np.roll(open_, -first, axis=0)
    return np.vstack([open_, open_[:1]])


def _polygons(geom: BaseGeometry) -> list[BaseGeometry]:
    """The Polygons in a geometry, collections opened at any depth (lines, points left)."""
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in shapely.get_parts(geom) for p in _polygons(part)]
    return []


def _normal_parts(geom: BaseGeometry) -> list[list[np.ndarray]]:
    """Polygons of ``geom`` on the 6-decimal grid, valid, rings canonical, parts sorted."""
    rounded = shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))
    if not rounded.is_valid:
        snapped = shapely.set_precision(shapely.make_valid(geom), 10.0 ** -DECIMALS)
        rounded = shapely.transform(snapped, lambda xy: np.round(xy, DECIMALS))
    polys = [p for p in _polygons(rounded) if not p.is_empty and p.area > 0]
    parts: list[list[np.ndarray]] = []
    for poly in polys:
        rings = [_oriented_ring(np.asarray(poly.exterior.coords)[:, :2], True)]
        holes = [_oriented_ring(np.asarray(r.coords)[:, :2], False) for r in poly.interiors]
        rings += sorted(holes, key=lambda r: (r[0, 0], r[0, 1]))
        parts.append(rings)
    parts.sort(key=lambda rs: (rs[0][0, 0], rs[0][0, 1], len(rs[0])))
    return parts


def snapshot_geojson(features: Iterable[tuple[str, BaseGeometry]]) -> tuple[str, int]:
    """The normalised text of one snapshot file, and its number of vertices.

    Parameters
    ----------
    features
        ``(controller, polygons)`` pairs, one per side, in the order to write them.

    Returns
    -------
    tuple
        The GeoJSON text (one Feature a line) and the vertices written.

    Examples
    --------
    >>> text, n = snapshot_geojson([("a", shapely.box(1, 2, 3, 4.0000004))])
    >>> feature = json.loads(text)["features"][0]
    >>> feature["properties"], n
    ({'controller': 'a'}, 5)
    >>> feature["geometry"]["coordinates"]
    [[[[1.0, 2.0], [3.0, 2.0], [3.0, 4.0], [1.0, 4.0], [1.0, 2.0]]]]
    """
    lines = []
    vertices = 0
    for controller, geom in features:
        parts = _normal_parts(geom)
        if not parts:
            continue
        vertices += sum(len(ring) for rings in parts for ring in rings)
        # + 0.0: no "-0.0"; json writes each float as its shortest repr, in C
        coords = [[(ring + 0.0).tolist() for ring in rings] for rings in parts]
        props = json.dumps({"controller": controller}, ensure_ascii=False)
        lines.append(f'{{"type": "Feature", "properties": {props}, "geometry": '
                     f'{{"type": "MultiPolygon", "coordinates": {json.dumps(coords)}}}}}')
    body = ",\n".join(lines)
    return ('{"type": "FeatureCollection", "features": [\n' + body + ("\n" if lines else "")
            + "]}\n"), vertices


def _fit_view(bounds: tuple[float, float, float, float]) -> tuple[float, float, int]:
    """Centre (lat, lon) and zoom that show ``bounds`` (lon/lat) on an 800x500 map."""
    west, south, east, north = bounds

    def mercator(lat: float) -> float:
        lat = max(-85.0, min(85.0, lat))
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    spans = ((_VIEW_PX[0], (east - west) / 360),
             (_VIEW_PX[1], (mercator(north) - mercator(south)) / (2 * math.pi)))
    fits = [math.log2(pixels / (256 * span)) for pixels, span in spans if span > 0]
    zoom = math.floor(min(fits)) if fits else _VIEW_MAX_ZOOM
    return (round((south + north) / 2, 4), round((west + east) / 2, 4),
            max(2, min(_VIEW_MAX_ZOOM, zoom)))


def check_out(out: Path, force: bool, problems: list[Problem], *,
              source: Path | None = None) -> None:
    """Record why ``out`` cannot receive a new dataset (a file, not empty, the source itself)."""
    if out.exists() and not out.is_dir():
        problems.append(Problem(str(out), None, None, "exists and is not a folder"))
    elif out.is_dir() and any(out.iterdir()) and not force:
        problems.append(Problem(str(out), None, None, "is not empty; choose another --out, "
                                "or add --force to replace it"))
    if source is not None and out.exists() and source.exists() \
            and out.resolve() == source.resolve():
        problems.append(Problem(str(out), None, None, "is the folder being imported; write "
                                "the dataset elsewhere"))


def write_dataset(out: Path, texts: dict[str, str], *, force: bool = False,
                  keep: bool = False) -> None:
    """Write a dataset folder whole or not at all (staged beside ``out``, then swapped in).

    Every importer writes through here (:func:`mapper._files.replace_folder`). With
    ``keep`` the folder's other files are kept (adding rows to an existing dataset).

    Raises
    ------
    ImportFailed
        When ``out`` was filled meanwhile and ``force`` is not set.
    """
    with folder_lock(out):
        recover_folder(out)
        if not keep and out.is_dir() and any(out.iterdir()) and not force:  # filled meanwhile
            raise ImportFailed([Problem(str(out), None, None, "is not empty; choose another "
                                        "--out, or add --force to replace it")])
        replace_folder(out, texts, keep=keep)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL is escaped too).

    Examples
    --------
    >>> toml_string('Say "hi"')
    '"Say \\\\"hi\\\\""'
    """
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def fit_view(bounds: tuple[float, float, float, float]) -> tuple[float, float, int]:
    """Centre (lat, lon) and zoom that show ``bounds`` (lon/lat) on an 800x500 map."""
    return _fit_view(bounds)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """CSV text with a header, ``\\n`` line ends (the dataset files' form)."""
    return _csv_text(header, rows)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@dataclass
class _Read:
    """One file read: its date, and the polygons of each controller id."""

    day: date
    path: Path
    parts: dict[str, list[BaseGeometry]]


def _controller_id(text: str) -> str:
    return CONTESTED if text.strip().lower() == CONTESTED else slug(text)


def _list_files(folder: Path, problems: list[Problem]) -> list[tuple[date, Path]]:
    """The dated polygon files of ``folder``, by date; undated ones are skipped (a warning)."""
    by_day: dict[date, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in AREA_SUFFIXES:
            continue
        if not path.is_file():
            continue
        day = date_in_name(path.name)
        if day is None:
            problems.append(Problem(str(path), None, None, "no date in the file name "
                                    "(such as 2024-07-08 or 20240708): skipped",
                                    severity="warning"))
        elif day in by_day:
            problems.append(Problem(str(path), None, None, f"shows {day.isoformat()} as "
                                    f"{by_day[day].name} does: keep one file per date"))
        else:
            by_day[day] = path
    return sorted(by_day.items())


#: Formats that hold one layer: read without listing layers first.
def _read_file(day: date, path: Path, side: str | None, field_name: str,
               labels: dict[str, str], problems: list[Problem]) -> _Read | None:
    """Read one file's polygons, by controller id; record new controllers' labels."""
    label = str(path)
    features, found = read_features(path, label, columns=side is None)
    problems += found
    if features is None:
        return None
    parts: dict[str, list[BaseGeometry]] = {}
    if not features:
        problems.append(Problem(label, None, None, "holds no polygon: no side holds any "
                                "ground it draws on that date", severity="warning"))
        return _Read(day, path, parts)
    if side is not None:
        parts[slug(side)] = [geom for _, _, geom in features]
        return _Read(day, path, parts)
    if not any(field_name in props for _, props, _ in features):
        have = ", ".join(dict.fromkeys(k for _, props, _ in features for k in props)) or "none"
        problems.append(Problem(label, None, field_name, f"no such property (the features "
                                f"have: {have}); name the property that says who holds each "
                                "polygon with --controller-field, or give --side"))
        return None
    ok = True
    for number, props, geom in features:
        value = props.get(field_name)
        text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
            else str(value).strip()
        cid = _controller_id(text) if text else ""
        if not text:
            problems.append(Problem(label, None, field_name, f"feature {number}: empty; "
                                    "each feature needs the side that holds it"))
            ok = False
        elif not cid:
            problems.append(Problem(label, None, field_name, f"feature {number}: {text!r} "
                                    "gives no faction id (no letter or digit)"))
            ok = False
        else:
            labels.setdefault(cid, text)
            parts.setdefault(cid, []).append(geom)
    return _Read(day, path, parts) if ok else None


def dataset_toml(*, command: str, title: str, description: str, countries: Sequence[str],
                 start: date, end: date, view: tuple[float, float, int] | None,
                 factions: Sequence[tuple[str, str, str | None]],
                 snapshots: dict[str, str] | None = None, time_note: str = "",
                 factions_note: str = "") -> str:
    """The ``dataset.toml`` an importer writes (every ``mapper import`` command).

    ``factions``: ``(id, label, colour)``, a missing colour taken from :func:`faction_styles`,
    which also gives each side its pattern; ``snapshots``: the ``[snapshots]`` settings;
    ``time_note`` and ``factions_note``: a comment after ``[time]`` and before the factions.

    Examples
    --------
    >>> text = dataset_toml(command="places", title="T", description="D", countries=["SY"],
    ...                     start=date(2024, 1, 1), end=date(2024, 1, 2), view=None,
    ...                     factions=[("a", "A", None)])
    >>> 'colour = "#0072b2"' in text and 'pattern = "solid"' in text
    True
    """
    q = toml_string
    lines = [
        f"# Written by `mapper import {command}`; edit freely (geodata/README.md).",
        f"title = {q(title)}",
        f"description = {q(description)}",
        "countries = [" + ", ".join(q(c) for c in countries) + "]",
        "",
        "[time]" + (f"  # {time_note}" if time_note else ""),
        f'start = "{start.isoformat()}"',
        f'end = "{end.isoformat()}"',
    ]
    if view is not None:
        lines += ["", "[view]", f"center = [{view[0]}, {view[1]}]", f"zoom = {view[2]}"]
    if snapshots is not None:
        lines += ["", "[snapshots]", *[f"{k} = {q(v)}" for k, v in snapshots.items()]]
    if factions_note:
        lines += ["", f"# {factions_note}"]
    for k, ((fid, label, colour), (default, pattern)) in enumerate(
            zip(factions, faction_styles(len(factions)), strict=True)):
        lines += [*([""] if k or not factions_note else []), "[[factions]]", f"id = {q(fid)}",
                  f"label = {q(label)}", f'colour = "{colour or default}"',
                  f'pattern = "{pattern}"']
    return "\n".join(lines) + "\n"


def import_snapshots(
    folder: Path | str,
    out: Path | str,
    *,
    side: str | None = None,
    rest: str | None = None,
    countries: Sequence[str] = (),
    controller_field: str | None = None,
    title: str | None = None,
    source_title: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> ImportSummary:
    """Turn a folder of dated polygon files into a dataset folder.

    Parameters
    ----------
    folder
        The files, one per date, the date in the name (``2024-07-08.geojson``,
        ``isw_20240708.kmz``); other files are ignored, GIS files without a date skipped.
    out
        The dataset folder to write; it must be missing or empty unless ``force``.
    side
        Every polygon is this side's ground (a faction name: ``hts``, ``A``).
    rest
        The rest of ``countries`` is this side's on every date.
    countries
        ISO 3166-1 alpha-2 codes (needed with ``rest``).
    controller_field
        Without ``side``: the property naming each polygon's holder (default
        ``controller``; case does not matter).
    title
        Dataset title (default: the folder's name).
    source_title, publisher, url
        The ``sources.csv`` row (default title: "Snapshot files from <folder>"; publisher:
        ``unknown``, with a warning, as ``sources.csv`` requires one).
    force
        Replace a non-empty ``out``.
    progress
        Show a progress bar while reading (default :data:`mapper.settings.progress`).

    Returns
    -------
    ImportSummary

    Raises
    ------
    ImportFailed
        With every problem found (``file: message``); nothing is written then.

    Examples
    --------
    >>> import_snapshots("trackers/isw", "geodata/isw-2024", side="russia", rest="ukraine",
    ...                  countries=["UA"])  # doctest: +SKIP
    ImportSummary(path=PosixPath('geodata/isw-2024'), files=366, ...)
    """
    from tqdm import tqdm

    folder, out = Path(folder), Path(out)
    problems: list[Problem] = []

    def fail(where: str, message: str) -> None:
        problems.append(Problem(where, None, None, message))

    codes = [str(c).strip().upper() for c in countries if str(c).strip()]
    if side is not None and controller_field is not None:
        fail("--side", "give --side (every polygon is that side's) or --controller-field "
                       "(a property names the side), not both")
    for name, value in (("--side", side), ("--rest", rest)):
        if value is not None and not _controller_id(value):
            fail(name, f"{value!r} gives no faction id; use letters or digits")
        if value is not None and _controller_id(value) == CONTESTED:
            fail(name, "contested is built in, not a side that holds ground alone")
    if side is not None and rest is not None and slug(side) == slug(rest):
        fail("--rest", f"{rest!r} is also --side; the rest of the countries is another side's")
    if rest is not None and not codes:
        fail("--rest", "needs --countries: the countries whose rest that side holds (SY,IQ)")
    for code in codes:
        if not _COUNTRY.match(code):
            fail("--countries", f"{code!r} is not an ISO 3166-1 alpha-2 code (such as SY)")
    if codes and not any(p.file == "--countries" for p in problems):
        from mapper import basemap

        try:
            basemap.country_shape(codes)
        except ValueError as exc:
            fail("--countries", str(exc))
    if url is not None and url.strip() and (why := _check_url(url.strip())) is not None:
        fail("--url", why)
    if not folder.is_dir():
        fail(str(folder), "not a folder")
    check_out(out, force, problems, source=folder)
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)

    files = _list_files(folder, problems)
    if not files and not any(p.severity == "error" for p in problems):
        fail(str(folder), "no dated polygon files: expected files such as 2024-07-08.geojson "
                          f"or isw_20240708.kmz ({', '.join(AREA_SUFFIXES)})")
    field_name = (controller_field or "controller").strip().lower()
    labels: dict[str, str] = {}
    if side is not None:
        labels[slug(side)] = side.strip()
    show = settings.progress if progress is None else progress
    reads: list[_Read] = []
    for day, path in tqdm(files, desc="import", unit="file", disable=not show,
                          file=sys.stderr, leave=False):
        got = _read_file(day, path, side, field_name, labels, problems)
        if got is not None:
            reads.append(got)
    if rest is not None:
        labels.setdefault(slug(rest), rest.strip())
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(problems)

    order = [fid for fid in labels if fid != CONTESTED]
    rank = {fid: i for i, fid in enumerate([*order, CONTESTED])}
    texts: dict[str, str] = {}
    vertices = 0
    bounds: list[tuple[float, float, float, float]] = []
    for r in reads:
        feats = []
        for cid in sorted(r.parts, key=rank.__getitem__):
            geoms = r.parts[cid]
            geom = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
            if not geom.is_empty:
                feats.append((cid, geom))
                bounds.append(tuple(geom.bounds))
        text, n = snapshot_geojson(feats)
        vertices += n
        texts[f"{SNAPSHOT_DIR}/{r.day.isoformat()}.geojson"] = text

    start, end = reads[0].day, reads[-1].day
    if bounds:
        b = np.array(bounds)
        view: tuple[float, float, int] | None = _fit_view(
            (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
             float(b[:, 3].max())))
    elif codes:
        from mapper import basemap

        view = _fit_view(tuple(basemap.country_shape(codes).bounds))
    else:
        view = None
    snap_settings: dict[str, str] = {}
    if side is not None:
        snap_settings["side"] = slug(side)
    else:
        snap_settings["controller_field"] = "controller"
    if rest is not None:
        snap_settings["rest"] = slug(rest)
    snap_settings["source_id"] = SOURCE_ID
    name = folder.resolve().name or str(folder)
    span = f"{start.isoformat()} to {end.isoformat()}"
    texts["dataset.toml"] = dataset_toml(
        command="snapshots", title=(title or "").strip() or name,
        description=f"Ground held by each side, from {len(reads)} dated snapshot files "
                    f"({span}).",
        countries=codes, start=start, end=end, view=view, snapshots=snap_settings,
        factions=[(fid, labels[fid], None) for fid in order])
    texts["sources.csv"] = _csv_text(
        ["id", "title", "publisher", "url", "published", "notes"],
        [[SOURCE_ID, (source_title or "").strip() or f"Snapshot files from {name}",
          (publisher or "").strip() or UNKNOWN_PUBLISHER, (url or "").strip(), "",
          f"{len(reads)} files, {span}; imported with mapper import snapshots"]])
    if not (publisher or "").strip():
        problems.append(Problem("sources.csv", None, "publisher", "not given (--publisher): "
                                f"written as {UNKNOWN_PUBLISHER!r}", severity="warning"))
    texts["places.csv"] = "id,name,kind,country,lat,lon\n"
    texts["events.csv"] = "date,place_id,controller,kind,description,source_id\n"
    write_dataset(out, texts, force=force)
    return ImportSummary(path=out, files=len(reads), start=start, end=end,
                         factions=tuple(order), vertices=vertices,
                         warnings=[p for p in problems if p.severity != "error"])
