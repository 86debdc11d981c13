"""The one answer to "which actions are allowed now, for which agency and role, and if not, why".

The workflow's update validators and the API both call :func:`check`; nobody else decides whether an
action may be taken. A refusal carries a machine-readable :class:`Reason` and a sentence saying what
would make the action possible.

Order of the questions, from the most permanent to the most passing: does the agency exist; can this role
ever take the action (a 403 at the API); is the case still open; does the mechanism have this path; is
the case in a stage where the action belongs; does the acting agency hold the move; may this role take
it for this agency's part; and finally the action's own conditions (a complete package, an open
window, nothing already pending).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cases.actions import ACTIONS, Action, ActionPayload, ActionSpec, Branch
from cases.agencies import AgencyKind, AgencyRegistry
from cases.calendar import WorkingDayCalendar, due_instant
from cases.checklists import CATALOGUE, ChecklistLine, checklist, missing
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    ClockState,
    Measurement,
    Party,
    RequestKind,
    Role,
    Stage,
)
from cases.profiles import Profile


class Reason(StrEnum):
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
    TRANSFER_PENDING = "transfer_pending"
    NOT_MAJOR_CASE = "not_major_case"
    INVALID_PAYLOAD = "invalid_payload"


@dataclass
class Decision:
    action: str  # an Action, or the unknown name that was asked for
    allowed: bool
    reason: Reason | None = None
    message: str = ""
    missing: list[str] = field(default_factory=list)  # what an incomplete package lacks
    party: Party | None = None  # the part the actor would act in


@dataclass
class Move:
    """Who may take an action now: an agency, in a part, with these roles."""

    action: Action
    agency: str
    party: Party
    roles: list[Role]


@dataclass(frozen=True)
class Context:
    """What a rule needs besides the case: the mechanism, the agencies, the calendar and the time."""

    profile: Profile
    registry: AgencyRegistry
    now: datetime
    calendar: WorkingDayCalendar | None = None


# --------------------------------------------------------------------------------------------------
# Who plays which part in a case


# The agencies that play these parts are found by kind in the case's region.
_REGIONAL = {
    Party.JOINT_OFFICE: AgencyKind.JOINT_OFFICE,
    Party.LEADERSHIP_GROUP: AgencyKind.LEADERSHIP_GROUP,
    Party.COUNTY_GOVERNMENT: AgencyKind.COUNTY_GOVERNMENT,
}


ESCALATION_PARTY: dict[AgencyKind, Party] = {
    **{kind: party for party, kind in _REGIONAL.items()},
    AgencyKind.PROCURATORATE: Party.PROCURATORATE,
}


def parties_of(state: CaseState, agency: str, registry: AgencyRegistry) -> set[Party]:
    """The parts ``agency`` plays in this case (an empty set: it has no part)."""
    parties: set[Party] = set()
    if agency == state.owner_agency:
        parties.add(Party.REFERRING)
    if agency == state.police_agency:
        parties.add(Party.RECEIVING)
    if agency == state.procuratorate:
        parties.add(Party.PROCURATORATE)
    if state.transfer is not None and agency == state.transfer.target:
        parties.add(Party.TRANSFER_TARGET)
    for request in state.open_requests():
        if request.agency == agency:
            parties.add(Party.MONITORING if request.kind is RequestKind.TEST else Party.APPRAISAL)
    known = registry.find(agency)
    if known is not None and known.region == state.region:
        for party, kind in _REGIONAL.items():
            if known.kind is kind:
                parties.add(party)
    return parties


def holders(state: CaseState, party: Party, registry: AgencyRegistry) -> list[str]:
    """The agencies that play ``party`` in this case."""
    if party is Party.REFERRING:
        return [state.owner_agency]
    if party is Party.RECEIVING:
        return [state.police_agency] if state.police_agency else []
    if party is Party.PROCURATORATE:
        return [state.procuratorate] if state.procuratorate else []
    if party is Party.TRANSFER_TARGET:
        return [state.transfer.target] if state.transfer else []
    if party in (Party.MONITORING, Party.APPRAISAL):
        kind = RequestKind.TEST if party is Party.MONITORING else RequestKind.APPRAISAL
        return list(dict.fromkeys(r.agency for r in state.open_requests(kind)))
    return [a.code for a in registry.in_region(_REGIONAL[party], state.region)]


# --------------------------------------------------------------------------------------------------
# Checklists of the case


def referral_lines(state: CaseState, profile: Profile) -> list[ChecklistLine]:
    return checklist(
        profile.referral_required,
        profile.referral_optional,
        ((item.seq, item.kind) for item in state.evidence),
    )


def evidence_lines(state: CaseState, profile: Profile) -> list[ChecklistLine]:
    classification = state.classification or state.triage.suggested
    return checklist(
        profile.evidence_checklists[classification],
        (),
        ((item.seq, item.kind) for item in state.evidence),
    )


def missing_for_referral(state: CaseState, profile: Profile) -> list[str]:
    return missing(referral_lines(state, profile))


# --------------------------------------------------------------------------------------------------
# The action's own conditions


Guard = Callable[[CaseState, Party, Context], "Decision | None"]


def _refuse(
    action: Action, reason: Reason, message: str, missing: list[str] | None = None
) -> Decision:
    return Decision(action, False, reason, message, missing or [])


def _window_closed(start: datetime | None, window: str, ctx: Context) -> bool:
    spec = ctx.profile.windows.get(window)
    if spec is None or start is None:
        return False
    due = due_instant(start, spec.period.length, spec.period.unit, ctx.calendar)
    return ctx.now >= due.at


def _open_clock(state: CaseState, name: str) -> ClockState | None:
    return next((c for c in state.open_clocks() if c.name == name), None)


def _transfer_pending(state: CaseState, action: Action) -> Decision | None:
    if state.transfer is not None:
        return _refuse(
            action,
            Reason.TRANSFER_PENDING,
            f"the case is being transferred to {state.transfer.target}; wait until it accepts or the "
            "county government decides",
        )
    return None


def _g_record_evidence(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.RECORD_EVIDENCE
    police_stages = {Stage.ACCEPTANCE, Stage.FILING_DECISION, Stage.HANDOVER, Stage.INVESTIGATION}
    if party is Party.RECEIVING and state.stage not in police_stages:
        return _refuse(
            action, Reason.NOT_YOUR_MOVE, "the police record evidence once the case is with them"
        )
    if party is Party.REFERRING:
        if state.stage is Stage.INVESTIGATION:
            return _refuse(
                action, Reason.NOT_YOUR_MOVE, "during investigation the police record evidence"
            )
        if (
            state.stage in (Stage.ACCEPTANCE, Stage.FILING_DECISION)
            and not state.pending_supplements
        ):
            return _refuse(
                action,
                Reason.NOT_YOUR_MOVE,
                "the package is with the police; add material when they ask for supplements",
            )
    return None


def _g_early_request(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.REQUEST_EARLY_INTERVENTION
    if state.early_intervention_at is not None:
        return _refuse(action, Reason.ALREADY_DONE, "the police have already intervened")
    if state.early_intervention_requested_at is not None:
        return _refuse(
            action, Reason.ALREADY_PENDING, "early intervention has already been requested"
        )
    return None


def _g_intervene(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.INTERVENE_EARLY
    if state.early_intervention_at is not None:
        return _refuse(action, Reason.ALREADY_DONE, "early intervention is already recorded")
    if state.early_intervention_requested_at is None and not state.triage.early_intervention:
        return _refuse(
            action,
            Reason.NOTHING_PENDING,
            "no request from the agency and no early-intervention trigger in the facts",
        )
    return None


def _g_find_not_competent(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.FIND_NOT_COMPETENT
    if blocked := _transfer_pending(state, action):
        return blocked
    if _open_clock(state, "jurisdiction_transfer") is not None:
        return _refuse(
            action, Reason.ALREADY_DONE, "already found outside jurisdiction; transfer it"
        )
    return None


def _g_transfer(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    return _transfer_pending(state, Action.TRANSFER_JURISDICTION)


def _g_accept_transfer(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.transfer is not None and state.transfer.disputed_at is not None:
        return _refuse(
            Action.ACCEPT_TRANSFER,
            Reason.ALREADY_PENDING,
            "the dispute is before the county government, which decides",
        )
    return None


def _g_dispute(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.transfer is not None and state.transfer.disputed_at is not None:
        return _refuse(
            Action.DISPUTE_JURISDICTION, Reason.ALREADY_DONE, "the dispute is already raised"
        )
    return None


def _g_decide_jurisdiction(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.transfer is None or state.transfer.disputed_at is None:
        return _refuse(
            Action.DECIDE_JURISDICTION, Reason.NOTHING_PENDING, "no jurisdiction dispute is pending"
        )
    return None


def _g_handle_administratively(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.HANDLE_ADMINISTRATIVELY
    if state.stage is Stage.NOT_FILED:
        return None
    if not ctx.profile.has(Branch.ADMIN_ONLY):
        return _refuse(
            action,
            Reason.NOT_IN_MECHANISM,
            f"mechanism '{ctx.profile.name}' has no administrative-only path before referral",
        )
    return _transfer_pending(state, action)


def _g_request_approval(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.REQUEST_APPROVAL
    if state.classification is None:
        return _refuse(
            action,
            Reason.CLASSIFICATION_REQUIRED,
            f"confirm the classification first (triage suggests '{state.triage.suggested}')",
        )
    if not state.classification.referable:
        return _refuse(
            action,
            Reason.NOT_REFERABLE,
            "the case is classified as administrative only; reclassify it to refer it",
        )
    if blocked := _transfer_pending(state, action):
        return blocked
    return _package_complete(state, action, ctx)


def _package_complete(state: CaseState, action: Action, ctx: Context) -> Decision | None:
    lacking = missing_for_referral(state, ctx.profile)
    if lacking:
        labels = "; ".join(f"{CATALOGUE[k].label_zh} ({k})" for k in lacking)
        return _refuse(
            action,
            Reason.PACKAGE_INCOMPLETE,
            f"the referral package lacks: {labels} ({ctx.profile.referral_source})",
            missing=lacking,
        )
    return None


def _g_approve(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    return _package_complete(state, Action.APPROVE_REFERRAL, ctx)


def _g_resend(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.referral.delivery_error is None:
        return _refuse(
            Action.RESEND_REFERRAL,
            Reason.NOTHING_PENDING,
            "the last delivery did not fail; there is nothing to resend",
        )
    return None


def _g_accept(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.referral.receipt is None:
        return _refuse(
            Action.ACCEPT,
            Reason.NOT_DELIVERED,
            "the police system has not confirmed receipt of the package yet; "
            "acceptance follows delivery",
        )
    if state.pending_supplements and ctx.profile.supplements_block_acceptance:
        return _refuse(
            Action.ACCEPT,
            Reason.AWAITING_SUPPLEMENTS,
            "supplementary material was asked for; acceptance waits until it arrives",
        )
    return None


def _g_request_supplements(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.REQUEST_SUPPLEMENTS
    if state.referral.receipt is None:
        return _refuse(
            action,
            Reason.NOT_DELIVERED,
            "the police system has not confirmed receipt of the package; there is nothing to "
            "supplement yet",
        )
    if state.pending_supplements:
        return _refuse(action, Reason.ALREADY_PENDING, "supplements are already asked for")
    if ctx.profile.supplements_block_acceptance:
        if state.stage is not Stage.ACCEPTANCE:
            return _refuse(
                action,
                Reason.WRONG_STAGE,
                "under this mechanism supplements are asked for before acceptance",
            )
        return None
    if state.stage is Stage.ACCEPTANCE:
        return _refuse(
            action,
            Reason.ACCEPT_FIRST,
            "under this mechanism the police accept at once and may not refuse for incomplete "
            "materials: accept, then ask for supplements",
        )
    if _window_closed(state.filing.accepted_at, "supplement_request", ctx):
        source = ctx.profile.windows["supplement_request"].source
        return _refuse(
            action,
            Reason.WINDOW_CLOSED,
            f"supplements must be asked for within the window after acceptance ({source})",
        )
    return None


def _g_supply(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if not state.pending_supplements:
        return _refuse(
            Action.SUPPLY_SUPPLEMENTS, Reason.NOTHING_PENDING, "no supplements are asked for"
        )
    return None


def _g_extension(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.filing.extension_days is not None:
        return _refuse(
            Action.APPROVE_EXTENSION,
            Reason.ALREADY_DONE,
            "the filing decision was already extended",
        )
    return None


def _g_decline(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.filing.filing_ordered and state.stage is Stage.FILING_DECISION:
        return _refuse(
            Action.DECLINE_FILING,
            Reason.FILING_ORDERED,
            "the procuratorate has ordered the case filed",
        )
    return None


def _g_reverse(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.filing.filing_ordered and state.stage is Stage.FILING_DECISION:
        return _refuse(
            Action.REVERSE_REFER,
            Reason.FILING_ORDERED,
            "the procuratorate has ordered the case filed",
        )
    return None


def _g_reconsider(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.REQUEST_RECONSIDERATION
    if state.filing.reconsideration_requested_at is not None:
        return _refuse(action, Reason.ALREADY_DONE, "reconsideration was already asked for")
    if state.filing.supervision_proposed_at is not None:
        return _refuse(
            action, Reason.ALREADY_PENDING, "the case is already before the procuratorate"
        )
    if _window_closed(state.filing.decided_at, "reconsideration", ctx):
        source = ctx.profile.windows["reconsideration"].source
        return _refuse(
            action,
            Reason.WINDOW_CLOSED,
            f"reconsideration must be asked for within the window after the notice ({source}); "
            "procuratorate supervision may still be proposed",
        )
    return None


def _g_propose_supervision(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.filing.supervision_proposed_at is not None:
        return _refuse(
            Action.PROPOSE_SUPERVISION, Reason.ALREADY_DONE, "supervision was already proposed"
        )
    return None


def _g_recommend(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if _open_clock(state, "referral_recommendation") is not None:
        return _refuse(
            Action.RECOMMEND_REFERRAL,
            Reason.ALREADY_PENDING,
            "a recommendation to refer is pending",
        )
    return None


def _g_convene(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    action = Action.CONVENE_CONSULTATION
    if state.consultation_open:
        return _refuse(action, Reason.ALREADY_PENDING, "a consultation is already open")
    facts = state.facts
    if not (facts.major_or_difficult or facts.high_profile or state.triage.key_case):
        return _refuse(
            action,
            Reason.NOT_MAJOR_CASE,
            "joint consultation is for major, complex or high-profile cases (D1-op §二(一)); "
            "mark the facts if this case is one",
        )
    return None


def _g_conclude(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if not state.consultation_open:
        return _refuse(
            Action.CONCLUDE_CONSULTATION, Reason.NOTHING_PENDING, "no consultation is open"
        )
    return None


def _g_supervise_case(state: CaseState, party: Party, ctx: Context) -> Decision | None:
    if state.supervised:
        return _refuse(Action.SUPERVISE_CASE, Reason.ALREADY_DONE, "the case is already listed")
    return None


GUARDS: dict[Action, Guard] = {
    Action.RECORD_EVIDENCE: _g_record_evidence,
    Action.REQUEST_EARLY_INTERVENTION: _g_early_request,
    Action.INTERVENE_EARLY: _g_intervene,
    Action.FIND_NOT_COMPETENT: _g_find_not_competent,
    Action.TRANSFER_JURISDICTION: _g_transfer,
    Action.ACCEPT_TRANSFER: _g_accept_transfer,
    Action.DISPUTE_JURISDICTION: _g_dispute,
    Action.DECIDE_JURISDICTION: _g_decide_jurisdiction,
    Action.HANDLE_ADMINISTRATIVELY: _g_handle_administratively,
    Action.REQUEST_APPROVAL: _g_request_approval,
    Action.APPROVE_REFERRAL: _g_approve,
    Action.RESEND_REFERRAL: _g_resend,
    Action.ACCEPT: _g_accept,
    Action.REQUEST_SUPPLEMENTS: _g_request_supplements,
    Action.SUPPLY_SUPPLEMENTS: _g_supply,
    Action.APPROVE_EXTENSION: _g_extension,
    Action.DECLINE_FILING: _g_decline,
    Action.REVERSE_REFER: _g_reverse,
    Action.REQUEST_RECONSIDERATION: _g_reconsider,
    Action.PROPOSE_SUPERVISION: _g_propose_supervision,
    Action.RECOMMEND_REFERRAL: _g_recommend,
    Action.CONVENE_CONSULTATION: _g_convene,
    Action.CONCLUDE_CONSULTATION: _g_conclude,
    Action.SUPERVISE_CASE: _g_supervise_case,
}


# --------------------------------------------------------------------------------------------------
# The questions, in order


def _stage_and_branch(spec: ActionSpec, state: CaseState, ctx: Context) -> Decision | None:
    action = spec.action
    if state.stage.closed:
        return _refuse(action, Reason.CASE_CLOSED, "the case is archived")
    if spec.branch is not None and not ctx.profile.has(spec.branch):
        return _refuse(
            action,
            Reason.NOT_IN_MECHANISM,
            f"mechanism '{ctx.profile.name}' has no '{spec.branch}' path",
        )
    if state.stage not in spec.stages:
        stages = ", ".join(sorted(s.value for s in spec.stages))
        return _refuse(
            action,
            Reason.WRONG_STAGE,
            f"'{action}' belongs to stage(s) {stages}; the case is in '{state.stage}'",
        )
    return None


def resolve(name: str) -> Action | Decision:
    """The action of that name, or the refusal of a name the product does not know."""
    try:
        return Action(name)
    except ValueError:
        known = ", ".join(a.value for a in Action)
        return Decision(
            name, False, Reason.UNKNOWN_ACTION, f"unknown action '{name}' (one of: {known})"
        )


def role_refusal(action: Action, role: Role) -> Decision | None:
    """A role that can never take the action, whatever the case: the API's 403, asked before the case."""
    spec = ACTIONS[action]
    if role in spec.roles:
        return None
    roles = ", ".join(sorted(r.value for r in spec.roles))
    return _refuse(
        action,
        Reason.ROLE_NOT_PERMITTED,
        f"the role '{role}' may not '{action}'; it is for: {roles}",
    )


