"""Named errors that say where a problem is: the file, the line and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem found in a dataset, printed as ``file:line: field: message``.

    Parameters
    ----------
    file
        The file the problem is in (as given, usually relative to the dataset).
    line
        The 1-based line number in that file, or ``None`` for the whole file.
    field
        The column or key at fault, or ``None``.
    message
        What is wrong, in a sentence a person can act on.
    severity
        ``"error"`` (the dataset cannot be used) or ``"warning"``.
    """

    file: str
    line: int | None
    field: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{what}"


class MapperError(Exception):
    """Base class of every error this package raises on purpose."""


class DatasetError(MapperError, ValueError):
    """A dataset cannot be loaded; ``problems`` lists every error found.

    Parameters
    ----------
    problems
        The problems, in file and line order.
    path
        The dataset folder.
    """

    def __init__(self, problems: list[Problem], path: Path | str | None = None) -> None:
        self.problems = list(problems)
        self.path = Path(path) if path is not None else None
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in dataset {self.path}" if self.path else "invalid dataset"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in errors))


class GeocodeError(MapperError, LookupError):
    """A place name could not be resolved to coordinates."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field = file, line, field
        where = ""
        if file:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
            if field:
                where += f"{field}: "
        super().__init__(where + message)
