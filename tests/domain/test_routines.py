"""A mechanism's routines on fixed dates of the State Council's 2026 arrangement: calendars as data,
their occurrences, the move of a day off to the next working day, the periods that name their
workflows, the meeting's agenda, the procuratorate's list and a meeting's decisions.

2026: Mid-Autumn Fri Sep 25 off, Sun Sep 20 worked; National Day Oct 1-7 off, Sat Oct 10 worked;
Labour Day May 1-5 off, Sat May 9 worked.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cases.agencies import AgencyKind, default_registry
from cases.calendar import CHINA_TZ, default_calendar
from cases.context import Reason, Refusal
from cases.errors import ConfigError
from cases.meetings import (
    CloseRequest,
    DecisionBody,
    DecisionRequest,
    DoneRequest,
    FollowUpKind,
    MeetingState,
    MeetingStatus,
    check_close,
    check_done,
    check_record,
    close_meeting,
    fire_follow_ups,
    mark_done,
    next_follow_up,
    open_meeting,
    record_decision,
)
from cases.model import Actor
from cases.profiles import get_profile, load_profile, load_profiles
from cases.projection import CaseProjection
from cases.referral_watch import MarkOutcome, MarkRequest, WatchEntry, check_mark, rescan
from cases.routines import (
    Agenda,
    AgendaReason,
    Cadence,
    RiskReason,
    RoutineKind,
    agenda,
    figures,
    latest_occurrence,
    occurrences,
    plan,
    recipients,
    referral_risk,
    regions_for,
    workflow_id,
    working_occurrence,
)
from cases.vocabulary import Classification, Role, Stage

CAL = default_calendar()
ENV = get_profile("env-police")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CHINA_TZ)


# --- The routines are the mechanism's data -----------------------------------------------------------


def test_env_police_has_its_routines_with_their_sources() -> None:
    routines = ENV.routines
    assert set(routines) == {
        "joint_meeting",
        "weekly_report",
        "monthly_bulletin",
        "enforcement_month",
        "referral_scan",
    }
    meeting = routines["joint_meeting"]
    assert (meeting.cadence, meeting.months, meeting.day, meeting.hour) == (
        Cadence.QUARTERLY,
        (1, 4, 7, 10),
        1,
        9,
    )
    assert "N2017 Art. 23" in meeting.source
    assert "N2017 第23条" in meeting.source_zh
    weekly = routines["weekly_report"]
    assert (weekly.weekday, weekly.hour) == (5, 16)  # D2 §一.4: 每周五报送
    assert "D2 §一.4" in weekly.source
    month = routines["enforcement_month"]
    assert (month.months, month.statutory) == ((5,), True)
    assert "D1-op §二(二)" in month.source
    scan = routines["referral_scan"]
    assert scan.to == (AgencyKind.PROCURATORATE,)
    assert "N2017 Art. 14" in scan.source


def test_mechanisms_inherit_or_replace_their_bases_routines() -> None:
    # township-county sets none of its own: O310's daily scan, with O310's citation.
    township = get_profile("township-county")
    assert list(township.routines) == ["referral_scan"]
    assert "O310 Art. 14" in township.routines["referral_scan"].source
    # national-2017 replaces env-police's: no enforcement month (D1's) or weekly report (D2's).
    assert set(get_profile("national-2017").routines) == {"joint_meeting", "referral_scan"}
    # D4 and D5 hold their quarterly meetings as their own rule.
    assert get_profile("urban-police").routines["joint_meeting"].statutory
    assert "D5 §三.1" in get_profile("urban-police").routines["joint_meeting"].source
    animal = get_profile("animal-health-police").routines
    assert animal["joint_meeting"].statutory
    assert animal["monthly_bulletin"].statutory
    assert "D4 §5" in animal["monthly_bulletin"].source


def _profile_with(tmp_path: Path, routine: str) -> None:
    text = Path(ENV.file).with_name("o310.toml").read_text(encoding="utf-8")
    text = text.replace("base = true\n", "").replace('name = "o310"', 'name = "broken"')
    (tmp_path / "broken.toml").write_text(
        text.split("[routines.referral_scan]")[0] + routine, encoding="utf-8"
    )
    load_profile(tmp_path / "broken.toml")


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('[routines.x]\nkind = "weekly_report"\ncadence = "weekly"\nhour = 9\n', "weekday"),
        ('[routines.x]\nkind = "referral_scan"\ncadence = "weekly"\nweekday = 1\n', "runs daily"),
        (
            '[routines.x]\nkind = "joint_meeting"\ncadence = "quarterly"\nmonths = [1, 5, 7, 10]\n'
            "day = 1\nhour = 9\n",
            "three apart",
        ),
        (
            '[routines.x]\nkind = "monthly_bulletin"\ncadence = "monthly"\nday = 31\nhour = 9\n',
            "1-28",
        ),
        ('[routines.x]\nkind = "lunch"\n', "unknown kind"),
    ],
)
def test_a_routine_whose_calendar_says_too_little_or_too_much_stops_start_up(
    tmp_path: Path, table: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        _profile_with(tmp_path, table)


# --- Occurrences and the working day ----------------------------------------------------------------


def test_the_weekly_report_falls_every_friday_at_16() -> None:
    weekly = ENV.routines["weekly_report"]
    found = occurrences(weekly, at(2026, 9, 14), at(2026, 10, 12))
    assert found == [
        at(2026, 9, 18, 16),
        at(2026, 9, 25, 16),
        at(2026, 10, 2, 16),
        at(2026, 10, 9, 16),
    ]


def test_a_friday_in_national_day_week_moves_to_the_next_working_day() -> None:
    # Fri 2026-10-02 is a day off (Oct 1-7): the report goes out Thu Oct 8 at the same hour.
    assert working_occurrence(at(2026, 10, 2, 16), CAL) == at(2026, 10, 8, 16)
    # Mid-Autumn, Fri Sep 25: Monday Sep 28.
    assert working_occurrence(at(2026, 9, 25, 16), CAL) == at(2026, 9, 28, 16)
    # An ordinary Friday stays.
    assert working_occurrence(at(2026, 10, 9, 16), CAL) == at(2026, 10, 9, 16)


def test_a_make_up_weekend_day_is_a_working_day() -> None:
    scan = ENV.routines["referral_scan"]
    # Sat Oct 10 is worked (调休): the scan runs on it.
    assert working_occurrence(at(2026, 10, 10, 8), CAL) == at(2026, 10, 10, 8)
    # Sat Sep 19 is an ordinary Saturday: it moves to Sun Sep 20, a make-up working day.
    assert working_occurrence(at(2026, 9, 19, 8), CAL) == at(2026, 9, 20, 8)
    # The Saturday's scan and Sunday's are one: its period is the day it runs.
    assert plan(scan, at(2026, 9, 19, 8), CAL).period == "2026-09-20"
    assert plan(scan, at(2026, 9, 20, 8), CAL).period == "2026-09-20"


def test_quarter_starts_and_their_meetings() -> None:
    meeting = ENV.routines["joint_meeting"]
    year = occurrences(meeting, at(2026, 1, 1), at(2027, 1, 1))
    assert year == [at(2026, 1, 1, 9), at(2026, 4, 1, 9), at(2026, 7, 1, 9), at(2026, 10, 1, 9)]
    q4 = plan(meeting, at(2026, 10, 1, 9), CAL)
    assert q4.at == at(2026, 10, 8, 9)  # National Day: the first working day after
    assert q4.period == "2026-Q4"
    assert (q4.covers_from, q4.covers_to) == (at(2026, 7, 1, 9), at(2026, 10, 1, 9))
    assert not q4.provisional
    # New Year 2027 falls on a Friday; 2027's arrangement is not published yet: provisional.
    q1 = plan(meeting, at(2027, 1, 1, 9), CAL)
    assert q1.at == at(2027, 1, 4, 9)
    assert q1.provisional


def test_the_may_enforcement_month_opens_after_labour_day_and_publishes_when_it_ends() -> None:
    month = ENV.routines["enforcement_month"]
    assert occurrences(month, at(2026, 1, 1), at(2027, 1, 1)) == [at(2026, 5, 1, 9)]
    may = plan(month, at(2026, 5, 1, 9), CAL)
    assert may.at == at(2026, 5, 6, 9)  # May 1-5 off
    assert (may.covers_from, may.covers_to) == (at(2026, 5, 1), at(2026, 6, 1))
    assert may.publish_at == at(2026, 6, 1, 9)  # Mon Jun 1 is a working day
    assert may.period == "2026"


def test_the_monthly_bulletin_covers_the_month_before() -> None:
    bulletin = ENV.routines["monthly_bulletin"]
    november = plan(bulletin, at(2026, 12, 1, 9), CAL)
    assert (november.covers_from, november.covers_to) == (at(2026, 11, 1, 9), at(2026, 12, 1, 9))
    assert november.period == "2026-12"
    # Oct 1 (National Day) moves to Oct 8.
    assert plan(bulletin, at(2026, 10, 1, 9), CAL).at == at(2026, 10, 8, 9)


def test_a_run_started_by_hand_stands_for_the_latest_occurrence() -> None:
    weekly = ENV.routines["weekly_report"]
    assert latest_occurrence(weekly, at(2026, 11, 29, 10)) == at(2026, 11, 27, 16)
    assert latest_occurrence(weekly, at(2026, 11, 27, 16)) == at(2026, 11, 27, 16)
    meeting = ENV.routines["joint_meeting"]
    assert latest_occurrence(meeting, at(2026, 11, 29, 10)) == at(2026, 10, 1, 9)


def test_an_occurrences_workflow_is_named_by_its_period() -> None:
    weekly = ENV.routines["weekly_report"]
    held = plan(weekly, at(2026, 10, 2, 16), CAL)
    assert held.period == "2026-W40"
    assert workflow_id("env-police", "demo-county", "weekly_report", held.period) == (
        "routine.env-police.demo-county.weekly_report.2026-W40"
    )


# --- Where and to whom -------------------------------------------------------------------------------


def test_routines_run_where_there_is_a_joint_office_and_a_referring_agency() -> None:
    registry = default_registry()
    # demo-city has a bureau but no joint office.
    assert regions_for(ENV, registry) == ["demo-county", "east-county"]
    assert regions_for(get_profile("urban-police"), registry) == ["demo-county"]
    assert recipients(ENV.routines["referral_scan"], registry, "demo-county") == ["PROC-DEMO"]
    assert recipients(ENV.routines["weekly_report"], registry, "east-county") == [
        "JLO-EAST",
        "LG-EAST",
    ]


# --- The agenda and the procuratorate's list ----------------------------------------------------------

NOW = at(2026, 10, 8, 9)


def case(n: int, **fields: Any) -> CaseProjection:
    base = CaseProjection(
        case_id=f"EPB-DEMO.R-{n}",
        intake_ref=f"R-{n}",
        mechanism="env-police",
        region="demo-county",
        stage=Stage.EVIDENCE,
        subject="某厂",
        discovering_agency="EPB-DEMO",
        owner_agency="EPB-DEMO",
        suggested=Classification.ADMINISTRATIVE,
        opened_at=at(2026, 8, 1),
        updated_at=at(2026, 9, 1),
    )
    return base.model_copy(update=fields)


def test_the_agenda_takes_escalated_overdue_key_and_stalled_cases() -> None:
    cases = [
        case(1),  # nothing to discuss
        case(2, next_deadline=NOW - timedelta(days=2)),
        case(3, escalation_level=2, next_deadline=NOW - timedelta(days=9)),
        case(4, key_case=True),
        case(5, stalled_at=NOW - timedelta(days=1)),
        case(6, key_case=True, stage=Stage.ARCHIVED, closed_at=NOW - timedelta(days=3)),
        case(7, next_deadline=NOW + timedelta(days=1), stalled_at=NOW + timedelta(days=3)),
    ]
    found = agenda(cases, NOW)
    assert [i.case_id for i in found.items] == [
        "EPB-DEMO.R-3",
        "EPB-DEMO.R-2",
        "EPB-DEMO.R-4",
        "EPB-DEMO.R-5",
    ]
    assert found.items[0].reasons == [AgendaReason.ESCALATED, AgendaReason.OVERDUE]
    assert found.items[2].reasons == [AgendaReason.KEY]
    assert found.items[3].reasons == [AgendaReason.STALE]
    assert found.more == 0


def test_the_agenda_is_bounded() -> None:
    many = [case(n, key_case=True) for n in range(130)]
    found = agenda(many, NOW)
    assert (len(found.items), found.more) == (100, 30)


def test_a_suspected_crime_handled_administratively_goes_to_the_procuratorate() -> None:
    crime = Classification.CRIME
    assert referral_risk(case(1, suggested=crime, stage=Stage.ADMIN_PENALTY)) is (
        RiskReason.HANDLED_ADMINISTRATIVELY
    )
    assert referral_risk(case(2, suggested=crime, stage=Stage.ARCHIVED)) is (
        RiskReason.HANDLED_ADMINISTRATIVELY
    )
    overridden = case(3, suggested=crime, classification=Classification.ADMINISTRATIVE)
    assert referral_risk(overridden) is RiskReason.CLASSIFIED_ADMINISTRATIVE
    # Referred, even if it came back for a penalty: not a 以罚代刑 risk.
    assert referral_risk(case(4, suggested=crime, stage=Stage.ADMIN_PENALTY, referred=True)) is None
    # Still heading for a referral.
    assert referral_risk(case(5, suggested=crime, classification=crime)) is None
    # Public-security cases are the dashboard's concern, not the procuratorate's.
    security = case(6, suggested=Classification.PUBLIC_SECURITY, stage=Stage.ADMIN_PENALTY)
    assert referral_risk(security) is None


def test_a_listed_case_stays_until_referred_or_marked_and_is_named_again_after_a_week() -> None:
    week = timedelta(days=7)
    watch: dict[str, WatchEntry] = {}
    day1 = NOW
    first = rescan(watch, {"A.1": RiskReason.HANDLED_ADMINISTRATIVELY}, set(), day1, week)
    assert (first.listed, first.standing) == (["A.1"], ["A.1"])
    # The next day the rule no longer finds it (reclassified): it stays listed all the same.
    second = rescan(
        watch, {"A.2": RiskReason.CLASSIFIED_ADMINISTRATIVE}, set(), day1 + timedelta(days=1), week
    )
    assert (second.listed, second.standing, second.named_again) == (["A.2"], ["A.1", "A.2"], [])
    later = rescan(watch, {}, set(), day1 + week, week)
    assert later.named_again == ["A.1"]
    referred = rescan(watch, {}, {"A.2"}, day1 + week + timedelta(days=1), week)
    assert (referred.referred, referred.standing) == (["A.2"], ["A.1"])


def test_only_the_regions_procurators_mark_the_list() -> None:
    registry = default_registry()
    standing = {"EPB-DEMO.R-1"}

    def mark(agency: str, role: Role, case_id: str = "EPB-DEMO.R-1") -> Reason | None:
        request = MarkRequest(Actor(agency, role, "甲"), case_id, MarkOutcome.REVIEWED)
        refusal = check_mark(standing, request, registry, "demo-county")
        return refusal.reason if refusal else None

    assert mark("PROC-DEMO", Role.PROCURATOR) is None
    assert mark("PROC-EAST", Role.PROCURATOR) is Reason.ROLE_NOT_PERMITTED
    assert mark("JLO-DEMO", Role.COORDINATOR) is Reason.ROLE_NOT_PERMITTED
    assert mark("PROC-DEMO", Role.PROCURATOR, "EPB-DEMO.R-9") is Reason.NOTHING_PENDING


def test_a_bulletins_figures() -> None:
    cases = [
        case(1, opened_at=at(2026, 9, 2), referred=True, stage=Stage.INVESTIGATION),
        case(2, opened_at=at(2026, 9, 3), next_deadline=NOW - timedelta(hours=1)),
        case(3, opened_at=at(2026, 6, 3), stage=Stage.ARCHIVED, closed_at=at(2026, 9, 10)),
        case(4, suggested=Classification.CRIME, stage=Stage.ADMIN_PENALTY, key_case=True),
    ]
    found = figures(cases, at(2026, 9, 1), at(2026, 10, 1), NOW)
    assert (found.opened, found.referred, found.closed) == (2, 1, 1)
    assert (found.open_cases, found.overdue, found.key_cases, found.referral_risks) == (3, 1, 1, 1)
    assert found.by_stage == {"investigation": 1, "evidence": 1, "admin_penalty": 1}
    assert ("opened", "本期新发现案件", 2) in found.rows()


# --- A meeting's decisions ------------------------------------------------------------------------------

COORD = Actor("JLO-DEMO", Role.COORDINATOR, "协调员")


def meeting() -> MeetingState:
    state = MeetingState(
        meeting_id="routine.env-police.demo-county.joint_meeting.2026-Q4",
        mechanism="env-police",
        region="demo-county",
        routine="joint_meeting",
        period="2026-Q4",
        title_zh="联席会议",
        title_en="Joint meeting",
        source="N2017 Art. 23",
        opens_at=NOW,
        covers_from=at(2026, 7, 1, 9),
        covers_to=at(2026, 10, 1, 9),
        convener="JLO-DEMO",
        participants=["EPB-DEMO", "PSB-DEMO"],
        remind_before=timedelta(days=3),
    )
    open_meeting(state, Agenda(), [], NOW)
    return state


def why(refusal: Refusal | None) -> Reason | None:
    return refusal.reason if refusal else None


def decide(title: str, owner: str, due: date, actor: Actor = COORD) -> DecisionRequest:
    return DecisionRequest(actor, DecisionBody(title, owner, due))


def test_who_records_a_decision_and_what_it_must_say() -> None:
    registry = default_registry()
    state = meeting()
    ok = decide("排查电镀企业", "EPB-DEMO", date(2026, 10, 30))
    assert check_record(state, ok, registry, NOW) is None
    police = decide("排查", "EPB-DEMO", date(2026, 10, 30), Actor("PSB-DEMO", Role.OFFICER, "民警"))
    assert why(check_record(state, police, registry, NOW)) is Reason.ROLE_NOT_PERMITTED
    other_region = decide(
        "排查", "EPB-DEMO", date(2026, 10, 30), Actor("JLO-EAST", Role.COORDINATOR, "x")
    )
    assert why(check_record(state, other_region, registry, NOW)) is Reason.ROLE_NOT_PERMITTED
    unknown = decide("排查", "EPB-NOWHERE", date(2026, 10, 30))
    assert why(check_record(state, unknown, registry, NOW)) is Reason.UNKNOWN_AGENCY
    today = decide("排查", "EPB-DEMO", date(2026, 10, 8))
    assert why(check_record(state, today, registry, NOW)) is Reason.INVALID_PAYLOAD


def test_decisions_are_reminded_then_reported_overdue_until_done() -> None:
    registry = default_registry()
    state = meeting()
    d1 = record_decision(state, decide("排查电镀企业", "EPB-DEMO", date(2026, 10, 30)), NOW)
    record_decision(state, decide("通报侦查进展", "PSB-DEMO", date(2026, 10, 9)), NOW)
    assert d1.due_at == at(2026, 10, 31)  # 24:00 of its due date
    # d2 is due tomorrow, closer than the 3 days' reminder: only its overdue notice is to come.
    assert next_follow_up(state) == at(2026, 10, 10)
    close_meeting(state, CloseRequest(COORD, "纪要"), NOW + timedelta(hours=2))
    assert state.status is MeetingStatus.CLOSED
    assert why(check_close(state, COORD, registry)) is Reason.ALREADY_DONE
    fired = fire_follow_ups(state, at(2026, 10, 10))
    assert [(f.decision_id, f.kind) for f in fired] == [("d2", FollowUpKind.OVERDUE)]
    assert next_follow_up(state) == at(2026, 10, 28)  # d1's reminder, 3 days before 24:00 Oct 30
    fired = fire_follow_ups(state, at(2026, 10, 28))
    assert [(f.decision_id, f.kind) for f in fired] == [("d1", FollowUpKind.REMINDER)]
    # The police (the owner) mark theirs done; someone else's they may not.
    police = Actor("PSB-DEMO", Role.OFFICER, "民警")
    assert why(check_done(state, DoneRequest(police, "d1"), registry)) is Reason.ROLE_NOT_PERMITTED
    assert check_done(state, DoneRequest(police, "d2"), registry) is None
    mark_done(state, DoneRequest(police, "d2"), at(2026, 10, 29))
    statuses = [state.status]
    mark_done(state, DoneRequest(COORD, "d1"), at(2026, 10, 30))
    statuses.append(state.status)
    assert statuses == [MeetingStatus.CLOSED, MeetingStatus.DONE]
    assert next_follow_up(state) is None


def test_a_meeting_not_yet_open_takes_no_decision() -> None:
    state = replace(meeting(), status=MeetingStatus.SCHEDULED)
    refusal = check_record(
        state, decide("x", "EPB-DEMO", date(2026, 10, 30)), default_registry(), NOW
    )
    assert refusal is not None
    assert refusal.reason is Reason.WRONG_STAGE


def test_every_routine_kind_is_somewhere() -> None:
    kinds = {
        r.kind
        for p in ("env-police", "animal-health-police")
        for r in get_profile(p).routines.values()
    }
    assert kinds == set(RoutineKind)


# What may stay in Latin letters in a Chinese source: the texts' codes (O310, N2017, D1-op).
CITED = re.compile(r"\bD1-(?:rules|op)\b|\b[A-Z]\d{1,4}\b")


def test_every_routine_cites_its_source_in_chinese_too() -> None:
    """The dashboard's Chinese pages show ``source_zh``: no English left but the texts' codes,
    articles as 第N条, and every code the source cites."""
    for profile in load_profiles().values():
        for routine in profile.routines.values():
            where = (profile.name, routine.name)
            assert not re.search(r"[A-Za-z]", CITED.sub("", routine.source_zh)), where
            assert "Art." not in routine.source_zh, where
            for code in CITED.findall(routine.source):
                if code != "O310":  # cited in Chinese by its name, 国务院令第310号
                    assert code in routine.source_zh, (*where, code)