def check(state: CaseState, action: Action, actor: Actor, ctx: Context) -> Decision:
    """May ``actor`` take ``action`` on this case now? Always a Decision, never an exception."""
    spec = ACTIONS[action]
    if actor.agency not in ctx.registry:
        return _refuse(
            action, Reason.UNKNOWN_AGENCY, f"agency '{actor.agency}' is not in the registry"
        )
    if refused := role_refusal(action, actor.role):
        return refused
    if refused := _stage_and_branch(spec, state, ctx):
        return refused
    played = parties_of(state, actor.agency, ctx.registry)
    candidates = [p for p in spec.movers if p in played]
    if not candidates:
        who = " or ".join(
            f"{p.value} ({', '.join(holders(state, p, ctx.registry)) or 'nobody yet'})"
            for p in spec.movers
        )
        return _refuse(
            action,
            Reason.NOT_YOUR_MOVE,
            f"'{action}' is the move of the {who}; agency '{actor.agency}' does not hold it",
        )
    fitting = [p for p in candidates if actor.role in spec.movers[p]]
    if not fitting:
        party = candidates[0]
        roles = ", ".join(sorted(r.value for r in spec.movers[party]))
        return _refuse(
            action,
            Reason.ROLE_NOT_PERMITTED,
            f"for the {party.value} agency, '{action}' is taken by: {roles}",
        )
    guard = GUARDS.get(action)
    refusal: Decision | None = None
    for party in fitting:
        refusal = guard(state, party, ctx) if guard else None
        if refusal is None:
            return Decision(action, True, party=party)
    assert refusal is not None
    return refusal


