"""The clock engine: which clocks events start, stop, pause, restart, resume and extend, and what is
due when.

Pure functions over the case state and the mechanism profile. The workflow turns :func:`next_wakeup`
into a durable timer and, when it fires, asks :func:`fire` what happened: reminders before a breach,
the breach, and each rung of the escalation ladder. An escalated clock stays escalated until its owner
acts (the action stops the clock); the level is kept on the clock and on the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cases.calendar import default_calendar, due_instant
from cases.context import Context
from cases.model import CaseState, ClockState
from cases.parties import holders
from cases.profile import ClockSpec, Period, Profile
from cases.vocabulary import Event, Role


class TickKind(StrEnum):
    REMINDER = "reminder"
    BREACH = "breach"
    ESCALATION = "escalation"


@dataclass
class Tick:
    """Something a clock did at an instant: what the owner and the rungs are told."""

    kind: TickKind
    clock: ClockState
    at: datetime
    level: int = 0
    to: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Happening:
    """An event at an instant, with the request it concerns for per-request clocks."""

    event: Event
    ref: str | None = None
    extension: str | None = None  # which extension an EXTENSION_APPROVED event approves


def _key(spec: ClockSpec, ref: str | None) -> str:
    return f"{spec.name}:{ref}" if spec.per_request else spec.name


def _owner(state: CaseState, spec: ClockSpec, ctx: Context, ref: str | None) -> str:
    if spec.per_request and ref is not None:
        for request in state.requests:
            if request.request_id == ref:
                return request.agency
    found = holders(state, spec.owner, ctx.registry)
    return found[0] if found else ""


def _schedule(
    clock: ClockState, spec: ClockSpec, period: Period, start: datetime, ctx: Context, now: datetime
) -> None:
    """(Re)count the clock's period from ``start``; reminders already past are not sent late.

    A new due instant in the future clears the breach and the escalation: the period runs again.
    One already past (an extension approved too late) keeps them: the clock stays breached and its
    ladder goes on from where it stood, instead of breaching and escalating a second time.
    """
    due = due_instant(start, period.length, period.unit, ctx.calendar or default_calendar())
    clock.length = period.length
    clock.unit = period.unit
    clock.due_at = due.at
    clock.provisional = due.provisional
    clock.reminders_sent = sum(1 for r in spec.reminders if clock.due_at - r <= now)
    if due.at > now:
        clock.breached_at = None
        clock.escalation_level = 0
        clock.escalated_to = {}


def start_clock(
    state: CaseState, spec: ClockSpec, ctx: Context, ref: str | None = None
) -> ClockState:
    """A clock starts on its event; one "自发现之日起" counts from the discovery (D5 §三.3, D6 §一(三)),
    so a case opened late already has less of its period left."""
    at = min(state.discovered_at, ctx.now) if spec.from_discovery else ctx.now
    period = spec.period_for(urgent=state.facts.urgent)
    clock = ClockState(
        ordinal=state.clocks_started,
        key=_key(spec, ref),
        name=spec.name,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        owner_party=spec.owner,
        owner_agency=_owner(state, spec, ctx, ref),
        owner_role=spec.owner_role,
        started_at=at,
        length=period.length,
        unit=period.unit,
        due_at=at,
        source=spec.source,
        statutory=spec.statutory,
    )
    state.clocks_started += 1
    _schedule(clock, spec, period, at, ctx, ctx.now)
    return clock


def _matches(clock: ClockState, spec: ClockSpec, happening: Happening) -> bool:
    return not spec.per_request or clock.key == _key(spec, happening.ref)


def on_events(state: CaseState, happenings: list[Happening], ctx: Context) -> list[ClockState]:
    """Apply what happened (at ``ctx.now``) to the case's clocks; returns the clocks that started."""
    at = ctx.now
    started: list[ClockState] = []
    for happening in happenings:
        event = happening.event
        for clock in state.open_clocks():
            spec = ctx.profile.clocks.get(clock.name)
            if spec is None or not _matches(clock, spec, happening):
                continue
            if event in spec.stops_on:
                clock.closed_at = at
                clock.closed_by = event.value
                clock.paused_at = None
            elif event in spec.pauses_on and clock.paused_at is None:
                clock.paused_at = at
            elif event in spec.restarts_on:
                # In full: the period the clock has now, an approved extension included.
                clock.paused_at = None
                clock.started_at = at
                _schedule(clock, spec, Period(clock.length, clock.unit), at, ctx, at)
            elif event in spec.resumes_on and clock.paused_at is not None:
                # The time it stood still does not count (N2017 Art. 16): what was left, from now.
                clock.due_at = at + (clock.due_at - clock.paused_at)
                clock.paused_at = None
            elif event in spec.extended_on and happening.extension:
                period = ctx.profile.extensions[happening.extension].period
                _schedule(clock, spec, period, clock.started_at, ctx, at)
        for spec in ctx.profile.clocks_on(event):
            if spec.per_request and happening.ref is None:
                continue
            if spec.starts_in and state.stage not in spec.starts_in:
                continue
            if spec.tracks and ctx.profile.track_of(state.classification) not in spec.tracks:
                continue
            if state.clock(_key(spec, happening.ref)) is None:
                clock = start_clock(state, spec, ctx, happening.ref)
                state.clocks.append(clock)
                started.append(clock)
    return started


def close_all(state: CaseState, at: datetime, why: str) -> None:
    for clock in state.open_clocks():
        clock.closed_at = at
        clock.closed_by = why


