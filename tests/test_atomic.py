"""Crash safety: a build killed at any step leaves the whole old site or the whole new one, and
two ``mapper geocode`` runs sharing the cache both keep their rows.

A build is run in a forked child whose :data:`mapper._files.hook` calls ``os._exit`` before
the N-th change on disk (mkdir, link, write, fsync, exchange, rename, rmtree), for every N of a
build; the parent then compares the site with the two reference trees. Pages and images are
rendered once and reused (rendering writes nothing; the steps on disk are what is tested).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import mapper.render
from mapper import _files, site
from mapper.geocode import CacheEntry, merge_cache, read_cache, write_cache

MINI = Path(__file__).parent / "data" / "mini"
KILLED = 86  # exit status of a child stopped by the hook

Tree = dict[str, bytes | None]  # relative path -> file content (None for a folder)


def tree(root: Path) -> Tree:
    """Every file and folder under ``root``, hidden ones too."""
    out: Tree = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def _set_title(folder: Path, title: str) -> None:
    toml = folder / "dataset.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('title = "Fixture: M5 corridor"', f'title = "{title}"'),
                    encoding="utf-8")


@dataclass
class Scene:
    """Two datasets, the site before and after a partial build of ``alpha``, both as trees."""

    alpha_old: Path
    alpha_new: Path
    beta: Path
    old_site: Path  # built from alpha_old and beta
    old: Tree
    new: Tree  # old_site after build([alpha_new])
    images: bool


def _memo(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse what ``fn`` rendered for a dataset of the same id and title."""
    done: dict[tuple[str, str, str], Any] = {}

    def wrapped(ds: Any, *args: Any, **kwargs: Any) -> Any:
        key = (ds.id, ds.title, repr((args, sorted(kwargs.items()))))
        if key not in done:
            done[key] = fn(ds, *args, **kwargs)
        return done[key]

    return wrapped


@pytest.fixture(scope="module", autouse=True)
def _rendered_once() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mapper.render, "render_html", _memo(mapper.render.render_html))
        mp.setattr(site, "static_images", _memo(site.static_images))
        yield


def _scene(root: Path, images: bool) -> Scene:
    data = root / "data"
    # Two folders named alpha: the same dataset id before and after an edit of its title.
    alpha_old, alpha_new, beta = data / "v1" / "alpha", data / "v2" / "alpha", data / "beta"
    for folder in (alpha_old, alpha_new, beta):
        shutil.copytree(MINI, folder)
    _set_title(alpha_new, "Fixture: M5 corridor, revised")
    _set_title(beta, "Fixture: beta")
    old_site = root / "reference" / "old" / "site"
    site.build([alpha_old, beta], out=old_site, progress=False, images=images)
    new_site = root / "reference" / "new" / "site"
    shutil.copytree(old_site, new_site)
    site.build([alpha_new], out=new_site, progress=False, images=images)
    return Scene(alpha_old, alpha_new, beta, old_site, tree(old_site), tree(new_site), images)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return _scene(tmp_path_factory.mktemp("atomic"), images=False)


@pytest.fixture(scope="module")
def scene_images(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return _scene(tmp_path_factory.mktemp("atomic-images"), images=True)


def test_scene_has_changed_unchanged_and_kept_files(scene_images: Scene) -> None:
    old, new = scene_images.old, scene_images.new
    assert old.keys() == new.keys()
    changed = {k for k in old if old[k] != new[k]}
    assert {"index.html", "alpha/index.html", "alpha/snapshot.png"} <= changed
    assert "alpha/territory.csv" not in changed  # unchanged within the rebuilt map
    assert not any(k.startswith("beta/") for k in changed)  # the other map, kept


def _run_killed(action: Callable[[], object], kill_at: int | None,
                exchange: bool = True) -> int:
    """Run ``action`` in a forked child stopped before its ``kill_at``-th step on disk.

    Returns the child's exit status: :data:`KILLED`, or 0 if it finished first.
    """
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            count = 0

            def hook(kind: str, path: str) -> None:
                nonlocal count
                count += 1
                if count == kill_at:
                    os._exit(KILLED)

            _files.hook = hook
            _files.use_exchange = exchange
            action()
            status = 0
        except BaseException:
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(status)
    _, wait = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait)


def _count_steps(action: Callable[[], object], exchange: bool = True) -> list[str]:
    steps: list[str] = []
    _files.hook = lambda kind, path: steps.append(f"{kind} {path}")
    _files.use_exchange = exchange
    try:
        action()
    finally:
        _files.hook = None
        _files.use_exchange = True
    return steps


def _leftovers(out: Path) -> list[str]:
    """Anything of mapper's temporary naming beside or inside ``out``."""
    beside = [p.name for p in out.parent.iterdir() if p.name != out.name]
    inside = [p.name for p in out.rglob("*.tmp")] if out.exists() else []
    return beside + inside


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns
            for p in root.rglob("*") if p.is_file()}


