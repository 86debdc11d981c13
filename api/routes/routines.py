"""A mechanism's routines through the API (``cases.routines``): joint meetings and their decisions,
bulletins with their files, and the procuratorate's list of cases that should have been referred.

Who sees what follows the cases' rule (``api.access.scope_for``): procurators read all, coordinators
and leaders their region; any other key sees its region's meetings it takes part in (a participant,
or a decision's owner) and the bulletins sent to its agency. The procuratorate's list is for
procurators and the region's coordinators and leaders. What may be done is decided in the
workflows' validators (``cases.meetings``, ``cases.referral_watch``); a refusal is the same 403, 409
or 422 as a case's step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.access import scope_for
from api.deps import CurrentPrincipal, Services, ServicesDep
from api.engine import refused
from api.errors import RESPONSES, UNAVAILABLE, ApiError
from api.schemas import Plain, Public
from api.temporal import bounded, unavailable
from cases.event_bulletins import EventKind, late
from cases.limits import Note
from cases.meetings import (
    CloseRequest,
    DecisionBody,
    DecisionRequest,
    DoneRequest,
    MeetingState,
)
from cases.model import Actor
from cases.referral_watch import MarkOutcome, MarkRequest
from cases.routines import FIGURE_LABELS
from cases.vocabulary import Role
from store import routines as store
from store.principals import Principal
from store.queries import Scope, can_see
from store.tables import BulletinRow, MeetingRow, ReferralWatchRow

router = APIRouter(tags=["routines"], responses=RESPONSES)

ROUTINE_ID = r"^routine\.[a-z0-9][a-z0-9._-]*\.[A-Za-z0-9-]+$"
MeetingId = Annotated[str, Path(max_length=160, pattern=ROUTINE_ID, description="The meeting id.")]
BulletinId = Annotated[
    str, Path(max_length=160, pattern=ROUTINE_ID, description="The bulletin id.")
]
Format = Literal["html", "pdf", "csv", "xlsx"]


class AgendaLinePublic(Public):
    case_id: str
    reasons: list[str]  # escalated, overdue, key, stale
    stage: str
    owner_agency: str
    next_deadline: datetime | None = None
    escalation_level: int = 0


class DecisionPublic(Public):
    decision_id: str
    title: str
    owner: str
    due_at: datetime
    recorded_at: datetime
    recorded_by: str
    note: str = ""
    done_at: datetime | None = None
    done_by: str | None = None
    done_note: str = ""
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None


class OpenDecisionPublic(Public):
    meeting_id: str
    decision_id: str
    title: str
    owner: str
    due_at: datetime


class MeetingSummary(Public):
    meeting_id: str
    mechanism: str
    region: str
    routine: str
    period: str
    title_zh: str
    title_en: str
    status: str  # scheduled, open, closed, done
    opens_at: datetime
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    done_at: datetime | None = None
    agenda_size: int
    decisions_open: int


class MeetingPublic(MeetingSummary):
    source: str
    source_zh: str
    convener: str | None
    participants: list[str]
    agenda: list[AgendaLinePublic]
    agenda_more: int
    carried_over: list[OpenDecisionPublic]
    decisions: list[DecisionPublic]
    summary: str
    minutes: list[str]  # the formats of its minutes, once it is closed (GET …/papers/{format})


class BulletinSummary(Public):
    bulletin_id: str
    mechanism: str
    region: str
    routine: str
    kind: str
    period: str
    title_zh: str
    title_en: str
    covers_from: datetime
    covers_to: datetime
    published_at: datetime
    delivered_at: datetime | None = None
    formats: list[str]
    # A typical case's bulletin (D4 §5, ``cases.event_bulletins``): its time limit, and whether it
    # was issued after it (None until it is issued; no formats yet means not issued).
    due_at: datetime | None = None
    late: bool | None = None


class FigureLine(Public):
    key: str
    label_zh: str
    label_en: str
    value: int


class BulletinPublic(BulletinSummary):
    source: str
    recipients: list[str]
    figures: list[FigureLine]


class WatchPublic(Public):
    case_id: str
    mechanism: str
    region: str
    reason: str
    listed_at: datetime
    named_at: datetime
    cleared_at: datetime | None = None
    cleared: str | None = None  # referred, marked
    outcome: str | None = None  # reviewed, recommended
    note: str = ""


class CloseBody(Plain):
    summary: Note = ""  # the minutes' summary (会议纪要)


class DoneBody(Plain):
    decision_id: Annotated[str, Field(pattern=r"^d[0-9]{1,3}$")]
    note: Note = ""


class MarkBody(Plain):
    outcome: MarkOutcome
    note: Note = ""


# --- Who sees what ---------------------------------------------------------------------------------


def _scope(principal: Principal, services: Services) -> tuple[Scope, str | None]:
    """The scope of the cases' rule, and for a key of an agency's own part, its region."""
    scope = scope_for(principal, services.registry)
    if scope.everything or scope.region is not None:
        return scope, None
    agency = services.registry.find(principal.agency)
    return Scope(region=agency.region if agency else "-"), principal.agency


def _sees_meeting(row: MeetingRow, agency: str | None) -> bool:
    state = row.state
    return (
        agency is None
        or agency in state.participants
        or agency == state.convener
        or any(d.owner == agency for d in state.decisions)
    )


def _sees_bulletin(row: BulletinRow, agency: str | None) -> bool:
    return agency is None or agency in row.recipients


def _not_found(what: str, key: str) -> ApiError:
    return ApiError(
        404, f"{what}_not_found", f"no {what} '{key}' is visible to you", "check the id"
    )


def _visible_meeting(
    row: MeetingRow | None, scope: Scope, agency: str | None, meeting_id: str
) -> MeetingRow:
    """The meeting if the caller may see it; otherwise the one 404, word for word the same whether
    it does not exist, is another region's, or is one the caller takes no part in."""
    if row is None or not (scope.everything or row.region == scope.region):
        raise _not_found("meeting", meeting_id)
    if not _sees_meeting(row, agency):
        raise _not_found("meeting", meeting_id)
    return row


