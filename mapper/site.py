"""Build the static site: one self-contained page per dataset and an index page.

Every page is rendered in memory before anything is written, so a bad dataset leaves ``site/``
as it was. The new site is then written whole beside the old one and swapped in
(:func:`mapper._files.replace_folder`): a build killed at any point leaves the whole old site or
the whole new one, never a mix, and the next build clears what it left. A file whose content did
not change is not touched (same inode, bytes and mtime).
"""

from __future__ import annotations

import html
import os
import pickle
import re
import signal
import sys
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mapper import settings
from mapper._files import folder_lock, recover_folder, replace_folder
from mapper.dataset import Dataset, load_dataset
from mapper.errors import MapperError

if TYPE_CHECKING:
    from mapper.model import Territory
    from mapper.snapshot import MapLayers


@dataclass(frozen=True)
class SiteEntry:
    """One map listed on the index page."""

    id: str
    title: str
    description: str
    start: str
    end: str


def find_datasets(root: Path | None = None) -> list[Path]:
    """List the dataset folders under ``root`` (those holding a ``dataset.toml``), sorted.

    Parameters
    ----------
    root
        Folder to look in; ``None`` reads ``settings.geodata_dir``.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> [p.name for p in find_datasets(Path("geodata"))]  # doctest: +SKIP
    ['aleppo-2024', 'kharkiv-2022']
    """
    root = settings.geodata_dir if root is None else root
    if not root.is_dir():
        raise MapperError(f"{root}: no such folder of datasets")
    return sorted(p for p in root.iterdir() if (p / "dataset.toml").is_file())


#: Static images per map, for reports: file name -> what it shows (index page link text).
IMAGES = {
    "snapshot.png": "map on the last day",
    "multiples.png": "small multiples: how the front moved",
    "territory.png": "chart: territory and people held over time",
    "territory.csv": "table: km² and people held per day",
}

#: Resolution of the site's PNGs (``mapper snapshot`` defaults to print resolution).
SITE_DPI = 120

#: At most this many panels in the small multiples of the site.
MAX_PANELS = 6


def build(
    datasets: Sequence[Path | str] | None = None,
    *,
    out: Path | str | None = None,
    progress: bool | None = None,
    images: bool = True,
    tiles: str | None = None,
) -> list[Path]:
    """Render datasets into ``out/<dataset>/index.html`` and refresh ``out/index.html``.

    Parameters
    ----------
    datasets
        Dataset folders; ``None`` builds every dataset under ``settings.geodata_dir``.
    out
        Output folder; ``None`` reads ``settings.site_dir``.
    progress
        Show a progress bar; ``None`` reads ``settings.progress``.
    images
        Also write the static images and table of :data:`IMAGES` beside each page.
    tiles
        An xyzservices provider name for online tiles on every page; ``None`` (default) for
        none, and the pages request nothing.

    Returns
    -------
    list of Path
        The files written or confirmed unchanged, index page last.

    Raises
    ------
    DatasetError
        If any dataset is invalid; nothing is written then.

    Examples
    --------
    >>> build(["geodata/aleppo-2024"], out="site")  # doctest: +SKIP
    [PosixPath('site/aleppo-2024/index.html'), PosixPath('site/index.html')]
    """
    from tqdm import tqdm

    from mapper.render import render_html

    out_dir = Path(out) if out is not None else settings.site_dir
    paths = [Path(p) for p in datasets] if datasets else find_datasets()
    if not paths:
        raise MapperError("no datasets to build")
    with folder_lock(out_dir):  # a build killed earlier: its whole old site back, leftovers gone
        recover_folder(out_dir)
    show = settings.progress if progress is None else progress
    pages: list[tuple[Dataset, dict[str, str | bytes]]] = []
    bar = tqdm(paths, desc="build", unit="map", disable=not show)
    for path in bar:
        bar.set_postfix_str(path.name)
        ds = load_dataset(path)
        from mapper import basemap, model, stats

        territory = model.build(ds)  # the one model the page and the images read
        jobs: list[_ImageJob] = []
        if images:
            territory.topology()  # the atoms' borders, drawn by both: computed once, before
            stats.territory_series(ds, territory=territory)  # so is the daily table (kept)
            basemap.preload_rivers()  # and the rivers of the page's base map and the maps
            # Images drawn while the page renders, in processes of their own.
            jobs = [_ImageJob(ds, territory, IMAGE_GROUPS)]
        try:
            files: dict[str, str | bytes] = {
                "index.html": render_html(ds, tiles=tiles, territory=territory)}
            drawn: dict[str, bytes] = {}
            for job in jobs:
                drawn.update(job.result())
        finally:
            for job in jobs:
                job.cancel()
        files.update({name: drawn[name] for name in IMAGES if name in drawn})
        pages.append((ds, files))

    with folder_lock(out_dir):
        recover_folder(out_dir)  # again: another build may have been killed meanwhile
        return _write_site(out_dir, pages, partial=bool(datasets))


