"""Write a draft dataset folder and its review report (``report.md``).

The folder holds ``dataset.toml``, ``places.csv``, ``events.csv``, ``sources.csv``,
``routes.csv`` (in the format of ``geodata/README.md``, plus extra columns ``confidence``,
``sentences``, ``flags`` and ``status`` that the map keeps as popup text) and ``report.md``,
which shows each draft row beside the sentence it came from. Everything is written into a
temporary folder first and swapped into place whole (:func:`mapper._files.replace_folder`), so a
failed or killed run leaves the old draft or the new one, never a half-written draft; the same
input gives byte-identical files.

The article is untrusted text: a CSV cell that a spreadsheet would read as a formula (it starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, as in
``=HYPERLINK("http://evil.example","x")``) gets a ``'`` in front, as OWASP advises against CSV
injection, and the report lists it first so a person sees it. Numbers, coordinate pairs and ids
(``-12.5``, ``-12.5 44.1;aleppo``) are data a spreadsheet cannot run and are left as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mapper._files import folder_lock, recover_folder, replace_folder
from mapper.extract.lexicon import lexicon
from mapper.extract.places import ACCEPT, Place

if TYPE_CHECKING:
    from mapper.extract import Draft

__all__ = ["FORMULA_START", "Escaped", "HeldBack", "neutralise", "render_report", "write_draft"]

#: Written in sources.csv when no publisher was given (the dataset format needs one).
NO_PUBLISHER = "unknown publisher (fill in)"

PLACE_COLUMNS = ("id", "name", "kind", "country", "lat", "lon", "query", "notes", "confidence",
                 "sentences", "flags", "status")
EVENT_COLUMNS = ("date", "place_id", "controller", "kind", "description", "source_id", "actor",
                 "confidence", "sentences", "flags", "status")
SOURCE_COLUMNS = ("id", "title", "publisher", "url", "published")
ROUTE_COLUMNS = ("id", "name", "kind", "waypoints", "source_id", "notes", "status")


#: First characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NUMBERS = r"[-+]?\d+(?:\.\d+)?(?: [-+]?\d+(?:\.\d+)?)*"
_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
#: Numbers, coordinate pairs and ids, ``;``-separated: data no spreadsheet can run.
_PLAIN = re.compile(rf"(?:{_NUMBERS}|{_ID})(?:;(?:{_NUMBERS}|{_ID}))*")


@dataclass(frozen=True)
class Escaped:
    """A draft CSV cell that began like a spreadsheet formula and got a ``'`` in front."""

    file: str
    line: int
    column: str
    value: str


@dataclass(frozen=True)
class HeldBack:
    """A draft row kept out of the CSV files because the dataset would not validate with it.

    The review report lists it with the validator's messages; fix it and add it by hand.
    """

    file: str
    row: dict[str, str]
    problems: tuple[str, ...]


def neutralise(value: str) -> str:
    """Put ``'`` before a cell a spreadsheet would read as a formula (numbers and ids excepted).

    Parameters
    ----------
    value
        The cell.

    Returns
    -------
    str
        ``value``, or ``"'" + value``.

    Examples
    --------
    >>> print(neutralise('=HYPERLINK("http://evil.example","x")'))
    '=HYPERLINK("http://evil.example","x")
    >>> neutralise("-12.5"), neutralise("Aleppo")
    ('-12.5', 'Aleppo')
    """
    if value.lstrip(" \n").startswith(FORMULA_START) and not _PLAIN.fullmatch(value):
        return "'" + value
    return value