def reassign(state: CaseState, ctx: Context) -> None:
    """A new owner (a jurisdiction transfer) gets a fresh clock for every move it now holds."""
    at = ctx.now
    for clock in state.open_clocks():
        spec = ctx.profile.clocks.get(clock.name)
        if spec is None:
            continue
        owner = _owner(state, spec, ctx, clock.key.partition(":")[2] or None)
        if owner != clock.owner_agency:
            clock.owner_agency = owner
            clock.started_at = at
            clock.paused_at = None
            _schedule(clock, spec, Period(clock.length, clock.unit), at, ctx, at)


def recount(state: CaseState, ctx: Context) -> None:
    """A new calendar (a newly published year): count the open calendar clocks again."""
    at = ctx.now
    for clock in state.open_clocks():
        spec = ctx.profile.clocks.get(clock.name)
        if spec is None or not clock.unit.is_calendar:
            continue
        due = due_instant(
            clock.started_at, clock.length, clock.unit, ctx.calendar or default_calendar()
        )
        if due.at != clock.due_at and clock.breached_at is None:
            period = Period(clock.length, clock.unit)
            _schedule(clock, spec, period, clock.started_at, ctx, at)
        clock.provisional = due.provisional


def _moments(clock: ClockState, spec: ClockSpec) -> list[datetime]:
    """The instants at which this clock has something left to do."""
    moments = [clock.due_at - r for r in spec.reminders[clock.reminders_sent :]]
    if clock.breached_at is None:
        moments.append(clock.due_at)
    moments.extend(clock.due_at + rung.after for rung in spec.escalation[clock.escalation_level :])
    return moments


def next_wakeup(state: CaseState, profile: Profile) -> datetime | None:
    instants = [
        moment
        for clock in state.open_clocks()
        if clock.paused_at is None and clock.name in profile.clocks
        for moment in _moments(clock, profile.clocks[clock.name])
    ]
    return min(instants, default=None)


def fire(state: CaseState, ctx: Context) -> list[Tick]:
    """Everything the clocks have to do up to ``ctx.now``, in order, with the state updated."""
    now = ctx.now
    ticks: list[Tick] = []
    for clock in state.open_clocks():
        spec = ctx.profile.clocks.get(clock.name)
        if spec is None or clock.paused_at is not None:
            continue
        while clock.reminders_sent < len(spec.reminders):
            at = clock.due_at - spec.reminders[clock.reminders_sent]
            if at > now:
                break
            clock.reminders_sent += 1
            if at >= clock.started_at:
                ticks.append(Tick(TickKind.REMINDER, clock, at, to=[clock.owner_agency]))
        if clock.breached_at is None and clock.due_at <= now:
            clock.breached_at = clock.due_at
            ticks.append(Tick(TickKind.BREACH, clock, clock.due_at, to=[clock.owner_agency]))
        while clock.escalation_level < len(spec.escalation):
            rung = spec.escalation[clock.escalation_level]
            at = clock.due_at + rung.after
            if at > now:
                break
            clock.escalation_level += 1
            ref = (clock.key.partition(":")[2] or None) if spec.per_request else None
            to = holders(state, rung.to, ctx.registry, ref)
            for agency in to:
                clock.escalated_to.setdefault(agency, at)
            ticks.append(Tick(TickKind.ESCALATION, clock, at, clock.escalation_level, to))
    ticks.sort(key=lambda t: t.at)
    return ticks


def to_record(state: CaseState, since: datetime | None) -> list[ClockState]:
    """The clocks the read model needs after the transitions since ``since``: every open clock, and
    those closed at or after it (the read model keeps every clock; the case keeps the newest)."""
    return [c for c in state.clocks if c.closed_at is None or since is None or c.closed_at >= since]


def trim(state: CaseState, keep: int) -> None:
    """Forget all but the newest ``keep`` closed clocks once the read model has them."""
    closed = [c for c in state.clocks if c.closed_at is not None]
    if len(closed) > keep:
        forgotten = {id(c) for c in closed[: len(closed) - keep]}
        state.clocks = [c for c in state.clocks if id(c) not in forgotten]


def next_deadline(state: CaseState) -> datetime | None:
    return min((c.due_at for c in state.open_clocks() if c.paused_at is None), default=None)


def next_clock(state: CaseState) -> ClockState | None:
    """The running clock due first (the one ``next_deadline`` names), of a known holder."""
    running = [c for c in state.open_clocks() if c.paused_at is None and c.owner_agency]
    return min(running, key=lambda c: (c.due_at, c.ordinal), default=None)


def whose_move(state: CaseState) -> tuple[str | None, Role | None]:
    """Who the case waits for: the holder of its next due clock, agency and role (the police, while
    they decide on acceptance or filing, though the case is the bureau's). With no clock running
    (evidence being gathered, a consultation), the owning agency's officers, who carry it; once
    closed, nobody."""
    if state.stage.closed:
        return None, None
    clock = next_clock(state)
    if clock is not None:
        return clock.owner_agency, clock.owner_role
    return state.owner_agency, Role.OFFICER


def escalation_level(state: CaseState) -> int:
    return max((c.escalation_level for c in state.open_clocks()), default=0)


__all__ = [
    "Happening",
    "Tick",
    "TickKind",
    "close_all",
    "escalation_level",
    "fire",
    "next_clock",
    "next_deadline",
    "next_wakeup",
    "on_events",
    "reassign",
    "recount",
    "start_clock",
    "to_record",
    "trim",
    "whose_move",
]
