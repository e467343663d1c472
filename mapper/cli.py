"""The ``mapper`` command line: a thin layer over the library.

Each command parses its arguments and calls one library function.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click

from mapper import __version__, settings
from mapper._files import write_atomic
from mapper.dataset import Dataset
from mapper.errors import DatasetError, MapperError


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mapper")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def main(quiet: bool) -> None:
    """Build interactive maps of territorial change from a dataset folder.

    \b
    Typical session:
      mapper validate geodata/aleppo-2024   # check the data, every problem at once
      mapper geocode geodata/aleppo-2024    # resolve place names offline, fill the cache
      mapper build                          # every dataset under geodata/ -> site/

    The dataset format is described in geodata/README.md.
    """
    if quiet:
        settings.progress = False


@main.command("validate")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--no-geocode", is_flag=True, help="Skip checking that every place resolves.")
def validate_cmd(dataset: Path, no_geocode: bool) -> None:
    """Check DATASET and report every problem as file:line: field: message.

    Exits 0 when the dataset is clean, 2 when it has any error.

    \b
    Example:
      mapper validate geodata/aleppo-2024
    """
    from mapper.dataset import validate

    try:
        problems = validate(dataset, geocode=not no_geocode)
    except MapperError as exc:
        _fail(f"error: {exc}")
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        click.echo(str(p), err=True)
    if errors:
        _fail(f"{dataset}: {len(errors)} error(s)")
    click.echo(f"{dataset}: ok ({len(problems)} warning(s))")




@main.command("build")
@click.argument("datasets", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: site).")
@click.option("--geodata", type=click.Path(path_type=Path), default=None,
              help="Folder of datasets used when none is named (default: geodata).")
@click.option("--tiles", default=None, metavar="NAME",
              help="Add online map tiles under the map, from the xyzservices provider NAME "
                   "(e.g. OpenStreetMap.Mapnik). Off by default: the page then requests "
                   "nothing from the network.")
def build_cmd(datasets: tuple[Path, ...], out: Path | None, geodata: Path | None,
              tiles: str | None) -> None:
    """Build the self-contained map page of each DATASET, and the index page.

    With no DATASET, builds every folder under geodata/ that holds a dataset.toml. Writes
    OUT/<dataset>/index.html and OUT/index.html; a file whose content is unchanged is left
    alone, and nothing is written if any dataset has an error.

    \b
    Examples:
      mapper build                               # all datasets -> site/
      mapper build geodata/aleppo-2024 --out /tmp/maps
      mapper build geodata/aleppo-2024 --tiles OpenStreetMap.Mapnik   # online tiles
    """
    from mapper import site

    if geodata is not None:
        settings.geodata_dir = geodata
    try:
        written = site.build(list(datasets) or None, out=out, tiles=tiles)
    except DatasetError as exc:
        _fail(str(exc))
    except MapperError as exc:
        _fail(f"error: {exc}")
    for path in written:
        click.echo(str(path))


@main.command("geocode")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--online", is_flag=True,
              help="Also ask Nominatim (geopy) for names the offline gazetteer lacks; "
                   "one request a second, results cached.")
@click.option("--dry-run", is_flag=True, help="Report only; do not write the cache.")
def geocode_cmd(dataset: Path, online: bool, dry_run: bool) -> None:
    """Resolve the places of DATASET to coordinates and fill the shared cache.

    Reports, per place, what it resolved to and from where (places.csv, cache, geonames,
    nominatim), and lists what is ambiguous or missing. Offline unless --online.

    \b
    Example:
      mapper geocode geodata/aleppo-2024
    """
    from mapper import geocode

    try:
        report = geocode.geocode_dataset(dataset, online=online, write_cache=not dry_run)
    except MapperError as exc:
        _fail(f"error: {exc}")
    click.echo(report.format())
    if report.missing:
        sys.exit(2)


# --------------------------------------------------------------------------------------------
# Report outputs: static images, territory statistics, GIS exports
# --------------------------------------------------------------------------------------------

def _report_day(value: str, option: str = "--date") -> date:
    """Parse a ``YYYY-MM-DD`` option value, or exit with a message naming the option."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD",
                                 param_hint=option) from None


