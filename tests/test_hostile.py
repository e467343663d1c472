"""Data is data: no text in a dataset runs anything or changes on its way to the page.

Every text field of a small dataset is filled with hostile text (template syntax of Jinja2,
markup, script, comment openers) and with random text from hypothesis; the dataset is written
to disk as a user would write it, validated, built, and opened in Chromium, which must show
each text verbatim (as ``textContent``) and run nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mapper.dataset import load_dataset, validate
from mapper.render import render_html

#: Text that a template engine, an HTML parser or a script would treat as code.
HOSTILE = (
    "Citadel {{ 7*7 }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').mkdir('PWNED') }}",
    "{{ cycler.__init__.__globals__.os.mkdir('PWNED') }}",
    "Provincial capital {{citation needed}}",
    "growth 50{%}",
    "{% for x in range(3) %}again{% endfor %}",
    "{# comment #} and {%- raw %}",
    "</script><img src=x onerror=\"window.__pwned=1\">",
    "<script>window.__pwned = 2</script>",
    "<!-- open comment",
    "]]></style><svg onload=window.__pwned=3>",
    "${7*7} #{7*7} <%= 7*7 %> {7*7}",
    "' \" & < > \\ \\u0041 %s %(x)s",
    "javascript:window.__pwned=4",
    "حلب \u2028 line separator \u202e reversed",
)

#: The text fields a dataset has, file -> columns (TOML: dotted keys).
FIELDS = {
    "dataset.toml": ("title", "description", "factions.label"),
    "places.csv": ("name", "notes", "local_name"),
    "events.csv": ("description", "casualties_note"),
    "sources.csv": ("title", "publisher", "notes"),
    "routes.csv": ("name", "notes"),
}

MINI = Path(__file__).parent / "data" / "mini"


def _toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` exactly (control characters escaped)."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + body.replace("\x7f", "\\u007f") + '"'


def write_dataset(folder: Path, texts: Mapping[str, str]) -> Path:
    """Copy the fixture dataset to ``folder`` with each text field set from ``texts``.

    ``texts`` maps ``file:column`` to a text; cells of that column on every row get it,
    suffixed with the row number so that each cell is distinct.
    """
    folder.mkdir(parents=True, exist_ok=True)
    toml = (MINI / "dataset.toml").read_text("utf-8")
    for key in ("title", "description"):
        if f"dataset.toml:{key}" in texts:
            toml = re.sub(rf"(?m)^{key} = .*$",
                          lambda _m, k=key: f"{k} = {_toml_string(texts['dataset.toml:' + k])}",
                          toml)
    if "dataset.toml:factions.label" in texts:
        n = iter(range(100))
        toml = re.sub(r"(?m)^label = .*$", lambda _m: "label = " + _toml_string(
            f"{texts['dataset.toml:factions.label']} {next(n)}"), toml)
    (folder / "dataset.toml").write_text(toml, "utf-8")
    for name in ("places.csv", "events.csv", "sources.csv", "routes.csv"):
        with (MINI / name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        for i, row in enumerate(rows):
            for col in FIELDS[name]:
                if f"{name}:{col}" in texts:
                    row[col] = f"{texts[name + ':' + col]} {i}"
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        (folder / name).write_text(out.getvalue(), "utf-8")
    return folder


#: Fields the page does not show (they are checked to build, not to appear).
NOT_SHOWN = {"routes.csv:notes"}


def _expected(texts: Mapping[str, str]) -> list[tuple[str, ...]]:
    """Each text as it may appear on the page: a tuple of its cells, one must be there.

    A cell carries its row number; the page shows an event's text on the event's day, so
    not every row is on the page (an event before the period, say), but one must be.
    """
    out = []
    for key, text in texts.items():
        if key in NOT_SHOWN:
            continue
        if key in ("dataset.toml:title", "dataset.toml:description"):
            out.append((text,))
        else:
            out.append(tuple(f"{text} {i}" for i in range(12)))
    return out


def _found(cells: tuple[str, ...], shown: str | set[str]) -> bool:
    return any(c in shown for c in cells)


def _all_fields(text: str) -> dict[str, str]:
    return {f"{name}:{col}": text for name, cols in FIELDS.items() for col in cols}


def _payload(page: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="ts-data">(.*?)</script>', page, re.S)
    assert m, "no payload"
    return json.loads(m.group(1))


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _open(browser: Any, page_html: str, path: Path) -> Any:
    path.write_text(page_html, "utf-8")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri()
               else (requests.append(r.request.url), r.abort()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.mapper !== undefined && window.mapper.dates.length > 0")
    return ctx, page, requests, errors


def _page_texts(page: Any) -> str:
    """Everything a reader can get to: the chrome, the sources panel, every popup."""
    page.click(".ts-sources-toggle")
    parts = [page.evaluate("document.title"),
             page.evaluate("document.body.textContent")]
    # Every place's popup on every day (an event's text shows on its day).
    parts.append(page.evaluate("""async () => {
        const m = window.mapper, out = [];
        for (const d of m.dates) {
            await m.setDate(d);
            for (const layer of m.layers.places.getLayers()) {
                layer.openPopup();
                const node = document.querySelector(".leaflet-popup-content");
                if (node) out.push(node.textContent);
            }
        }
        // Route names show in their tooltips.
        m.layers.routes.eachLayer(function visit(layer) {
            if (layer.eachLayer) { layer.eachLayer(visit); return; }
            if (layer.getTooltip && layer.getTooltip()) {
                layer.openTooltip();
                const tip = layer.getTooltip().getElement();
                if (tip) out.push(tip.textContent);
            }
        });
        return out.join("\\n");
    }"""))
    return "\n".join(parts)


def test_hostile_text_builds_and_shows_verbatim(tmp_path: Path, browser: Any) -> None:
    folder = tmp_path / "hostile"
    texts = {key: HOSTILE[i % len(HOSTILE)] for i, key in enumerate(_all_fields("").keys())}
    write_dataset(folder, texts)
    assert [p for p in validate(folder, geocode=False) if p.severity == "error"] == []
    # The command a user runs, in its own process and folder: no folder appears, exit 0.
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mapper", "-q", "build", str(folder),
                          "--out", str(site)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile", "site"]  # no PWNED
    page_html = (site / "hostile" / "index.html").read_text("utf-8")
    payload_texts = _strings(_payload(page_html))
    for cells in _expected(texts):
        assert _found(cells, payload_texts), cells[0]
    index = (site / "index.html").read_text("utf-8")
    assert "<script" not in index.lower().replace("<script type", "")
    ctx, page, requests, errors = _open(browser, page_html, tmp_path / "page.html")
    try:
        shown = _page_texts(page)
        for cells in _expected(texts):
            assert _found(cells, shown), cells[0]
        assert page.evaluate("window.__pwned") is None
        assert page.query_selector("img[src=x], svg[onload], .ts-popup script") is None
        assert requests == [] and errors == []
    finally:
        ctx.close()


def test_template_syntax_is_not_evaluated(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "t", {"places.csv:name": "Citadel {{ 7*7 }}",
                                            "dataset.toml:title": "T {{ 7*7 }} {%"})
    page = render_html(load_dataset(folder, geocode=False))
    names = _payload(page)["places"]["name"]
    assert "Citadel {{ 7*7 }} 0" in names
    assert not any("Citadel 49" in n for n in names)
    assert "<title>T {{ 7*7 }} {%</title>" in page


#: Characters a text may hold and must come out unchanged.
_CHARS = st.characters(blacklist_categories=("Cs", "Cc"))
_PIECES = st.one_of(st.sampled_from(HOSTILE), st.text(_CHARS, min_size=1, max_size=12),
                    st.sampled_from(["{{", "}}", "{%", "%}", "{#", "<", ">", "&", '"', "'",
                                     "</", "<!--", "\\", ",", ";", "\t"]))
_TEXT = st.lists(_PIECES, min_size=1, max_size=5).map("".join).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(_all_fields(""))), text=_TEXT)
def test_any_text_in_any_field_reaches_the_payload_verbatim(
        tmp_path_factory: pytest.TempPathFactory, field: str, text: str) -> None:
    folder = write_dataset(tmp_path_factory.mktemp("prop"), {field: text})
    problems = validate(folder, geocode=False)
    assert [p for p in problems if p.severity == "error"] == [], problems
    page = render_html(load_dataset(folder, geocode=False))
    if field in NOT_SHOWN:
        return
    ((expected, *_),) = _expected({field: text})
    if field.startswith("dataset.toml:") and field != "dataset.toml:factions.label":
        meta = re.search(rf'<meta name="mapper:{field.split(":")[1]}" content="([^"]*)">', page)
        assert meta is not None
        import html

        assert html.unescape(meta.group(1)) == expected
    assert _found(_expected({field: text})[0], _strings(_payload(page)))


# Line breaks inside cells are the malformed-input matrix's (tests/test_malformed.py).
_ANY = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
               min_size=1, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(_all_fields(""))), text=_ANY)
def test_control_characters_are_refused_with_a_message_never_a_crash(
        tmp_path_factory: pytest.TempPathFactory, field: str, text: str) -> None:
    folder = write_dataset(tmp_path_factory.mktemp("ctl"), {field: text})
    problems = validate(folder, geocode=False)  # never raises
    errors = [p for p in problems if p.severity == "error"]
    bad = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r"]
    if bad:
        file = field.split(":")[0]
        assert any(str(p).startswith(file) and "control character" in str(p) for p in errors), (
            problems)
    elif text.strip():
        assert errors == [], problems


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking in a browser
@given(texts=st.fixed_dictionaries({k: _TEXT for k in sorted(_all_fields(""))}))
def test_random_text_shows_verbatim_in_the_browser(
        tmp_path_factory: pytest.TempPathFactory, browser: Any, texts: dict[str, str]) -> None:
    folder = write_dataset(tmp_path_factory.mktemp("br"), texts)
    page_html = render_html(load_dataset(folder, geocode=False))
    ctx, page, requests, errors = _open(browser, page_html, folder / "page.html")
    try:
        shown = _page_texts(page)
        for cells in _expected(texts):
            assert _found(cells, shown), cells[0]
        assert page.evaluate("window.__pwned") is None
        assert requests == [] and errors == []
    finally:
        ctx.close()
