"""The allowed-actions function over every stage, role and agency relation, and each refusal reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cases import decide as rules
from cases.calendar import Unit
from cases.context import Context, Decision, Reason
from cases.decide import decisions, moves, resolve
from cases.limits import MAX_EVIDENCE
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    ClockState,
    DeliveryReceipt,
    ExpertRequest,
    SupplementRequest,
    TransferState,
)
from cases.parties import parties_of
from cases.steps import STEPS
from cases.vocabulary import (
    Branch,
    Classification,
    FilingOutcome,
    Party,
    RequestKind,
    Role,
    Stage,
)
from tests.domain.cases_at import (
    APR,
    CITY,
    EPB,
    GOV,
    JLO,
    LG,
    MON,
    NOW,
    OFFICER,
    PROC,
    PSB,
    case_at,
    ctx,
    fresh,
    registry,
    with_items,
)


def check(state: CaseState, action: str, actor: Actor, context: Context) -> Decision:
    return rules.check(state, STEPS[action], actor, context)


def validate(
    state: CaseState, action: str, actor: Actor, body: dict[str, object], context: Context
) -> Decision:
    return rules.validate(state, STEPS[action], actor, body, context)[0]


# Short names for the roles, so that the expected tables below read as tables.
OFF, APP, COO, LEAD, PROS, INTAKE = (
    Role.OFFICER,
    Role.APPROVER,
    Role.COORDINATOR,
    Role.LEADER,
    Role.PROCURATOR,
    Role.INTAKE,
)
# What may be done in every open stage: oversight, written questions between the case's agencies
# (N2017 Art. 24), and links to cases of other regions, by the owner or its coordinator (D3 §3.2).
OVERSIGHT = {
    (EPB, OFF, "link_case"),
    (EPB, APP, "link_case"),
    (JLO, COO, "link_case"),
    (JLO, COO, "supervise_case"),
    (JLO, COO, "direct"),
    (LG, LEAD, "supervise_case"),
    (LG, LEAD, "direct"),
    (PROC, PROS, "direct"),
    (EPB, OFF, "ask_in_writing"),
    (EPB, APP, "ask_in_writing"),
    (PSB, OFF, "ask_in_writing"),
    (PSB, APP, "ask_in_writing"),
    (PROC, PROS, "ask_in_writing"),
}
# The owner asks an agency of another region for assistance where it asks for tests (D3 §3.2).
ASSISTANCE = {(EPB, OFF, "request_assistance"), (EPB, APP, "request_assistance")}
PRE_REFERRAL_AGENCY = ASSISTANCE | {
    (EPB, OFF, "classify"),
    (EPB, OFF, "update_facts"),
    (EPB, OFF, "record_evidence"),
    (EPB, OFF, "request_test"),
    (EPB, OFF, "request_appraisal"),
    (EPB, OFF, "request_early_intervention"),
    (EPB, OFF, "find_not_competent"),
    (EPB, OFF, "transfer_jurisdiction"),
    (EPB, OFF, "handle_administratively"),
    (EPB, APP, "classify"),
    (EPB, APP, "request_early_intervention"),
    (EPB, APP, "transfer_jurisdiction"),
    (EPB, APP, "handle_administratively"),
}

# The bureau corrects or withdraws the items it recorded wherever it may record material, and its
# facts until the referral is sent (corrections, issue 13).
ITEMS = {(EPB, OFF, "correct_evidence"), (EPB, OFF, "withdraw_evidence")}
FACTS = {(EPB, OFF, "correct_facts")}

# Who may do what, for each stage of an env-police case (complete package from evidence on).
EXPECTED: dict[Stage, set[tuple[str, Role, str]]] = {
    # Not yet classified: the superior may order a transfer (P2014 Art. 17); from evidence fixing on
    # the case is a suspected crime, for which it may not.
    Stage.DISCOVERY: PRE_REFERRAL_AGENCY
    | FACTS
    | {(CITY, OFF, "order_referral"), (CITY, APP, "order_referral")},
    Stage.EVIDENCE: PRE_REFERRAL_AGENCY
    | FACTS
    | ITEMS
    | {(EPB, OFF, "request_approval"), (PROC, PROS, "recommend_referral")},
    Stage.REFERRAL_APPROVAL: FACTS
    | ITEMS
    | {
        (EPB, OFF, "record_evidence"),
        (EPB, OFF, "request_early_intervention"),
        (EPB, OFF, "withdraw_referral"),
        (EPB, APP, "approve_referral"),
        (EPB, APP, "refuse_referral"),
        (EPB, APP, "withdraw_referral"),
        (EPB, APP, "request_early_intervention"),
    },
    Stage.REFERRAL_SENDING: FACTS
    | ITEMS
    | {
        (EPB, OFF, "record_evidence"),
        (EPB, OFF, "request_early_intervention"),
        (EPB, OFF, "withdraw_referral"),
        (EPB, OFF, "send_referral"),
        (EPB, APP, "request_early_intervention"),
        (EPB, APP, "withdraw_referral"),
    },
    # Until the police system's receipt, which is the acceptance (N2017 Art. 7).
    Stage.ACCEPTANCE: {(PSB, OFF, "record_evidence")},
    Stage.FILING_DECISION: {
        (PSB, OFF, "file_case"),
        (PSB, OFF, "decline_filing"),
        (PSB, OFF, "reverse_refer"),
        (PSB, OFF, "record_evidence"),
        (PSB, OFF, "request_supplements"),
        (PSB, APP, "file_case"),
        (PSB, APP, "decline_filing"),
        (PSB, APP, "reverse_refer"),
        (PSB, APP, "approve_extension"),
    },
    Stage.NOT_FILED: {
        (EPB, OFF, "handle_administratively"),
        (EPB, OFF, "request_reconsideration"),
        (EPB, OFF, "propose_supervision"),
        (EPB, APP, "handle_administratively"),
        (EPB, APP, "request_reconsideration"),
        (EPB, APP, "propose_supervision"),
        (PROC, PROS, "supervise_filing"),
    },
    # The detention track (P2014 Art. 13–15): the police detain, return the file or ask for more.
    Stage.DETENTION_REVIEW: {
        (PSB, OFF, "decide_detention"),
        (PSB, APP, "decide_detention"),
        (PSB, OFF, "return_referral"),
        (PSB, APP, "return_referral"),
        (PSB, OFF, "request_supplements"),
        (PSB, OFF, "record_evidence"),
    },
    Stage.RECONSIDERATION: {
        (PSB, OFF, "decide_reconsideration"),
        (PSB, APP, "decide_reconsideration"),
    },
    Stage.SUPERVISION: {(PROC, PROS, "supervise_filing")},
    Stage.HANDOVER: ITEMS
    | {
        (EPB, OFF, "hand_over"),
        (EPB, OFF, "record_evidence"),
        (PSB, OFF, "record_evidence"),
        (PSB, OFF, "withdraw_case"),
        (PSB, APP, "withdraw_case"),
    },
    Stage.INVESTIGATION: {
        (PSB, OFF, "record_evidence"),
        (PSB, OFF, "feed_back"),
        (PSB, OFF, "reverse_refer"),
        (PSB, OFF, "withdraw_case"),
        (PSB, APP, "feed_back"),
        (PSB, APP, "reverse_refer"),
        (PSB, APP, "withdraw_case"),
    },
    Stage.PROSECUTION: {(PROC, PROS, "charge"), (PROC, PROS, "decline_prosecution")},
    Stage.TRIAL: {(PROC, PROS, "record_judgment")},
    Stage.ADMIN_PENALTY: ITEMS
    | ASSISTANCE
    | {
        (EPB, OFF, "record_evidence"),
        (EPB, OFF, "request_test"),
        (EPB, OFF, "request_appraisal"),
        (EPB, OFF, "impose_penalty"),
        (EPB, APP, "impose_penalty"),
        (PROC, PROS, "recommend_referral"),
    },
    Stage.ARCHIVING: {(EPB, OFF, "archive")},
    Stage.ARCHIVED: set(),
}


def everything_allowed(state: CaseState, context: Context) -> set[tuple[str, Role, str]]:
    return {
        (agency.code, role, action)
        for agency in registry()
        for role in Role
        for action in STEPS
        if check(state, action, Actor(agency.code, role, "x"), context).allowed
    }


def test_every_stage_is_covered() -> None:
    assert set(EXPECTED) == set(Stage)


@pytest.mark.parametrize("stage", list(Stage))
def test_who_may_do_what_in_each_stage(stage: Stage) -> None:
    """Every agency of the registry (with or without a part in the case) in every role."""
    state = case_at(stage)
    expected = EXPECTED[stage] | (set() if stage.closed else OVERSIGHT)
    assert everything_allowed(state, ctx()) == expected


@pytest.mark.parametrize("stage", list(Stage))
def test_moves_agree_with_check(stage: Stage) -> None:
    state = case_at(stage)
    expected = EXPECTED[stage] | (set() if stage.closed else OVERSIGHT)
    listed = {(m.agency, role, m.action) for m in moves(state, ctx()) for role in m.roles}
    assert listed == expected


def test_decisions_list_every_step_with_its_reason() -> None:
    found = decisions(case_at(Stage.ACCEPTANCE), OFFICER, ctx())
    assert [d.action for d in found] == list(STEPS)
    by_action = {d.action: d for d in found}
    assert by_action["accept"].reason is Reason.NOT_YOUR_MOVE
    assert by_action["approve_referral"].reason is Reason.ROLE_NOT_PERMITTED
    assert [d.action for d in found if d.allowed] == ["ask_in_writing", "link_case"]


# --- Relations ---------------------------------------------------------------------------------------


def test_parts_each_agency_plays() -> None:
    s = case_at(Stage.EVIDENCE)
    reg = registry()
    assert parties_of(s, EPB, reg) == {Party.REFERRING}
    assert parties_of(s, PSB, reg) == {Party.RECEIVING}
    assert parties_of(s, PROC, reg) == {Party.PROCURATORATE}
    assert parties_of(s, JLO, reg) == {Party.JOINT_OFFICE}
    assert parties_of(s, LG, reg) == {Party.LEADERSHIP_GROUP}
    assert parties_of(s, GOV, reg) == {Party.COUNTY_GOVERNMENT}
    assert parties_of(s, MON, reg) == set()  # a station has a part only while it holds a request
    assert parties_of(s, "JLO-EAST", reg) == set()  # another region's office has none
    assert parties_of(s, "PS-DEMO-CG", reg) == set()  # nor a police station the case is not at


def test_a_monitoring_station_holds_the_move_only_for_its_open_request() -> None:
    s = case_at(Stage.EVIDENCE)
    s.requests.append(
        ExpertRequest("T1", RequestKind.TEST, MON, NOW - timedelta(hours=1), OFFICER, "COD")
    )
    station = Actor(MON, OFF, "监测员")
    assert check(s, "record_test_result", station, ctx()).allowed
    assert check(s, "record_appraisal", station, ctx()).reason is Reason.NOT_YOUR_MOVE
    assert check(s, "record_test_result", Actor(APR, OFF, "x"), ctx()).reason is (
        Reason.NOT_YOUR_MOVE
    )
    s.requests[0].answered_at = NOW
    assert check(s, "record_test_result", station, ctx()).reason is Reason.NOT_YOUR_MOVE


def test_a_transfer_target_holds_the_transfer_moves() -> None:
    s = case_at(Stage.EVIDENCE)
    s.transfer = TransferState("NRB-DEMO", NOW - timedelta(hours=1), "土地违法,属自然资源局管辖")
    target = Actor("NRB-DEMO", OFF, "张")
    assert check(s, "accept_transfer", target, ctx()).allowed
    assert check(s, "dispute_jurisdiction", target, ctx()).allowed
    assert check(s, "accept_transfer", OFFICER, ctx()).reason is Reason.NOT_YOUR_MOVE
    s.transfer.disputed_at = NOW
    assert check(s, "decide_jurisdiction", Actor(GOV, APP, "县长"), ctx()).allowed
    assert check(s, "decide_jurisdiction", Actor("GOV-EAST", APP, "x"), ctx()).reason is (
        Reason.NOT_YOUR_MOVE
    )


# --- Every refusal reason ----------------------------------------------------------------------------


def supplements_pending(state: CaseState) -> CaseState:
    state.supplements.append(SupplementRequest(NOW - timedelta(hours=1), ["monitoring_report"]))
    return state


def national_filing(accepted_hours_ago: int) -> CaseState:
    s = case_at(Stage.FILING_DECISION, "national-2017")
    s.filing.accepted_at = NOW - timedelta(hours=accepted_hours_ago)
    return s


def decide(state: CaseState, action: str, actor: Actor, context: Context | None = None) -> Decision:
    return check(state, action, actor, context or ctx(state.mechanism))


POLICE = Actor(PSB, OFF, "刘警官")
POLICE_HEAD = Actor(PSB, APP, "赵局长")
HEAD = Actor(EPB, APP, "李局长")
PROCURATOR = Actor(PROC, PROS, "陈检察官")


def no_admin_only() -> Context:
    base = ctx()
    profile = replace(base.profile, branches=base.profile.branches - {Branch.ADMIN_ONLY})
    return Context(profile, base.registry, base.now)


SCENARIOS: list[tuple[str, Reason, object]] = [
    (
        "an action the product does not know",
        Reason.UNKNOWN_ACTION,
        lambda: resolve("teleport"),
    ),
    (
        "an agency not in the registry",
        Reason.UNKNOWN_AGENCY,
        lambda: decide(case_at(Stage.ACCEPTANCE), "accept", Actor("PSB-NOWHERE", OFF, "x")),
    ),
    (
        "an intake system may not accept",
        Reason.ROLE_NOT_PERMITTED,
        lambda: decide(case_at(Stage.ACCEPTANCE), "accept", Actor(PSB, INTAKE, "system")),
    ),
    (
        "an officer may not approve a referral",
        Reason.ROLE_NOT_PERMITTED,
        lambda: decide(case_at(Stage.REFERRAL_APPROVAL), "approve_referral", OFFICER),
    ),
    (
        "the police head may approve, but not a referral: that is the agency head's",
        Reason.ROLE_NOT_PERMITTED,
        lambda: decide(case_at(Stage.ACCEPTANCE), "accept", POLICE_HEAD),
    ),
    (
        "nothing happens to an archived case",
        Reason.CASE_CLOSED,
        lambda: decide(case_at(Stage.ARCHIVED), "direct", Actor(LG, LEAD, "组长")),
    ),
    (
        "animal health (O310) has no extension of the filing decision",
        Reason.NOT_IN_MECHANISM,
        lambda: decide(
            case_at(Stage.FILING_DECISION, "animal-health-police"), "approve_extension", POLICE_HEAD
        ),
    ),
    (
        "a mechanism without the administrative-only path",
        Reason.NOT_IN_MECHANISM,
        lambda: decide(
            case_at(Stage.EVIDENCE), "handle_administratively", OFFICER, no_admin_only()
        ),
    ),
    (
        "acceptance before the referral is sent",
        Reason.WRONG_STAGE,
        lambda: decide(case_at(Stage.REFERRAL_SENDING), "accept", POLICE),
    ),
    (
        "the agency cannot accept its own referral",
        Reason.NOT_YOUR_MOVE,
        lambda: decide(case_at(Stage.ACCEPTANCE), "accept", OFFICER),
    ),
    (
        "another region's police cannot accept it",
        Reason.NOT_YOUR_MOVE,
        lambda: decide(case_at(Stage.ACCEPTANCE), "accept", Actor("PSB-EAST", OFF, "x")),
    ),
    (
        "approval asked for an incomplete package",
        Reason.PACKAGE_INCOMPLETE,
        lambda: decide(case_at(Stage.EVIDENCE, complete=False), "request_approval", OFFICER),
    ),
    (
        "approval asked before classification",
        Reason.CLASSIFICATION_REQUIRED,
        lambda: decide(
            replace(case_at(Stage.EVIDENCE), classification=None), "request_approval", OFFICER
        ),
    ),
    (
        "an administrative case is not referred",
        Reason.NOT_REFERABLE,
        lambda: decide(
            replace(case_at(Stage.EVIDENCE), classification=Classification.ADMINISTRATIVE),
            "request_approval",
            OFFICER,
        ),
    ),
    (
        "acceptance before the police system confirmed receipt",
        Reason.NOT_DELIVERED,
        lambda: decide(
            undelivered(case_at(Stage.ACCEPTANCE, "animal-health-police")), "accept", POLICE
        ),
    ),
    (
        "where the police review the package before accepting, acceptance waits for supplements",
        Reason.AWAITING_SUPPLEMENTS,
        lambda: decide(
            supplements_pending(delivered(case_at(Stage.ACCEPTANCE))),
            "accept",
            POLICE,
            separate_acceptance(block=True),
        ),
    ),
    (
        "where acceptance is a step of its own and supplements do not block it: accept, then ask",
        Reason.ACCEPT_FIRST,
        lambda: decide(
            delivered(case_at(Stage.ACCEPTANCE)),
            "request_supplements",
            POLICE,
            separate_acceptance(block=False),
        ),
    ),
    (
        "env-police: supplements asked for after the 24 hours (N2017 Art. 8)",
        Reason.WINDOW_CLOSED,
        lambda: decide(national_filing(25), "request_supplements", POLICE),
    ),
    (
        "a withdrawal after filing is not reconsidered, it is put to the procuratorate",
        Reason.NOT_A_REFUSAL,
        lambda: decide(withdrawn(case_at(Stage.NOT_FILED)), "request_reconsideration", OFFICER),
    ),
    (
        "supervision of a pending decision before it is overdue (N2017 Art. 12)",
        Reason.NOT_OVERDUE,
        lambda: decide(case_at(Stage.FILING_DECISION), "propose_supervision", OFFICER),
    ),
    (
        "reconsideration asked for after the 3 days",
        Reason.WINDOW_CLOSED,
        lambda: decide(
            case_at(Stage.NOT_FILED),
            "request_reconsideration",
            OFFICER,
            ctx(now=NOW + timedelta(days=4)),
        ),
    ),
    (
        "early intervention recorded twice",
        Reason.ALREADY_DONE,
        lambda: decide(
            replace(case_at(Stage.EVIDENCE), early_intervention_at=NOW),
            "intervene_early",
            POLICE,
        ),
    ),
    (
        "supplements asked for twice",
        Reason.ALREADY_PENDING,
        lambda: decide(
            supplements_pending(case_at(Stage.FILING_DECISION)), "request_supplements", POLICE
        ),
    ),
    (
        "resending what did not fail",
        Reason.NOTHING_PENDING,
        lambda: decide(case_at(Stage.ACCEPTANCE), "resend_referral", OFFICER),
    ),
    (
        "declining what the procuratorate ordered filed",
        Reason.FILING_ORDERED,
        lambda: decide(ordered(case_at(Stage.FILING_DECISION)), "decline_filing", POLICE),
    ),
    (
        "approval asked while a transfer is pending",
        Reason.TRANSFER_PENDING,
        lambda: decide(transferring(case_at(Stage.EVIDENCE)), "request_approval", OFFICER),
    ),
    (
        "joint consultation on an ordinary case",
        Reason.NOT_MAJOR_CASE,
        lambda: decide(case_at(Stage.INVESTIGATION), "convene_consultation", Actor(JLO, COO, "x")),
    ),
    (
        "evidence beyond what a case may hold",
        Reason.LIMIT_REACHED,
        lambda: decide(
            with_items(case_at(Stage.EVIDENCE), *["complaint"] * MAX_EVIDENCE),
            "record_evidence",
            OFFICER,
        ),
    ),
    (
        "a transfer for detention reported before the penalty decision (P2014 Art. 2)",
        Reason.PENALTY_FIRST,
        lambda: decide(public_security(case_at(Stage.EVIDENCE)), "request_approval", OFFICER),
    ),
    (
        "a refusal of the referral without reasons",
        Reason.INVALID_PAYLOAD,
        lambda: validate(case_at(Stage.REFERRAL_APPROVAL), "refuse_referral", HEAD, {}, ctx()),
    ),
]


def public_security(state: CaseState) -> CaseState:
    """Confirmed as a 治安 case, with the P2014 Art. 11 package but no penalty decided yet."""
    state = replace(state, classification=Classification.PUBLIC_SECURITY)
    detention = ctx().profile.detention
    assert detention is not None
    return with_items(state, *detention.referral_required)


def undelivered(state: CaseState) -> CaseState:
    state.referral.receipt = None
    return state


def delivered(state: CaseState) -> CaseState:
    state.referral.receipt = DeliveryReceipt("PSB-RCPT-1", NOW - timedelta(hours=8))
    return state


def withdrawn(state: CaseState) -> CaseState:
    state.filing.outcome = FilingOutcome.WITHDRAWN
    return state


def separate_acceptance(*, block: bool) -> Context:
    """A mechanism whose police accept in a step of their own (as D4 and D5 have it), with the
    supplements branch; ``block``: the package is reviewed before accepting (D1-rules §三(二)2)."""
    base = ctx()
    profile = replace(base.profile, acceptance_on_receipt=False, supplements_block_acceptance=block)
    return Context(profile, base.registry, base.now)


def ordered(state: CaseState) -> CaseState:
    state.filing.filing_ordered = True
    return state


def transferring(state: CaseState) -> CaseState:
    state.transfer = TransferState("NRB-DEMO", NOW - timedelta(hours=1), "不属本部门管辖")
    return state


def test_the_scenarios_cover_every_reason() -> None:
    # A key used again for another request is refused by the workflow, which remembers the keys
    # (tests/workflows/test_idempotency.py), not by a rule of the case.
    assert {reason for _, reason, _ in SCENARIOS} == set(Reason) - {Reason.IDEMPOTENCY_CONFLICT}


@pytest.mark.parametrize(("title", "reason", "scenario"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_each_refusal_reason(title: str, reason: Reason, scenario: object) -> None:
    assert callable(scenario)
    decision = scenario()
    assert isinstance(decision, Decision)
    assert not decision.allowed
    assert decision.reason is reason, decision.message
    assert decision.message  # a sentence saying what to fix


# --- Conditions in detail ----------------------------------------------------------------------------


def test_an_incomplete_package_lists_exactly_what_is_missing() -> None:
    """The env-police package is N2017 Art. 6's; a monitoring report serves as the test report."""
    s = case_at(Stage.EVIDENCE, complete=False)
    d = check(s, "request_approval", OFFICER, ctx())
    assert d.missing == [
        "referral_letter",
        "materials_list",
        "investigation_report",
        "inspection_record",
        "investigation_records",
        "site_sketch",
        "sampling_records",
        "items_list",
        "photo_video_list",
        "test_reports",
    ]
    assert "现场勘验图" in d.message
    assert "N2017 Art. 6" in d.message
    s = with_items(s, "monitoring_report", "materials_list", "referral_letter", "party_interviews")
    d = check(s, "request_approval", OFFICER, ctx())
    assert d.missing == [
        "investigation_report",
        "inspection_record",
        "site_sketch",
        "sampling_records",
        "items_list",
        "photo_video_list",
    ]
    s = with_items(
        s,
        "investigation_report",
        "site_inspection_report",
        "site_sketch",
        "sampling_records",
        "items_list",
        "photo_video_list",
    )
    assert check(s, "request_approval", OFFICER, ctx()).allowed
    # A penalty already decided joins the package (N2017 Art. 6).
    s.penalty_decided_at = NOW - timedelta(days=10)
    d = check(s, "request_approval", OFFICER, ctx())
    assert d.missing == ["penalty_decision"]


