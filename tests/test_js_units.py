"""The browser code's pure modules under node's test runner (``node --test tests/js``).

The page's script is the modules of ``mapper/render/static/js`` joined in the order of
:data:`mapper.render.element.SCRIPTS`; ``tests/js/*.test.js`` load them without a browser
(Leaflet from the ``xstatic-leaflet`` package where one is needed) and check dates, the
payload's encodings, the control timeline, labels, chart figures and the like. Node is
required: CI has node 20.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mapper.render.element import SCRIPTS, browser_script, read_static
from mapper.render.page import _leaflet_dir

ROOT = Path(__file__).resolve().parent.parent
JS_TESTS = ROOT / "tests" / "js"
STATIC_JS = ROOT / "mapper" / "render" / "static" / "js"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the browser code's unit tests need Node.js 20+")
    return node


def test_node_unit_tests_pass(tmp_path: Path) -> None:
    page_js = tmp_path / "page.js"
    page_js.write_text(browser_script(), "utf-8")
    env = {**os.environ, "MAPPER_LEAFLET_JS": str(_leaflet_dir() / "leaflet.js"),
           "MAPPER_PAGE_JS": str(page_js), "NODE_OPTIONS": ""}
    run = subprocess.run([_node(), "--test", "--test-reporter=tap", str(JS_TESTS)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", report, flags=re.MULTILINE))
    assert int(counts.get("fail", -1)) == 0, report
    assert int(counts.get("pass", 0)) >= 40, report
    assert int(counts.get("skipped", 0)) == 0, report  # Leaflet and the page's script found


def test_node_accepts_the_joined_script(tmp_path: Path) -> None:
    page_js = tmp_path / "page.js"
    page_js.write_text(browser_script(), "utf-8")
    run = subprocess.run([_node(), "--check", str(page_js)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr


def test_scripts_lists_every_module_in_a_fixed_order() -> None:
    on_disk = sorted(p.name for p in STATIC_JS.glob("*.js"))
    assert sorted(SCRIPTS) == on_disk
    assert SCRIPTS[0] == "util.js" and SCRIPTS[-1] == "main.js"
    code = browser_script()
    assert code == browser_script()
    starts = [code.index(f"// mapper/render/static/js/{name}\n") for name in SCRIPTS]
    assert starts == sorted(starts) and starts[0] == 0


def test_the_page_keeps_the_code_and_drops_only_comment_lines() -> None:
    code = browser_script()
    for name in SCRIPTS:
        text = read_static(f"js/{name}")
        kept = [ln for ln in text.split("\n")
                if ln.strip() and not ln.lstrip().startswith(("//", "/*", "*"))]
        for line in kept:
            assert line in code, (name, line)
    assert "\n  // " not in code and "\n//" not in code.replace("\n// mapper/render/static/js/", "")
    # ES5 modules: no template literals in code (back-quotes only in comments).
    for name in SCRIPTS:
        for n, line in enumerate(read_static(f"js/{name}").split("\n"), 1):
            code_part = line.split("  //")[0]
            if not code_part.lstrip().startswith(("//", "*", "/*")):
                assert "`" not in code_part, f"{name}:{n}"


def test_a_module_that_could_close_the_script_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mapper.render import element

    for bad in ("var s = '</script>';", "// <!-- x", "var t = '</STYLE';"):
        with pytest.raises(ValueError, match="closing script/style tag"):
            element._check_inlinable(bad, "x.js")
    # browser_script checks the joined text as well (here read_static checks nothing).
    monkeypatch.setattr(element, "read_static", lambda name: "var s = '<' + '/x'; '</script';")
    with pytest.raises(ValueError, match="closing script/style tag"):
        element.browser_script.__wrapped__()
    with pytest.raises(ValueError, match="continued"):
        element._strip_comments("var s = 'a\\\nb';\n", "x.js")
