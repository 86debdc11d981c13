"""The rules of public reports (``cases.reports``, ``cases.report_steps``) as pure functions, on the
dates the workflow tests cannot choose: the first receiver's period over National Day, who may take,
hand on and look, and every label in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cases.agencies import default_registry
from cases.calendar import CHINA_TZ, default_calendar
from cases.context import Refusal
from cases.model import Actor
from cases.profiles import default_profiles, get_profile
from cases.report_steps import (
    LABELS,
    STEPS,
    Answer,
    OpenCase,
    Transfer,
    allowed,
    apply,
    refusal,
)
from cases.reports import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    REWARD_LABELS,
    STAGE_LABELS,
    Channel,
    Outcome,
    Reporter,
    ReportFacts,
    ReportIntake,
    ReportStage,
    ReportState,
    RewardStatus,
    identity_refusal,
    intake_refusal,
    next_wakeup,
    open_report,
    supervisors_of,
)
from cases.vocabulary import Role

REGISTRY = default_registry()
OFFICER = Actor("EPB-DEMO", Role.OFFICER, "王执法")


def intake(at: datetime, **more: object) -> ReportIntake:
    values: dict[str, object] = {
        "intake_ref": "12369-1",
        "channel": "12369",
        "received_at": at,
        "place": "西河村",
        "seen": "倾倒废液",
        "received_by": "EPB-DEMO",
        **more,
    }
    return ReportIntake(**values)  # type: ignore[arg-type]


def opened(at: datetime, mechanism: str = "env-police", **more: object) -> ReportState:
    return open_report(
        intake(at, mechanism=mechanism, **more), get_profile(mechanism), REGISTRY,
        default_calendar(), at,
    )  # fmt: skip


def test_d6_five_working_days_skip_national_day() -> None:
    """Received on 2026-09-30: 10-01 to 10-07 are days off (State Council 2026 arrangement), so the
    5 working days are 10-08, 10-09, 10-10 (a make-up Saturday), 10-12 and 10-13."""
    at = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)
    report = opened(at, "township-county")
    assert report.clock is not None
    assert report.clock.due_at == datetime(2026, 10, 14, 0, 0, tzinfo=CHINA_TZ)  # 10-13 24:00
    assert not report.clock.provisional


def test_urgent_or_ongoing_reports_run_24_hours() -> None:
    at = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)
    for report in (opened(at, urgent=True), opened(at, ongoing=True)):
        assert report.clock is not None
        assert report.clock.due_at == at + timedelta(hours=24)


def test_reminders_come_before_the_breach_and_the_ladder_after() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
    report = opened(at)
    rules = get_profile("env-police").reports
    assert rules is not None
    assert report.clock is not None
    due = report.clock.due_at
    assert next_wakeup(report, rules) == due - timedelta(days=1)


def test_only_intake_and_officer_keys_take_reports() -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
    facts = ReportFacts(intake_ref="r1", channel=Channel.HOTLINE_12369, received_at=now,
                        place="河", seen="油")  # fmt: skip
    who = Reporter(name="张三", phone="139")
    profiles = default_profiles()

    def take(facts: ReportFacts, agency: str, role: Role) -> Refusal | None:
        return intake_refusal(
            facts, who, agency=agency, role=role, profiles=profiles, registry=REGISTRY, now=now
        )

    assert take(facts, "EPB-DEMO", Role.INTAKE) is None
    assert take(facts, "PSB-DEMO", Role.OFFICER) is None
    refused = take(facts, "EPB-DEMO", Role.APPROVER)
    assert refused is not None
    assert refused.reason == "role_not_permitted"
    anonymous = ReportFacts(intake_ref="r1", channel=Channel.COUNTER, received_at=now, place="河",
                            seen="油", anonymous=True)  # fmt: skip
    named = take(anonymous, "EPB-DEMO", Role.INTAKE)
    assert named is not None
    assert "anonymous" in named.message
    late = ReportFacts(intake_ref="r1", channel=Channel.COUNTER, received_at=now + timedelta(hours=1),
                       place="河", seen="油")  # fmt: skip
    assert take(late, "EPB-DEMO", Role.INTAKE) is not None


def test_o310_art_14_supervisors_are_the_procuratorate_the_commission_and_the_superior() -> None:
    assert supervisors_of("EPB-DEMO", REGISTRY) == ["PROC-DEMO", "SUP-DEMO", "EPB-CITY"]
    at = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
    report = opened(at, about_agency="EPB-DEMO", received_by="PSB-DEMO")
    profile = get_profile("env-police")
    police = Actor("PSB-DEMO", Role.OFFICER, "刘警官")
    back = refusal(
        report, police, "transfer", Transfer(to="EPB-DEMO", reason="x"), profile, REGISTRY
    )
    assert back is not None
    assert "O310 Art. 14" in back.message
    assert refusal(report, police, "transfer", Transfer(to="EPB-CITY", reason="x"), profile,
                   REGISTRY) is None  # fmt: skip
    assert refusal(report, police, "open_case", OpenCase(subject="某局"), profile, REGISTRY)


def test_the_holder_alone_moves_and_a_found_nothing_answer_closes() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
    report = opened(at)
    profile = get_profile("env-police")
    other = Actor("UMB-DEMO", Role.OFFICER, "城管")
    body = Answer(finding=Outcome.NO_VIOLATION, reply="未发现")
    found = refusal(report, other, "answer", body, profile, REGISTRY)
    assert found is not None
    assert found.reason == "not_your_move"
    assert allowed(report, OFFICER) == ["transfer", "open_case", "answer"]
    assert allowed(report, Actor("EPB-DEMO", Role.APPROVER, "李局长")) == ["transfer", "answer"]
    acted = Answer(finding=Outcome.ACTED_ON_AGENCY, reply="x")
    assert refusal(report, OFFICER, "answer", acted, profile, REGISTRY) is not None


@pytest.mark.parametrize(
    ("agency", "role", "owner", "ok"),
    [
        ("EPB-DEMO", Role.APPROVER, "EPB-DEMO", True),
        ("EPB-DEMO", Role.OFFICER, "EPB-DEMO", False),
        ("UMB-DEMO", Role.APPROVER, "EPB-DEMO", False),  # head of another agency
        ("LG-DEMO", Role.LEADER, "EPB-DEMO", True),
        ("LG-EAST", Role.LEADER, "EPB-DEMO", False),  # another region's leader
        ("JLO-DEMO", Role.COORDINATOR, "EPB-DEMO", False),
        ("PROC-DEMO", Role.PROCURATOR, "EPB-DEMO", False),  # not among env-police's roles
    ],
)
def test_who_may_see_the_reporter(agency: str, role: Role, owner: str, ok: bool) -> None:
    roles = ["approver", "leader"]
    found = identity_refusal(owner, "demo-county", False, roles, agency=agency, role=role,
                             registry=REGISTRY)  # fmt: skip
    assert (found is None) is ok
    assert identity_refusal(owner, "demo-county", True, roles, agency="EPB-DEMO",
                            role=Role.APPROVER, registry=REGISTRY) is not None  # fmt: skip


def test_every_report_word_has_its_two_names() -> None:
    for table, enum in ((CHANNEL_LABELS, Channel), (STAGE_LABELS, ReportStage),
                        (OUTCOME_LABELS, Outcome), (REWARD_LABELS, RewardStatus)):  # fmt: skip
        assert set(table) == set(enum)
        assert all(zh and en for zh, en in table.values())
    assert set(LABELS) == set(STEPS)


def test_every_shipped_mechanism_takes_reports_with_a_cited_period() -> None:
    for name, profile in default_profiles().items():
        rules = profile.reports
        assert rules is not None, name
        assert "D6" in rules.source or profile.demo
        assert rules.identity_roles


def test_an_agency_never_takes_or_opens_a_report_that_names_it() -> None:
    """O310 Art. 14: a report that an agency did not refer goes to its supervisors; the agency it
    names never holds it, and never learns who made it."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
    facts = ReportFacts(intake_ref="r2", channel=Channel.HOTLINE_12369, received_at=now,
                        place="河", seen="不移送", about_agency="EPB-DEMO")  # fmt: skip
    refused = intake_refusal(facts, Reporter(name="李四", phone="138"), agency="EPB-DEMO",
                             role=Role.INTAKE, profiles=default_profiles(), registry=REGISTRY,
                             now=now)  # fmt: skip
    assert refused is not None
    assert "PROC-DEMO" in refused.message
    named = identity_refusal("EPB-DEMO", "demo-county", False, ["approver", "leader"],
                             agency="EPB-DEMO", role=Role.APPROVER, registry=REGISTRY,
                             about="EPB-DEMO")  # fmt: skip
    assert named is not None
    old = ReportFacts(intake_ref="r3", channel=Channel.COUNTER, received_at=now - timedelta(days=400),
                      place="河", seen="油")  # fmt: skip
    assert intake_refusal(old, Reporter(name="李四"), agency="EPB-DEMO", role=Role.INTAKE,
                          profiles=default_profiles(), registry=REGISTRY, now=now) is not None  # fmt: skip


def test_a_report_handed_to_another_region_is_watched_there() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TZ)
    report = opened(at)
    profile = get_profile("env-police")
    change = apply(report, OFFICER, "transfer", Transfer(to="EPB-EAST", reason="排污口在东邻县"),
                   profile, REGISTRY, at)  # fmt: skip
    assert report.region == "east-county"
    assert change.notices[0].to == ["EPB-EAST"]
    assert "EPB-DEMO" in report.holders  # the first receiver still sees what it handed on
