"""Shared fixtures: the render fixture dataset, its page, and a headless Chromium session.

Browser tests drive Debian's ``/usr/bin/chromium`` through Playwright's sync API. They fail
(not skip) when it is missing: the page is the product, and it must be tested.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mapper.dataset import Dataset, load_dataset

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
#: Tile hosts a test may answer when it builds a page with online tiles (``--tiles``).
TILE_HOSTS = ("tile.openstreetmap.org",)


@pytest.fixture(scope="session")
def mini() -> Dataset:
    """The render fixture dataset (every place has lat/lon, so no geocoding)."""
    return load_dataset(MINI, geocode=False)


@pytest.fixture(scope="session")
def mini_html(mini: Dataset) -> str:
    """The rendered page of :func:`mini`."""
    from mapper.render import render_html

    return render_html(mini)


@pytest.fixture(scope="session")
def tampered(mini: Dataset) -> Dataset:
    """:func:`mini` with a ``javascript:`` source URL, as if it had slipped past validation."""
    ds = copy.copy(mini)
    sources = mini.sources.copy()
    sources.loc["fx-gazette", "url"] = "javascript:alert(document.domain)"
    ds.sources = sources
    return ds


@pytest.fixture(scope="session")
def aleppo() -> Dataset:
    """The Aleppo dataset of geodata/ (geocoded offline from the committed cache)."""
    return load_dataset(Path(__file__).parent.parent / "geodata" / "aleppo-2024")


@pytest.fixture(scope="session")
def aleppo_html(aleppo: Dataset) -> str:
    """The Aleppo page built by this checkout's code (not the committed site/)."""
    from mapper.render import render_html

    return render_html(aleppo)


@dataclass
class OpenedPage:
    """A page opened from a file, with what it tried to fetch and what it logged."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    tiles_served: bool = False

    def unexpected_console_errors(self) -> list[str]:
        """Console errors and page errors."""
        out = list(self.errors)
        out += [f"{text} ({where})" for kind, text, where in self.console if kind == "error"]
        return out

    def foreign_requests(self) -> list[str]:
        """Every request off the page file; tiles too, unless the test served them."""
        if self.tiles_served:
            return [u for u in self.requests if not any(h in u for h in TILE_HOSTS)]
        return list(self.requests)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any, tmp_path: Path) -> Iterator[Callable[..., OpenedPage]]:
    """Return a function that writes HTML to a file and opens it, blocking every other request.

    Call it as ``open_page(html, suffix="#2024-11-30")``; it waits until ``window.mapper``
    exists (or the script expression ``ready`` is true). Every request that is not the page
    file itself is recorded and aborted, except
    tile requests when ``tile`` (PNG bytes) is given: those get that image, as if online
    (for pages built with online tiles).
    """
    contexts: list[Any] = []

    def _open(html: str, suffix: str = "", *, width: int = 1280, height: int = 800,
              tile: bytes | None = None,
              ready: str = "window.mapper !== undefined && window.mapper.dates.length > 0",
              ) -> OpenedPage:
        path = tmp_path / f"page{len(contexts)}.html"
        path.write_text(html, encoding="utf-8")
        url = path.as_uri()
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        page = ctx.new_page()
        opened = OpenedPage(page=page, url=url, tiles_served=tile is not None)
        seen: set[int] = set()

        def record(req: Any) -> None:  # every request the page makes, routed or not
            if id(req) in seen or req.url.split("#")[0].split("?")[0] == url:
                return
            if req.url.startswith(("data:", "blob:")):
                return  # inlined images and the PNG download: not network requests
            seen.add(id(req))
            opened.requests.append(req.url)

        def route(r: Any) -> None:
            if r.request.url.split("#")[0].split("?")[0] == url:
                r.continue_()
                return
            record(r.request)
            if tile is not None and any(h in r.request.url for h in TILE_HOSTS):
                r.fulfill(status=200, body=tile, content_type="image/png")
            else:
                r.abort()

        page.route("**/*", route)
        page.on("request", record)
        page.on("console", lambda m: opened.console.append(
            (m.type, m.text, str(m.location.get("url", "")))))
        page.on("pageerror", lambda e: opened.errors.append(f"page error: {e}"))
        page.goto(url + suffix)
        page.wait_for_function(ready)
        return opened

    yield _open
    for ctx in contexts:
        ctx.close()
