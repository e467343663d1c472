"""Write a draft dataset folder and its review report (``report.md``).

The folder holds ``dataset.toml``, ``places.csv``, ``events.csv``, ``sources.csv``,
``routes.csv`` (in the format of ``geodata/README.md``, plus extra columns ``confidence``,
``sentences``, ``flags`` and ``status`` that the map keeps as popup text) and ``report.md``,
which shows each draft row beside the sentence it came from. Everything is written into a
temporary folder first and renamed into place, so a failed run leaves no half-written draft;
the same input gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mapper.extract.lexicon import lexicon
from mapper.extract.places import ACCEPT, Place

if TYPE_CHECKING:
    from mapper.extract import Draft

__all__ = ["render_report", "write_draft"]

PLACE_COLUMNS = ("id", "name", "kind", "country", "lat", "lon", "query", "notes", "confidence",
                 "sentences", "flags", "status")
EVENT_COLUMNS = ("date", "place_id", "controller", "kind", "description", "source_id", "actor",
                 "confidence", "sentences", "flags", "status")
SOURCE_COLUMNS = ("id", "title", "publisher", "url", "published")
ROUTE_COLUMNS = ("id", "name", "kind", "waypoints", "source_id", "notes", "status")


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


def render_report(draft: Draft) -> str:
    """Write the review report: each draft row beside its evidence, flags first.

    Parameters
    ----------
    draft
        From :func:`mapper.extract.extract_article`.

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
               f"publisher: {draft.source.publisher or '(empty: fill in sources.csv)'}")
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
    out.parent.mkdir(parents=True, exist_ok=True)
    files = {
        "dataset.toml": _dataset_toml(draft),
        "places.csv": _csv(PLACE_COLUMNS, _place_rows(draft)),
        "events.csv": _csv(EVENT_COLUMNS, _event_rows(draft)),
        "sources.csv": _csv(SOURCE_COLUMNS, [{
            "id": draft.source.id, "title": draft.source.title,
            "publisher": draft.source.publisher, "url": draft.source.url,
            "published": draft.source.published}]),
        "routes.csv": _csv(ROUTE_COLUMNS, _route_rows(draft)),
        "report.md": render_report(draft),
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
