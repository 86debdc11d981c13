"""Turning read-model rows and workflow state into API schemas."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime
from typing import Any

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
from cases.model import Actor, CaseState, ClockState, Role
from cases.profiles import Profile
from cases.transitions import projection
from store.tables import CaseRow, ClockRow
from workflows.case import CaseView

_STATE = TypeAdapter(CaseState)


def _summary(data: dict[str, Any], now: datetime) -> CaseSummary:
    for key in ("last_seq", "referred", "agencies"):
        data.pop(key, None)
    deadline = data["next_deadline"]
    return CaseSummary(**data, overdue=deadline is not None and deadline < now)


def summary_from_row(row: CaseRow, now: datetime) -> CaseSummary:
    return _summary(row.model_dump(), now)


def summary_from_state(state: CaseState, now: datetime, updated_at: datetime) -> CaseSummary:
    """The same summary as the read model's row, straight from the workflow's state."""
    data = asdict(projection(state, updated_at))
    data["stage"] = state.stage.value
    return _summary(data, now)


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
