"""Colour checks: CIEDE2000, colour-blind simulation, and the validator's warnings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mapper import colours
from mapper.dataset import load_dataset, validate

VALID = Path(__file__).parent / "data" / "valid"
ROOT = Path(__file__).parent.parent


# Pairs and differences from Sharma, Wu and Dalal (2005), the CIEDE2000 test data.
@pytest.mark.parametrize(("lab1", "lab2", "expected"), [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
    ((50.0, -1.0, 2.0), (50.0, 0.0, 0.0), 2.3669),
])
def test_ciede2000_matches_the_published_test_data(lab1: tuple[float, ...],
                                                   lab2: tuple[float, ...],
                                                   expected: float) -> None:
    assert colours._de2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_lab_of_white_and_black() -> None:
    assert colours.to_lab(colours.simulate("#ffffff", None)) == pytest.approx([100, 0, 0],
                                                                               abs=1e-2)
    assert colours.to_lab(colours.simulate("#000000", None)) == pytest.approx([0, 0, 0], abs=1e-9)


def test_deuteranopia_brings_red_and_green_together() -> None:
    red, green = "#d62728", "#2ca02c"
    normal = colours.delta_e2000(red, green)
    deut = colours.delta_e2000(red, green, "deuteranopia")
    assert normal > 50 and deut < normal / 2
    # Blue and yellow stay apart for a deuteranope.
    assert colours.delta_e2000("#0072b2", "#f0e442", "deuteranopia") > 40
    # Greys are unchanged by the simulations.
    for deficiency in colours.CVD_MATRICES:
        assert colours.simulate("#808080", deficiency) == pytest.approx(
            colours.simulate("#808080", None), abs=2e-3)


def test_close_pairs_by_vision() -> None:
    pairs = colours.close_pairs({"a": "#d62728", "b": "#2ca02c", "c": "#0072b2"})
    visions = {(v, a, b) for v, a, b, _ in pairs}
    assert ("deuteranopia", "a", "b") in visions
    assert not any(v == "normal vision" for v, *_ in pairs)
    assert not any("c" in (a, b) for _, a, b, _ in pairs)


def _with_factions(tmp_path: Path, entries: str) -> Path:
    folder = tmp_path / "ds"
    shutil.copytree(VALID, folder)
    toml = folder / "dataset.toml"
    text = toml.read_text(encoding="utf-8")
    text = text[:text.index("[[factions]]")] + entries + "\n" + text[
        text.index("[[factions]]"):]
    toml.write_text(text, encoding="utf-8")
    return folder


def _colour_warnings(folder: Path) -> list[str]:
    return [f"{p.file}:{p.line}: {p.field}: {p.message}" for p in validate(folder, geocode=False)
            if p.severity == "warning" and p.field == "factions.colour"]


def test_validator_warns_on_a_grey_side(tmp_path: Path) -> None:
    folder = _with_factions(tmp_path, '[[factions]]\nid = "is"\nlabel = "Islamic State"\n'
                                      'colour = "#333333"\n')
    found = _colour_warnings(folder)
    assert len(found) == 1
    assert re.match(r"dataset\.toml:\d+: factions\.colour: #333333 of faction 'is' is a grey",
                    found[0])
    assert "give it a hue" in found[0]
    line = int(found[0].split(":")[1])
    assert 'colour = "#333333"' in (folder / "dataset.toml").read_text().splitlines()[line - 1]


def test_validator_warns_on_sides_alike_under_deuteranopia(tmp_path: Path) -> None:
    # Two solid sides, red and green: apart for most readers, alike for a deuteranope.
    folder = _with_factions(tmp_path, '[[factions]]\nid = "red"\nlabel = "Red"\n'
                                      'colour = "#d62728"\n[[factions]]\nid = "green"\n'
                                      'label = "Green"\ncolour = "#2ca02c"\n')
    found = _colour_warnings(folder)
    assert any("faction 'red' is too close to faction 'green' (#2ca02c) for readers with "
               "deuteranopia" in w for w in found), found
    assert all("pick a more distinct colour" in w for w in found)
    # With a pattern on one of them, the areas differ by more than colour: no warning.
    text = (folder / "dataset.toml").read_text(encoding="utf-8")
    (folder / "dataset.toml").write_text(text.replace(
        'colour = "#2ca02c"\n', 'colour = "#2ca02c"\npattern = "dots"\n'), encoding="utf-8")
    assert not any("'red'" in w and "'green'" in w for w in _colour_warnings(folder))


def test_validator_warns_on_a_side_like_the_unknown_grey(tmp_path: Path) -> None:
    folder = _with_factions(tmp_path, '[[factions]]\nid = "sand"\nlabel = "Sand"\n'
                                      'colour = "#a89f94"\n')
    found = _colour_warnings(folder)
    assert any("'sand'" in w and "the unknown grey" in w for w in found), found


@pytest.mark.parametrize("name", ["aleppo-2024", "kharkiv-2022"])
def test_shipped_datasets_have_distinct_colours(name: str) -> None:
    assert _colour_warnings(ROOT / "geodata" / name) == []


def test_cli_prints_the_colour_warning(tmp_path: Path) -> None:
    folder = _with_factions(tmp_path, '[[factions]]\nid = "is"\nlabel = "IS"\n'
                                      'colour = "#333333"\n')
    result = subprocess.run([sys.executable, "-m", "mapper", "-q", "validate", str(folder),
                             "--no-geocode"], capture_output=True, text=True, cwd=ROOT,
                            timeout=300, check=False)
    assert result.returncode == 0
    assert re.search(r"^dataset\.toml:\d+: warning: factions\.colour: #333333", result.stderr,
                     re.MULTILINE), result.stderr
    assert load_dataset(folder, geocode=False).factions["is"].colour == "#333333"