def test_each_mechanism_checks_its_own_referral_checklist() -> None:
    s = case_at(Stage.EVIDENCE, "township-county", complete=False)
    assert s.owner_agency == "TWP-DEMO-XX"
    d = check(s, "request_approval", OFFICER, ctx("township-county"))
    assert d.reason is Reason.NOT_YOUR_MOVE  # the environment bureau has no part in this case
    d = check(s, "request_approval", OFFICER_TOWNSHIP, ctx("township-county"))
    assert d.missing == ["referral_letter", "source_materials", "basic_facts_evidence"]
    s = with_items(s, "referral_letter", "complaint", "party_interviews")
    assert check(s, "request_approval", OFFICER_TOWNSHIP, ctx("township-county")).allowed


OFFICER_TOWNSHIP = Actor("TWP-DEMO-XX", OFF, "乡执法队员")


def test_supplements_within_24_hours_of_the_receipt_n2017_art_8() -> None:
    """Asked within 24 hours of receiving the case, while the filing decision's days run; a pending
    request never blocks anything (N2017 Art. 8)."""
    for mechanism in ("env-police", "national-2017"):
        c = ctx(mechanism)
        s = case_at(Stage.FILING_DECISION, mechanism)
        s.filing.accepted_at = NOW - timedelta(hours=23)
        assert check(s, "request_supplements", POLICE, c).allowed
        s.filing.accepted_at = NOW - timedelta(hours=24)
        assert check(s, "request_supplements", POLICE, c).reason is Reason.WINDOW_CLOSED
        s = supplements_pending(case_at(Stage.FILING_DECISION, mechanism))
        assert check(s, "file_case", POLICE, c).allowed


