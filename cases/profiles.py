"""Mechanism profiles: which process a linkage mechanism runs and every clock of it, as data.

A profile (``data/mechanisms/<name>.toml``) sets its stages and branches; each clock's owner, start
and stop events, length and unit, reminder points, escalation ladder and source (or "not statutory");
its referral checklist; whether a request for supplements blocks acceptance; and the exceedance
arithmetic of triage. A profile may ``extends`` another and override parts of it (``demo-fast`` is
``env-police`` with clocks of seconds and minutes).

Profiles are loaded and validated at start-up; a malformed profile stops start-up with a message naming
the file, the clock and the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cases.actions import Branch, Event
from cases.calendar import Unit
from cases.checklists import CATALOGUE
from cases.errors import ConfigError, read_toml
from cases.model import CORE_STAGES, Classification, ExceedanceArithmetic, Party, Role, Stage

MECHANISMS_DIR = Path(__file__).parent / "data" / "mechanisms"
DEFAULT_MECHANISM = "env-police"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

ESCALATION_TARGETS = frozenset(
    {Party.JOINT_OFFICE, Party.LEADERSHIP_GROUP, Party.PROCURATORATE, Party.COUNTY_GOVERNMENT}
)
# Events that concern one request among several: clocks on them run once per request.
PER_REQUEST_EVENTS = frozenset(
    {
        Event.TEST_REQUESTED,
        Event.TEST_ANSWERED,
        Event.APPRAISAL_REQUESTED,
        Event.APPRAISAL_ANSWERED,
        Event.REQUEST_FAILED,
    }
)
# A stage that exists only when its branch is switched on.
STAGE_BRANCH = {
    Stage.RECONSIDERATION: Branch.RECONSIDERATION,
    Stage.SUPERVISION: Branch.PROCURATORATE_SUPERVISION,
}
OPTIONAL_STAGES = frozenset({Stage.RECONSIDERATION, Stage.SUPERVISION, Stage.HANDOVER})


def parse_duration(text: str) -> timedelta:
    """'1d', '12h', '1d12h', '30m', '45s', '0s'."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not text.strip():
        raise ValueError(f"{text!r} is not a duration (write e.g. '1d', '12h', '30m', '45s')")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class Period:
    length: int
    unit: Unit


@dataclass(frozen=True)
class Rung:
    """One step of an escalation ladder: to whom, and how long after the breach."""

    to: Party
    after: timedelta


@dataclass(frozen=True)
class ClockSpec:
    name: str
    title_zh: str
    title_en: str
    owner: Party
    owner_role: Role
    starts_on: frozenset[Event]
    stops_on: frozenset[Event]
    pauses_on: frozenset[Event]
    restarts_on: frozenset[Event]  # the period starts again in full (补正)
    extended_on: frozenset[Event]  # an approved extension replaces the period
    period: Period
    urgent: Period | None  # the period when the case is urgent (D6: 24 hours)
    reminders: tuple[timedelta, ...]  # before the due instant, latest last
    escalation: tuple[Rung, ...]
    statutory: bool
    source: str
    per_request: bool

    def period_for(self, *, urgent: bool) -> Period:
        return self.urgent if urgent and self.urgent is not None else self.period


@dataclass(frozen=True)
class Extension:
    name: str
    period: Period
    source: str


@dataclass(frozen=True)
class Window:
    """How long a party may still exercise a right (not a duty: no escalation)."""

    name: str
    period: Period
    source: str


@dataclass(frozen=True)
class TriageRules:
    arithmetic: ExceedanceArithmetic
    arithmetic_note: str
    exceedance_threshold: float
    repeat_threshold: int


