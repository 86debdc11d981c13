"""Turning read-model rows and workflow state into API schemas."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime

from pydantic import TypeAdapter

from api.schemas import (
    AllowedAction,
    CaseDetail,
    CaseSummary,
    ChecklistLinePublic,
    ClockPublic,
    MovePublic,
)
from cases.actions import ACTIONS, Action
from cases.allowed import Context, allowed_actions
from cases.clocks import escalation_level, next_deadline
from cases.model import Actor, CaseState, ClockState, Role
from cases.profiles import Profile
from store.tables import CaseRow, ClockRow
from workflows.case import CaseView

_STATE = TypeAdapter(CaseState)


def summary_from_row(row: CaseRow, now: datetime) -> CaseSummary:
    data = row.model_dump()
    data.pop("last_seq", None)
    data.pop("referred", None)
    deadline = row.next_deadline
    return CaseSummary(**data, overdue=deadline is not None and deadline < now)


def summary_from_state(state: CaseState, now: datetime, updated_at: datetime) -> CaseSummary:
    deadline = next_deadline(state)
    return CaseSummary(
        case_id=state.case_id,
        intake_ref=state.intake_ref,
        mechanism=state.mechanism,
        stage=state.stage.value,
        subject=state.subject,
        region=state.region,
        discovering_agency=state.discovering_agency,
        owner_agency=state.owner_agency,
        police_agency=state.police_agency,
        classification=state.classification.value if state.classification else None,
        suggested=state.triage.suggested.value,
        key_case=state.triage.key_case,
        supervised=state.supervised,
        next_deadline=deadline,
        escalation_level=escalation_level(state),
        overdue=deadline is not None and deadline < now,
        opened_at=state.opened_at,
        updated_at=updated_at,
        closed_at=state.closed_at,
        delivery_error=state.referral.delivery_error,
    )


def clock_public(
    clock: ClockState | ClockRow, profile: Profile | None, now: datetime
) -> ClockPublic:
    spec = profile.clocks.get(clock.name) if profile else None
    data = asdict(clock) if isinstance(clock, ClockState) else clock.model_dump()
    for key in ("owner_party", "owner_role", "unit"):
        data[key] = str(data[key])
    data.pop("case_id", None)
    data.pop("ordinal", None)
    left = (clock.due_at - now).total_seconds()
    return ClockPublic(
        **data,
        title_zh=spec.title_zh if spec else clock.name,
        title_en=spec.title_en if spec else clock.name,
        overdue=clock.closed_at is None and clock.paused_at is None and clock.due_at < now,
        seconds_left=math.floor(left),
    )


def detail_from_view(view: CaseView, actor: Actor, ctx: Context) -> CaseDetail:
    state = view.state
    now = ctx.now
    decisions = allowed_actions(state, actor, ctx)
    allowed = [
        AllowedAction(
            action=d.action,
            label_zh=ACTIONS[Action(d.action)].label_zh,
            label_en=ACTIONS[Action(d.action)].label_en,
            required=list(ACTIONS[Action(d.action)].required),
        )
        for d in decisions
        if d.allowed
    ]
    return CaseDetail(
        summary=summary_from_state(state, now, view.now),
        live=True,
        state=_STATE.dump_python(state, mode="json"),
        open_clocks=[clock_public(c, ctx.profile, now) for c in state.open_clocks()],
        allowed_actions=allowed,
        moves=[
            MovePublic(
                action=m.action.value,
                agency=m.agency,
                party=m.party.value,
                roles=[r.value for r in m.roles],
            )
            for m in view.moves
        ],
        referral_checklist=[
            ChecklistLinePublic(**asdict(line)) for line in view.referral_checklist
        ],
        evidence_checklist=[
            ChecklistLinePublic(**asdict(line)) for line in view.evidence_checklist
        ],
    )


def detail_from_rows(
    row: CaseRow, clocks: list[ClockRow], profile: Profile | None, now: datetime
) -> CaseDetail:
    """When the workflow cannot be asked: what the read model knows, and no buttons."""
    return CaseDetail(
        summary=summary_from_row(row, now),
        live=False,
        state=None,
        open_clocks=[clock_public(c, profile, now) for c in clocks if c.closed_at is None],
        allowed_actions=[],
        moves=[],
        referral_checklist=[],
        evidence_checklist=[],
    )


def actor_of(agency: str, role: str, person: str) -> Actor:
    return Actor(agency, Role(role), person)
