"""The allowed-actions function over every stage, role and agency relation, and each refusal reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cases.actions import Action, ActionPayload, Branch
from cases.allowed import (
    Context,
    Decision,
    Reason,
    allowed_actions,
    check,
    moves,
    parties_of,
    resolve,
    validate,
)
from cases.calendar import Unit
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    Classification,
    ClockState,
    ExpertRequest,
    Party,
    RequestKind,
    Role,
    Stage,
    SupplementRequest,
    TransferState,
)
from tests.domain.cases_at import (
    APR,
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

# Short names for the roles, so that the expected tables below read as tables.
OFF, APP, COO, LEAD, PROS, INTAKE = (
    Role.OFFICER,
    Role.APPROVER,
    Role.COORDINATOR,
    Role.LEADER,
    Role.PROCURATOR,
    Role.INTAKE,
)
OVERSIGHT = {
    (JLO, COO, Action.SUPERVISE_CASE),
    (JLO, COO, Action.DIRECT),
    (LG, LEAD, Action.SUPERVISE_CASE),
    (LG, LEAD, Action.DIRECT),
    (PROC, PROS, Action.DIRECT),
}
PRE_REFERRAL_AGENCY = {
    (EPB, OFF, Action.CLASSIFY),
    (EPB, OFF, Action.UPDATE_FACTS),
    (EPB, OFF, Action.RECORD_EVIDENCE),
    (EPB, OFF, Action.REQUEST_TEST),
    (EPB, OFF, Action.REQUEST_APPRAISAL),
    (EPB, OFF, Action.REQUEST_EARLY_INTERVENTION),
    (EPB, OFF, Action.FIND_NOT_COMPETENT),
    (EPB, OFF, Action.TRANSFER_JURISDICTION),
    (EPB, OFF, Action.HANDLE_ADMINISTRATIVELY),
    (EPB, APP, Action.CLASSIFY),
    (EPB, APP, Action.REQUEST_EARLY_INTERVENTION),
    (EPB, APP, Action.TRANSFER_JURISDICTION),
    (EPB, APP, Action.HANDLE_ADMINISTRATIVELY),
}

# Who may do what, for each stage of an env-police case (complete package from evidence on).
EXPECTED: dict[Stage, set[tuple[str, Role, Action]]] = {
    Stage.DISCOVERY: PRE_REFERRAL_AGENCY,
    Stage.EVIDENCE: PRE_REFERRAL_AGENCY
    | {(EPB, OFF, Action.REQUEST_APPROVAL), (PROC, PROS, Action.RECOMMEND_REFERRAL)},
    Stage.REFERRAL_APPROVAL: {
        (EPB, OFF, Action.RECORD_EVIDENCE),
        (EPB, OFF, Action.REQUEST_EARLY_INTERVENTION),
        (EPB, OFF, Action.WITHDRAW_REFERRAL),
        (EPB, APP, Action.APPROVE_REFERRAL),
        (EPB, APP, Action.REFUSE_REFERRAL),
        (EPB, APP, Action.WITHDRAW_REFERRAL),
        (EPB, APP, Action.REQUEST_EARLY_INTERVENTION),
    },
    Stage.REFERRAL_SENDING: {
        (EPB, OFF, Action.RECORD_EVIDENCE),
        (EPB, OFF, Action.REQUEST_EARLY_INTERVENTION),
        (EPB, OFF, Action.WITHDRAW_REFERRAL),
        (EPB, OFF, Action.SEND_REFERRAL),
        (EPB, APP, Action.REQUEST_EARLY_INTERVENTION),
        (EPB, APP, Action.WITHDRAW_REFERRAL),
    },
    Stage.ACCEPTANCE: {
        (PSB, OFF, Action.ACCEPT),
        (PSB, OFF, Action.REQUEST_SUPPLEMENTS),
        (PSB, OFF, Action.RECORD_EVIDENCE),
    },
    Stage.FILING_DECISION: {
        (PSB, OFF, Action.FILE_CASE),
        (PSB, OFF, Action.DECLINE_FILING),
        (PSB, OFF, Action.REVERSE_REFER),
        (PSB, OFF, Action.RECORD_EVIDENCE),
        (PSB, APP, Action.FILE_CASE),
        (PSB, APP, Action.DECLINE_FILING),
        (PSB, APP, Action.REVERSE_REFER),
    },
    Stage.NOT_FILED: {
        (EPB, OFF, Action.HANDLE_ADMINISTRATIVELY),
        (EPB, OFF, Action.REQUEST_RECONSIDERATION),
        (EPB, OFF, Action.PROPOSE_SUPERVISION),
        (EPB, APP, Action.HANDLE_ADMINISTRATIVELY),
        (EPB, APP, Action.REQUEST_RECONSIDERATION),
        (EPB, APP, Action.PROPOSE_SUPERVISION),
        (PROC, PROS, Action.SUPERVISE_FILING),
    },
    Stage.RECONSIDERATION: {
        (PSB, OFF, Action.DECIDE_RECONSIDERATION),
        (PSB, APP, Action.DECIDE_RECONSIDERATION),
    },
    Stage.SUPERVISION: {(PROC, PROS, Action.SUPERVISE_FILING)},
    Stage.HANDOVER: {
        (EPB, OFF, Action.HAND_OVER),
        (EPB, OFF, Action.RECORD_EVIDENCE),
        (PSB, OFF, Action.RECORD_EVIDENCE),
    },
    Stage.INVESTIGATION: {
        (PSB, OFF, Action.RECORD_EVIDENCE),
        (PSB, OFF, Action.FEED_BACK),
        (PSB, OFF, Action.REVERSE_REFER),
        (PSB, APP, Action.FEED_BACK),
        (PSB, APP, Action.REVERSE_REFER),
    },
    Stage.ADMIN_PENALTY: {
        (EPB, OFF, Action.RECORD_EVIDENCE),
        (EPB, OFF, Action.REQUEST_TEST),
        (EPB, OFF, Action.REQUEST_APPRAISAL),
        (EPB, OFF, Action.IMPOSE_PENALTY),
        (EPB, APP, Action.IMPOSE_PENALTY),
        (PROC, PROS, Action.RECOMMEND_REFERRAL),
    },
    Stage.ARCHIVING: {(EPB, OFF, Action.ARCHIVE)},
    Stage.ARCHIVED: set(),
}


def everything_allowed(state: CaseState, context: Context) -> set[tuple[str, Role, Action]]:
    return {
        (agency.code, role, action)
        for agency in registry()
        for role in Role
        for action in Action
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


def test_allowed_actions_lists_every_action_with_its_reason() -> None:
    decisions = allowed_actions(case_at(Stage.ACCEPTANCE), OFFICER, ctx())
    assert [d.action for d in decisions] == list(Action)
    by_action = {d.action: d for d in decisions}
    assert by_action[Action.ACCEPT].reason is Reason.NOT_YOUR_MOVE
    assert by_action[Action.APPROVE_REFERRAL].reason is Reason.ROLE_NOT_PERMITTED
    assert not any(d.allowed for d in decisions)


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
    assert check(s, Action.RECORD_TEST_RESULT, station, ctx()).allowed
    assert check(s, Action.RECORD_APPRAISAL, station, ctx()).reason is Reason.NOT_YOUR_MOVE
    assert check(s, Action.RECORD_TEST_RESULT, Actor(APR, OFF, "x"), ctx()).reason is (
        Reason.NOT_YOUR_MOVE
    )
    s.requests[0].answered_at = NOW
    assert check(s, Action.RECORD_TEST_RESULT, station, ctx()).reason is Reason.NOT_YOUR_MOVE


def test_a_transfer_target_holds_the_transfer_moves() -> None:
    s = case_at(Stage.EVIDENCE)
    s.transfer = TransferState("NRB-DEMO", NOW - timedelta(hours=1), "土地违法,属自然资源局管辖")
    target = Actor("NRB-DEMO", OFF, "张")
    assert check(s, Action.ACCEPT_TRANSFER, target, ctx()).allowed
    assert check(s, Action.DISPUTE_JURISDICTION, target, ctx()).allowed
    assert check(s, Action.ACCEPT_TRANSFER, OFFICER, ctx()).reason is Reason.NOT_YOUR_MOVE
    s.transfer.disputed_at = NOW
    assert check(s, Action.DECIDE_JURISDICTION, Actor(GOV, APP, "县长"), ctx()).allowed
    assert check(s, Action.DECIDE_JURISDICTION, Actor("GOV-EAST", APP, "x"), ctx()).reason is (
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


def decide(
    state: CaseState, action: Action, actor: Actor, context: Context | None = None
) -> Decision:
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
        lambda: decide(case_at(Stage.ACCEPTANCE), Action.ACCEPT, Actor("PSB-NOWHERE", OFF, "x")),
    ),
    (
        "an intake system may not accept",
        Reason.ROLE_NOT_PERMITTED,
        lambda: decide(case_at(Stage.ACCEPTANCE), Action.ACCEPT, Actor(PSB, INTAKE, "system")),
    ),
    (
        "an officer may not approve a referral",
        Reason.ROLE_NOT_PERMITTED,
        lambda: decide(case_at(Stage.REFERRAL_APPROVAL), Action.APPROVE_REFERRAL, OFFICER),
    ),
    (
        "the police head may approve, but not a referral: that is the agency head's",
        Reason.ROLE_NOT_PERMITTED,
        lambda: decide(case_at(Stage.ACCEPTANCE), Action.ACCEPT, POLICE_HEAD),
    ),
    (
        "nothing happens to an archived case",
        Reason.CASE_CLOSED,
        lambda: decide(case_at(Stage.ARCHIVED), Action.DIRECT, Actor(LG, LEAD, "组长")),
    ),
    (
        "env-police has no extension of the filing decision",
        Reason.NOT_IN_MECHANISM,
        lambda: decide(case_at(Stage.FILING_DECISION), Action.APPROVE_EXTENSION, POLICE_HEAD),
    ),
    (
        "a mechanism without the administrative-only path",
        Reason.NOT_IN_MECHANISM,
        lambda: decide(
            case_at(Stage.EVIDENCE), Action.HANDLE_ADMINISTRATIVELY, OFFICER, no_admin_only()
        ),
    ),
    (
        "acceptance before the referral is sent",
        Reason.WRONG_STAGE,
        lambda: decide(case_at(Stage.REFERRAL_SENDING), Action.ACCEPT, POLICE),
    ),
    (
        "the agency cannot accept its own referral",
        Reason.NOT_YOUR_MOVE,
        lambda: decide(case_at(Stage.ACCEPTANCE), Action.ACCEPT, OFFICER),
    ),
    (
        "another region's police cannot accept it",
        Reason.NOT_YOUR_MOVE,
        lambda: decide(case_at(Stage.ACCEPTANCE), Action.ACCEPT, Actor("PSB-EAST", OFF, "x")),
    ),
    (
        "approval asked for an incomplete package",
        Reason.PACKAGE_INCOMPLETE,
        lambda: decide(case_at(Stage.EVIDENCE, complete=False), Action.REQUEST_APPROVAL, OFFICER),
    ),
    (
        "approval asked before classification",
        Reason.CLASSIFICATION_REQUIRED,
        lambda: decide(
            replace(case_at(Stage.EVIDENCE), classification=None), Action.REQUEST_APPROVAL, OFFICER
        ),
    ),
    (
        "an administrative case is not referred",
        Reason.NOT_REFERABLE,
        lambda: decide(
            replace(case_at(Stage.EVIDENCE), classification=Classification.ADMINISTRATIVE),
            Action.REQUEST_APPROVAL,
            OFFICER,
        ),
    ),
    (
        "acceptance before the police system confirmed receipt",
        Reason.NOT_DELIVERED,
        lambda: decide(undelivered(case_at(Stage.ACCEPTANCE)), Action.ACCEPT, POLICE),
    ),
    (
        "acceptance waits for the supplements (env-police)",
        Reason.AWAITING_SUPPLEMENTS,
        lambda: decide(supplements_pending(case_at(Stage.ACCEPTANCE)), Action.ACCEPT, POLICE),
    ),
    (
        "national-2017: accept at once, then ask",
        Reason.ACCEPT_FIRST,
        lambda: decide(
            case_at(Stage.ACCEPTANCE, "national-2017"), Action.REQUEST_SUPPLEMENTS, POLICE
        ),
    ),
    (
        "national-2017: supplements asked for after the 24 hours",
        Reason.WINDOW_CLOSED,
        lambda: decide(national_filing(25), Action.REQUEST_SUPPLEMENTS, POLICE),
    ),
    (
        "reconsideration asked for after the 3 days",
        Reason.WINDOW_CLOSED,
        lambda: decide(
            case_at(Stage.NOT_FILED),
            Action.REQUEST_RECONSIDERATION,
            OFFICER,
            ctx(now=NOW + timedelta(days=4)),
        ),
    ),
    (
        "early intervention recorded twice",
        Reason.ALREADY_DONE,
        lambda: decide(
            replace(case_at(Stage.EVIDENCE), early_intervention_at=NOW),
            Action.INTERVENE_EARLY,
            POLICE,
        ),
    ),
    (
        "supplements asked for twice",
        Reason.ALREADY_PENDING,
        lambda: decide(
            supplements_pending(case_at(Stage.ACCEPTANCE)), Action.REQUEST_SUPPLEMENTS, POLICE
        ),
    ),
    (
        "resending what did not fail",
        Reason.NOTHING_PENDING,
        lambda: decide(case_at(Stage.ACCEPTANCE), Action.RESEND_REFERRAL, OFFICER),
    ),
    (
        "declining what the procuratorate ordered filed",
        Reason.FILING_ORDERED,
        lambda: decide(ordered(case_at(Stage.FILING_DECISION)), Action.DECLINE_FILING, POLICE),
    ),
    (
        "approval asked while a transfer is pending",
        Reason.TRANSFER_PENDING,
        lambda: decide(transferring(case_at(Stage.EVIDENCE)), Action.REQUEST_APPROVAL, OFFICER),
    ),
    (
        "joint consultation on an ordinary case",
        Reason.NOT_MAJOR_CASE,
        lambda: decide(
            case_at(Stage.INVESTIGATION), Action.CONVENE_CONSULTATION, Actor(JLO, COO, "x")
        ),
    ),
    (
        "a refusal of the referral without reasons",
        Reason.INVALID_PAYLOAD,
        lambda: validate(
            case_at(Stage.REFERRAL_APPROVAL), Action.REFUSE_REFERRAL, HEAD, ActionPayload(), ctx()
        ),
    ),
]


def undelivered(state: CaseState) -> CaseState:
    state.referral.receipt = None
    return state


def ordered(state: CaseState) -> CaseState:
    state.filing.filing_ordered = True
    return state


def transferring(state: CaseState) -> CaseState:
    state.transfer = TransferState("NRB-DEMO", NOW - timedelta(hours=1), "不属本部门管辖")
    return state


def test_the_scenarios_cover_every_reason() -> None:
    assert {reason for _, reason, _ in SCENARIOS} == set(Reason)


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
    s = case_at(Stage.EVIDENCE, complete=False)
    d = check(s, Action.REQUEST_APPROVAL, OFFICER, ctx())
    assert d.missing == [
        "materials_list",
        "referral_letter",
        "investigation_report",
        "discharge_evidence",
        "test_reports",
        "items_list",
        "handling_opinion",
    ]
    assert "移送材料清单" in d.message
    assert "D1-rules §五" in d.message
    # A certified monitoring report serves as discharge evidence and as the test report.
    s = with_items(s, "monitoring_report", "materials_list", "referral_letter")
    d = check(s, Action.REQUEST_APPROVAL, OFFICER, ctx())
    assert d.missing == ["investigation_report", "items_list", "handling_opinion"]
    s = with_items(s, "investigation_report", "items_list", "handling_opinion")
    assert check(s, Action.REQUEST_APPROVAL, OFFICER, ctx()).allowed


def test_each_mechanism_checks_its_own_referral_checklist() -> None:
    s = case_at(Stage.EVIDENCE, "township-county", complete=False)
    assert s.owner_agency == "TWP-DEMO-XX"
    d = check(s, Action.REQUEST_APPROVAL, OFFICER, ctx("township-county"))
    assert d.reason is Reason.NOT_YOUR_MOVE  # the environment bureau has no part in this case
    d = check(s, Action.REQUEST_APPROVAL, OFFICER_TOWNSHIP, ctx("township-county"))
    assert d.missing == ["referral_letter", "source_materials", "basic_facts_evidence"]
    s = with_items(s, "referral_letter", "complaint", "party_interviews")
    assert check(s, Action.REQUEST_APPROVAL, OFFICER_TOWNSHIP, ctx("township-county")).allowed


OFFICER_TOWNSHIP = Actor("TWP-DEMO-XX", OFF, "乡执法队员")


def test_national_2017_supplements_within_24_hours_of_acceptance() -> None:
    assert check(
        national_filing(23), Action.REQUEST_SUPPLEMENTS, POLICE, ctx("national-2017")
    ).allowed
    assert check(
        national_filing(24), Action.REQUEST_SUPPLEMENTS, POLICE, ctx("national-2017")
    ).reason is (Reason.WINDOW_CLOSED)
    # Under env-police supplements come before acceptance, never in the filing stage.
    d = check(case_at(Stage.FILING_DECISION), Action.REQUEST_SUPPLEMENTS, POLICE, ctx())
    assert d.reason is Reason.WRONG_STAGE
    # And under national-2017 a pending request does not block acceptance.
    s = supplements_pending(case_at(Stage.ACCEPTANCE, "national-2017"))
    assert check(s, Action.ACCEPT, POLICE, ctx("national-2017")).allowed


def test_national_2017_extension_once_by_the_police_head() -> None:
    s = case_at(Stage.FILING_DECISION, "national-2017")
    c = ctx("national-2017")
    assert check(s, Action.APPROVE_EXTENSION, POLICE_HEAD, c).allowed
    assert check(s, Action.APPROVE_EXTENSION, POLICE, c).reason is Reason.ROLE_NOT_PERMITTED
    bad = validate(
        s, Action.APPROVE_EXTENSION, POLICE_HEAD, ActionPayload(extension="forever", reasons="x"), c
    )
    assert bad.reason is Reason.INVALID_PAYLOAD
    assert "clues_check" in bad.message
    s.filing.extension_days = 7
    assert check(s, Action.APPROVE_EXTENSION, POLICE_HEAD, c).reason is Reason.ALREADY_DONE


def test_the_reconsideration_window_counts_days_by_the_period_rule() -> None:
    s = case_at(Stage.NOT_FILED)
    s.filing.decided_at = NOW  # Monday 10:00: 3 days end at 24:00 on Thursday
    thursday_night = NOW.replace(hour=23, minute=59) + timedelta(days=3)
    friday = NOW.replace(hour=0, minute=0) + timedelta(days=4)
    assert check(s, Action.REQUEST_RECONSIDERATION, OFFICER, ctx(now=thursday_night)).allowed
    late = check(s, Action.REQUEST_RECONSIDERATION, OFFICER, ctx(now=friday))
    assert late.reason is Reason.WINDOW_CLOSED
    # Supervision can still be proposed after the window (O310 Art. 9).
    assert check(s, Action.PROPOSE_SUPERVISION, OFFICER, ctx(now=friday)).allowed
    s.filing.reconsideration_requested_at = NOW
    assert check(s, Action.REQUEST_RECONSIDERATION, OFFICER, ctx()).reason is Reason.ALREADY_DONE


def test_early_intervention_needs_a_request_or_a_trigger() -> None:
    s = case_at(Stage.EVIDENCE)
    assert check(s, Action.INTERVENE_EARLY, POLICE, ctx()).reason is Reason.NOTHING_PENDING
    violent = fresh(facts=CaseFacts(violent_resistance=True))
    assert check(violent, Action.INTERVENE_EARLY, POLICE, ctx()).allowed
    s.early_intervention_requested_at = NOW
    assert check(s, Action.INTERVENE_EARLY, POLICE, ctx()).allowed
    assert (
        check(s, Action.REQUEST_EARLY_INTERVENTION, OFFICER, ctx()).reason is Reason.ALREADY_PENDING
    )


def test_consultation_for_major_cases_and_one_at_a_time() -> None:
    s = replace(case_at(Stage.INVESTIGATION), facts=CaseFacts(major_or_difficult=True))
    coordinator = Actor(JLO, COO, "协调员")
    assert check(s, Action.CONVENE_CONSULTATION, coordinator, ctx()).allowed
    assert check(s, Action.CONVENE_CONSULTATION, POLICE, ctx()).allowed
    assert (
        check(s, Action.CONCLUDE_CONSULTATION, coordinator, ctx()).reason is Reason.NOTHING_PENDING
    )
    s.consultation_open = True
    assert (
        check(s, Action.CONVENE_CONSULTATION, coordinator, ctx()).reason is Reason.ALREADY_PENDING
    )
    assert check(s, Action.CONCLUDE_CONSULTATION, coordinator, ctx()).allowed
    assert check(s, Action.CONCLUDE_CONSULTATION, POLICE, ctx()).reason is Reason.ROLE_NOT_PERMITTED
    east = Actor("JLO-EAST", COO, "x")
    assert check(s, Action.CONCLUDE_CONSULTATION, east, ctx()).reason is Reason.NOT_YOUR_MOVE


def test_jurisdiction_found_once_then_transferred() -> None:
    s = case_at(Stage.EVIDENCE)
    s.clocks.append(
        ClockState(
            key="jurisdiction_transfer",
            name="jurisdiction_transfer",
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
    assert check(s, Action.FIND_NOT_COMPETENT, OFFICER, ctx()).reason is Reason.ALREADY_DONE
    assert check(s, Action.TRANSFER_JURISDICTION, OFFICER, ctx()).allowed


@pytest.mark.parametrize(
    ("action", "payload", "fragment"),
    [
        (
            Action.CLASSIFY,
            ActionPayload(classification=Classification.ADMINISTRATIVE),
            "needs 'reasons'",
        ),
        (Action.REQUEST_TEST, ActionPayload(agency=PSB, subject="COD"), "not a monitoring_station"),
        (Action.REQUEST_TEST, ActionPayload(agency="NOPE", subject="COD"), "not in the registry"),
        (
            Action.TRANSFER_JURISDICTION,
            ActionPayload(agency=EPB, reasons="x"),
            "agency that owns it",
        ),
        (
            Action.TRANSFER_JURISDICTION,
            ActionPayload(agency=PSB, reasons="x"),
            "not an administrative",
        ),
        (
            Action.RECORD_EVIDENCE,
            ActionPayload(kind="rumour", title="x", reference="u"),
            "unknown evidence kind",
        ),
        (
            Action.RECORD_EVIDENCE,
            ActionPayload(kind="complaint", title="x"),
            "'sha256') or a 'reference'",
        ),
        (
            Action.RECORD_EVIDENCE,
            ActionPayload(kind="complaint", title="x", sha256="ABC"),
            "64 lower-case",
        ),
        (Action.UPDATE_FACTS, ActionPayload(facts=CaseFacts(discharges_past_year=0)), "at least 1"),
    ],
)
def test_payload_problems_say_what_to_fix(
    action: Action, payload: ActionPayload, fragment: str
) -> None:
    d = validate(case_at(Stage.EVIDENCE), action, OFFICER, payload, ctx())
    assert d.reason is Reason.INVALID_PAYLOAD
    assert fragment in d.message


def test_a_test_result_must_answer_an_open_request_of_that_station() -> None:
    s = case_at(Stage.EVIDENCE)
    s.requests.append(ExpertRequest("T1", RequestKind.TEST, MON, NOW, OFFICER, "COD"))
    station = Actor(MON, OFF, "监测员")
    wrong = validate(
        s,
        Action.RECORD_TEST_RESULT,
        station,
        ActionPayload(request_id="T9", conclusion="ok"),
        ctx(),
    )
    assert wrong.reason is Reason.INVALID_PAYLOAD
    assert "open: T1" in wrong.message
    right = validate(
        s,
        Action.RECORD_TEST_RESULT,
        station,
        ActionPayload(request_id="T1", conclusion="ok"),
        ctx(),
    )
    assert right.allowed