def _write_site(out_dir: Path, pages: Sequence[tuple[Dataset, dict[str, str | bytes]]], *,
                partial: bool) -> list[Path]:
    """Write the rendered pages and the index into a new copy of ``out_dir`` and swap it in.

    The maps already in ``out_dir`` and any other file there are kept (hard links).

    Parameters
    ----------
    out_dir
        The site folder; call under :func:`mapper._files.folder_lock`.
    pages
        Each dataset with its files (name -> content).
    partial
        Only some datasets were built: the other maps stay on the index.

    Returns
    -------
    list of Path
        The files written or confirmed unchanged, index page last.
    """
    files: dict[str, str | bytes] = {}
    written: list[Path] = []
    for ds, contents in pages:
        for name, content in contents.items():
            files[f"{ds.id}/{name}"] = content
            written.append(out_dir / ds.id / name)
    entries = {ds.id: _entry(ds) for ds, _ in pages}
    for existing in _existing_entries(out_dir):
        if partial:  # a partial build keeps the maps built before on the index
            entries.setdefault(existing.id, existing)
        elif existing.id not in entries:  # a full build lists exactly the datasets there are
            warnings.warn(f"{out_dir / existing.id}: no dataset of that name any more; "
                          "not listed on the index (delete the folder)", stacklevel=3)
    files["index.html"] = render_index(sorted(entries.values(), key=lambda e: e.id))
    replace_folder(out_dir, files, keep=True)
    written.append(out_dir / "index.html")
    return written


def static_images(ds: Dataset, *, territory: Territory | None = None,
                  names: Sequence[str] | None = None, lay: MapLayers | None = None
                  ) -> dict[str, bytes]:
    """Render the files of :data:`IMAGES` for one dataset, in memory.

    Parameters
    ----------
    ds
        The dataset.
    territory
        Its model, if already built.
    names
        Only these files of :data:`IMAGES` (default: all of them).
    lay
        The map layers of :func:`mapper.snapshot.layers` for ``ds`` and ``territory``, if
        already computed (see :func:`_map_layers`).

    Returns
    -------
    dict
        File name -> content (deterministic bytes), in the order of :data:`IMAGES`.
    """
    from mapper import model, snapshot, stats

    wanted = list(IMAGES) if names is None else [n for n in IMAGES if n in names]
    t = territory if territory is not None else model.build(ds)
    out: dict[str, bytes] = {}
    if lay is None:
        lay = _map_layers(ds, t, wanted)
    table = stats.territory_series(ds, territory=t) if {"territory.png", "territory.csv"} & \
        set(wanted) else None  # the model the maps draw
    for name in wanted:
        if name == "territory.csv":
            assert table is not None
            out[name] = stats.write_csv(table).encode("utf-8")
            continue
        if name == "snapshot.png":
            assert lay is not None
            fig = snapshot.snapshot_figure(ds, ds.end, lay=lay)
        elif name == "multiples.png":
            assert lay is not None
            days = snapshot.change_days(ds, t)
            if len(days) > MAX_PANELS:  # first and last change, evenly spaced between
                step = (len(days) - 1) / (MAX_PANELS - 1)
                days = [days[round(i * step)] for i in range(MAX_PANELS)]
            fig = snapshot.multiples_figure(ds, days, lay=lay)
        else:
            assert table is not None
            fig = stats.chart_figure(ds, table)
        out[name] = snapshot.figure_bytes(fig, "png", dpi=SITE_DPI)
    return out


#: The files of :data:`IMAGES` that are maps (they share :func:`mapper.snapshot.layers`).
MAPS = frozenset({"snapshot.png", "multiples.png"})


def _map_layers(ds: Dataset, territory: Territory, names: Sequence[str]) -> MapLayers | None:
    """The layers of :func:`mapper.snapshot.layers` if ``names`` has a map, else ``None``."""
    if not MAPS & set(names):
        return None
    from mapper import snapshot

    return snapshot.layers(ds, territory=territory)


#: How :func:`build` splits the images between two processes drawing beside the page: the
#: small multiples (six maps) take about as long as the snapshot and the chart together.
#: The first process computes what the maps share (:func:`_map_layers`), then forks the
#: second, which inherits it.
IMAGE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("snapshot.png", "territory.png", "territory.csv"), ("multiples.png",))