def allowed_actions(state: CaseState, actor: Actor, ctx: Context) -> list[Decision]:
    """Every action with its decision for this actor: what the API shows as buttons (or why not)."""
    return [check(state, action, actor, ctx) for action in Action]


def moves(state: CaseState, ctx: Context) -> list[Move]:
    """Who holds which move now: each allowed action, with the agency, its part and the roles."""
    result: list[Move] = []
    for action, spec in ACTIONS.items():
        if _stage_and_branch(spec, state, ctx):
            continue
        for party, roles in spec.movers.items():
            for agency in holders(state, party, ctx.registry):
                permitted = [
                    role
                    for role in sorted(roles)
                    if check(state, action, Actor(agency, role, ""), ctx).allowed
                ]
                if permitted:
                    result.append(Move(action, agency, party, permitted))
    return result


# --------------------------------------------------------------------------------------------------
# The body of an action


_REQUEST_AGENCY_KIND = {
    Action.REQUEST_TEST: AgencyKind.MONITORING_STATION,
    Action.REQUEST_APPRAISAL: AgencyKind.APPRAISAL_INSTITUTION,
    Action.SEND_REFERRAL: AgencyKind.POLICE,
    Action.RESEND_REFERRAL: AgencyKind.POLICE,
}


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list) and not value)