def test_national_2017_extension_once_by_the_police_head() -> None:
    s = case_at(Stage.FILING_DECISION, "national-2017")
    c = ctx("national-2017")
    assert check(s, "approve_extension", POLICE_HEAD, c).allowed
    assert check(s, "approve_extension", POLICE, c).reason is Reason.ROLE_NOT_PERMITTED
    bad = validate(s, "approve_extension", POLICE_HEAD, {"extension": "forever", "reasons": "x"}, c)
    assert bad.reason is Reason.INVALID_PAYLOAD
    assert "clues_check" in bad.message
    s.filing.extension_days = 7
    assert check(s, "approve_extension", POLICE_HEAD, c).reason is Reason.ALREADY_DONE


def test_the_reconsideration_window_runs_from_the_notice_receipt_n2017_art_11() -> None:
    s = case_at(Stage.NOT_FILED)
    s.filing.decided_at = NOW - timedelta(days=5)  # the window runs from the notice's receipt:
    s.documents[-1].received_at = NOW  # Monday 10:00: 3 working days end at 24:00 on Thursday
    thursday_night = NOW.replace(hour=23, minute=59) + timedelta(days=3)
    friday = NOW.replace(hour=0, minute=0) + timedelta(days=4)
    assert check(s, "request_reconsideration", OFFICER, ctx(now=thursday_night)).allowed
    late = check(s, "request_reconsideration", OFFICER, ctx(now=friday))
    assert late.reason is Reason.WINDOW_CLOSED
    # Supervision can still be proposed after the window (O310 Art. 9).
    assert check(s, "propose_supervision", OFFICER, ctx(now=friday)).allowed
    s.filing.reconsideration_requested_at = NOW
    assert check(s, "request_reconsideration", OFFICER, ctx()).reason is Reason.ALREADY_DONE


