"""Reading the values of a TOML table as the domain's words (text, flags, counts, events, stages,
periods, durations, item kinds), each problem a ConfigError naming the file and the place, so that
whoever edited the file can fix it without reading a traceback."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from cases.calendar import Unit
from cases.checklists import CATALOGUE
from cases.errors import ConfigError
from cases.profile import Period, parse_duration
from cases.vocabulary import Event, Stage, Track

E = TypeVar("E", bound=StrEnum)


class TableReader:
    """The value readers a profile's reader is built on."""

    def __init__(self, file: Path, raw: dict[str, Any], demo: bool) -> None:
        self.file = file
        self.raw = raw
        self.demo = demo

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(self.file, where, problem)

    def text(
        self, table: Mapping[str, Any], key: str, where: str, *, optional: bool = False
    ) -> str:
        value = table.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"'{key}' is missing or not text")
        return value.strip()

    def boolean(
        self, table: Mapping[str, Any], key: str, where: str, *, default: bool | None = None
    ) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false")
        return value

    def strings(
        self, table: Mapping[str, Any], key: str, where: str, *, optional: bool = False
    ) -> list[str]:
        value = table.get(key)
        if value is None and optional:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, f"'{key}' must be a list of text")
        return value

    def count(self, table: Mapping[str, Any], key: str, where: str) -> int:
        """A whole number, 0 when absent (a profile from before the key existed)."""
        value = table.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(where, f"'{key}' must be a whole number, got {value!r}")
        return value

    def events(
        self, table: Mapping[str, Any], key: str, where: str, *, optional: bool = False
    ) -> frozenset[Event]:
        result = set()
        for value in self.strings(table, key, where, optional=optional):
            try:
                result.add(Event(value))
            except ValueError:
                raise self.fail(where, f"'{key}': unknown event '{value}'") from None
        if not result and not optional:
            raise self.fail(where, f"'{key}' needs at least one event")
        return frozenset(result)

    def period(self, table: Mapping[str, Any], where: str) -> Period:
        length = table.get("length")
        if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
            raise self.fail(where, f"'length' must be a positive whole number, got {length!r}")
        unit_text = table.get("unit")
        try:
            unit = Unit(str(unit_text))
        except ValueError:
            units = ", ".join(u.value for u in Unit)
            raise self.fail(where, f"unknown unit {unit_text!r} (one of: {units})") from None
        if unit.is_demo and not self.demo:
            raise self.fail(
                where, f"unit '{unit}' is for demonstration mechanisms only (set demo = true)"
            )
        return Period(length, unit)

    def duration(self, value: Any, where: str) -> timedelta:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def members(
        self, table: Mapping[str, Any], key: str, where: str, enum: type[E], what: str
    ) -> frozenset[E]:
        """An optional list of an enum's values, each checked."""
        found = set()
        for value in self.strings(table, key, where, optional=True):
            try:
                found.add(enum(value))
            except ValueError:
                raise self.fail(where, f"'{key}': unknown {what} '{value}'") from None
        return frozenset(found)

    def stages(self, table: Mapping[str, Any], key: str, where: str) -> frozenset[Stage]:
        return self.members(table, key, where, Stage, "stage")

    def tracks(self, table: Mapping[str, Any], key: str, where: str) -> frozenset[Track]:
        return self.members(table, key, where, Track, "track")

    def checklist_keys(self, keys: list[str], where: str) -> tuple[str, ...]:
        for key in keys:
            if key not in CATALOGUE:
                raise self.fail(where, f"unknown item kind '{key}'")
        if len(set(keys)) != len(keys):
            raise self.fail(where, "an item is listed twice")
        return tuple(keys)
