"""Errors raised while loading the domain's data files.

A broken data file must stop start-up with a message that names the file, the entry and the problem,
so that whoever edited it can fix it without reading a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A data file (agency registry, mechanism profile, calendar year) is malformed."""

    def __init__(self, file: Path | str, where: str, problem: str) -> None:
        self.file = str(file)
        self.where = where
        self.problem = problem
        location = f"{self.file}: {where}" if where else self.file
        super().__init__(f"{location}: {problem}")


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Read one data file; a missing or unparsable file is a ConfigError naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "", f"{what} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
