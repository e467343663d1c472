"""Install anywhere: every file the package reads at run time is declared as package data,
so a wheel (`pip install .`, pipx) carries it. Building a wheel needs the network for its
build backend; the check here reads the same declaration setuptools reads."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _glob(path: str, pattern: str) -> bool:
    """Whether ``path`` matches a setuptools package-data glob (``*`` stays in one folder)."""
    parts, pats = path.split("/"), pattern.split("/")
    return len(parts) == len(pats) and all(fnmatch.fnmatchcase(a, b)
                                           for a, b in zip(parts, pats, strict=True))


def test_every_data_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["mapper"]
    package = ROOT / "mapper"
    data = [p.relative_to(package).as_posix() for p in package.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert "render/static/js/main.js" in data
    missing = [f for f in data if not any(_glob(f, pat) for pat in patterns)]
    assert not _glob("render/static/js/main.js", "render/static/*")
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"


def test_every_subpackage_is_found() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    for init in (ROOT / "mapper").rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        assert any(fnmatch.fnmatch(name, pat) for pat in include), name
    folders = [p for p in (ROOT / "mapper").rglob("*.py") if p.parent.name != "__pycache__"]
    for module in folders:  # a module in a folder without __init__.py would be left out
        assert (module.parent / "__init__.py").exists() or module.parent.name == "static", module
