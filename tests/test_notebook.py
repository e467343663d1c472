"""The tour notebook: committed without outputs, and it runs top to bottom offline."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "aleppo-2024.ipynb"


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_without_outputs(notebook: nbformat.NotebookNode) -> None:
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, "the notebook has no code"
    for cell in code:
        assert cell.outputs == [], f"cell {cell.id} has outputs"
        assert cell.execution_count is None, f"cell {cell.id} has an execution count"
        assert not {"execution", "collapsed", "scrolled"} & set(cell.metadata), cell.id
    assert set(notebook.metadata) <= {"kernelspec", "language_info"}
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_runs_top_to_bottom(notebook: nbformat.NotebookNode,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Execute every cell in a fresh python3 kernel from the repository root, offline."""
    # The kernel is this interpreter's (the venv's), and it must not try the network.
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep
                       + os.environ.get("PATH", ""))
    monkeypatch.setenv("MAPPER_NOMINATIM_DOMAIN", "127.0.0.1:9")
    run = nbformat.from_dict(notebook)
    client = NotebookClient(run, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    outputs = [o for c in run.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # The snapshot, the small multiples and the territory chart are shown inline.
    assert len(images) >= 3
    texts = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    said = re.search(r"^Aleppo on 30 November: (\S+)$", texts, flags=re.MULTILINE)
    assert said is not None, texts
    # what the timeline says, independently of the notebook
    from datetime import date

    from mapper import load_dataset
    from mapper.timeline import Timeline

    tl = Timeline.from_dataset(load_dataset(ROOT / "geodata" / "aleppo-2024"))
    assert said.group(1) == tl.control_at(date(2024, 11, 30))["aleppo"] == "contested"
    assert "Warning" not in texts, texts