def payload_problems(
    state: CaseState, action: Action, actor: Actor, payload: ActionPayload, ctx: Context
) -> list[str]:
    """What is wrong with an action's body, each as a sentence saying what to fix."""
    spec = ACTIONS[action]
    problems = [
        f"'{name}' is required for '{action}'"
        for name in spec.required
        if _empty(getattr(payload, name))
    ]
    if payload.agency is not None and not _empty(payload.agency):
        agency = ctx.registry.find(payload.agency)
        wanted = _REQUEST_AGENCY_KIND.get(action)
        if agency is None:
            problems.append(f"agency '{payload.agency}' is not in the registry")
        elif wanted is not None and agency.kind is not wanted:
            problems.append(f"agency '{payload.agency}' is a {agency.kind}, not a {wanted}")
        elif action in (Action.TRANSFER_JURISDICTION, Action.DECIDE_JURISDICTION):
            if not agency.kind.enforces:
                problems.append(
                    f"agency '{payload.agency}' is not an administrative enforcement agency"
                )
            if action is Action.TRANSFER_JURISDICTION and agency.code == state.owner_agency:
                problems.append("a case cannot be transferred to the agency that owns it")
    if (
        action is Action.CLASSIFY
        and payload.classification is not None
        and payload.classification is not state.triage.suggested
        and _empty(payload.reasons)
    ):
        problems.append(
            f"overriding the suggested '{state.triage.suggested}' needs 'reasons' on the record"
        )
    if action in (Action.RECORD_TEST_RESULT, Action.RECORD_APPRAISAL) and payload.request_id:
        kind = RequestKind.TEST if action is Action.RECORD_TEST_RESULT else RequestKind.APPRAISAL
        open_ids = [r.request_id for r in state.open_requests(kind) if r.agency == actor.agency]
        if payload.request_id not in open_ids:
            problems.append(
                f"request '{payload.request_id}' is not an open {kind} request of '{actor.agency}'"
                + (f" (open: {', '.join(open_ids)})" if open_ids else "")
            )
    if action is Action.RECORD_EVIDENCE:
        if payload.kind is not None and payload.kind not in CATALOGUE:
            problems.append(f"unknown evidence kind '{payload.kind}'")
        if _empty(payload.sha256) and _empty(payload.reference):
            problems.append("an evidence item needs a file fingerprint ('sha256') or a 'reference'")
        if payload.sha256 is not None and not _is_sha256(payload.sha256):
            problems.append("'sha256' must be 64 lower-case hexadecimal characters")
        if payload.size is not None and payload.size < 0:
            problems.append("'size' may not be negative")
    if (
        action is Action.APPROVE_EXTENSION
        and payload.extension is not None
        and payload.extension not in ctx.profile.extensions
    ):
        known = ", ".join(ctx.profile.extensions) or "none"
        problems.append(f"unknown extension '{payload.extension}' (this mechanism has: {known})")
    problems.extend(measurement_problems(payload.measurements))
    if payload.facts is not None:
        problems.extend(facts_problems(payload.facts))
    return problems