def _watchers(principal: Principal, services: Services) -> Scope:
    role = Role(principal.role)
    if role not in (Role.PROCURATOR, Role.COORDINATOR, Role.LEADER):
        raise ApiError(
            403,
            "role_not_permitted",
            "the list is the procuratorate's, and the joint office's and leadership group's",
            "sign in as a procurator, coordinator or leader",
        )
    return scope_for(principal, services.registry)


# --- Views -----------------------------------------------------------------------------------------


def meeting_summary(state: MeetingState) -> MeetingSummary:
    return MeetingSummary(
        meeting_id=state.meeting_id,
        mechanism=state.mechanism,
        region=state.region,
        routine=state.routine,
        period=state.period,
        title_zh=state.title_zh,
        title_en=state.title_en,
        status=state.status.value,
        opens_at=state.opens_at,
        opened_at=state.opened_at,
        closed_at=state.closed_at,
        done_at=state.done_at,
        agenda_size=len(state.agenda.items) + state.agenda.more,
        decisions_open=sum(d.done_at is None for d in state.decisions),
    )


def meeting_public(
    state: MeetingState, minutes: list[str], seen: set[str] | None = None
) -> MeetingPublic:
    """``seen``: for a caller who sees its agency's part only, the agenda's cases it may see by the
    cases' own rule (``store.queries.can_see``); the others' lines are left out. None: all."""
    return MeetingPublic(
        **dict(meeting_summary(state)),
        source=state.source,
        source_zh=state.source_zh or state.source,
        convener=state.convener,
        participants=list(state.participants),
        agenda=[
            AgendaLinePublic(
                case_id=i.case_id,
                reasons=[r.value for r in i.reasons],
                stage=i.stage,
                owner_agency=i.owner_agency,
                next_deadline=i.next_deadline,
                escalation_level=i.escalation_level,
            )
            for i in state.agenda.items
            if seen is None or i.case_id in seen
        ],
        agenda_more=state.agenda.more,
        carried_over=[
            OpenDecisionPublic(
                meeting_id=d.meeting_id,
                decision_id=d.decision_id,
                title=d.title,
                owner=d.owner,
                due_at=d.due_at,
            )
            for d in state.carried_over
        ],
        decisions=[
            DecisionPublic(
                decision_id=d.decision_id,
                title=d.title,
                owner=d.owner,
                due_at=d.due_at,
                recorded_at=d.recorded_at,
                recorded_by=d.recorded_by.agency,
                note=d.note,
                done_at=d.done_at,
                done_by=d.done_by.agency if d.done_by else None,
                done_note=d.done_note,
                reminded_at=d.reminded_at,
                overdue_at=d.overdue_at,
            )
            for d in state.decisions
        ],
        summary=state.summary,
        minutes=minutes,
    )