def _report_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``--bbox min_lon,min_lat,max_lon,max_lat``."""
    if value is None:
        return None
    try:
        parts = tuple(float(v) for v in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise click.BadParameter(f"{value!r}: expected four numbers min_lon,min_lat,max_lon,"
                                 "max_lat", param_hint="--bbox")
    return (parts[0], parts[1], parts[2], parts[3])


def _report_load(dataset: Path) -> Dataset:
    """Load a dataset for a report command, or exit 2 with every error."""
    from mapper.dataset import load_dataset

    try:
        return load_dataset(dataset)
    except DatasetError as exc:
        _fail(str(exc))
    except MapperError as exc:
        _fail(f"error: {exc}")


_IMAGE_FORMATS = click.Choice(["png", "svg", "pdf"], case_sensitive=False)
_BBOX_HELP = "Frame min_lon,min_lat,max_lon,max_lat (default: every area of control)."


@main.command("snapshot")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--date", "day", required=True, help="The day to draw, YYYY-MM-DD.")
@click.option("--format", "fmt", type=_IMAGE_FORMATS, default=None,
              help="Image format (default: from --out, else png).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Output file (default: <dataset>-<date>.<format>).")
@click.option("--dpi", type=click.IntRange(30, 1200), default=300, show_default=True,
              help="PNG resolution.")
@click.option("--bbox", default=None, help=_BBOX_HELP)
@click.option("--alt", is_flag=True,
              help="Also write the image's text alternative (who holds what: km², shares, "
                   "main places per side) to <out>.txt and print it.")
def snapshot_cmd(dataset: Path, day: str, fmt: str | None, out: Path | None, dpi: int,
                 bbox: str | None, alt: bool) -> None:
    """Draw the map of DATASET on one day as a print-ready image (PNG, SVG or PDF).

    Areas, front lines, routes, the main towns' labels, a legend, a title with the date, a
    source line and a scale bar, on the offline base map. The same input always gives the
    same bytes. With --alt, the text alternative (the words the page's screen-reader summary
    says on that day) goes beside the image and to the terminal.

    \b
    Examples:
      mapper snapshot geodata/aleppo-2024 --date 2024-11-30 --format pdf --out aleppo.pdf
      mapper snapshot geodata/aleppo-2024 --date 2024-11-30 --alt
    """
    from mapper import snapshot, summary

    when = _report_day(day)
    frame = _report_bbox(bbox)
    ds = _report_load(dataset)
    fmt = (fmt or (out.suffix.lstrip(".") if out is not None else "") or "png").lower()
    out = out if out is not None else Path(f"{ds.id}-{when.isoformat()}.{fmt}")
    try:
        written = snapshot.snapshot(ds, when, out, fmt=fmt, dpi=dpi, bbox=frame)
        text = summary.describe(ds, when) if alt else ""
    except ValueError as exc:
        _fail(f"error: {exc}")
    click.echo(str(written))
    if alt:
        alt_file = Path(written).with_suffix(".txt")
        write_atomic(alt_file, text + "\n")
        click.echo(str(alt_file))
        click.echo(text)


@main.command("multiples")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--dates", default=None, help="Comma-separated days, YYYY-MM-DD,YYYY-MM-DD,...")
@click.option("--every-change", is_flag=True,
              help="A panel for the first day and each day a place changes hands.")
@click.option("--format", "fmt", type=_IMAGE_FORMATS, default=None,
              help="Image format (default: from --out, else png).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Output file (default: <dataset>-multiples.<format>).")
@click.option("--dpi", type=click.IntRange(30, 1200), default=300, show_default=True,
              help="PNG resolution.")
@click.option("--ncols", type=click.IntRange(1, 12), default=None,
              help="Panels per row (default: up to 3).")
@click.option("--bbox", default=None, help=_BBOX_HELP)
def multiples_cmd(dataset: Path, dates: str | None, every_change: bool, fmt: str | None,
                  out: Path | None, dpi: int, ncols: int | None, bbox: str | None) -> None:
    """Draw DATASET on several days as one figure, a panel per day, sharing one legend.

    \b
    Examples:
      mapper multiples geodata/aleppo-2024 --dates 2024-11-26,2024-11-29,2024-12-01
      mapper multiples geodata/kharkiv-2022 --every-change --format svg
    """
    from mapper import snapshot

    if (dates is None) == (not every_change):
        raise click.UsageError("give either --dates or --every-change")
    days = ([_report_day(v, "--dates") for v in dates.split(",") if v.strip()]
            if dates is not None else [])
    if dates is not None and not days:
        raise click.BadParameter("no date given", param_hint="--dates")
    frame = _report_bbox(bbox)
    ds = _report_load(dataset)
    if every_change:
        days = snapshot.change_days(ds)
    fmt = (fmt or (out.suffix.lstrip(".") if out is not None else "") or "png").lower()
    out = out if out is not None else Path(f"{ds.id}-multiples.{fmt}")
    try:
        written = snapshot.multiples(ds, days, out, fmt=fmt, dpi=dpi, bbox=frame, ncols=ncols)
    except ValueError as exc:
        _fail(f"error: {exc}")
    click.echo(str(written))


@main.command("diff")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--from", "day_from", required=True, help="The earlier day, YYYY-MM-DD.")
@click.option("--to", "day_to", required=True, help="The later day, YYYY-MM-DD.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Also draw a map of the ground that changed hands (PNG, SVG or PDF).")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path), default=None,
              help="Write the tables as CSV to this file instead of printing them.")
@click.option("--dpi", type=click.IntRange(30, 1200), default=300, show_default=True,
              help="PNG resolution of the map.")
def diff_cmd(dataset: Path, day_from: str, day_to: str, out: Path | None,
             csv_out: Path | None, dpi: int) -> None:
    """Ground gained and lost by each side of DATASET between two days.

    Prints, per side, the km² held on each day, gained, lost and the net change (equal-area,
    from the same model the maps draw), then the places that changed hands. With --out, a
    map of the later day with the ground that changed hands hatched in the colour of the
    side that took it.

    \b
    Examples:
      mapper diff geodata/aleppo-2024 --from 2024-11-26 --to 2024-12-08
      mapper diff geodata/aleppo-2024 --from 2024-11-26 --to 2024-11-30 --out gains.png
    """
    from mapper import diff, snapshot
    from mapper._files import write_atomic

    d0, d1 = _report_day(day_from, "--from"), _report_day(day_to, "--to")
    ds = _report_load(dataset)
    try:
        lay = snapshot.layers(ds)
        cmp = diff.compare(ds, d0, d1, territory=lay.territory)
        if out is not None:
            fig = diff.diff_figure(ds, cmp, lay=lay)
            written = snapshot.save_figure(fig, out, fmt=snapshot.format_of(out), dpi=dpi)
            click.echo(str(written), err=True)
    except ValueError as exc:
        _fail(f"error: {exc}")
    text = diff.write_tables(cmp)
    if csv_out is not None:
        write_atomic(csv_out, text)
        click.echo(str(csv_out))
    else:
        click.echo(text, nl=False)


@main.command("stats")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--csv", "as_csv", is_flag=True,
              help="Print the table as CSV (to --out if given).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="With --csv: write the CSV to this file instead of printing it.")
@click.option("--chart", type=click.Path(path_type=Path), default=None,
              help="Write a stacked-area chart (PNG, SVG or PDF by the suffix).")
@click.option("--dpi", type=click.IntRange(30, 1200), default=300, show_default=True,
              help="PNG resolution of the chart.")
def stats_cmd(dataset: Path, as_csv: bool, out: Path | None, chart: Path | None,
              dpi: int) -> None:
    """Area (km², equal-area) and population held by each side of DATASET, day by day.

    One row per day: date, <faction>_km2 ..., contested_km2, unknown_km2, then
    <faction>_population ..., contested_population, unknown_population. Areas are the map's
    areas of control cut to the dataset's countries; a place's population (from the
    gazetteer, where known) counts for the side holding it. Without --csv or --chart, prints
    the rows of the days on which something changed.

    \b
    Examples:
      mapper stats geodata/aleppo-2024 --csv > aleppo-territory.csv
      mapper stats geodata/aleppo-2024 --chart aleppo-territory.png
    """
    from mapper import stats

    if out is not None and not as_csv:
        raise click.UsageError("--out is for the CSV table: add --csv")
    ds = _report_load(dataset)
    try:
        table = stats.territory_series(ds)
        if chart is not None:
            click.echo(str(stats.chart(ds, chart, dpi=dpi, table=table)), err=as_csv)
    except ValueError as exc:
        _fail(f"error: {exc}")
    if as_csv:
        text = stats.write_csv(table, out)
        click.echo(str(out) if out is not None else text, nl=out is not None)
    elif chart is None:
        steps = table.drop(columns="date").diff().abs().sum(axis=1).to_numpy()
        changed = table[(steps != 0) | (table.index == 0)]  # the first day, then changes
        click.echo(changed.round(1).to_string(index=False))


@main.command("export")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--date", "day", required=True, help="The day to export, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["geojson", "gpkg"], case_sensitive=False),
              default=None, help="geojson or gpkg (default: from --out, else gpkg).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Output file (default: <dataset>-<date>.<format>).")
def export_cmd(dataset: Path, day: str, fmt: str | None, out: Path | None) -> None:
    """Export places (with their controller), areas and front lines of one day for GIS.

    gpkg: one GeoPackage with layers places, areas and fronts. geojson: one
    FeatureCollection whose features carry a `layer` property (places, areas, fronts).
    Both open in QGIS; the same input always gives the same bytes.

    \b
    Example:
      mapper export geodata/aleppo-2024 --date 2024-11-30 --format gpkg
    """
    from mapper import export

    when = _report_day(day)
    ds = _report_load(dataset)
    suffix = out.suffix.lstrip(".").lower() if out is not None else ""
    fmt = (fmt or {"json": "geojson"}.get(suffix, suffix) or "gpkg").lower()
    out = out if out is not None else Path(f"{ds.id}-{when.isoformat()}.{fmt}")
    try:
        written = export.export(ds, when, out, fmt=fmt)
    except ValueError as exc:
        _fail(f"error: {exc}")
    click.echo(str(written))


@main.command("extract")
@click.argument("article", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--published", required=True, metavar="YYYY-MM-DD",
              help="Publication date; relative dates ('on Saturday') are resolved against it.")
@click.option("--dataset", "dataset", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Existing dataset: use its factions' aliases and countries, "
                                 "and mark what is new.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Draft folder to write (default: ARTICLE's name + '-draft').")
@click.option("--title", default=None, help="Article title for sources.csv.")
@click.option("--publisher", default=None, help="Publisher for sources.csv.")
@click.option("--url", default=None, help="Article address for sources.csv.")
def extract_cmd(article: Path, published: str, dataset: Path | None, out: Path | None,
                title: str | None, publisher: str | None, url: str | None) -> None:
    """Draft places, dates and events from a news ARTICLE (text or HTML), for review.

    Writes places.csv, events.csv, sources.csv, routes.csv, dataset.toml and report.md
    (each draft row beside the sentence it came from) into the draft folder. Offline and
    deterministic.

    \b
    Example:
      mapper extract article.txt --published 2024-12-01 --dataset geodata/aleppo-2024
    """
    from mapper.extract import extract_article, resolve_published, write_draft

    try:
        day = resolve_published(published)
        draft = extract_article(article, published=day, dataset=dataset, title=title,
                                publisher=publisher, url=url)
        target = write_draft(draft, out or article.with_name(article.stem + "-draft"))
    except DatasetError as exc:
        _fail(str(exc))
    except MapperError as exc:
        _fail(f"error: {exc}")
    proposed = sum(p.accepted for p in draft.places)
    flagged = sum(bool(e.flags) for e in draft.events)
    click.echo(f"{target}: {proposed} places, {len(draft.dates)} dates, {len(draft.events)} "
               f"events ({flagged} flagged); review {target / 'report.md'}")


# --------------------------------------------------------------------------------------------
# Importers: datasets from files drawn elsewhere
# --------------------------------------------------------------------------------------------

@main.group("import")
def import_group() -> None:
    """Make a dataset folder from files made elsewhere.

    \b
    mapper import snapshots FOLDER --out DIR   # dated polygon files (trackers' maps)
    mapper import acled FILE.csv --out DIR     # an ACLED export
    mapper import ucdp FILE.csv --out DIR      # a UCDP GED export
    mapper import places FILE --out DIR        # placemarks: KML/KMZ, GeoJSON, GIS files
    """


@import_group.command("snapshots")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="The dataset folder to write (missing or empty, unless --force).")
@click.option("--side", default=None, metavar="FACTION",
              help="Every polygon is this side's ground (the files name no holder).")
@click.option("--rest", default=None, metavar="FACTION",
              help="The rest of --countries is this side's on every date.")
@click.option("--countries", default=None, metavar="CC[,CC]",
              help="ISO 3166-1 alpha-2 codes of the countries the map is about (SY,IQ).")
@click.option("--controller-field", default=None, metavar="NAME",
              help="Without --side: the property naming each polygon's holder "
                   "[default: controller].")
@click.option("--title", default=None, help="Dataset title (default: the folder's name).")
@click.option("--source-title", default=None,
              help="Title of the source row (default: \"Snapshot files from <folder>\").")
@click.option("--publisher", default=None, help="Publisher of the files, for sources.csv.")
@click.option("--url", default=None, help="Where the files come from (http:// or https://).")
@click.option("--force", is_flag=True, help="Replace --out even if it holds files.")
def import_snapshots_cmd(folder: Path, out: Path, side: str | None, rest: str | None,
                         countries: str | None, controller_field: str | None,
                         title: str | None, source_title: str | None, publisher: str | None,
                         url: str | None, force: bool) -> None:
    """Turn FOLDER of dated polygon files into a dataset whose ground comes from them.

    FOLDER holds one file per date, the date in its name (2024-07-08.geojson,
    isw_20240708.kmz): GeoJSON, GeoPackage, KML/KMZ, Shapefile or any other format GDAL
    reads. Each polygon is the ground of --side, or of the side its --controller-field
    property names. Writes dataset.toml (time range, view, a faction per side met, with
    colour-blind-safe colours and patterns), snapshots/YYYY-MM-DD.geojson (normalised),
    sources.csv, and empty places.csv and events.csv, all at once.

    \b
    Examples:
      mapper import snapshots isw-kmz/ --out geodata/isw-2024 --side russia \\
          --rest ukraine --countries UA --publisher "Institute for the Study of War"
      mapper import snapshots tracker/ --out geodata/syria-2024 --controller-field faction \\
          --countries SY
      mapper build geodata/isw-2024
    """
    from mapper.importers import ImportFailed, import_snapshots

    codes = [c.strip() for c in countries.split(",") if c.strip()] if countries else []
    if rest is not None and not codes:
        _fail("--rest: needs --countries, the countries whose rest that side holds "
              "(e.g. --countries SY)")
    try:
        summary = import_snapshots(folder, out, side=side, rest=rest, countries=codes,
                                   controller_field=controller_field, title=title,
                                   source_title=source_title, publisher=publisher, url=url,
                                   force=force)
    except ImportFailed as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        errors = sum(p.severity == "error" for p in exc.problems)
        _fail(f"{folder}: {errors} error(s); nothing written")
    except MapperError as exc:
        _fail(f"error: {exc}")
    for p in summary.warnings:
        click.echo(str(p), err=True)
    click.echo(f"{summary.path}: {summary.files} snapshots, {summary.start} to {summary.end}, "
               f"sides {', '.join(summary.factions)}; check it with: mapper validate "
               f"{summary.path}")


def _import_failed(exc: MapperError, what: Path) -> NoReturn:
    """Print every problem of a failed import and exit 2."""
    from mapper.importers import ImportFailed

    if isinstance(exc, ImportFailed):
        for p in exc.problems:
            click.echo(str(p), err=True)
        errors = sum(p.severity == "error" for p in exc.problems)
        _fail(f"{what}: {errors} error(s); nothing written")
    _fail(f"error: {exc}")


_MAPPING_HELP = ("Actor mapping: CSV (actor,faction[,label,colour]; * matches any text) or "
                 "TOML ([[factions]] id, label, colour, actors). Without it each actor "
                 "taking places is a faction of its own.")
_UNMAPPED_HELP = ("With --mapping, an actor taking places that the mapping does not name: "
                  "error (list the lines to add; the default) or other (put it in a faction "
                  "'other', with a warning).")


def _event_import(project: str, file: Path, out: Path, mapping: Path | None, unmapped: str,
                  title: str | None, force: bool) -> None:
    from mapper.imports import import_acled, import_ucdp

    run = import_acled if project == "acled" else import_ucdp
    try:
        got = run(file, out, mapping=mapping, unmapped=unmapped, title=title, force=force)
    except MapperError as exc:
        _import_failed(exc, file)
    for p in got.warnings:
        click.echo(str(p), err=True)
    click.echo(f"{got.path}: {got.events} events ({got.changes} changes of control), "
               f"{got.places} places, {got.sources} sources, {got.start} to {got.end}; "
               f"check it with: mapper validate {got.path}")


@import_group.command("acled")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="The dataset folder to write (missing or empty, unless --force).")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help=_MAPPING_HELP)
@click.option("--unmapped", type=click.Choice(["error", "other"]), default="error",
              show_default=True, help=_UNMAPPED_HELP)
@click.option("--title", default=None, help="Dataset title (default: the file's name).")
@click.option("--force", is_flag=True, help="Replace --out even if it holds files.")
def import_acled_cmd(file: Path, out: Path, mapping: Path | None, unmapped: str,
                     title: str | None, force: bool) -> None:
    """Turn an ACLED export (CSV, ACLED's own columns) into a dataset.

    "Non-state actor overtakes territory", "Government regains territory" and "Non-violent
    transfer of territory" events hand the place to the faction of the actor that took it
    (state forces regain, the non-state side overtakes, by the inter1/inter2 codes; actor1,
    with a warning, where they cannot tell); every other event is an incident with its
    fatalities. Dates known only to the month are written as
    YYYY-MM; date_precision and location_precision columns say what ACLED's time_precision
    and geo_precision codes mean for each event. One source per ACLED `source` value.
    Also writes actors.csv: every actor and its faction, to edit and give back as --mapping.

    \b
    Example:
      mapper import acled acled-iraq-2016.csv --out geodata/mosul-2016 --mapping actors.csv
      mapper validate geodata/mosul-2016 && mapper build geodata/mosul-2016
    """
    _event_import("acled", file, out, mapping, unmapped, title, force)


@import_group.command("ucdp")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="The dataset folder to write (missing or empty, unless --force).")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help=_MAPPING_HELP)
@click.option("--unmapped", type=click.Choice(["error", "other"]), default="error",
              show_default=True, help=_UNMAPPED_HELP)
@click.option("--title", default=None, help="Dataset title (default: the file's name).")
@click.option("--force", is_flag=True, help="Replace --out even if it holds files.")
def import_ucdp_cmd(file: Path, out: Path, mapping: Path | None, unmapped: str,
                    title: str | None, force: bool) -> None:
    """Turn a UCDP GED export (CSV, GED's own columns) into a dataset of incidents.

    GED records deaths, not who holds ground: every event is an incident (state-based,
    non-state or one-sided violence) with its best estimate of deaths (low-high kept).
    Dates known to the month or year (date_prec 4, 5) are written as YYYY-MM or YYYY;
    date_precision and location_precision (where_prec) are kept per event. One source per
    source_article. Factions: the mapping's, else one per side_a actor.

    \b
    Example:
      mapper import ucdp GEDEvent_v24_1.csv --out geodata/ged-iraq --mapping actors.toml
    """
    _event_import("ucdp", file, out, mapping, unmapped, title, force)


@import_group.command("places")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="A new dataset folder to write (missing or empty, unless --force).")
@click.option("--append", "append", type=click.Path(path_type=Path), default=None,
              help="An existing dataset whose places.csv gets the new places.")
@click.option("--kind", default="town", show_default=True,
              help="Kind of every place (a placemark's own `kind` property wins).")
@click.option("--country", default=None, metavar="CC",
              help="ISO code of every place (default: the country holding each point).")
@click.option("--name-field", default=None, metavar="NAME",
              help="The property holding the name (default: name, title or label).")
@click.option("--title", default=None, help="Title of a new dataset (default: the file's name).")
@click.option("--start", default=None, metavar="YYYY-MM-DD",
              help="With --out: the day the new dataset's [time] shows (default: today).")
@click.option("--force", is_flag=True, help="Replace --out even if it holds files.")
def import_places_cmd(file: Path, out: Path | None, append: Path | None, kind: str,
                      country: str | None, name_field: str | None, title: str | None,
                      start: str | None, force: bool) -> None:
    """Turn the placemarks of FILE into places.csv rows (KML/KMZ, GeoJSON, any GIS file).

    Reads Google My Maps and Google Earth KML/KMZ (placemarks in folders; the folder name
    is kept), GeoJSON and QGIS exports. Each point becomes a place: a unique id from its
    name, its coordinates, and its description as plain text in `notes` (HTML is turned
    into text, never kept). Lines and polygons are skipped. A new dataset (--out) gets a
    placeholder side and a one-day [time] to edit; --append adds to an existing one.

    \b
    Examples:
      mapper import places "Front line.kmz" --out geodata/front-2024
      mapper import places extra-villages.geojson --append geodata/kharkiv-2022
    """
    from mapper.imports import import_places

    try:
        got = import_places(file, out=out, append=append, kind=kind, country=country,
                            name_field=name_field, title=title, force=force,
                            start=_report_day(start, "--start") if start else None)
    except MapperError as exc:
        _import_failed(exc, file)
    for p in got.warnings:
        click.echo(str(p), err=True)
    skipped = f" ({got.skipped} already there)" if got.skipped else ""
    click.echo(f"{got.path}: {got.added} places added{skipped}; check it with: "
               f"mapper validate {got.path}")