def measurement_problems(measurements: list[Measurement]) -> list[str]:
    return [
        f"measurement of '{m.pollutant}' needs a positive standard and a measured value ≥ 0"
        for m in measurements
        if m.standard <= 0 or m.measured < 0
    ]


def facts_problems(facts: CaseFacts) -> list[str]:
    """Facts an intake system or officer sends; the same rules at intake and on update."""
    problems = measurement_problems(facts.measurements)
    if facts.reported_multiple is not None and facts.reported_multiple < 0:
        problems.append("'reported_multiple' may not be negative")
    if facts.discharges_past_year < 1:
        problems.append("'discharges_past_year' counts this discharge too, so it is at least 1")
    return problems


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def validate(
    state: CaseState, action: Action, actor: Actor, payload: ActionPayload, ctx: Context
) -> Decision:
    """The whole question the update validator asks: allowed now, and with a well-formed body."""
    decision = check(state, action, actor, ctx)
    if not decision.allowed:
        return decision
    problems = payload_problems(state, action, actor, payload, ctx)
    if problems:
        return Decision(
            action, False, Reason.INVALID_PAYLOAD, "; ".join(problems), party=decision.party
        )
    return decision


__all__ = [
    "Context",
    "Decision",
    "Move",
    "Reason",
    "allowed_actions",
    "check",
    "evidence_lines",
    "holders",
    "moves",
    "parties_of",
    "payload_problems",
    "referral_lines",
    "resolve",
    "role_refusal",
    "validate",
]