def test_early_intervention_needs_a_request_or_a_trigger() -> None:
    s = case_at(Stage.EVIDENCE)
    assert check(s, "intervene_early", POLICE, ctx()).reason is Reason.NOTHING_PENDING
    violent = fresh(facts=CaseFacts(violent_resistance=True))
    assert check(violent, "intervene_early", POLICE, ctx()).allowed
    s.early_intervention_requested_at = NOW
    assert check(s, "intervene_early", POLICE, ctx()).allowed
    assert check(s, "request_early_intervention", OFFICER, ctx()).reason is Reason.ALREADY_PENDING


def test_consultation_for_major_cases_and_one_at_a_time() -> None:
    s = replace(case_at(Stage.INVESTIGATION), facts=CaseFacts(major_or_difficult=True))
    coordinator = Actor(JLO, COO, "协调员")
    assert check(s, "convene_consultation", coordinator, ctx()).allowed
    assert check(s, "convene_consultation", POLICE, ctx()).allowed
    assert check(s, "conclude_consultation", coordinator, ctx()).reason is Reason.NOTHING_PENDING
    s.consultation_open = True
    assert check(s, "convene_consultation", coordinator, ctx()).reason is Reason.ALREADY_PENDING
    assert check(s, "conclude_consultation", coordinator, ctx()).allowed
    assert check(s, "conclude_consultation", POLICE, ctx()).reason is Reason.ROLE_NOT_PERMITTED
    east = Actor("JLO-EAST", COO, "x")
    assert check(s, "conclude_consultation", east, ctx()).reason is Reason.NOT_YOUR_MOVE