def bulletin_summary(row: BulletinRow) -> BulletinSummary:
    return BulletinSummary(
        bulletin_id=row.bulletin_id,
        mechanism=row.mechanism,
        region=row.region,
        routine=row.routine,
        kind=row.kind,
        period=row.period,
        title_zh=row.title_zh,
        title_en=row.title_en,
        covers_from=row.covers_from,
        covers_to=row.covers_to,
        published_at=row.published_at,
        delivered_at=row.delivered_at,
        formats=sorted(row.formats),
        due_at=row.covers_to if row.kind == EventKind.TYPICAL_CASE else None,
        late=late(row.covers_to, row.published_at)
        if row.kind == EventKind.TYPICAL_CASE and row.formats
        else None,
    )


def figure_lines(row: BulletinRow) -> list[FigureLine]:
    if row.kind in set(EventKind):  # D4 §5's event bulletins have no figures
        return []
    return [
        FigureLine(
            key=key,
            label_zh=label,
            label_en=FIGURE_LABELS[key][1] if key in FIGURE_LABELS else key,
            value=value,
        )
        for key, label, value in row.figures.rows()
    ]


def watch_public(row: ReferralWatchRow) -> WatchPublic:
    return WatchPublic(**row.model_dump(include=set(WatchPublic.model_fields)))