def _kill_everywhere(scene: Scene, work: Path, *, exchange: bool,
                     crashed_before: str | None = None) -> dict[str, int]:
    """Kill a partial build of ``alpha`` at every step; check the site after each kill.

    With ``crashed_before`` (a step such as ``"rename site"``), each run starts from the
    state an earlier build killed before that step left, so the recovery is killed too.
    """
    out = work / "site"

    def build() -> object:
        return site.build([scene.alpha_new], out=out, progress=False, images=scene.images)

    def fresh() -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copytree(scene.old_site, out)  # copy2: the reference mtimes
        if crashed_before is not None:
            first = _count_steps(build, exchange=exchange)
            shutil.rmtree(out)
            shutil.copytree(scene.old_site, out)
            names = [s.replace(str(work) + "/", "", 1) for s in first]
            assert _run_killed(build, names.index(crashed_before) + 1,
                               exchange=exchange) == KILLED

    fresh()
    steps = _count_steps(build, exchange=exchange)
    kinds = [s.split()[0] for s in steps]
    renames = (0 if exchange else 2) + (1 if crashed_before else 0)  # + the restoring one
    assert ("exchange" in kinds) == exchange and kinds.count("rename") == renames
    seen = {"old": 0, "new": 0, "missing, restored": 0}
    for n in range(1, len(steps) + 2):
        fresh()
        stamps = _mtimes(out)
        status = _run_killed(build, n, exchange=exchange)
        assert status == (KILLED if n <= len(steps) else 0), f"step {n}"
        where = f"killed before step {n} ({steps[n - 1] if n <= len(steps) else 'none'})"
        if out.exists():
            state = tree(out)
            assert state in (scene.old, scene.new), f"{where}: a mix of old and new"
            seen["old" if state == scene.old else "new"] += 1
        else:  # only between the two renames of the fallback (or of their recovery)
            assert not exchange or crashed_before, f"{where}: the site is gone"
            assert steps[n - 1] == f"rename {out}", where
            with _files.folder_lock(out):
                _files.recover_folder(out)
            assert tree(out) == scene.old, f"{where}: not the whole old site after recovery"
            seen["missing, restored"] += 1
        # The next build clears what the killed one left and writes the whole new site.
        written = build()
        assert tree(out) == scene.new, where
        assert _leftovers(out) == [], where
        assert written == [out / "alpha" / name for name in
                           ["index.html", *(site.IMAGES if scene.images else [])]] + \
            [out / "index.html"]
        after = _mtimes(out)
        for rel, stamp in stamps.items():  # unchanged files are left alone
            if scene.old[rel] == scene.new[rel]:
                assert after[rel] == stamp, f"{where}: {rel} was rewritten"
    return seen


def test_killed_build_leaves_old_or_new_site(scene: Scene, tmp_path: Path) -> None:
    seen = _kill_everywhere(scene, tmp_path / "work", exchange=True)
    assert seen["old"] >= 10 and seen["new"] >= 2, seen


def test_killed_build_without_exchange_recovers(scene: Scene, tmp_path: Path) -> None:
    seen = _kill_everywhere(scene, tmp_path / "work", exchange=False)
    assert seen["missing, restored"] == 1 and seen["new"] >= 2, seen


def test_killed_recovery_of_a_killed_build(scene: Scene, tmp_path: Path) -> None:
    # Killed between the two renames, then the recovering build killed at every step.
    seen = _kill_everywhere(scene, tmp_path / "work", exchange=False,
                            crashed_before="rename site")
    assert seen["missing, restored"] == 2 and seen["old"] >= 10, seen


def test_killed_build_with_images(scene_images: Scene, tmp_path: Path) -> None:
    seen = _kill_everywhere(scene_images, tmp_path / "work", exchange=True)
    assert seen["old"] >= 20, seen


def test_killed_first_build_leaves_nothing_or_the_site(scene: Scene, tmp_path: Path) -> None:
    work = tmp_path / "work"
    out = work / "deeper" / "site"

    def build() -> object:
        return site.build([scene.alpha_old, scene.beta], out=out, progress=False, images=False)

    steps = _count_steps(build)
    shutil.rmtree(work)
    for n in range(1, len(steps) + 2):
        status = _run_killed(build, n)
        assert status == (KILLED if n <= len(steps) else 0)
        if out.exists():
            assert tree(out) == scene.old, f"killed before step {n}"
        build()
        assert tree(out) == scene.old and _leftovers(out) == []
        shutil.rmtree(work)