def _can_fork() -> bool:
    """Whether :class:`_ImageJob` may draw in a second process: Linux (a forked child
    shares the loaded data and model without copying them), two or more CPUs free to this
    process, and :data:`mapper.settings.parallel_images` on."""
    if not settings.parallel_images or not sys.platform.startswith("linux"):
        return False
    return len(os.sched_getaffinity(0)) > 1


def _draw_groups(ds: Dataset, territory: Territory, groups: Sequence[Sequence[str]],
                 lay: MapLayers | None) -> dict[str, bytes]:
    """Draw some groups of :data:`IMAGES`: the first here, each other one in a forked child
    (:class:`_ImageJob`) once what the maps share is computed, so it is computed once.

    Returns
    -------
    dict
        File name -> content, all groups.
    """
    if len(groups) > 1 and lay is None:
        lay = _map_layers(ds, territory, [n for g in groups for n in g])
    others = [_ImageJob(ds, territory, [group], lay=lay) for group in groups[1:]]
    try:
        out = static_images(ds, territory=territory, names=groups[0], lay=lay)
        for job in others:
            out.update(job.result())
    finally:
        for job in others:
            job.cancel()
    return out


class _Stop(Exception):
    """SIGTERM reached a process of :class:`_ImageJob` that has children of its own."""


def _stop(signum: int, frame: Any) -> None:
    raise _Stop


class _ImageJob:
    """Some of a dataset's :data:`IMAGES`, drawn beside the caller's work.

    With :func:`_can_fork`, the files are drawn in a forked child process, which shares the
    loaded dataset and model, while the parent renders the page: the outputs read the same
    model and nothing of each other. A job of several groups draws the first in its child
    and each other one in a child of that child (:func:`_draw_groups`); stopping the child
    stops them too. The files are the same bytes as :func:`static_images` in this process
    gives, which is what :meth:`result` does where a second process cannot help or the
    child died without an answer. An error in a child is raised by :meth:`result`, and
    the warnings it issued are issued again there.

    Parameters
    ----------
    ds
        The dataset.
    territory
        Its model.
    groups
        The files of :data:`IMAGES` to draw, in groups (default: all, in one group).
    lay
        What the maps share, if computed already.
    """

    def __init__(self, ds: Dataset, territory: Territory,
                 groups: Sequence[Sequence[str]] | None = None, *,
                 lay: MapLayers | None = None) -> None:
        self.ds, self.territory, self.lay = ds, territory, lay
        self.groups = [tuple(g) for g in groups] if groups else [tuple(IMAGES)]
        self._child: Any = None
        self._receive: Any = None
        if not _can_fork():
            return
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._receive, send = ctx.Pipe(duplex=False)
        # A child that starts children of its own cannot be a daemon; it stops them itself.
        self._child = ctx.Process(target=_draw_in_child,
                                  args=(send, ds, territory, self.groups, lay),
                                  daemon=len(self.groups) == 1, name=f"mapper-images-{ds.id}")
        with warnings.catch_warnings():
            # Python >= 3.12 warns that a fork of a process with threads (numpy's BLAS
            # pool, a progress bar's monitor) may deadlock in a child that takes a lock
            # another thread held; the child here takes none of theirs: it draws and exits.
            warnings.filterwarnings("ignore", category=DeprecationWarning,
                                    message=r".*fork\(\) may lead to deadlocks")
            self._child.start()
        send.close()

    def _here(self) -> dict[str, bytes]:
        """Draw every group in this process."""
        names = [n for g in self.groups for n in g]
        return static_images(self.ds, territory=self.territory, names=names, lay=self.lay)

    def result(self) -> dict[str, bytes]:
        """Wait for the files (call once).

        Returns
        -------
        dict
            File name -> content.
        """
        if self._child is None:
            return self._here()
        try:
            answer = self._receive.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            answer = None
        finally:
            self._release(stop=False)
        if answer is None:
            return self._here()
        status, value, caught = answer
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
        if status == "error":
            error, text = value
            try:
                exc = pickle.loads(error) if error is not None else None
            except Exception:  # an exception that cannot be rebuilt
                exc = None
            if isinstance(exc, BaseException):
                raise exc from RuntimeError(f"in the process drawing the images:\n{text}")
            raise RuntimeError(f"drawing the images of {self.ds.id} failed:\n{text}")
        return dict(value)

    def cancel(self) -> None:
        """Stop the child if it still runs (the caller failed before :meth:`result`)."""
        self._release(stop=True)

    def _release(self, *, stop: bool) -> None:
        if self._child is None:
            return
        if stop:
            self._child.terminate()
        self._receive.close()
        self._child.join()
        self._child = None
        self._receive = None