def test_jurisdiction_found_once_then_transferred() -> None:
    s = case_at(Stage.EVIDENCE)
    s.clocks.append(
        ClockState(
            ordinal=0,
            key="jurisdiction_transfer",
            name="jurisdiction_transfer",
            title_zh="移送有管辖权部门",
            title_en="Transfer",
            owner_party=Party.REFERRING,
            owner_agency=EPB,
            owner_role=OFF,
            started_at=NOW,
            length=5,
            unit=Unit.WORKING_DAYS,
            due_at=NOW + timedelta(days=7),
            source="D6",
            statutory=False,
        )
    )
    assert check(s, "find_not_competent", OFFICER, ctx()).reason is Reason.ALREADY_DONE
    assert check(s, "transfer_jurisdiction", OFFICER, ctx()).allowed


@pytest.mark.parametrize(
    ("action", "body", "fragment"),
    [
        ("classify", {"classification": "administrative"}, "needs 'reasons'"),
        ("classify", {"classification": "felony"}, "classification: Input should be"),
        ("classify", {"classification": "crime", "colour": "red"}, "colour: unknown field"),
        ("request_test", {"agency": PSB, "subject": "COD"}, "not a monitoring_station"),
        ("request_test", {"agency": "NOPE", "subject": "COD"}, "not in the registry"),
        ("request_test", {"agency": "mon demo", "subject": "COD"}, "agency: String should match"),
        ("transfer_jurisdiction", {"agency": EPB, "reasons": "x"}, "agency that owns it"),
        ("transfer_jurisdiction", {"agency": PSB, "reasons": "x"}, "not an administrative"),
        ("transfer_jurisdiction", {"agency": "EPB-EAST", "reasons": "  "}, "reasons: String"),
        (
            "record_evidence",
            {"items": [{"kind": "rumour", "title": "x", "reference": "https://u.example/x"}]},
            "unknown item kind 'rumour'",
        ),
        (
            "record_evidence",
            {"items": [{"kind": "complaint", "title": "x"}]},
            "'sha256') or a 'reference'",
        ),
        (
            "record_evidence",
            {"items": [{"kind": "complaint", "title": "x", "sha256": "ABC"}]},
            "items.0.sha256: String should match",
        ),
        (
            "record_evidence",
            {"items": [{"kind": "complaint", "title": "x", "reference": "file:///etc/passwd"}]},
            "items.0.reference: String should match",
        ),
        (
            "record_evidence",
            {"items": [{"kind": "complaint", "title": "x" * 201, "sha256": "a" * 64}]},
            "items.0.title: String should have at most 200 characters",
        ),
        ("record_evidence", {"items": []}, "items: List should have at least 1 item"),
        ("update_facts", {"facts": {"discharges_past_year": 0}}, "greater than or equal to 1"),
        (
            "update_facts",
            {"facts": {"measurements": [{"pollutant": "COD", "measured": 1, "standard": 0}]}},
            "standard: Input should be greater than 0",
        ),
        ("update_facts", {"facts": {"summary": "长" * 2001}}, "at most 2000 characters"),
    ],
)
def test_payload_problems_say_what_to_fix(
    action: str, body: dict[str, object], fragment: str
) -> None:
    d = validate(case_at(Stage.EVIDENCE), action, OFFICER, body, ctx())
    assert d.reason is Reason.INVALID_PAYLOAD
    assert fragment in d.message