@dataclass(frozen=True)
class Profile:
    name: str
    title_zh: str
    title_en: str
    description: str
    sources: tuple[str, ...]
    demo: bool
    referring_kinds: tuple[str, ...]
    stages: tuple[Stage, ...]
    branches: frozenset[Branch]
    supplements_block_acceptance: bool
    copy_procuratorate: bool
    triage: TriageRules
    referral_required: tuple[str, ...]
    referral_optional: tuple[str, ...]
    referral_source: str
    evidence_checklists: Mapping[Classification, tuple[str, ...]]
    evidence_source: str
    clocks: Mapping[str, ClockSpec]
    windows: Mapping[str, Window]
    extensions: Mapping[str, Extension]
    file: str

    def has(self, branch: Branch) -> bool:
        return branch in self.branches

    def has_stage(self, stage: Stage) -> bool:
        return stage in self.stages

    def clocks_on(self, event: Event) -> list[ClockSpec]:
        return [c for c in self.clocks.values() if event in c.starts_on]


# --------------------------------------------------------------------------------------------------
# Loading


_TOP_KEYS = {
    "name", "title_zh", "title_en", "description", "sources", "extends", "demo", "referring_kinds",
    "stages", "branches", "supplements_block_acceptance", "copy_procuratorate", "triage",
    "referral_checklist", "evidence_checklist", "clocks", "windows", "extensions", "removed_clocks",
}  # fmt: skip
_CLOCK_KEYS = {
    "title_zh", "title_en", "owner", "owner_role", "starts_on", "stops_on", "pauses_on",
    "restarts_on", "extended_on", "length", "unit", "urgent", "reminders", "escalation",
    "statutory", "source",
}  # fmt: skip
_MERGED_TABLES = ("triage", "referral_checklist", "evidence_checklist", "windows", "extensions")


