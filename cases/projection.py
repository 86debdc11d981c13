"""The case's summary: what lists, dashboards and the case row show, projected from the state.

``CaseProjection`` is the base of one model lineage: the read model's table and the API's public
summary extend it, so each of its fields is written here once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from cases.clocks import escalation_level, next_deadline, whose_move
from cases.model import CaseState
from cases.profile import Profile
from cases.stalled import stalled_at
from cases.vocabulary import Classification, Role, Stage


class CaseProjection(SQLModel):
    case_id: str = Field(max_length=110)
    intake_ref: str = Field(max_length=64)
    mechanism: str = Field(max_length=40)
    region: str = Field(max_length=40)
    stage: Stage
    subject: str = Field(max_length=200)
    discovering_agency: str = Field(max_length=40)
    owner_agency: str = Field(max_length=40)
    # Whose move it is: the holder of the next due clock (``cases.clocks.whose_move``).
    move_agency: str | None = Field(default=None, max_length=40)
    move_role: Role | None = None
    police_agency: str | None = Field(default=None, max_length=40)
    classification: Classification | None = None
    suggested: Classification
    key_case: bool = False
    supervised: bool = False
    next_deadline: datetime | None = None
    escalation_level: int = 0
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    delivery_error: str | None = Field(default=None, max_length=2000)
    referred: bool = False  # the referral was sent (whatever came of it)
    # When, with nothing happening, the case counts as stalled (``cases.stalled.stalled_at``).
    stalled_at: datetime | None = None


def projection(state: CaseState, now: datetime, profile: Profile | None = None) -> CaseProjection:
    """``profile`` is the case's own copy of its mechanism (without it, nothing says when the case
    would stall)."""
    move_agency, move_role = whose_move(state)
    return CaseProjection(
        case_id=state.case_id,
        intake_ref=state.intake_ref,
        mechanism=state.mechanism,
        region=state.region,
        stage=state.stage,
        subject=state.subject,
        discovering_agency=state.discovering_agency,
        owner_agency=state.owner_agency,
        move_agency=move_agency,
        move_role=move_role,
        police_agency=state.police_agency,
        classification=state.classification,
        suggested=state.triage.suggested,
        key_case=state.triage.key_case,
        supervised=state.supervised,
        next_deadline=next_deadline(state),
        escalation_level=escalation_level(state),
        opened_at=state.opened_at,
        updated_at=now,
        closed_at=state.closed_at,
        delivery_error=state.referral.delivery_error,
        referred=state.referral.sent_at is not None,
        stalled_at=stalled_at(state, profile, now),
    )