def test_a_test_result_must_answer_an_open_request_of_that_station() -> None:
    s = case_at(Stage.EVIDENCE)
    s.requests.append(ExpertRequest("test-1", RequestKind.TEST, MON, NOW, OFFICER, "COD"))
    station = Actor(MON, OFF, "监测员")
    wrong = validate(
        s, "record_test_result", station, {"request_id": "test-9", "conclusion": "ok"}, ctx()
    )
    assert wrong.reason is Reason.INVALID_PAYLOAD
    assert "open: test-1" in wrong.message
    right = validate(
        s, "record_test_result", station, {"request_id": "test-1", "conclusion": "ok"}, ctx()
    )
    assert right.allowed


def test_a_case_holds_a_bounded_number_of_items() -> None:
    s = case_at(Stage.EVIDENCE)
    s = with_items(s, *["complaint"] * (MAX_EVIDENCE - 1 - len(s.evidence)))
    item = {"kind": "complaint", "title": "x", "sha256": "a" * 64}
    too_many = validate(s, "record_evidence", OFFICER, {"items": [item, item]}, ctx())
    assert too_many.reason is Reason.INVALID_PAYLOAD
    assert "room for 1 more" in too_many.message
    assert validate(s, "record_evidence", OFFICER, {"items": [item]}, ctx()).allowed


