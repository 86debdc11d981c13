"""What a rule reads besides the case, and how a rule says no.

A rule is decided inside the case's own context: the mechanism profile, agency registry and calendar
the case carries, and the case's own time. The workflow builds the ``Context``; nobody else does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic_core import to_jsonable_python

from cases.agencies import AgencyRegistry
from cases.calendar import WorkingDayCalendar
from cases.profile import Profile
from cases.vocabulary import Party


@dataclass(frozen=True)
class Context:
    """The mechanism, the agencies, the calendar and the time a case's rules are decided in."""

    profile: Profile
    registry: AgencyRegistry
    now: datetime
    calendar: WorkingDayCalendar | None = None


def context_key(data: object) -> str:
    """A digest of a profile's, a calendar's or a registry's data, as a case carries it. The read
    model names the context a case's stored state holds in by these keys, and a reader rebuilds a
    ``Context`` only from data whose key it can compute itself: never a near copy."""
    text = json.dumps(
        to_jsonable_python(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Reason(StrEnum):
    """Why a step is refused: machine-readable, and the API's error code."""

    UNKNOWN_ACTION = "unknown_action"
    UNKNOWN_AGENCY = "unknown_agency"
    ROLE_NOT_PERMITTED = "role_not_permitted"
    CASE_CLOSED = "case_closed"
    NOT_IN_MECHANISM = "not_in_mechanism"
    WRONG_STAGE = "wrong_stage"
    NOT_YOUR_MOVE = "not_your_move"
    PACKAGE_INCOMPLETE = "package_incomplete"
    CLASSIFICATION_REQUIRED = "classification_required"
    NOT_REFERABLE = "not_referable"
    AWAITING_SUPPLEMENTS = "awaiting_supplements"
    NOT_DELIVERED = "not_delivered"
    ACCEPT_FIRST = "accept_first"
    WINDOW_CLOSED = "window_closed"
    ALREADY_DONE = "already_done"
    ALREADY_PENDING = "already_pending"
    NOTHING_PENDING = "nothing_pending"
    FILING_ORDERED = "filing_ordered"
    NOT_A_REFUSAL = "not_a_refusal"
    NOT_OVERDUE = "not_overdue"
    TRANSFER_PENDING = "transfer_pending"
    NOT_MAJOR_CASE = "not_major_case"
    LIMIT_REACHED = "limit_reached"
    PENALTY_FIRST = "penalty_first"
    INVALID_PAYLOAD = "invalid_payload"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"


@dataclass(frozen=True)
class Refusal:
    """A rule's no: the reason code, a sentence saying what would make the step possible, and for an
    incomplete package what it lacks."""

    reason: Reason
    message: str
    missing: tuple[str, ...] = ()


@dataclass
class Decision:
    """May this step be taken: yes (with the part the actor takes it in), or no and why."""

    action: str
    allowed: bool
    reason: Reason | None = None
    message: str = ""
    missing: list[str] = field(default_factory=list)  # what an incomplete package lacks
    party: Party | None = None  # the part the actor would act in

    @classmethod
    def refused(cls, action: str, refusal: Refusal, party: Party | None = None) -> Decision:
        return cls(action, False, refusal.reason, refusal.message, list(refusal.missing), party)