class _Reader:
    """Reads one profile's raw table, turning every problem into a ConfigError naming the place."""

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

    def boolean(self, table: Mapping[str, Any], key: str, where: str) -> bool:
        value = table.get(key)
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

    def clock(self, name: str, table: Any) -> ClockSpec:
        where = f"clock '{name}'"
        if not isinstance(table, dict):
            raise self.fail(where, "must be a table [clocks.<name>]")
        extra = set(table) - _CLOCK_KEYS
        if extra:
            raise self.fail(where, f"unknown keys {sorted(extra)}")
        try:
            owner = Party(str(table.get("owner")))
        except ValueError:
            raise self.fail(where, f"unknown owner {table.get('owner')!r}") from None
        try:
            owner_role = Role(table.get("owner_role", "officer"))
        except ValueError:
            raise self.fail(where, f"unknown owner_role {table.get('owner_role')!r}") from None
        starts_on = self.events(table, "starts_on", where)
        stops_on = self.events(table, "stops_on", where)
        pauses_on = self.events(table, "pauses_on", where, optional=True)
        restarts_on = self.events(table, "restarts_on", where, optional=True)
        extended_on = self.events(table, "extended_on", where, optional=True)
        if starts_on & stops_on:
            raise self.fail(where, f"events both start and stop it: {sorted(starts_on & stops_on)}")
        if bool(pauses_on) != bool(restarts_on):
            raise self.fail(where, "a clock that pauses must also say what restarts it, and back")
        per_request = bool(starts_on & PER_REQUEST_EVENTS)
        if per_request and not starts_on <= PER_REQUEST_EVENTS:
            raise self.fail(where, "a per-request clock must start only on request events")
        period = self.period(table, where)
        urgent = None
        if "urgent" in table:
            if not isinstance(table["urgent"], dict):
                raise self.fail(where, "'urgent' must be a table with length and unit")
            urgent = self.period(table["urgent"], f"{where} urgent")
        reminders_raw = table.get("reminders", [])
        if not isinstance(reminders_raw, list):
            raise self.fail(where, "'reminders' must be a list of durations before the due time")
        reminders = [self.duration(r, f"{where} reminders") for r in reminders_raw]
        if any(r <= timedelta(0) for r in reminders):
            raise self.fail(where, "reminders must be positive durations before the due time")
        if len(set(reminders)) != len(reminders):
            raise self.fail(where, "reminders repeat a point")
        ladder_raw = table.get("escalation", [])
        if not isinstance(ladder_raw, list) or not ladder_raw:
            raise self.fail(where, "'escalation' must list at least one rung {to, after}")
        ladder: list[Rung] = []
        for i, rung in enumerate(ladder_raw, start=1):
            rung_where = f"{where} escalation rung {i}"
            if not isinstance(rung, dict) or set(rung) - {"to", "after"}:
                raise self.fail(rung_where, "must be {to = ..., after = ...}")
            try:
                to = Party(str(rung.get("to")))
            except ValueError:
                to = None
            if to not in ESCALATION_TARGETS:
                targets = ", ".join(sorted(t.value for t in ESCALATION_TARGETS))
                raise self.fail(
                    rung_where, f"cannot escalate to {rung.get('to')!r} (one of: {targets})"
                )
            after = self.duration(rung.get("after", "0s"), rung_where)
            if ladder and after < ladder[-1].after:
                raise self.fail(rung_where, "rungs must come in order: 'after' may not go back")
            if any(r.to is to for r in ladder):
                raise self.fail(rung_where, f"'{to}' is already a rung of this ladder")
            ladder.append(Rung(to, after))
        statutory = self.boolean(table, "statutory", where)
        source = self.text(table, "source", where)
        return ClockSpec(
            name=name,
            title_zh=self.text(table, "title_zh", where),
            title_en=self.text(table, "title_en", where),
            owner=owner,
            owner_role=owner_role,
            starts_on=starts_on,
            stops_on=stops_on,
            pauses_on=pauses_on,
            restarts_on=restarts_on,
            extended_on=extended_on,
            period=period,
            urgent=urgent,
            reminders=tuple(sorted(reminders, reverse=True)),
            escalation=tuple(ladder),
            statutory=statutory,
            source=source,
            per_request=per_request,
        )

    def checklist_keys(self, keys: list[str], where: str) -> tuple[str, ...]:
        for key in keys:
            if key not in CATALOGUE:
                raise self.fail(where, f"unknown item kind '{key}'")
        if len(set(keys)) != len(keys):
            raise self.fail(where, "an item is listed twice")
        return tuple(keys)

    def profile(self) -> Profile:
        raw = self.raw
        extra = set(raw) - _TOP_KEYS
        if extra:
            raise self.fail("", f"unknown keys {sorted(extra)}")
        name = self.text(raw, "name", "")
        if not NAME_PATTERN.match(name):
            raise self.fail("", f"name {name!r} must be lower-case letters, digits and '-'")
        if self.file.stem != name:
            raise self.fail("", f"name '{name}' must match the file name '{self.file.stem}'")

        stages: list[Stage] = []
        for value in self.strings(raw, "stages", "stages"):
            try:
                stages.append(Stage(value))
            except ValueError:
                raise self.fail("stages", f"unknown stage '{value}'") from None
        missing_core = CORE_STAGES - set(stages)
        if missing_core:
            raise self.fail("stages", f"missing core stages {sorted(missing_core)}")
        branches: set[Branch] = set()
        for value in self.strings(raw, "branches", "branches"):
            try:
                branches.add(Branch(value))
            except ValueError:
                raise self.fail("branches", f"unknown branch '{value}'") from None
        for stage, branch in STAGE_BRANCH.items():
            if (stage in stages) != (branch in branches):
                raise self.fail(
                    "stages",
                    f"stage '{stage}' and branch '{branch}' go together: list both or neither",
                )

        triage_raw = raw.get("triage")
        if not isinstance(triage_raw, dict):
            raise self.fail("triage", "missing [triage] table")
        try:
            arithmetic = ExceedanceArithmetic(str(triage_raw.get("arithmetic")))
        except ValueError:
            raise self.fail(
                "triage",
                f"arithmetic must be 'ratio' or 'excess', got {triage_raw.get('arithmetic')!r}",
            ) from None
        threshold = triage_raw.get("exceedance_threshold")
        repeat = triage_raw.get("repeat_threshold")
        if not isinstance(threshold, int | float) or isinstance(threshold, bool) or threshold <= 0:
            raise self.fail("triage", "'exceedance_threshold' must be a positive number")
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat <= 0:
            raise self.fail("triage", "'repeat_threshold' must be a positive whole number")
        triage = TriageRules(
            arithmetic, self.text(triage_raw, "arithmetic_note", "triage"), float(threshold), repeat
        )

        referral = raw.get("referral_checklist")
        if not isinstance(referral, dict):
            raise self.fail("referral_checklist", "missing [referral_checklist] table")
        referral_required = self.checklist_keys(
            self.strings(referral, "required", "referral_checklist"), "referral_checklist"
        )
        referral_optional = self.checklist_keys(
            self.strings(referral, "optional", "referral_checklist", optional=True),
            "referral_checklist",
        )
        if set(referral_required) & set(referral_optional):
            raise self.fail("referral_checklist", "an item is both required and optional")
        if not referral_required:
            raise self.fail("referral_checklist", "'required' lists nothing")

        evidence = raw.get("evidence_checklist")
        if not isinstance(evidence, dict):
            raise self.fail("evidence_checklist", "missing [evidence_checklist] table")
        evidence_lists = {
            c: self.checklist_keys(
                self.strings(evidence, c.value, "evidence_checklist"), "evidence_checklist"
            )
            for c in Classification
        }

        clocks_raw = raw.get("clocks")
        if not isinstance(clocks_raw, dict) or not clocks_raw:
            raise self.fail("clocks", "missing [clocks.<name>] tables")
        clocks = {name: self.clock(name, table) for name, table in clocks_raw.items()}

        windows: dict[str, Window] = {}
        for key, table in (raw.get("windows") or {}).items():
            where = f"window '{key}'"
            if not isinstance(table, dict):
                raise self.fail(where, "must be a table with length, unit and source")
            windows[key] = Window(key, self.period(table, where), self.text(table, "source", where))
        extensions: dict[str, Extension] = {}
        for key, table in (raw.get("extensions") or {}).items():
            where = f"extension '{key}'"
            if not isinstance(table, dict):
                raise self.fail(where, "must be a table with length, unit and source")
            extensions[key] = Extension(
                key, self.period(table, where), self.text(table, "source", where)
            )
        if (Branch.EXTENSION in branches) != bool(extensions):
            raise self.fail("extensions", "the extension branch and [extensions.*] go together")
        if Branch.RECONSIDERATION in branches and "reconsideration" not in windows:
            raise self.fail("windows", "the reconsideration branch needs [windows.reconsideration]")
        uses_extension = any(c.extended_on for c in clocks.values())
        if uses_extension and Branch.EXTENSION not in branches:
            raise self.fail(
                "clocks", "a clock is extended_on an event, but the extension branch is off"
            )

        return Profile(
            name=name,
            title_zh=self.text(raw, "title_zh", ""),
            title_en=self.text(raw, "title_en", ""),
            description=self.text(raw, "description", ""),
            sources=tuple(self.strings(raw, "sources", "sources")),
            demo=self.demo,
            referring_kinds=tuple(self.strings(raw, "referring_kinds", "referring_kinds")),
            stages=tuple(stages),
            branches=frozenset(branches),
            supplements_block_acceptance=self.boolean(raw, "supplements_block_acceptance", ""),
            copy_procuratorate=self.boolean(raw, "copy_procuratorate", ""),
            triage=triage,
            referral_required=referral_required,
            referral_optional=referral_optional,
            referral_source=self.text(referral, "source", "referral_checklist"),
            evidence_checklists=evidence_lists,
            evidence_source=self.text(evidence, "source", "evidence_checklist"),
            clocks=clocks,
            windows=windows,
            extensions=extensions,
            file=str(self.file),
        )


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """A child profile overrides its base key by key; clocks and the named tables merge one level deeper."""
    merged = {k: v for k, v in base.items() if k not in ("extends", "removed_clocks")}
    for key, value in child.items():
        if key == "clocks" and isinstance(value, dict) and isinstance(merged.get("clocks"), dict):
            clocks = dict(merged["clocks"])
            for name, table in value.items():
                if isinstance(table, dict) and isinstance(clocks.get(name), dict):
                    clocks[name] = {**clocks[name], **table}
                else:
                    clocks[name] = table
            merged["clocks"] = clocks
        elif (
            key in _MERGED_TABLES and isinstance(value, dict) and isinstance(merged.get(key), dict)
        ):
            merged[key] = {**merged[key], **value}
        elif key != "removed_clocks":
            merged[key] = value
    removed = child.get("removed_clocks", [])
    if isinstance(removed, list) and isinstance(merged.get("clocks"), dict):
        merged["clocks"] = {k: v for k, v in merged["clocks"].items() if k not in removed}
    return merged


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    raw = read_toml(path, "profile file")
    base_name = raw.get("extends")
    if base_name is None:
        return raw
    if not isinstance(base_name, str) or not NAME_PATTERN.match(base_name):
        raise ConfigError(path, "extends", f"{base_name!r} is not a profile name")
    base_path = path.with_name(f"{base_name}.toml")
    if base_path in seen or base_path == path:
        raise ConfigError(
            path, "extends", f"profiles extend each other in a loop through '{base_name}'"
        )
    if not base_path.exists():
        raise ConfigError(path, "extends", f"no profile '{base_name}' next to this file")
    base = _resolve(base_path, (*seen, path))
    removed = raw.get("removed_clocks", [])
    if not isinstance(removed, list) or not all(isinstance(r, str) for r in removed):
        raise ConfigError(path, "removed_clocks", "must be a list of clock names")
    for name in removed:
        if name not in base.get("clocks", {}):
            raise ConfigError(
                path, f"clock '{name}'", f"cannot be removed: '{base_name}' has no such clock"
            )
    return _merge(base, raw)


