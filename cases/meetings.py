"""A joint meeting and its decisions (N2017 Art. 23: 联席会议应明确议定事项), followed up until done.

The meeting opens with its agenda (``cases.routines.agenda``) and the decisions of earlier meetings
still open; the joint office (D5 §二: it runs the linkage day to day) or the leadership group of its
region records each decision as an item with an owner agency and a due date, and closes the meeting.
Each decision's owner is reminded ``remind_before`` its due instant (24:00 of its due date, as a
period in days ends), and at the due instant the joint office is told that it is overdue; the owner
(or the joint office) marks it done. The meeting is done when it is closed and every decision is.

Who may do what, and the follow-up instants, are decided here once; ``workflows.routines`` holds the
state and enforces them in its Update validators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from cases.agencies import AgencyKind, AgencyRegistry
from cases.calendar import end_of_day, local_date
from cases.context import Reason, Refusal
from cases.limits import AgencyCode, Note, Title
from cases.model import Actor
from cases.routines import Agenda
from cases.vocabulary import Role

# A meeting takes at most this many decisions: its state (and the workflow's history) stays small.
MAX_DECISIONS = 50
CONVENERS = frozenset({AgencyKind.JOINT_OFFICE, AgencyKind.LEADERSHIP_GROUP})
CONVENER_ROLES = frozenset({Role.COORDINATOR, Role.LEADER})


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"  # its Schedule fired; it opens at its working occurrence
    OPEN = "open"  # the agenda is out; decisions are being recorded
    CLOSED = "closed"  # no more decisions; those recorded are followed up
    DONE = "done"  # closed, and every decision done


class FollowUpKind(StrEnum):
    REMINDER = "reminder"  # to the owner, before the due instant
    OVERDUE = "overdue"  # to the joint office and the owner, at the due instant


@dataclass
class DecisionBody:
    """A decision as the meeting records it (议定事项): what, who, by when."""

    title: Title
    owner: AgencyCode  # the agency that carries it out
    due_on: date  # its due date: it is due at 24:00 of that day (Asia/Shanghai)
    note: Note = ""


@dataclass
class DecisionRequest:
    actor: Actor
    body: DecisionBody


@dataclass
class DoneRequest:
    actor: Actor
    decision_id: Annotated[str, Field(pattern=r"^d[0-9]{1,3}$")]
    note: Note = ""


@dataclass
class CloseRequest:
    actor: Actor
    summary: Note = ""  # the minutes' summary (会议纪要)


@dataclass
class Decision:
    decision_id: str
    title: str
    owner: str
    due_at: datetime
    recorded_at: datetime
    recorded_by: Actor
    note: str = ""
    done_at: datetime | None = None
    done_by: Actor | None = None
    done_note: str = ""
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None  # when the joint office was told it is overdue

    def remind_at(self, remind_before: timedelta) -> datetime | None:
        """When its owner is reminded: none when it was recorded closer to its due instant than that."""
        at = self.due_at - remind_before
        return at if at > self.recorded_at else None


@dataclass
class OpenDecision:
    """A decision of an earlier meeting, not yet done: the next meeting takes it up again."""

    meeting_id: str
    decision_id: str
    title: str
    owner: str
    due_at: datetime


@dataclass
class MeetingState:
    """The whole state of one meeting: what its workflow holds, its query returns and the read model
    keeps."""

    meeting_id: str
    mechanism: str
    region: str
    routine: str
    period: str
    title_zh: str
    title_en: str
    source: str
    opens_at: datetime
    covers_from: datetime
    covers_to: datetime
    convener: str | None  # the region's joint office
    participants: list[str]
    remind_before: timedelta
    status: MeetingStatus = MeetingStatus.SCHEDULED
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    done_at: datetime | None = None
    agenda: Agenda = field(default_factory=Agenda)
    carried_over: list[OpenDecision] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    summary: str = ""
    seq: int = 0  # changes so far: the read model keeps the latest
    source_zh: str = ""  # the source in Chinese, for the dashboard's Chinese page

    def decision(self, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.decision_id == decision_id), None)


def may_convene(actor: Actor, registry: AgencyRegistry, region: str) -> bool:
    """The region's joint office coordinators and leadership group leaders run its meetings."""
    agency = registry.find(actor.agency)
    return (
        agency is not None
        and agency.kind in CONVENERS
        and agency.region == region
        and actor.role in CONVENER_ROLES
    )


def _refused(reason: Reason, message: str) -> Refusal:
    return Refusal(reason, message)


LONGEST = timedelta(days=731)  # a decision further off is no follow-up the meetings can hold