def _draw_in_child(send: Any, ds: Dataset, territory: Territory,
                   groups: Sequence[Sequence[str]], lay: MapLayers | None) -> None:
    """The forked child of :class:`_ImageJob`: draw, send the files (or the error) and
    the warnings issued, exit. One with children of its own stops them on SIGTERM."""
    signal.signal(signal.SIGTERM, _stop if len(groups) > 1 else signal.SIG_DFL)
    caught: list[tuple[str, type[Warning], str, int]] = []
    try:
        with warnings.catch_warnings(record=True) as seen:
            try:
                value: Any = _draw_groups(ds, territory, groups, lay)
                status = "ok"
            finally:
                caught = [(str(w.message), w.category, w.filename, w.lineno) for w in seen]
    except _Stop:  # stopped by the parent, which wants no answer
        return
    except BaseException as exc:  # every error goes back to the parent
        try:
            error: bytes | None = pickle.dumps(exc)
        except Exception:
            error = None
        status, value = "error", (error, traceback.format_exc())
    send.send((status, value, caught))
    send.close()


def _entry(ds: Dataset) -> SiteEntry:
    return SiteEntry(ds.id, ds.title, ds.description, ds.start.isoformat(), ds.end.isoformat())


_META = re.compile(r'<meta name="mapper:(\w+)" content="([^"]*)">')


def _existing_entries(out_dir: Path) -> list[SiteEntry]:
    """Read back the maps already in ``out_dir`` (built earlier), from their meta tags."""
    found: list[SiteEntry] = []
    if not out_dir.is_dir():
        return found
    for page in sorted(out_dir.glob("*/index.html")):
        head = page.read_text(encoding="utf-8", errors="replace")[:20000]
        meta = {k: html.unescape(v) for k, v in _META.findall(head)}
        if "title" in meta:
            found.append(SiteEntry(page.parent.name, meta["title"], meta.get("description", ""),
                                   meta.get("start", ""), meta.get("end", "")))
    return found


def meta_fields(ds: Dataset) -> dict[str, str]:
    """The ``mapper:`` meta tags a dataset page carries, so the index can be rebuilt from ``site/``.

    Returns
    -------
    dict
        Tag name -> text (plain text; the page escapes it).
    """
    e = _entry(ds)
    return {"title": e.title, "description": e.description, "start": e.start, "end": e.end}


def render_index(entries: Sequence[SiteEntry]) -> str:
    """Render the index page listing the maps, with a copy-paste iframe snippet for each.

    Parameters
    ----------
    entries
        The maps, in display order.

    Returns
    -------
    str
        A complete HTML page with no external resources.
    """
    esc = html.escape
    items = []
    for e in entries:
        folder = esc(quote(e.id))
        links = " · ".join(f'<a href="{folder}/{name}">{esc(label)}</a>'
                           for name, label in IMAGES.items())
        snippet = (f'<iframe src="{folder}/index.html#{e.end}&amp;embed" width="100%" height="600" '
                   f'style="border:0" title="{esc(e.title)}" loading="lazy"></iframe>')
        items.append(
            f'<li><h2><a href="{folder}/index.html">{esc(e.title)}</a></h2>'
            f"<p>{esc(e.description)}</p>"
            f'<p class="range">{esc(e.start)} to {esc(e.end)}</p>'
            f'<p class="files">{links}</p>'
            f'<label>Embed in a report (the date after <code>#</code> picks the day shown):'
            f'<textarea readonly rows="2">{esc(snippet)}</textarea></label></li>'
        )
    body = "\n".join(items)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mapper: maps of territorial change</title>
<style>
body {{ font: 16px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; }}
ul {{ list-style: none; padding: 0; }}
li {{ border-top: 1px solid #ddd; padding: 1rem 0; }}
h2 {{ margin: 0 0 .3rem; font-size: 1.25rem; }}
.range {{ color: #555; font-size: .9rem; }}
textarea {{ display: block; width: 100%; font: 12px monospace; margin-top: .3rem; }}
</style>
</head>
<body>
<main>
<h1>Maps of territorial change</h1>
<ul>
{body}
</ul>
</main>
<footer><p><small>Built with mapper. Place coordinates: GeoNames (CC-BY 4.0);
country outlines: Natural Earth; map library: Leaflet.</small></p></footer>
</body>
</html>
"""
