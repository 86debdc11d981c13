"""Errors raised while loading the domain's data files.

A broken data file must stop start-up with a message that names the file, the entry and the problem,
so that whoever edited it can fix it without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A data file (agency registry, mechanism profile, calendar year) is malformed."""

    def __init__(self, file: Path | str, where: str, problem: str) -> None:
        self.file = str(file)
        self.where = where
        self.problem = problem
        location = f"{self.file}: {where}" if where else self.file
        super().__init__(f"{location}: {problem}")
