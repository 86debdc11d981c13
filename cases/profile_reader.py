"""Reading one mechanism profile: every problem becomes a ConfigError naming the file, the place and
the problem, so that whoever edited the file can fix it without reading a traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cases.agencies import AgencyKind
from cases.calendar import Unit
from cases.elements import ELEMENTS
from cases.errors import ConfigError
from cases.event_bulletins import read_event_bulletins
from cases.profile import (
    ESCALATION_TARGETS,
    NAME_PATTERN,
    PER_REQUEST_EVENTS,
    STAGE_BRANCH,
    ClockSpec,
    CrimeRules,
    Extension,
    Profile,
    ReportRules,
    Rung,
    TrackRules,
    TriageRules,
    Window,
)
from cases.routine_reader import read_routines
from cases.table_reader import TableReader
from cases.vocabulary import (
    CORE_STAGES,
    Branch,
    Classification,
    ExceedanceArithmetic,
    Party,
    Role,
    Stage,
    Track,
)

_TOP_KEYS = {
    "name", "title_zh", "title_en", "description", "sources", "extends", "demo", "referring_kinds",
    "stages", "branches", "supplements_block_acceptance", "copy_procuratorate", "triage",
    "acceptance_on_receipt", "base", "referral_team", "consultation_invites",
    "record_within_days", "written_consultation_to", "stalled_after",
    "referral_checklist", "evidence_checklist", "clocks", "windows", "extensions", "removed_clocks",
    "detention", "reports", "routines", "event_bulletins",
}  # fmt: skip
_REPORT_KEYS = {
    "length", "unit", "urgent", "reminders", "escalation", "statutory", "source", "source_zh",
    "identity_roles", "identity_source",
}  # fmt: skip
_DETENTION_KEYS = {
    "source", "referral_team", "acceptance_on_receipt", "copy_procuratorate", "referral_checklist",
    "windows",
}  # fmt: skip
_CLOCK_KEYS = {
    "title_zh", "title_en", "owner", "owner_role", "starts_on", "stops_on", "pauses_on",
    "restarts_on", "resumes_on", "extended_on", "length", "unit", "urgent", "reminders", "escalation",
    "statutory", "source", "source_zh", "from_discovery", "starts_in", "tracks",
}  # fmt: skip
_CRIME_KEYS = {
    "source", "arithmetic", "arithmetic_note", "three_times", "ten_times", "hazardous_waste_tonnes",
}  # fmt: skip
MERGED_TABLES = (
    "triage", "referral_checklist", "evidence_checklist", "windows", "extensions", "detention",
)  # fmt: skip


def check_clock_sources(file: Path, raw: dict[str, Any]) -> None:
    """A clock table of a profile's own file that sets ``source`` sets ``source_zh`` too: in a
    profile that ``extends`` another, the base's Chinese would otherwise stand beside another source.
    """
    clocks = raw.get("clocks")
    if not isinstance(clocks, dict):
        return
    for name, table in clocks.items():
        if isinstance(table, dict) and "source" in table and "source_zh" not in table:
            raise ConfigError(
                file,
                f"clock '{name}'",
                "'source_zh' is missing: a clock that sets its own 'source' gives it in Chinese too",
            )


class Reader(TableReader):
    """Reads one profile's raw table, turning every problem into a ConfigError naming the place.

    ``carried``: the profile a running case carries, which may be from before ``source_zh`` existed;
    its clocks' sources then stand in for their Chinese. A profile file must have every key.
    """

    def __init__(
        self, file: Path, raw: dict[str, Any], demo: bool, *, carried: bool = False
    ) -> None:
        super().__init__(file, raw, demo)
        self.carried = carried

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
        resumes_on = self.events(table, "resumes_on", where, optional=True)
        extended_on = self.events(table, "extended_on", where, optional=True)
        if starts_on & stops_on:
            raise self.fail(where, f"events both start and stop it: {sorted(starts_on & stops_on)}")
        if bool(pauses_on) != bool(restarts_on | resumes_on):
            raise self.fail(
                where, "a clock that pauses must also say what restarts or resumes it, and back"
            )
        per_request = bool(starts_on & PER_REQUEST_EVENTS)
        if per_request and not starts_on <= PER_REQUEST_EVENTS:
            raise self.fail(where, "a per-request clock must start only on request events")
        period = self.period(table, where)
        urgent = None
        if "urgent" in table:
            if not isinstance(table["urgent"], dict):
                raise self.fail(where, "'urgent' must be a table with length and unit")
            urgent = self.period(table["urgent"], f"{where} urgent")
        reminders = self.reminders(table, where)
        ladder = self.ladder(table, where)
        statutory = self.boolean(table, "statutory", where)
        source = self.text(table, "source", where)
        source_zh = self.text(table, "source_zh", where, optional=self.carried) or source
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
            resumes_on=resumes_on,
            extended_on=extended_on,
            period=period,
            urgent=urgent,
            reminders=reminders,
            escalation=ladder,
            statutory=statutory,
            source=source,
            source_zh=source_zh,
            per_request=per_request,
            from_discovery=self.boolean(table, "from_discovery", where, default=False),
            starts_in=self.stages(table, "starts_in", where),
            tracks=self.tracks(table, "tracks", where),
        )

    def reminders(self, table: dict[str, Any], where: str) -> tuple[timedelta, ...]:
        """Reminder points before a due instant, latest last."""
        reminders_raw = table.get("reminders", [])
        if not isinstance(reminders_raw, list):
            raise self.fail(where, "'reminders' must be a list of durations before the due time")
        reminders = [self.duration(r, f"{where} reminders") for r in reminders_raw]
        if any(r <= timedelta(0) for r in reminders):
            raise self.fail(where, "reminders must be positive durations before the due time")
        if len(set(reminders)) != len(reminders):
            raise self.fail(where, "reminders repeat a point")
        return tuple(sorted(reminders, reverse=True))

    def ladder(self, table: dict[str, Any], where: str) -> tuple[Rung, ...]:
        """An escalation ladder: to whom, how long after the breach, in order."""
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
        return tuple(ladder)

    def reports(self, table: Any) -> ReportRules | None:
        """``[reports]``: public reports before they become cases (``cases.reports``)."""
        if table is None:
            return None
        where = "reports"
        if not isinstance(table, dict):
            raise self.fail(where, "must be a table")
        extra = set(table) - _REPORT_KEYS
        if extra:
            raise self.fail(where, f"unknown keys {sorted(extra)}")
        urgent = table.get("urgent")
        if not isinstance(urgent, dict):
            raise self.fail(where, "'urgent' must be a table with length and unit")
        source = self.text(table, "source", where)
        return ReportRules(
            transfer=self.period(table, where),
            urgent=self.period(urgent, f"{where} urgent"),
            reminders=self.reminders(table, where),
            escalation=self.ladder(table, where),
            statutory=self.boolean(table, "statutory", where),
            source=source,
            source_zh=self.text(table, "source_zh", where, optional=self.carried) or source,
            identity_roles=frozenset(self.members(table, "identity_roles", where, Role, "role")),
            identity_source=self.text(table, "identity_source", where),
        )

    def stalled_after(self, raw: Any) -> Window | None:
        """How long a case may stand without a step where no clock runs before it is flagged."""
        if raw is None:
            return None
        where = "stalled_after"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table with length, unit and source")
        period = self.period(raw, where)
        if period.unit is Unit.WORKING_DAYS:  # compared as a span in the read model's queries
            raise self.fail(where, "count it in days or hours, not working days")
        return Window(where, period, self.text(raw, "source", where))

    def windows(self, raw: Any, where: str) -> dict[str, Window]:
        windows: dict[str, Window] = {}
        if raw is None:
            return windows
        if not isinstance(raw, dict):
            raise self.fail(where, "must be tables [<...>.windows.<name>]")
        for key, table in raw.items():
            at = f"{where} '{key}'"
            if not isinstance(table, dict):
                raise self.fail(at, "must be a table with length, unit and source")
            windows[key] = Window(key, self.period(table, at), self.text(table, "source", at))
        return windows

    def package(
        self, table: Any, where: str
    ) -> tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]:
        """A referral checklist's table, with its required and optional kinds."""
        if not isinstance(table, dict):
            raise self.fail(where, f"missing [{where}] table")
        required = self.checklist_keys(self.strings(table, "required", where), where)
        optional = self.checklist_keys(self.strings(table, "optional", where, optional=True), where)
        if set(required) & set(optional):
            raise self.fail(where, "an item is both required and optional")
        if not required:
            raise self.fail(where, "'required' lists nothing")
        return table, required, optional

    def detention(self, table: Any, stages: list[Stage]) -> TrackRules | None:
        """``[detention]``: the P2014 track for 治安 referrals, in a mechanism P2014 governs."""
        where = "detention"
        if table is None:
            return None
        if not isinstance(table, dict):
            raise self.fail(where, "must be a table [detention]")
        extra = set(table) - _DETENTION_KEYS
        if extra:
            raise self.fail(where, f"unknown keys {sorted(extra)}")
        if Stage.DETENTION_REVIEW not in stages:
            raise self.fail(
                "stages", "a mechanism with a [detention] track lists 'detention_review'"
            )
        checklist, required, optional = self.package(
            table.get("referral_checklist"), "detention.referral_checklist"
        )
        windows = self.windows(table.get("windows"), "detention.windows")
        for needed in ("supplement_request", "return"):
            if needed not in windows:
                raise self.fail("detention.windows", f"missing [detention.windows.{needed}]")
        return TrackRules(
            track=Track.DETENTION,
            source=self.text(table, "source", where),
            referral_team=self.count(table, "referral_team", where),
            referral_required=required,
            referral_optional=optional,
            referral_source=self.text(checklist, "source", "detention.referral_checklist"),
            referral_if_penalty=(),
            acceptance_on_receipt=self.boolean(table, "acceptance_on_receipt", where),
            copy_procuratorate=self.boolean(table, "copy_procuratorate", where),
            penalty_first=True,
            windows=windows,
        )

    def crime(self, table: Any) -> CrimeRules | None:
        """``[triage.j2023]``, or ``j2023 = false`` in a mechanism J2023 does not govern."""
        where = "triage.j2023"
        if table is False:
            return None
        if not isinstance(table, dict):
            raise self.fail(where, "must be a table, or false where J2023 does not apply")
        extra = set(table) - _CRIME_KEYS
        if extra:
            raise self.fail(where, f"unknown keys {sorted(extra)}")
        try:
            arithmetic = ExceedanceArithmetic(str(table.get("arithmetic")))
        except ValueError:
            raise self.fail(where, "arithmetic must be 'ratio' or 'excess'") from None
        lists = {}
        for key in ("three_times", "ten_times"):
            symbols = self.strings(table, key, where)
            unknown = [s for s in symbols if s not in ELEMENTS]
            if unknown:
                raise self.fail(where, f"'{key}': unknown elements {unknown}")
            lists[key] = frozenset(symbols)
        tonnes = table.get("hazardous_waste_tonnes")
        if not isinstance(tonnes, int | float) or isinstance(tonnes, bool) or tonnes <= 0:
            raise self.fail(where, "'hazardous_waste_tonnes' must be a positive number")
        return CrimeRules(
            source=self.text(table, "source", where),
            arithmetic=arithmetic,
            arithmetic_note=self.text(table, "arithmetic_note", where),
            three_times=lists["three_times"],
            ten_times=lists["ten_times"],
            hazardous_waste_tonnes=float(tonnes),
        )

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
            arithmetic,
            self.text(triage_raw, "arithmetic_note", "triage"),
            float(threshold),
            repeat,
            self.crime(triage_raw.get("j2023", False)),
        )

        referral, referral_required, referral_optional = self.package(
            raw.get("referral_checklist"), "referral_checklist"
        )

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

        windows = self.windows(raw.get("windows"), "windows")
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

        stalled_after = self.stalled_after(raw.get("stalled_after"))
        detention = self.detention(raw.get("detention"), stages)
        on_track = sorted(n for n, c in clocks.items() if Track.DETENTION in c.tracks)
        if on_track and detention is None:
            raise self.fail("clocks", f"clocks {on_track} run on a detention track it lacks")
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
            acceptance_on_receipt=self.boolean(raw, "acceptance_on_receipt", "", default=False),
            referral_team=self.count(raw, "referral_team", ""),
            consultation_invites=self.boolean(raw, "consultation_invites", "", default=False),
            record_within_days=self.count(raw, "record_within_days", ""),
            stalled_after=stalled_after,
            written_consultation_to=tuple(
                k.value
                for k in self.members(raw, "written_consultation_to", "", AgencyKind, "agency kind")
            ),
            triage=triage,
            referral_required=referral_required,
            referral_optional=referral_optional,
            referral_source=self.text(referral, "source", "referral_checklist"),
            referral_if_penalty=self.checklist_keys(
                self.strings(referral, "if_penalty_decided", "referral_checklist", optional=True),
                "referral_checklist",
            ),
            evidence_checklists=evidence_lists,
            evidence_source=self.text(evidence, "source", "evidence_checklist"),
            evidence_if_perishable=self.checklist_keys(
                self.strings(evidence, "if_perishable", "evidence_checklist", optional=True),
                "evidence_checklist",
            ),
            clocks=clocks,
            windows=windows,
            extensions=extensions,
            file=str(self.file),
            detention=detention,
            reports=self.reports(raw.get("reports")),
            routines=read_routines(self, raw.get("routines"), carried=self.carried),
            event_bulletins=read_event_bulletins(
                self, raw.get("event_bulletins"), carried=self.carried
            ),
        )
