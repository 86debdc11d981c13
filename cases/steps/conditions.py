"""Conditions several steps share, each a rule in its own words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.calendar import due_instant
from cases.checklists import CATALOGUE, ChecklistLine, checklist, missing
from cases.context import Context, Reason, Refusal
from cases.limits import MAX_REQUESTS
from cases.model import Actor, CaseState, ClockState
from cases.profile import Profile, Window
from cases.steps.base import BodyCheck, Choices
from cases.vocabulary import Party, RequestKind, Stage

PRE_REFERRAL = frozenset({Stage.DISCOVERY, Stage.EVIDENCE})


def open_clock(state: CaseState, name: str) -> ClockState | None:
    return next((c for c in state.open_clocks() if c.name == name), None)


def window_of(state: CaseState, window: str, ctx: Context) -> Window | None:
    """The window of this name on the case's track (the detention track has its own, P2014)."""
    return ctx.profile.rules_for(state.classification).windows.get(window)


def window_closed(state: CaseState, start: datetime | None, window: str, ctx: Context) -> bool:
    """Has the period for exercising a right (the track's window) run out?"""
    spec = window_of(state, window, ctx)
    if spec is None or start is None:
        return False
    due = due_instant(start, spec.period.length, spec.period.unit, ctx.calendar)
    return ctx.now >= due.at


def transfer_pending(state: CaseState) -> Refusal | None:
    """While a jurisdiction transfer is pending, the owner's moves wait (D6 §一(三))."""
    if state.transfer is None:
        return None
    return Refusal(
        Reason.TRANSFER_PENDING,
        f"the case is being transferred to {state.transfer.target}; wait until it accepts or the "
        "county government decides",
    )


def penalty_first(state: CaseState, ctx: Context) -> Refusal | None:
    """On the detention track a case is transferred only after the agency's penalty decision
    (P2014 Art. 2: 依法作出行政处罚决定后,仍需要移送公安机关处以行政拘留)."""
    if not ctx.profile.rules_for(state.classification).penalty_first:
        return None
    if state.penalty_decided_at is not None:
        return None
    return Refusal(
        Reason.PENALTY_FIRST,
        "a case is transferred for administrative detention only after the agency's penalty "
        "decision (P2014 Art. 2): record it with 'decide_penalty' first",
    )


def referral_lines(state: CaseState, profile: Profile) -> list[ChecklistLine]:
    """The package's lines on the case's track; the penalty decision joins them once one was made
    (N2017 Art. 6)."""
    rules = profile.rules_for(state.classification)
    required = list(rules.referral_required)
    if state.penalty_decided_at is not None:
        required += [k for k in rules.referral_if_penalty if k not in required]
    optional = [k for k in rules.referral_optional if k not in required]
    return checklist(
        required, optional, ((item.seq, item.kind) for item in state.current_evidence())
    )


def evidence_lines(state: CaseState, profile: Profile) -> list[ChecklistLine]:
    """The evidence lines; perishable items must be fixed by other means only when there are any
    (O310 Art. 4 ¶2), and then for every classification that may be referred."""
    classification = state.classification or state.triage.suggested
    required = list(profile.evidence_checklists[classification])
    if state.facts.perishable_items and classification.referable:
        required += [k for k in profile.evidence_if_perishable if k not in required]
    return checklist(required, (), ((item.seq, item.kind) for item in state.current_evidence()))


def package_incomplete(state: CaseState, ctx: Context) -> Refusal | None:
    """The referral package holds every document the mechanism's checklist requires."""
    lacking = missing(referral_lines(state, ctx.profile))
    if not lacking:
        return None
    labels = "; ".join(f"{CATALOGUE[k].label_zh} ({k})" for k in lacking)
    return Refusal(
        Reason.PACKAGE_INCOMPLETE,
        f"the referral package lacks: {labels} "
        f"({ctx.profile.rules_for(state.classification).referral_source})",
        tuple(lacking),
    )


def room_for_requests(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if len(state.requests) >= MAX_REQUESTS:
        return Refusal(
            Reason.LIMIT_REACHED, f"the case has made {MAX_REQUESTS} requests, the most it may"
        )
    return None


def open_request_of(kind: RequestKind) -> BodyCheck:
    def check(state: CaseState, actor: Actor, p: Any, ctx: Context) -> list[str]:
        mine = [r.request_id for r in state.open_requests(kind) if r.agency == actor.agency]
        if p.request_id in mine:
            return []
        known = f" (open: {', '.join(mine)})" if mine else ""
        return [
            f"request '{p.request_id}' is not an open {kind} request of '{actor.agency}'{known}"
        ]

    return check


def open_requests_of(kind: RequestKind) -> Choices:
    def choices(state: CaseState, ctx: Context) -> dict[str, list[str]]:
        return {"request_id": [r.request_id for r in state.open_requests(kind)]}

    return choices
