"""Turning the case's own view and read-model rows into API schemas. Presentation only: what may be
done is what the case said."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from api.schemas import (
    ActorPublic,
    AllowedAction,
    CaseDetail,
    CaseSummary,
    ChecklistLinePublic,
    ClockPublic,
    FieldPublic,
    MovePublic,
    TimelineEntryPublic,
    instant_text,
)
from cases.model import CaseState, ClockState
from cases.payloads import fields_of
from cases.projection import CaseProjection
from cases.steps import STEPS
from cases.view import Allowed, CaseView
from store.tables import CaseRow, TimelineRow

_STATE = TypeAdapter(CaseState)
_PROJECTION_FIELDS = tuple(CaseProjection.model_fields)
_CLOCK_FIELDS = tuple(ClockState.model_fields)


def summary(source: CaseProjection, now: datetime) -> CaseSummary:
    """The public summary of a case row or of the case's own projection (which has no run status)."""
    data = {name: getattr(source, name) for name in _PROJECTION_FIELDS}
    deadline = source.next_deadline
    status = getattr(source, "workflow_status", None)
    return CaseSummary(
        **data, overdue=deadline is not None and deadline < now, workflow_status=status
    )


def clock_public(clock: ClockState, now: datetime) -> ClockPublic:
    data = {name: getattr(clock, name) for name in _CLOCK_FIELDS}
    return ClockPublic(
        **data,
        overdue=clock.closed_at is None and clock.paused_at is None and clock.due_at < now,
        seconds_left=math.floor((clock.due_at - now).total_seconds()),
    )


def allowed_public(allowed: Allowed) -> AllowedAction:
    step = STEPS[allowed.action]
    return AllowedAction(
        action=step.name,
        label_zh=step.label_zh,
        label_en=step.label_en,
        source=step.source,
        required=step.required,
        final=step.final,
        fields=[
            FieldPublic(
                name=f.name,
                kind=f.kind,
                required=f.required,
                choices=allowed.choices.get(f.name, list(f.choices)),
            )
            for f in fields_of(step.payload)
        ],
    )


def _lines(lines: list[Any]) -> list[ChecklistLinePublic]:
    return [ChecklistLinePublic(**asdict(line)) for line in lines]


def state_public(state: CaseState) -> dict[str, Any]:
    """The case's state as JSON, its instants in the API's one format (the workflow keeps them in
    the offsets it computed them in: a deadline in Beijing time, a receipt in UTC)."""
    public: dict[str, Any] = _with_instants(
        _STATE.dump_python(state, mode="json"), _STATE.dump_python(state)
    )
    for entry in public.get("timeline", []):
        entry["details"] = details_public(entry["details"])
    return public


def _with_instants(plain: Any, typed: Any) -> Any:
    """``plain`` (a JSON dump) with each value that is an instant in ``typed`` (the same object
    dumped as Python) written in the one format: only true instants, never text that looks like
    one."""
    if isinstance(typed, datetime):
        return instant_text(typed)
    if isinstance(plain, dict) and isinstance(typed, dict):
        return {
            k: _with_instants(v, t) for (k, v), t in zip(plain.items(), typed.values(), strict=True)
        }
    if isinstance(plain, list) and isinstance(typed, list | tuple):
        return [_with_instants(v, t) for v, t in zip(plain, typed, strict=True)]
    return plain


def details_public(details: dict[str, str]) -> dict[str, str]:
    """A timeline entry's details, the instants among them (``*_at``, as the case names them) in the
    one format; other text as it is."""
    return {k: _instant_detail(v) if k.endswith("_at") else v for k, v in details.items()}


def _instant_detail(text: str) -> str:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text
    return instant_text(instant) if instant.tzinfo is not None else text


def detail_from_view(view: CaseView, now: datetime) -> CaseDetail:
    state = view.state
    return CaseDetail(
        summary=summary(view.summary, now),
        live=True,
        state=state_public(state),
        stages=[s.value for s in view.stages],
        open_clocks=[clock_public(c, now) for c in state.open_clocks()],
        allowed_actions=[allowed_public(a) for a in view.allowed],
        awaited_actions=list(view.awaited),
        moves=[
            MovePublic(
                action=m.action,
                agency=m.agency,
                party=m.party.value,
                roles=[r.value for r in m.roles],
            )
            for m in view.moves
        ],
        referral_checklist=_lines(view.referral_checklist),
        evidence_checklist=_lines(view.evidence_checklist),
    )


def detail_from_rows(row: CaseRow, clocks: list[ClockState], now: datetime) -> CaseDetail:
    """When the workflow cannot be asked (or no longer exists): what the read model knows, and no
    buttons."""
    return CaseDetail(
        summary=summary(row, now),
        live=False,
        state=None,
        stages=[],
        open_clocks=[clock_public(c, now) for c in clocks if c.closed_at is None],
        allowed_actions=[],
        moves=[],
        referral_checklist=[],
        evidence_checklist=[],
    )


def timeline_public(rows: list[TimelineRow]) -> list[TimelineEntryPublic]:
    return [
        TimelineEntryPublic(
            seq=r.seq,
            at=r.at,
            action=r.action,
            actor=ActorPublic(
                agency=r.actor_agency, role=r.actor_role or "", person=r.actor_person or ""
            )
            if r.actor_agency
            else None,
            stage_from=r.stage_from,
            stage_to=r.stage_to,
            details=details_public(r.details),
        )
        for r in rows
    ]
