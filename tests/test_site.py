"""The built site: the Aleppo map shows the right holders, rebuilds are byte-identical,
a second conflict builds from data alone, and bad data leaves ``site/`` untouched."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mapper import site

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata"
ALEPPO = GEODATA / "aleppo-2024"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    site.build([ALEPPO, GEODATA / "kharkiv-2022"], out=out, progress=False)
    return out


def test_aleppo_holders_before_and_after_the_offensive(
    built: Path, open_page: Callable[..., object]
) -> None:
    html = (built / "aleppo-2024" / "index.html").read_text(encoding="utf-8")
    opened = open_page(html, "#2024-11-26")
    page = opened.page  # type: ignore[attr-defined]
    before = page.evaluate("window.mapper.state()")
    assert page.evaluate("window.mapper.date()") == "2024-11-26"
    assert {k: before[k] for k in ("aleppo", "saraqib", "idlib", "damascus")} == {
        "aleppo": "government", "saraqib": "government", "idlib": "hts", "damascus": "government",
    }
    page.evaluate("window.mapper.setDate('2024-12-02')")
    after = page.evaluate("window.mapper.state()")
    assert {k: after[k] for k in ("aleppo", "saraqib", "idlib", "damascus")} == {
        "aleppo": "hts", "saraqib": "hts", "idlib": "hts", "damascus": "government",
    }
    # the date is written large for the reader, not only held in the API
    assert "2 December 2024" in page.inner_text("body")
    assert opened.foreign_requests() == []  # type: ignore[attr-defined]
    assert opened.unexpected_console_errors() == []  # type: ignore[attr-defined]


def test_second_conflict_works_from_data_alone(
    built: Path, open_page: Callable[..., object]
) -> None:
    html = (built / "kharkiv-2022" / "index.html").read_text(encoding="utf-8")
    page = open_page(html, "#2022-09-01").page  # type: ignore[attr-defined]
    assert page.evaluate("window.mapper.state()")["izium"] == "russia"
    page.evaluate("window.mapper.setDate('2022-09-20')")
    assert page.evaluate("window.mapper.state()")["izium"] == "ukraine"


def test_index_lists_both_maps_with_embed_snippets(built: Path) -> None:
    index = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="aleppo-2024/index.html"' in index and 'href="kharkiv-2022/index.html"' in index
    assert "&lt;iframe src=&quot;aleppo-2024/index.html#2024-12-12&amp;amp;embed" in index


def test_rebuild_is_byte_identical_and_leaves_files_alone(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    site.build([ALEPPO, GEODATA / "kharkiv-2022"], out=out, progress=False)
    for name in ("index.html", "aleppo-2024/index.html", "kharkiv-2022/index.html"):
        assert (out / name).read_bytes() == (built / name).read_bytes(), name
    stamp = (out / "aleppo-2024" / "index.html").stat().st_mtime_ns
    site.build([ALEPPO], out=out, progress=False)
    assert (out / "aleppo-2024" / "index.html").stat().st_mtime_ns == stamp
    # building one map keeps the others on the index page
    assert "kharkiv-2022/index.html" in (out / "index.html").read_text(encoding="utf-8")


def test_committed_site_is_current(tmp_path: Path) -> None:
    committed = ROOT / "site"
    out = tmp_path / "site"
    site.build(site.find_datasets(GEODATA), out=out, progress=False)
    built = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert built == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    for rel in built:
        assert (out / rel).read_bytes() == (committed / rel).read_bytes(), (
            f"site/{rel} is stale: run `make site` and commit it"
        )


def test_bad_data_exits_2_and_leaves_the_site_untouched(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "geodata"
    shutil.copytree(ALEPPO, data / "aleppo-2024")
    shutil.copy(GEODATA / "geocode.csv", data / "geocode.csv")
    events = data / "aleppo-2024" / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "2024-02-30" + lines[2][lines[2].index(","):]
    events.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "site"
    shutil.copytree(built, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run = subprocess.run(
        [sys.executable, "-m", "mapper", "build", "--out", str(out), "--geodata", str(data)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert run.returncode == 2
    assert "events.csv:3: date:" in run.stderr
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_full_build_drops_maps_whose_dataset_is_gone(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapper import settings

    out = tmp_path / "site"
    shutil.copytree(built, out)
    data = tmp_path / "geodata"
    shutil.copytree(ALEPPO, data / "aleppo-2024")
    shutil.copy(GEODATA / "geocode.csv", data / "geocode.csv")
    monkeypatch.setattr(settings, "geodata_dir", data)
    with pytest.warns(UserWarning, match="kharkiv-2022: no dataset of that name"):
        site.build(out=out, progress=False, images=False)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "aleppo-2024/index.html" in index and "kharkiv-2022" not in index


# -- the images drawn beside the page ---------------------------------------------------------

MINI = ROOT / "tests" / "data" / "mini"


def test_images_drawn_beside_the_page_are_the_files_one_process_draws(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapper import settings

    if not site._can_fork():
        pytest.skip("images are drawn in this process here (one CPU, or not Linux)")
    monkeypatch.setattr(settings, "parallel_images", False)
    assert not site._can_fork()
    out = tmp_path / "one-process"
    site.build([ALEPPO], out=out, progress=False)
    for name in site.IMAGES:
        assert (out / "aleppo-2024" / name).read_bytes() == \
            (built / "aleppo-2024" / name).read_bytes(), name


def test_an_error_drawing_the_images_is_raised_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ds: object, **kwargs: object) -> dict[str, bytes]:
        raise ValueError("bbox (36.0, 35.0, 36.0, 36.0) is empty")

    monkeypatch.setattr(site, "static_images", broken)  # the child inherits the patch
    out = tmp_path / "site"
    with pytest.raises(ValueError, match=r"bbox \(36\.0, 35\.0, 36\.0, 36\.0\) is empty"):
        site.build([MINI], out=out, progress=False)
    assert not out.exists() or not any(out.rglob("*.html"))


def test_a_warning_drawing_the_images_reaches_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    def warned(ds: object, **kwargs: object) -> dict[str, bytes]:
        warnings.warn("a label fell off the map", UserWarning, stacklevel=2)
        return {"snapshot.png": b"drawn"}

    monkeypatch.setattr(site, "static_images", warned)
    out = tmp_path / "site"
    with pytest.warns(UserWarning, match="a label fell off the map"):
        site.build([MINI], out=out, progress=False)
    assert (out / "mini" / "snapshot.png").read_bytes() == b"drawn"


def test_a_page_that_fails_stops_the_image_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing
    import os
    import time

    import mapper.render

    finished = tmp_path / "finished"
    started = tmp_path / "started"
    started.mkdir()

    def slow(ds: object, **kwargs: object) -> dict[str, bytes]:
        (started / str(os.getpid())).touch()
        time.sleep(60)
        finished.touch()  # reached only by a drawing left to run to its end
        return {}

    def failed(*args: object, **kwargs: object) -> str:
        # Fail once every process drawing has started (the second one is a child of the first).
        deadline = time.monotonic() + 60
        while len(list(started.iterdir())) < min(len(site.IMAGE_GROUPS), 2) \
                and site._can_fork() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise ValueError("the page could not be rendered")

    monkeypatch.setattr(site, "static_images", slow)
    monkeypatch.setattr(mapper.render, "render_html", failed)
    with pytest.raises(ValueError, match="the page could not be rendered"):
        site.build([MINI], out=tmp_path / "site", progress=False)
    assert multiprocessing.active_children() == []
    for pid in [int(p.name) for p in started.iterdir()]:
        if pid != os.getpid():  # every process that drew is gone, the grandchild too
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    assert not finished.exists()
