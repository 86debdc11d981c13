"""The two referral tracks in the pure domain: which cases take the detention track (P2014), what
its profile says, and what it leaves out. The clocks themselves run in
``tests/workflows/test_detention.py`` on the time-skipping server."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cases import decide as rules
from cases.calendar import Unit, due_instant
from cases.context import Context, Decision, Reason
from cases.model import Actor, CaseState
from cases.parties import participants, parties_of
from cases.profiles import get_profile, load_profiles
from cases.steps import STEPS
from cases.view import stages_of
from cases.vocabulary import Classification, Party, Role, Stage, Track
from tests.domain.cases_at import CITY, EPB, NOW, PSB, case_at, ctx, fresh, registry

POLICE = Actor(PSB, Role.OFFICER, "赵民警")
OFFICER = Actor(EPB, Role.OFFICER, "王执法")
SUPERIOR = Actor(CITY, Role.APPROVER, "市局稽查")


def decide(state: CaseState, action: str, actor: Actor, body: dict[str, object] | None = None,
           context: Context | None = None) -> Decision:  # fmt: skip
    return rules.validate(state, STEPS[action], actor, body or {}, context or ctx())[0]


def test_p2014_art_2_only_the_environmental_mechanisms_have_the_detention_track() -> None:
    """P2014 governs the environmental departments; the other mechanisms' 治安 transfers follow their
    own text (D5 §三.3) on the shape of the criminal track."""
    for name, profile in load_profiles().items():
        environmental = name in ("env-police", "national-2017", "demo-fast")
        assert (profile.detention is not None) == environmental, name
        track = profile.track_of(Classification.PUBLIC_SECURITY)
        assert track is (Track.DETENTION if environmental else Track.CRIMINAL), name
        assert profile.track_of(Classification.CRIME) is Track.CRIMINAL
        assert profile.track_of(None) is Track.CRIMINAL
    urban = fresh("urban-police")
    urban = replace(urban, stage=Stage.EVIDENCE, classification=Classification.PUBLIC_SECURITY)
    actor = Actor(urban.owner_agency, Role.OFFICER, "x")
    refused = decide(urban, "decide_penalty", actor, {"reference": "罚1"}, ctx("urban-police"))
    assert refused.reason is Reason.NOT_IN_MECHANISM


def test_p2014_art_11_the_package_and_art_10_the_report() -> None:
    detention = get_profile("env-police").detention
    assert detention is not None
    assert detention.referral_source.startswith("P2014 Art. 11")
    assert set(detention.referral_required) == {
        "materials_list",
        "referral_letter",
        "investigation_report",
        "case_evidence",
        "items_list",
        "penalty_decision",
    }
    assert detention.referral_team == 1  # P2014 Art. 10 sets no team (O310 Art. 5 does: 2)
    assert not detention.copy_procuratorate  # N2017's copies are for the criminal track
    assert not detention.acceptance_on_receipt  # Art. 12: the police's own rules of acceptance


def test_p2014_art_19_every_statutory_period_of_the_track_is_in_working_days() -> None:
    for name in ("env-police", "national-2017"):
        profile = get_profile(name)
        assert profile.detention is not None
        for window in profile.detention.windows.values():
            assert window.period.unit is Unit.WORKING_DAYS, window.name
            assert "P2014" in window.source
        on_track = [c for c in profile.clocks.values() if Track.DETENTION in c.tracks]
        assert {c.name for c in on_track} >= {"detention_sending", "detention_copy"}
        for clock in on_track:
            assert "P2014" in clock.source, clock.name
            if clock.statutory:
                assert clock.period.unit is Unit.WORKING_DAYS, clock.name
            else:
                assert "supervision value" in clock.source, clock.name


def test_p2014_no_filing_decision_reconsideration_or_supervision_on_the_detention_track() -> None:
    s = case_at(Stage.DETENTION_REVIEW)
    assert stages_of(s, ctx())[5] is Stage.DETENTION_REVIEW
    assert not {Stage.FILING_DECISION, Stage.NOT_FILED, Stage.SUPERVISION} & set(
        stages_of(s, ctx())
    )
    for action, actor in (
        ("file_case", POLICE),
        ("decline_filing", POLICE),
        ("approve_extension", Actor(PSB, Role.APPROVER, "x")),
        ("propose_supervision", OFFICER),
        ("request_reconsideration", OFFICER),
    ):
        assert decide(s, action, actor).reason is Reason.WRONG_STAGE, action
    returned = STEPS["return_referral"].carry_out(
        s, POLICE, STEPS["return_referral"].read({"reasons": "证据不足"}), ctx()
    )
    assert returned.result.stage is Stage.ARCHIVING
    assert decide(s, "request_reconsideration", OFFICER).reason is Reason.WRONG_STAGE
    assert "late" not in returned.entries[0].details  # within the 5 working days


def test_p2014_art_15_the_return_window_counts_working_days_from_acceptance() -> None:
    s = case_at(Stage.DETENTION_REVIEW)
    accepted = s.filing.accepted_at
    assert accepted is not None
    closes = due_instant(accepted, 5, Unit.WORKING_DAYS).at
    late = Context(ctx().profile, registry(), closes + timedelta(minutes=1))
    body = STEPS["return_referral"].read({"reasons": "证据不足"})
    entry = STEPS["return_referral"].carry_out(s, POLICE, body, late).entries[0]
    assert "P2014 Art. 15" in entry.details["late"]


@pytest.mark.parametrize("days", [4, 16])
def test_environmental_protection_law_art_63_detention_is_5_to_15_days(days: int) -> None:
    s = case_at(Stage.DETENTION_REVIEW)
    body = {"reference": "拘决字1号", "days": days}
    assert decide(s, "decide_detention", POLICE, body).reason is Reason.INVALID_PAYLOAD


def test_p2014_art_17_the_superior_department_sees_and_orders() -> None:
    """The superior inspects its subordinate's cases (稽查): it sees them and may order a transfer
    that was not made, and nothing else; a case already sent cannot be ordered again."""
    crime = case_at(Stage.ADMIN_PENALTY)  # a suspected crime is referred, not ordered transferred
    refused = decide(crime, "order_referral", SUPERIOR, {"reasons": "应当移送"})
    assert refused.reason is Reason.NOT_REFERABLE
    s = replace(crime, classification=Classification.ADMINISTRATIVE)
    assert parties_of(s, CITY, registry()) == {Party.SUPERIOR}
    assert CITY in participants(s, registry())
    assert decide(s, "order_referral", SUPERIOR, {"reasons": "应当移送"}).allowed
    assert decide(s, "impose_penalty", SUPERIOR, {"reference": "x"}).reason is Reason.NOT_YOUR_MOVE
    sent = case_at(Stage.ARCHIVING)
    assert decide(sent, "order_referral", SUPERIOR, {"reasons": "x"}).reason is Reason.ALREADY_DONE
    other = fresh("urban-police")
    assert parties_of(other, CITY, registry()) == set()


def test_a_profile_carried_from_before_the_track_runs_every_referral_on_the_criminal_track() -> (
    None
):
    """Cases started before P2014 was modelled keep their rules: no [detention] table, no track."""
    before = replace(ctx().profile, detention=None)
    assert before.track_of(Classification.PUBLIC_SECURITY) is Track.CRIMINAL
    s = replace(case_at(Stage.EVIDENCE), classification=Classification.PUBLIC_SECURITY)
    old = Context(before, registry(), NOW)
    assert decide(s, "decide_penalty", OFFICER, {"reference": "罚1"}, old).reason is (
        Reason.NOT_IN_MECHANISM
    )