def test_o310_art_5_a_team_of_two_or_more_officers_reports() -> None:
    """The report is made by a team of at least two officers; a profile carried from before the rule
    (no ``referral_team``) asks for none, so older cases go on as they started."""
    s = case_at(Stage.EVIDENCE)
    one = validate(s, "request_approval", OFFICER, {"officers": ["王执法", "王执法"]}, ctx())
    assert one.reason is Reason.INVALID_PAYLOAD
    assert "at least 2 officers (O310 Art. 5" in one.message
    two = validate(s, "request_approval", OFFICER, {"officers": ["王执法", "张执法"]}, ctx())
    assert two.allowed
    before = replace(ctx().profile, referral_team=0)
    older = Context(before, registry(), NOW)
    assert validate(s, "request_approval", OFFICER, {}, older).allowed


def test_n2017_art_34_a_decision_recorded_more_than_7_days_late_is_flagged() -> None:
    s = case_at(Stage.FILING_DECISION)
    today = NOW.date()
    c = ctx()
    body = {"reference": "立案-1", "decided_on": (today - timedelta(days=1)).isoformat()}
    decision, payload = rules.validate(s, STEPS["file_case"], POLICE, body, c)
    assert decision.allowed
    entry = STEPS["file_case"].carry_out(s, POLICE, payload, c).entries[0]
    assert entry.details["decided_on"] == (today - timedelta(days=1)).isoformat()
    assert "late_record" not in entry.details
    s = case_at(Stage.FILING_DECISION)
    s.discovered_at = NOW - timedelta(days=30)
    body["decided_on"] = (today - timedelta(days=8)).isoformat()
    decision, payload = rules.validate(s, STEPS["file_case"], POLICE, body, c)
    entry = STEPS["file_case"].carry_out(s, POLICE, payload, c).entries[0]
    assert entry.details["late_record"] == "recorded 8 days after the decision (within 7)"
    s = case_at(Stage.FILING_DECISION)
    future: dict[str, object] = {
        "reference": "x",
        "decided_on": (today + timedelta(days=1)).isoformat(),
    }
    assert validate(s, "file_case", POLICE, future, c).reason is Reason.INVALID_PAYLOAD
    assert validate(s, "file_case", POLICE, {"decided_on": 20261120}, c).reason is (
        Reason.INVALID_PAYLOAD
    )
    # O310 sets no such period: animal health flags nothing.
    a = case_at(Stage.FILING_DECISION, "animal-health-police")
    a.discovered_at = NOW - timedelta(days=30)
    late = {"decided_on": (today - timedelta(days=20)).isoformat()}
    decision, payload = rules.validate(
        a, STEPS["file_case"], POLICE, late, ctx("animal-health-police")
    )
    entry = STEPS["file_case"].carry_out(a, POLICE, payload, ctx("animal-health-police")).entries[0]
    assert "late_record" not in entry.details
