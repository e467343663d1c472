"""``mapper serve``: a live preview that rebuilds on save, driven through real Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mapper.serve import inject_reload

MINI = Path(__file__).parent / "data" / "mini"


def test_inject_reload_adds_script_before_body_end() -> None:
    page = "<!DOCTYPE html><html><body><p>map</p></body></html>"
    out = inject_reload(page, good=3)
    assert out.index("EventSource") < out.index("</body>")
    assert "var shown = 3;" in out
    assert out.startswith(page[: page.index("</body>")])


def test_built_page_has_no_reload_script(mini_html: str) -> None:
    # The committed page must request nothing: the script is added only when served.
    assert "EventSource" not in mini_html
    assert "/__mapper/" not in mini_html


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """``mapper serve`` on a copy of the mini dataset, on a free port."""
    data = tmp_path / "mini"
    shutil.copytree(MINI, data)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mapper", "-q", "serve", str(data),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found:
            url = found.group(0)
            break
    if not url:
        proc.kill()
        pytest.fail(f"mapper serve did not start: {proc.stdout.read()}")
    try:
        yield proc, url, data
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _holder(page: Any, day: str, place: str) -> str | None:
    page.evaluate(f"window.mapper.setDate('{day}')")
    value: str | None = page.evaluate(f"window.mapper.state()['{place}']")
    return value


@pytest.mark.browser
def test_serve_reloads_on_save_and_shows_errors(browser: Any, served: Any) -> None:
    proc, url, data = served
    ctx = browser.new_context(viewport={"width": 1100, "height": 700})
    page = ctx.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:"))
            else foreign.append(r.url))
    ready = "window.mapper !== undefined && window.mapper.dates.length > 0"
    try:
        page.goto(url)
        page.wait_for_function(ready)
        assert _holder(page, "2024-11-30", "saraqib") == "hts"

        # An edit to events.csv: the page reloads by itself and shows the new holder.
        events = data / "events.csv"
        page.evaluate("window.stale = true")  # gone once the page has reloaded
        _replace(events, "2024-11-29,saraqib,hts,captured", "2024-12-01,saraqib,hts,captured")
        page.wait_for_function(f"window.stale === undefined && {ready}", timeout=30000)
        assert _holder(page, "2024-11-30", "saraqib") == "contested"

        # A broken line: the error, with file and line, appears in the page; the map stays.
        lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
        broken = next(i for i, ln in enumerate(lines) if ln.startswith("2024-12-01,saraqib"))
        good_line = lines[broken]
        lines[broken] = good_line.replace("2024-12-01", "2024-11-31")
        page.evaluate("window.stale = true")
        events.write_text("".join(lines), encoding="utf-8")
        box = page.locator("#mapper-serve-errors")
        box.wait_for(state="visible", timeout=30000)
        text = box.text_content() or ""
        assert f"events.csv:{broken + 1}: date" in text
        assert "last good map" in text
        assert page.evaluate(ready)  # the last good map is still there, under the message
        assert _holder(page, "2024-11-30", "saraqib") == "contested"

        # Fixed: the message goes, the map is back with the fixed data.
        assert page.evaluate("window.stale") is True  # no reload on a failed build
        lines[broken] = good_line.replace("2024-12-01", "2024-11-29")
        events.write_text("".join(lines), encoding="utf-8")
        page.wait_for_function(
            f"window.stale === undefined && {ready} && "
            "!document.getElementById('mapper-serve-errors')", timeout=30000)
        assert _holder(page, "2024-11-30", "saraqib") == "hts"
        assert foreign == []
    finally:
        ctx.close()

    # Ctrl-C: a clean stop, exit status 0, no traceback.
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "Traceback" not in out


def test_serve_only_on_loopback(served: Any) -> None:
    _, url, _ = served
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "__mapper/status", timeout=10) as r:
        assert r.status == 200
        assert b'"good": 1' in r.read()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url + "nope", timeout=10)
    assert err.value.code == 404
    err.value.close()


def test_preview_keeps_last_good_page(tmp_path: Path) -> None:
    from mapper.serve import Preview

    data = tmp_path / "mini"
    shutil.copytree(MINI, data)
    events = data / "events.csv"
    good_text = events.read_text(encoding="utf-8")
    events.write_text(good_text + "2024-11-40,hama,hts,captured,x,fx-wire,\n", encoding="utf-8")
    preview = Preview(data)
    try:
        state = preview.rebuild()  # broken from the start: no map, the error page
        assert state.good == 0
        assert any(e.startswith("events.csv:17: date") for e in state.errors)
        assert b"No good build yet" in preview.served_page()
        events.write_text(good_text, encoding="utf-8")
        assert preview.rebuild().errors == []
        page = preview.served_page()
        assert b"var shown = 1;" in page and b"window.mapper" in page
        events.write_text(good_text.replace("2024-12-05", "2024-13-05"), encoding="utf-8")
        state = preview.rebuild()
        assert (state.build, state.good) == (3, 1) and state.errors
        assert preview.served_page() == page  # the last good map is still served
        assert preview.out != Path("site") and preview.page.is_relative_to(preview.out)
    finally:
        preview.close()
    assert not preview.out.exists()