def resolved_raw(path: Path) -> dict[str, Any]:
    """A profile with its base merged in, as plain data: what a case carries in its history."""
    raw = _resolve(path)
    raw.pop("extends", None)
    raw.pop("removed_clocks", None)
    return raw


def load_profile(path: Path) -> Profile:
    raw = _resolve(path)
    base_name = read_toml(path, "profile file").get("extends")
    if isinstance(base_name, str):
        # A problem in the base is reported against the base's file, not against each child.
        load_profile(path.with_name(f"{base_name}.toml"))
    demo = raw.get("demo", False)
    if not isinstance(demo, bool):
        raise ConfigError(path, "demo", "must be true or false")
    return _Reader(path, raw, demo).profile()


def load_profiles(directory: Path = MECHANISMS_DIR) -> dict[str, Profile]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ConfigError(directory, "", "no mechanism profiles (*.toml) found")
    profiles = {p.name: p for p in (load_profile(f) for f in files)}
    if DEFAULT_MECHANISM not in profiles:
        raise ConfigError(directory, "", f"the default mechanism '{DEFAULT_MECHANISM}' is missing")
    return profiles


@cache
def default_profiles() -> dict[str, Profile]:
    return load_profiles()


def profile_data(name: str) -> dict[str, Any]:
    """The named shipped profile as plain data, for a new case to carry (see ``profile_from_data``)."""
    get_profile(name)  # validated, or UnknownMechanism
    return resolved_raw(MECHANISMS_DIR / f"{name}.toml")


_FROM_DATA: dict[str, Profile] = {}


def profile_from_data(data: dict[str, Any]) -> Profile:
    """Rebuild a profile from the data a case carries, so that a running case keeps the rules it
    started under even when the files change (and replays of its history stay deterministic)."""
    key = json.dumps(data, sort_keys=True, ensure_ascii=False)
    found = _FROM_DATA.get(key)
    if found is None:
        name = str(data.get("name", "profile"))
        demo = data.get("demo", False)
        found = _Reader(Path(f"{name}.toml"), dict(data), demo is True).profile()
        _FROM_DATA[key] = found
    return found


class UnknownMechanism(KeyError):
    pass


def get_profile(name: str) -> Profile:
    try:
        return default_profiles()[name]
    except KeyError:
        raise UnknownMechanism(name) from None
