"""The ``mapper`` command line: a thin layer over the library.

Each command parses its arguments and calls one library function.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mapper import __version__, settings
from mapper.errors import DatasetError, MapperError


def _fail(message: str, code: int = 2) -> None:
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
        return
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
def build_cmd(datasets: tuple[Path, ...], out: Path | None, geodata: Path | None) -> None:
    """Build the self-contained map page of each DATASET, and the index page.

    With no DATASET, builds every folder under geodata/ that holds a dataset.toml. Writes
    OUT/<dataset>/index.html and OUT/index.html; a file whose content is unchanged is left
    alone, and nothing is written if any dataset has an error.

    \b
    Examples:
      mapper build                               # all datasets -> site/
      mapper build geodata/aleppo-2024 --out /tmp/maps
    """
    from mapper import site

    if geodata is not None:
        settings.geodata_dir = geodata
    try:
        written = site.build(list(datasets) or None, out=out)
    except DatasetError as exc:
        _fail(str(exc))
        return
    except MapperError as exc:
        _fail(f"error: {exc}")
        return
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
        return
    click.echo(report.format())
    if report.missing:
        sys.exit(2)