def _file(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- Meetings --------------------------------------------------------------------------------------


@router.get(
    "/meetings",
    operation_id="list_meetings",
    response_model=list[MeetingSummary],
    summary="The joint meetings the caller may see, the latest first",
)
async def list_meetings(principal: CurrentPrincipal, services: ServicesDep) -> list[MeetingSummary]:
    scope, agency = _scope(principal, services)
    rows = await run_in_threadpool(store.meetings, services.engine, scope)
    return [meeting_summary(r.state) for r in rows if _sees_meeting(r, agency)]


@router.get(
    "/meetings/{meeting_id}",
    operation_id="get_meeting",
    response_model=MeetingPublic,
    summary="A joint meeting: its agenda, its decisions and their follow-up",
)
async def get_meeting(
    meeting_id: MeetingId, principal: CurrentPrincipal, services: ServicesDep
) -> MeetingPublic:
    scope, agency = _scope(principal, services)
    row = _visible_meeting(
        await run_in_threadpool(store.meeting, services.engine, meeting_id),
        scope,
        agency,
        meeting_id,
    )
    formats = [
        f
        for f in ("html", "pdf")
        if await run_in_threadpool(store.paper, services.engine, meeting_id, f) is not None
    ]
    return meeting_public(row.state, formats, await _seen_cases(row.state, principal, services))


async def _seen_cases(
    state: MeetingState, principal: Principal, services: Services
) -> set[str] | None:
    """The agenda's cases a caller of an agency's own part may see (the one rule of cases)."""
    scope = scope_for(principal, services.registry)
    if scope.everything or scope.region is not None:
        return None
    ids = [i.case_id for i in state.agenda.items]
    found = [await run_in_threadpool(can_see, services.engine, scope, c) for c in ids]
    return {c for c, row in zip(ids, found, strict=True) if row is not None}


@router.get(
    "/meetings/{meeting_id}/papers/{format}",
    operation_id="get_meeting_minutes",
    response_class=Response,
    summary="A closed meeting's minutes, as HTML or PDF",
)
async def get_minutes(
    meeting_id: MeetingId,
    format: Literal["html", "pdf"],
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> Response:
    scope, agency = _scope(principal, services)
    _visible_meeting(
        await run_in_threadpool(store.meeting, services.engine, meeting_id),
        scope,
        agency,
        meeting_id,
    )
    paper = await run_in_threadpool(store.paper, services.engine, meeting_id, format)
    if paper is None:
        raise _not_found("minutes", meeting_id)
    return _file(paper.content, paper.media_type, f"{meeting_id}.{format}")


async def _meeting_update(
    services: Services, principal: Principal, meeting_id: str, action: str, request: object
) -> MeetingPublic:
    scope, agency = _scope(principal, services)
    _visible_meeting(
        await run_in_threadpool(store.meeting, services.engine, meeting_id),
        scope,
        agency,
        meeting_id,
    )
    handle = services.temporal.get_workflow_handle(meeting_id)
    try:
        async with bounded(services):
            await handle.execute_update(action, request)
            state: MeetingState = await handle.query("meeting", result_type=MeetingState)
    except WorkflowUpdateFailedError as exc:
        raise refused(action, exc) from None
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:  # the meeting is done: its workflow ended
            raise ApiError(
                409, "case_closed", "the meeting is done", "see its record: GET /meetings/{id}"
            ) from None
        raise unavailable(services, exc.message) from None
    return meeting_public(state, [], await _seen_cases(state, principal, services))


def _actor(principal: Principal) -> Actor:
    return Actor(principal.agency, Role(principal.role), principal.name)


@router.post(
    "/meetings/{meeting_id}/actions/record_decision",
    operation_id="record_decision",
    response_model=MeetingPublic,
    summary="Record a decision of the meeting (议定事项): what, whose, by when",
    responses=UNAVAILABLE,
)
async def record_decision(
    meeting_id: MeetingId, body: DecisionBody, principal: CurrentPrincipal, services: ServicesDep
) -> MeetingPublic:
    """N2017 Art. 23 (联席会议应明确议定事项). The region's joint office coordinators and leadership
    group leaders record decisions while the meeting is open; the owner must be an agency of the
    registry and the due date a day after today. Its owner is told, reminded before it is due, and
    the joint office is told when it is overdue."""
    request = DecisionRequest(_actor(principal), body)
    return await _meeting_update(services, principal, meeting_id, "record_decision", request)


@router.post(
    "/meetings/{meeting_id}/actions/close_meeting",
    operation_id="close_meeting",
    response_model=MeetingPublic,
    summary="Close the meeting: its minutes are made, its decisions followed up",
    responses=UNAVAILABLE,
)
async def close_meeting(
    meeting_id: MeetingId, body: CloseBody, principal: CurrentPrincipal, services: ServicesDep
) -> MeetingPublic:
    request = CloseRequest(_actor(principal), body.summary)
    return await _meeting_update(services, principal, meeting_id, "close_meeting", request)


@router.post(
    "/meetings/{meeting_id}/actions/decision_done",
    operation_id="decision_done",
    response_model=MeetingPublic,
    summary="Mark a decision done (its owner agency, or the joint office)",
    responses=UNAVAILABLE,
)
async def decision_done(
    meeting_id: MeetingId, body: DoneBody, principal: CurrentPrincipal, services: ServicesDep
) -> MeetingPublic:
    request = DoneRequest(_actor(principal), body.decision_id, body.note)
    return await _meeting_update(services, principal, meeting_id, "decision_done", request)


# --- Bulletins -------------------------------------------------------------------------------------


@router.get(
    "/bulletins",
    operation_id="list_bulletins",
    response_model=list[BulletinSummary],
    summary="Reports and bulletins the caller may see, the latest first",
)
async def list_bulletins(
    principal: CurrentPrincipal, services: ServicesDep
) -> list[BulletinSummary]:
    scope, agency = _scope(principal, services)
    rows = await run_in_threadpool(store.bulletins, services.engine, scope)
    return [bulletin_summary(r) for r in rows if _sees_bulletin(r, agency)]


async def _visible_bulletin(
    bulletin_id: str, principal: Principal, services: Services
) -> BulletinRow:
    scope, agency = _scope(principal, services)
    row = await run_in_threadpool(store.bulletin, services.engine, bulletin_id)
    if row is None or not (scope.everything or row.region == scope.region):
        raise _not_found("bulletin", bulletin_id)
    if not _sees_bulletin(row, agency):
        raise _not_found("bulletin", bulletin_id)
    return row


@router.get(
    "/bulletins/{bulletin_id}",
    operation_id="get_bulletin",
    response_model=BulletinPublic,
    summary="A report or bulletin: its figures and its files",
)
async def get_bulletin(
    bulletin_id: BulletinId, principal: CurrentPrincipal, services: ServicesDep
) -> BulletinPublic:
    row = await _visible_bulletin(bulletin_id, principal, services)
    return BulletinPublic(
        **dict(bulletin_summary(row)),
        source=row.source,
        recipients=list(row.recipients),
        figures=figure_lines(row),
    )


@router.get(
    "/bulletins/{bulletin_id}/{format}",
    operation_id="get_bulletin_file",
    response_class=Response,
    summary="A report or bulletin as HTML, PDF, or its figures as CSV or XLSX",
)
async def get_bulletin_file(
    bulletin_id: BulletinId, format: Format, principal: CurrentPrincipal, services: ServicesDep
) -> Response:
    await _visible_bulletin(bulletin_id, principal, services)
    paper = await run_in_threadpool(store.paper, services.engine, bulletin_id, format)
    if paper is None:
        raise _not_found("file", f"{bulletin_id}.{format}")
    return _file(paper.content, paper.media_type, f"{bulletin_id}.{format}")


# --- The procuratorate's list ----------------------------------------------------------------------


@router.get(
    "/referral-watch",
    operation_id="list_referral_watch",
    response_model=list[WatchPublic],
    summary="Cases that may have been handled by a penalty in place of a referral (以罚代刑)",
)
async def list_watch(
    principal: CurrentPrincipal, services: ServicesDep, all: bool = False
) -> list[WatchPublic]:
    """N2017 Art. 14; O310 Art. 14. The cases on the list, the longest listed first; with
    `all=true` also those taken off it (referred, or marked by the procuratorate)."""
    scope = _watchers(principal, services)
    rows = await run_in_threadpool(
        lambda: store.watch_list(services.engine, scope, standing_only=not all)
    )
    return [watch_public(r) for r in rows]


@router.post(
    "/referral-watch/{case_id}/mark",
    operation_id="mark_referral_watch",
    response_model=list[WatchPublic],
    summary="The procuratorate marks a listed case: reviewed, or referral recommended",
    responses=UNAVAILABLE,
)
async def mark_watch(
    case_id: Annotated[str, Path(max_length=110, description="The case id.")],
    body: MarkBody,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> list[WatchPublic]:
    """The region's procurators take a case off the list: reviewed (查询、调阅, no referral needed)
    or recommended for referral (the recommendation itself is the case's `recommend_referral`
    step, N2017 Art. 14). The day's scan takes the mark; the list as it then stands is answered."""
    scope = _watchers(principal, services)
    rows = await run_in_threadpool(store.watch_list, services.engine, scope)
    row = next((r for r in rows if r.case_id == case_id), None)
    scan = None
    if row is not None:
        scan = await run_in_threadpool(
            store.latest_scan, services.engine, row.mechanism, row.region
        )
    if scan is None:  # the same answer for a case not listed, not seen or not there
        raise ApiError(
            404,
            "not_listed",
            f"case '{case_id}' is not on a list you may mark",
            "see GET /referral-watch",
        )
    request = MarkRequest(_actor(principal), case_id, body.outcome, body.note)
    try:
        async with bounded(services):
            await services.temporal.get_workflow_handle(scan).execute_update("mark", request)
    except WorkflowUpdateFailedError as exc:
        raise refused("mark", exc) from None
    except RPCError as exc:
        raise unavailable(services, exc.message) from None
    rows = await run_in_threadpool(store.watch_list, services.engine, scope)
    return [watch_public(r) for r in rows]