def test_stale_temporary_files_are_cleaned_and_nothing_else(scene: Scene,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(scene.old_site, out)
    mine = [out / ".index.html.a1b2c3d4.tmp", out / "alpha" / ".index.html.zz_9x8y7.tmp",
            tmp_path / ".site.new-abcd1234", tmp_path / ".site.old-abcd_234"]
    theirs = [out / "notes.tmp", out / ".keep.tmp", out / ".index.html.tmp",
              tmp_path / ".site.new-mine", tmp_path / ".other.new-abcd1234",
              tmp_path / "site.old-abcd1234"]
    for path in mine + theirs:
        if path.name.endswith(".tmp"):
            path.write_bytes(b"x")
        else:
            path.mkdir()
            (path / "index.html").write_bytes(b"partial")
    site.build([scene.alpha_old], out=out, progress=False, images=False)
    assert not any(p.exists() for p in mine)
    assert all(p.exists() for p in theirs)  # not mapper's naming: left alone, and kept
    assert {k: v for k, v in tree(out).items() if not k.endswith(".tmp")} == scene.old


def test_a_site_that_is_a_git_checkout_keeps_working(scene: Scene, tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    shutil.copytree(scene.old_site, repo / "site")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, text=True,
                              capture_output=True).stdout

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "site")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "old site")
    site.build([scene.alpha_old], out=repo / "site", progress=False, images=False)
    assert git("status", "--porcelain") == ""  # an unchanged rebuild changes nothing
    site.build([scene.alpha_new], out=repo / "site", progress=False, images=False)
    assert sorted(git("status", "--porcelain").split()) == [
        "M", "M", "site/alpha/index.html", "site/index.html"]


def test_fallback_swap_and_recovery_of_a_missing_site(scene: Scene, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    shutil.copytree(scene.old_site, out)
    out.rename(tmp_path / ".site.old-0abcdef1")  # as if killed between the two renames
    (tmp_path / ".site.new-0abcdef1").mkdir()  # and its half-written new site
    monkeypatch.setattr(_files, "use_exchange", False)
    site.build([scene.alpha_new], out=out, progress=False, images=False)
    assert tree(out) == scene.new and _leftovers(out) == []


# ------------------------------------------------------------------------------ geocode cache


def _rows(writer: int, count: int) -> list[CacheEntry]:
    return [CacheEntry(f"Place {writer}-{i}", "SY", 35.0 + writer, 36.0 + i / 1000, "manual")
            for i in range(count)]


def _merge_many(cache: str, writer: int, count: int) -> None:
    for entry in _rows(writer, count):  # one locked read-merge-write per row
        merge_cache(cache, [entry])


def test_two_concurrent_geocode_writers_keep_every_row(tmp_path: Path) -> None:
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Aleppo", "SY", 36.2, 37.16, "manual")])
    ctx = multiprocessing.get_context("fork")
    count = 60
    workers = [ctx.Process(target=_merge_many, args=(str(cache), w, count)) for w in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    rows = read_cache(cache)
    assert len(rows) == 1 + 2 * count
    assert all(e.key in rows for w in (1, 2) for e in _rows(w, count))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geocode.csv"]  # no lock, no temp


def test_merge_keeps_rows_already_in_the_file(tmp_path: Path) -> None:
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Aleppo", "SY", 36.2, 37.16, "manual")])
    added = merge_cache(cache, [CacheEntry("Aleppo", "SY", 1.0, 2.0, "geonames"),
                                CacheEntry("Idlib", "SY", 35.93, 36.63, "geonames")])
    assert [e.query for e in added] == ["Idlib"]
    assert read_cache(cache)[("aleppo", "SY")].lat == 36.2


def test_killed_cache_writer_leaves_the_old_or_new_cache(tmp_path: Path) -> None:
    cache = tmp_path / "geocode.csv"
    write_cache(cache, [CacheEntry("Aleppo", "SY", 36.2, 37.16, "manual")])
    before = cache.read_bytes()
    extra = [CacheEntry("Idlib", "SY", 35.93, 36.63, "geonames")]
    steps = _count_steps(lambda: merge_cache(tmp_path / "probe.csv", extra))
    assert [s.split()[0] for s in steps] == ["write", "fsync", "rename"]
    for n in range(1, len(steps) + 1):
        write_cache(cache, [CacheEntry("Aleppo", "SY", 36.2, 37.16, "manual")])
        assert _run_killed(lambda: merge_cache(cache, extra), n) == KILLED
        assert cache.read_bytes() == before  # read_cache would raise on a half-written file
        assert len(read_cache(cache)) == 1
        merge_cache(cache, extra)  # the next run clears the temporary file and the lock
        assert len(read_cache(cache)) == 2
        assert sorted(p.name for p in tmp_path.iterdir()) == ["geocode.csv", "probe.csv"]


def test_a_malformed_cache_is_never_overwritten(tmp_path: Path) -> None:
    from mapper.errors import GeocodeError

    cache = tmp_path / "geocode.csv"
    cache.write_text("query,country,lat,lon,source,match_id,match_name,population\n"
                     "Aleppo,SY,36.2,not a number,manual,,,\n", encoding="utf-8")
    before = cache.read_bytes()
    with pytest.raises(GeocodeError, match="lon"):
        merge_cache(cache, [CacheEntry("Idlib", "SY", 35.93, 36.63, "geonames")])
    assert cache.read_bytes() == before