def check_record(
    state: MeetingState,
    request: DecisionRequest,
    registry: AgencyRegistry,
    now: datetime,
) -> Refusal | None:
    """May ``request`` record a decision now, and why not."""
    if state.status is MeetingStatus.SCHEDULED:
        return _refused(Reason.WRONG_STAGE, "the meeting has not opened yet")
    if state.status is not MeetingStatus.OPEN:
        return _refused(
            Reason.CASE_CLOSED, "the meeting is closed: decisions are recorded while it is open"
        )
    if not may_convene(request.actor, registry, state.region):
        return _refused(
            Reason.ROLE_NOT_PERMITTED,
            "decisions are recorded by the joint office's coordinators or the leadership group's leaders of the meeting's region",
        )
    owner = registry.find(request.body.owner)
    if owner is None:
        return _refused(Reason.UNKNOWN_AGENCY, f"no agency '{request.body.owner}' in the registry")
    if owner.region != state.region:
        return _refused(
            Reason.INVALID_PAYLOAD,
            "owner: a decision goes to an agency of the meeting's region, which can see it",
        )
    if request.body.due_on <= local_date(now):
        return _refused(Reason.INVALID_PAYLOAD, "a decision's due date is a day after today")
    if request.body.due_on > local_date(now) + LONGEST:
        return _refused(
            Reason.INVALID_PAYLOAD,
            "due_on: a decision is due within two years, by the next meetings",
        )
    if len(state.decisions) >= MAX_DECISIONS:
        return _refused(
            Reason.LIMIT_REACHED, f"a meeting records at most {MAX_DECISIONS} decisions"
        )
    return None


def check_close(state: MeetingState, actor: Actor, registry: AgencyRegistry) -> Refusal | None:
    if state.status is MeetingStatus.SCHEDULED:
        return _refused(Reason.WRONG_STAGE, "the meeting has not opened yet")
    if state.status is not MeetingStatus.OPEN:
        return _refused(Reason.ALREADY_DONE, "the meeting is already closed")
    if not may_convene(actor, registry, state.region):
        return _refused(
            Reason.ROLE_NOT_PERMITTED,
            "the joint office's coordinators or the leadership group's leaders close the meeting",
        )
    return None


def check_done(
    state: MeetingState, request: DoneRequest, registry: AgencyRegistry
) -> Refusal | None:
    decision = state.decision(request.decision_id)
    if decision is None:
        return _refused(
            Reason.INVALID_PAYLOAD, f"no decision '{request.decision_id}' in this meeting"
        )
    if decision.done_at is not None:
        return _refused(Reason.ALREADY_DONE, "the decision is already done")
    owner = request.actor.agency == decision.owner and request.actor.role is not Role.INTAKE
    if not owner and not may_convene(request.actor, registry, state.region):
        return _refused(
            Reason.ROLE_NOT_PERMITTED,
            "the decision's owner agency, or the joint office, marks it done",
        )
    return None


def open_meeting(
    state: MeetingState, agenda: Agenda, carried_over: list[OpenDecision], now: datetime
) -> None:
    state.agenda = agenda
    state.carried_over = carried_over
    state.status = MeetingStatus.OPEN
    state.opened_at = now
    state.seq += 1


def record_decision(state: MeetingState, request: DecisionRequest, now: datetime) -> Decision:
    body = request.body
    decision = Decision(
        decision_id=f"d{len(state.decisions) + 1}",
        title=body.title,
        owner=body.owner,
        due_at=end_of_day(body.due_on),
        recorded_at=now,
        recorded_by=request.actor,
        note=body.note,
    )
    state.decisions.append(decision)
    state.seq += 1
    return decision


def close_meeting(state: MeetingState, request: CloseRequest, now: datetime) -> None:
    state.status = MeetingStatus.CLOSED
    state.closed_at = now
    state.summary = request.summary
    state.seq += 1
    settle(state, now)


def mark_done(state: MeetingState, request: DoneRequest, now: datetime) -> Decision:
    decision = state.decision(request.decision_id)
    assert decision is not None  # the validator checked it
    decision.done_at = now
    decision.done_by = request.actor
    decision.done_note = request.note
    state.seq += 1
    settle(state, now)
    return decision


def settle(state: MeetingState, now: datetime) -> None:
    """A closed meeting whose decisions are all done is done."""
    if state.status is MeetingStatus.CLOSED and all(d.done_at for d in state.decisions):
        state.status = MeetingStatus.DONE
        state.done_at = now


@dataclass(frozen=True)
class FollowUp:
    at: datetime
    decision_id: str
    kind: FollowUpKind


def follow_ups(state: MeetingState) -> list[FollowUp]:
    """Every follow-up still to come, earliest first: a reminder not yet sent and the overdue notice
    of each decision not done."""
    pending: list[FollowUp] = []
    for d in state.decisions:
        if d.done_at is not None:
            continue
        remind = d.remind_at(state.remind_before)
        if remind is not None and d.reminded_at is None:
            pending.append(FollowUp(remind, d.decision_id, FollowUpKind.REMINDER))
        if d.overdue_at is None:
            pending.append(FollowUp(d.due_at, d.decision_id, FollowUpKind.OVERDUE))
    return sorted(pending, key=lambda f: (f.at, f.decision_id, f.kind.value))


def next_follow_up(state: MeetingState) -> datetime | None:
    pending = follow_ups(state)
    return pending[0].at if pending else None


def fire_follow_ups(state: MeetingState, now: datetime) -> list[FollowUp]:
    """The follow-ups due by ``now``, marked sent (a reminder whose overdue notice is also due is
    not sent: the notice says more)."""
    due = [f for f in follow_ups(state) if f.at <= now]
    overdue = {f.decision_id for f in due if f.kind is FollowUpKind.OVERDUE}
    fired: list[FollowUp] = []
    for f in due:
        decision = state.decision(f.decision_id)
        assert decision is not None
        if f.kind is FollowUpKind.REMINDER:
            decision.reminded_at = now
            if f.decision_id in overdue:
                continue
        else:
            decision.overdue_at = now
        fired.append(f)
    if due:
        state.seq += 1
    return fired