def _escape_rows(file: str, rows: list[dict[str, str]]) -> list[Escaped]:
    """Neutralise every cell of ``rows`` in place; flag the rows that have a ``flags`` column.

    The line numbers assume one line per row, as in the drafts (the line of the header is 1).
    """
    found: list[Escaped] = []
    for line, row in enumerate(rows, start=2):
        notes = []
        for column, value in row.items():
            safe = neutralise(value)
            if safe != value:
                row[column] = safe
                found.append(Escaped(file, line, column, value))
                notes.append(f"{column}: began like a spreadsheet formula; ' put in front")
        if notes and "flags" in row:
            row["flags"] = "; ".join([*filter(None, [row["flags"]]), *notes])
    return found


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _coord(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _sentences(numbers: list[int]) -> str:
    return " ".join(str(n) for n in sorted(set(numbers)))


def _place_rows(draft: Draft) -> list[dict[str, str]]:
    rows = []
    for place in draft.places:
        if not place.accepted or place.kind == "route":
            continue
        surfaces = sorted({m.surface for m in place.mentions if m.confidence >= ACCEPT})
        query = next((s for s in surfaces if s != place.name), "") if place.kind != "country" \
            else ""
        flags = []
        if place.lat is None and place.kind != "country":
            flags.append("lat/lon: unresolved")
        if place.kind == "country":
            flags.append("country: drawn as a label; add lat/lon for its position")
        if place.confidence < 0.7:
            flags.append("confidence: check the match")
        origin = (f"GeoNames {place.key[3:]}, population {place.population}"
                  if place.key.startswith("gn:") else place.key.split(":")[0])
        rows.append({
            "id": place.id, "name": place.name, "kind": place.kind, "country": place.country,
            "lat": _coord(place.lat), "lon": _coord(place.lon), "query": query,
            "notes": f"Draft from the text ({origin}); written as: {', '.join(surfaces)}.",
            "confidence": f"{place.confidence:.2f}",
            "sentences": _sentences([m.sentence for m in place.mentions]),
            "flags": "; ".join(flags), "status": draft.known_places.get(place.id, "new"),
        })
    return rows


def _route_rows(draft: Draft) -> list[dict[str, str]]:
    from mapper.geocode import Gazetteer, fold

    lex = lexicon()
    by_name = {fold(p.name): p.id for p in draft.places if p.accepted and p.kind != "route"}
    rows = []
    for place in draft.places:
        if place.kind != "route" or not place.accepted:
            continue
        route = next(r for r in lex.routes if f"route:{r.id}" == place.key)
        points = []
        missing = []
        for name in route.via:
            if fold(name) in by_name:
                points.append(by_name[fold(name)])
                continue
            found = Gazetteer.load().lookup(name, country=route.country)
            if found:
                points.append(f"{found[0].lat:.4f} {found[0].lon:.4f}")
            else:
                missing.append(name)
        notes = (f"Draft: course through {', '.join(route.via)} from "
                 "mapper/data/extract_lexicon.toml; coordinates from GeoNames.")
        if missing:
            notes += f" Not found: {', '.join(missing)}."
        rows.append({"id": place.id, "name": route.name, "kind": route.kind,
                     "waypoints": ";".join(points), "source_id": draft.source.id,
                     "notes": notes, "status": draft.known_places.get(place.id, "new")})
    return rows


def _event_rows(draft: Draft) -> list[dict[str, str]]:
    return [{
        "date": e.date, "place_id": e.place_id, "controller": e.controller, "kind": e.kind,
        "description": e.description, "source_id": e.source_id, "actor": e.actor,
        "confidence": f"{e.confidence:.2f}", "sentences": _sentences(e.sentences),
        "flags": "; ".join(e.flags), "status": e.status,
    } for e in draft.events]


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _dataset_toml(draft: Draft) -> str:
    if draft.dataset is not None and (draft.dataset / "dataset.toml").is_file():
        return (draft.dataset / "dataset.toml").read_text(encoding="utf-8")
    from mapper.dataset import parse_date

    days = sorted(parse_date(e.date)[0] for e in draft.events
                  if len(e.date) == 10 and draft.published
                  and 0 <= (draft.published - parse_date(e.date)[0]).days <= 90)
    if draft.published:
        start = min([*days, draft.published]).isoformat()
        end = draft.published.isoformat()
    else:
        start = end = days[0].isoformat() if days else "2000-01-01"
    points = [p for p in draft.places if p.accepted and p.lat is not None
              and p.lon is not None and p.kind not in {"country", "region", "route"}
              and (not draft.focus or p.country in draft.focus)]
    lat = sum(p.lat for p in points if p.lat is not None) / len(points) if points else 0.0
    lon = sum(p.lon for p in points if p.lon is not None) / len(points) if points else 0.0
    lines = [
        f"title = {_toml_string('Draft: ' + draft.source.title)}",
        f"description = {_toml_string('Drafted by mapper extract; check every row.')}",
        f"countries = [{', '.join(_toml_string(c) for c in draft.focus)}]",
        "", "[time]", f'start = "{start}"', f'end = "{end}"',
        "", "[view]", f"center = [{lat:.2f}, {lon:.2f}]", "zoom = 8",
    ]
    for faction in draft.factions.values():
        lines += ["", "[[factions]]", f"id = {_toml_string(faction.id)}",
                  f"label = {_toml_string(faction.label)}",
                  f"colour = {_toml_string(faction.colour)}",
                  f"pattern = {_toml_string(faction.pattern)}",
                  "aliases = [" + ", ".join(_toml_string(a) for a in faction.aliases) + "]"]
    return "\n".join(lines) + "\n"


def _bold(text: str, phrases: list[str]) -> str:
    for phrase in sorted({p for p in phrases if p}, key=len, reverse=True):
        if phrase in text and f"**{phrase}" not in text:
            text = text.replace(phrase, f"**{phrase}**", 1)
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """``text`` as a Markdown code span, quoted so tabs and line breaks show."""
    shown = json.dumps(text, ensure_ascii=False)
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    return f"{fence}{shown}{fence}"  # starts and ends with '"', never with a backtick


def render_report(draft: Draft, escaped: list[Escaped] | None = None,
                  held_back: list[HeldBack] | None = None) -> str:
    """Write the review report: each draft row beside its evidence, flags first.

    Parameters
    ----------
    draft
        From :func:`mapper.extract.extract_article`.
    escaped
        The CSV cells :func:`write_draft` neutralised; listed first.
    held_back
        Draft rows kept out of the CSV files so that the draft validates; listed next.

    Returns
    -------
    str
        Markdown.
    """
    by_number = {s.number: s.text for s in draft.sentences}
    out: list[str] = []
    name = draft.article.name if draft.article else "text"
    out.append(f"# Draft from {name}\n")
    out.append(f"- published: {draft.published.isoformat() if draft.published else '(unknown)'}")
    out.append(f"- source id: `{draft.source.id}`; title: {draft.source.title or '(empty)'}; "
               f"publisher: {draft.source.publisher or '(not given: fill in sources.csv)'}")
    out.append(f"- countries of the text: {', '.join(draft.focus) or '(none found)'}")
    out.append(f"- actors mapped with: {draft.actors_from}")
    if draft.dataset is not None:
        out.append(f"- compared with: {draft.dataset} (rows it already has are marked "
                   "*known*; known places keep the dataset's ids)")
    accepted = [p for p in draft.places if p.accepted]
    flagged = [e for e in draft.events if e.flags]
    out.append(f"- {len(draft.sentences)} sentences, {len(accepted)} places proposed "
               f"({len(draft.places) - len(accepted)} ranked down), {len(draft.dates)} dates, "
               f"{len(draft.events)} events ({len(flagged)} flagged)\n")
    if escaped:
        out.append("## Cells that began like a spreadsheet formula\n")
        out.append("The article is untrusted text. A spreadsheet would run these cells as "
                   "formulas (they start with =, +, -, @, a tab or a carriage return), so "
                   "each has a ' put in front in the CSV file. Check each one and write the "
                   "right value in its place; keep the ' if the text really starts that "
                   "way.\n")
        for cell in escaped:
            out.append(f"- **check** {cell.file}:{cell.line}: {cell.column}: "
                       f"{_code(cell.value)}")
        out.append("")
    if held_back:
        out.append("## Rows held back (the draft would not validate with them)\n")
        out.append("These rows are not in the CSV files: each lacks something the dataset "
                   "format needs (`mapper validate` says what). Fix one and add it by hand.\n")
        for item in held_back:
            cells = ", ".join(f"{k}={v!r}" for k, v in item.row.items()
                              if v and k in ("id", "name", "date", "place_id", "controller",
                                             "kind", "waypoints"))
            out.append(f"- **{item.file}**: {_cell(cells)}")
            for problem in item.problems:
                out.append(f"  - {_cell(problem)}")
        out.append("")
    out.append("## Events\n")
    out.append("Accept a row as it is, fix its empty or flagged fields in events.csv, or delete "
               "it. Evidence words are in bold.\n")
    for i, e in enumerate(draft.events, start=1):
        status = f" [{e.status}]" if draft.dataset is not None else ""
        out.append(f"### E{i}. {e.date or '(date?)'} {e.place_id or '(place?)'}: {e.kind}, "
                   f"controller {e.controller or '-'}, actor {e.actor or '-'} "
                   f"(confidence {e.confidence:.2f}){status}\n")
        for flag in e.flags:
            out.append(f"- **check** {flag}")
        for n in e.sentences:
            quote = _bold(by_number.get(n, ""), list(e.evidence.values()))
            out.append(f"- sentence {n}: > {quote}")
        out.append("")
    if draft.skipped:
        out.append("## Event verbs that gave no event\n")
        out.append("| sentence | verb | why | text |")
        out.append("|---|---|---|---|")
        for c in draft.skipped:
            out.append(f"| {c.sentence} | {_cell(c.verb)} | {_cell(c.reason)} | "
                       f"{_cell(by_number.get(c.sentence, ''))} |")
        out.append("")
    out.append("## Places\n")
    out.append("Best first. Rows below the line are ranked down (confidence under 0.5): they "
               "are not in places.csv; add one by hand if it is a place after all.\n")
    out.append("| id | name | kind | country | lat, lon | confidence | sentences | why | "
               + ("status |" if draft.dataset is not None else ""))
    out.append("|---|---|---|---|---|---|---|---|" + ("---|" if draft.dataset is not None
                                                      else ""))
    line_drawn = False
    for place in draft.places:
        if not place.accepted and not line_drawn:
            out.append("| --- | ranked down | | | | | | |" + (" |" if draft.dataset else ""))
            line_drawn = True
        out.append(_place_line(place, draft))
    out.append("")
    out.append("## Dates\n")
    out.append("| sentence | phrase | resolved | rule | confidence |")
    out.append("|---|---|---|---|---|")
    for d in draft.dates:
        out.append(f"| {d.sentence} | {_cell(d.phrase)} | {d.value}"
                   f"{' (span)' if d.span else ''} | {_cell(d.rule)} | {d.confidence:.2f} |")
    out.append("")
    out.append("## Sentences\n")
    for s in draft.sentences:
        out.append(f"{s.number}. {s.text}")
    return "\n".join(out) + "\n"


def _place_line(place: Place, draft: Draft) -> str:
    reasons = sorted({r for m in place.mentions for r in m.reasons})
    where = (f"{place.lat:.4f}, {place.lon:.4f}" if place.lat is not None and place.lon is not None
             else "-")
    line = (f"| {place.id} | {_cell(place.name)} | {place.kind} | {place.country or '-'} | "
            f"{where} | {place.confidence:.2f} | "
            f"{_sentences([m.sentence for m in place.mentions])} | {_cell('; '.join(reasons))} |")
    if draft.dataset is not None:
        line += f" {draft.known_places.get(place.id, '-')} |"
    return line


def write_draft(draft: Draft, out: Path | str) -> Path:
    """Write the draft folder atomically (a temporary folder renamed into place).

    Parameters
    ----------
    draft
        From :func:`mapper.extract.extract_article`.
    out
        The folder to create or replace.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> write_draft(draft, "drafts/aleppo")  # doctest: +SKIP
    PosixPath('drafts/aleppo')
    """
    out = Path(out)
    publisher = draft.source.publisher or NO_PUBLISHER
    tables = {
        "places.csv": (PLACE_COLUMNS, _place_rows(draft)),
        "events.csv": (EVENT_COLUMNS, _event_rows(draft)),
        "sources.csv": (SOURCE_COLUMNS, [{
            "id": draft.source.id, "title": draft.source.title,
            "publisher": publisher, "url": draft.source.url,
            "published": draft.source.published}]),
        "routes.csv": (ROUTE_COLUMNS, _route_rows(draft)),
    }
    escaped = [e for name, (_, rows) in tables.items() for e in _escape_rows(name, rows)]
    toml = _dataset_toml(draft)
    held_back = _hold_back_invalid(toml, tables)
    files = {
        "dataset.toml": toml,
        **{name: _csv(columns, rows) for name, (columns, rows) in tables.items()},
        "report.md": render_report(draft, escaped, held_back),
    }
    with folder_lock(out):
        recover_folder(out)
        replace_folder(out, files, keep=False)
    return out


def _hold_back_invalid(toml: str, tables: dict[str, tuple[tuple[str, ...],
                                                          list[dict[str, str]]]],
                       ) -> list[HeldBack]:
    """Remove from ``tables`` every row the validator rejects; return them.

    The draft is written to a temporary folder and checked with
    :func:`mapper.dataset.validate` (offline geocoding, as ``mapper validate``); each row
    with an error is taken out, and the check runs again, since an event of a removed place
    is an error in turn, until no row has one. What is left validates.
    """
    import tempfile

    from mapper.dataset import validate
    from mapper.errors import MapperError

    held: list[HeldBack] = []
    with tempfile.TemporaryDirectory(prefix="mapper-draft-") as tmp:
        folder = Path(tmp)
        (folder / "dataset.toml").write_text(toml, encoding="utf-8")
        for _ in range(5):
            for name, (columns, rows) in tables.items():
                (folder / name).write_text(_csv(columns, rows), encoding="utf-8")
            try:
                problems = validate(folder, geocode=True)
            except (MapperError, ValueError, OSError):  # the draft is written all the same
                return held
            bad: dict[tuple[str, int], list[str]] = {}
            for p in problems:
                if p.severity == "error" and p.line is not None and p.file in tables:
                    bad.setdefault((p.file, p.line), []).append(str(p))
            if not bad:
                break
            for name, (_, rows) in tables.items():
                keep = []
                for line, row in enumerate(rows, start=2):
                    if (name, line) in bad:
                        held.append(HeldBack(name, dict(row), tuple(bad[(name, line)])))
                    else:
                        keep.append(row)
                rows[:] = keep
    return held
