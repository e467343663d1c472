"""mapper: interactive maps of territorial change from places, dated events and sources."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from mapper.dataset import CONTESTED, Dataset, Faction, load_dataset, validate
from mapper.errors import DatasetError, GeocodeError, Problem

try:
    __version__ = version("mapper")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CONTESTED",
    "Dataset",
    "DatasetError",
    "Faction",
    "GeocodeError",
    "Problem",
    "__version__",
    "load_dataset",
    "validate",
]
