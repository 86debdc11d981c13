"""Clocks on the time-skipping server: every clock's reminder and breach at the instants the period
function gives for the workflow's own start, the escalation ladder, and the calendar reaching the case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from cases.calendar import CHINA_TZ, CalendarSnapshot, Unit, calendar_for, due_instant, local_date
from cases.effects import NoticeKind
from cases.model import CaseFacts, ClockState
from cases.profiles import get_profile
from cases.vocabulary import Classification, DocumentKind, FeedbackOutcome, ViolationType
from tests.workflows.driver import (
    COORDINATOR,
    EPB_HEAD,
    EPB_OFFICER,
    NRB_HEAD,
    PROCURATOR,
    PSB_HEAD,
    PSB_OFFICER,
    SUPERIOR,
    Case,
    classified,
    eventually,
    running_case,
    settled,
    soon,
    to_approval,
    to_detention_acceptance,
    to_detention_approval,
    to_detention_review,
    to_detention_sending,
    to_filing,
    to_handover,
    to_investigation,
    to_not_filed,
    to_sending,
)
from workflows import search

Path = Callable[[Case], Awaitable[None]]
MARGIN = timedelta(minutes=1)


async def _supplements(case: Case) -> None:
    await to_filing(case)
    await case.act("request_supplements", PSB_OFFICER, items=["原始监测记录"])


async def _decision_notice(case: Case) -> None:
    """The filing notice is refused by the agency's system: the police's 3 days to notify run on."""
    case.fakes.refuse_documents = 1
    await to_handover(case)


async def _handback(case: Case) -> None:
    await to_filing(case)
    case.fakes.refuse_documents = 1
    await case.act("reverse_refer", PSB_OFFICER, reasons="不构成犯罪,应予行政处罚")
    await settled(case, DocumentKind.HANDBACK)


async def _upheld(case: Case) -> None:
    await _reconsideration(case)
    await case.act("decide_reconsideration", PSB_HEAD, upheld=True, reasons="维持")
    await settled(case, DocumentKind.RECONSIDERATION_DECISION)


async def _ordered(case: Case) -> None:
    await to_not_filed(case)
    await case.act("propose_supervision", EPB_HEAD, reasons="建议立案监督")
    await case.act("supervise_filing", PROCURATOR, order_filing=True, reasons="通知立案")


async def _penalty(case: Case) -> None:
    await classified(case)
    await case.act("handle_administratively", EPB_OFFICER, reasons="先行处罚")


async def _archiving(case: Case) -> None:
    await _penalty(case)
    await case.act("impose_penalty", EPB_OFFICER, reference="罚字〔2026〕9号")


async def _transfer(case: Case) -> None:
    await case.act("transfer_jurisdiction", EPB_OFFICER, agency="NRB-DEMO", reasons="占地")


async def _dispute(case: Case) -> None:
    await _transfer(case)
    await case.act("dispute_jurisdiction", NRB_HEAD, reasons="属环保管辖")


async def _consultation(case: Case) -> None:
    await case.act(
        "update_facts",
        EPB_OFFICER,
        facts=CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE, major_or_difficult=True),
    )
    await to_investigation(case)
    await case.act("convene_consultation", COORDINATOR, reasons="重大案件会商")


async def _reconsideration(case: Case) -> None:
    await to_not_filed(case)
    await case.act("request_reconsideration", EPB_HEAD, reasons="提请复议")
    await settled(case, DocumentKind.RECONSIDERATION_REQUEST)


async def _supervision(case: Case) -> None:
    await to_not_filed(case)
    await case.act("propose_supervision", EPB_HEAD, reasons="建议监督")


async def _prosecution(case: Case) -> None:
    await to_investigation(case)
    await case.act("feed_back", PSB_OFFICER, outcome=FeedbackOutcome.PROSECUTION)


async def _not_prosecuted(case: Case) -> None:
    await _prosecution(case)
    case.fakes.refuse_documents = 1
    await case.act("decline_prosecution", PROCURATOR, reasons="情节轻微")
    await settled(case, DocumentKind.NOT_PROSECUTED_NOTICE)


async def _judgment(case: Case) -> None:
    await _prosecution(case)
    await case.act("charge", PROCURATOR)


async def _written(case: Case) -> None:
    await case.act("ask_in_writing", EPB_OFFICER, agency="PSB-DEMO", subject="立案标准如何适用")


async def _assistance(case: Case) -> None:
    """Asked of another region (D3 §3.2): its clock starts on the assisting system's receipt."""
    await case.act(
        "request_assistance",
        EPB_OFFICER,
        agency="EPB-EAST",
        assistance="evidence",
        subject="核查危险废物转移联单",
    )

    async def received() -> bool:
        return any(c.name == "assistance" for c in (await case.view()).state.clocks)

    await eventually(case, received, "the request for assistance was never received")


async def _recommendation(case: Case) -> None:
    await classified(case)
    await case.act("recommend_referral", PROCURATOR, reasons="建议移送")
    await settled(case, DocumentKind.REFERRAL_RECOMMENDATION)


async def _detention_supplements(case: Case) -> None:
    await to_detention_review(case)
    await case.act("request_supplements", PSB_OFFICER, items=["送达回证"])


async def _detention_copy(case: Case) -> None:
    """The copy is refused by the agency's system: the police's 3 working days run on."""
    await to_detention_review(case)
    case.fakes.refuse_documents = 1
    await case.act("decide_detention", PSB_OFFICER, reference="拘决字〔2026〕3号", days=10)
    await settled(case, DocumentKind.DETENTION_DECISION)


async def _return_delivery(case: Case) -> None:
    await to_detention_review(case)
    case.fakes.refuse_documents = 1
    await case.act("return_referral", PSB_OFFICER, reasons="事实不清")
    await settled(case, DocumentKind.RETURN_NOTICE)


async def _referral_order(case: Case) -> None:
    """Handled as an administrative case; the superior finds it should have gone for detention."""
    await classified(case, Classification.ADMINISTRATIVE)
    await case.act("handle_administratively", EPB_OFFICER, reasons="一般违法")
    await case.act("impose_penalty", EPB_OFFICER, reference="罚字〔2026〕9号")
    await case.act("order_referral", SUPERIOR, reasons="应当移送行政拘留")
    await settled(case, DocumentKind.REFERRAL_ORDER)


def _one(action: str, **payload: object) -> Path:
    async def path(case: Case) -> None:
        await case.act(action, EPB_OFFICER, **payload)

    return path


PATHS: dict[str, Path] = {
    "early_intervention": _one("request_early_intervention", reasons="暴力抗法风险"),
    "test": _one("request_test", agency="MON-DEMO", subject="COD"),
    "appraisal": _one("request_appraisal", agency="APR-DEMO", subject="损害"),
    "jurisdiction_transfer": _one("find_not_competent", reasons="不属本部门管辖"),
    "transfer_acceptance": _transfer,
    "jurisdiction_decision": _dispute,
    "approval": to_approval,
    "sending": to_sending,
    "supplements": _supplements,
    "filing_decision": to_filing,
    "ordered_filing": _ordered,
    "decision_notice": _decision_notice,
    "handover": to_handover,
    "not_filed": to_not_filed,
    "reconsideration": _reconsideration,
    "supervision_proposal": _upheld,
    "supervision": _supervision,
    "referral_recommendation": _recommendation,
    "consultation": _consultation,
    "written_consultation": _written,
    "assistance": _assistance,
    "feedback": to_investigation,
    "handback": _handback,
    "prosecution_decision": _prosecution,
    "not_prosecuted_notice": _not_prosecuted,
    "judgment": _judgment,
    "penalty": _penalty,
    "archiving": _archiving,
    "detention_approval": to_detention_approval,
    "detention_sending": to_detention_sending,
    "detention_acceptance": to_detention_acceptance,
    "detention_decision": to_detention_review,
    "detention_supplements": _detention_supplements,
    "detention_copy": _detention_copy,
    "return_delivery": _return_delivery,
    "referral_order": _referral_order,
}
CLOCKS = [(mechanism, name) for mechanism in ("env-police", "national-2017") for name in PATHS]


@pytest.mark.parametrize("mechanism", ["env-police", "national-2017"])
def test_every_clock_has_a_path(mechanism: str) -> None:
    assert set(PATHS) == set(get_profile(mechanism).clocks)


def timeline_of(case_entries: list, action: str, clock: ClockState) -> list:  # type: ignore[type-arg]
    return [e for e in case_entries if e.action == action and e.details.get("clock") == clock.key]


@pytest.mark.parametrize(("mechanism", "name"), CLOCKS, ids=[f"{m}:{n}" for m, n in CLOCKS])
async def test_each_clock_reminds_and_breaches_when_the_period_function_says(
    time_skipping: WorkflowEnvironment, mechanism: str, name: str
) -> None:
    spec = get_profile(mechanism).clocks[name]
    async with running_case(time_skipping, mechanism=mechanism) as case:
        start = await case.now()
        await PATHS[name](case)
        clock = await case.clock(name)
        # The clock starts with the step (or the receipt) that starts it.
        assert clock.started_at in {e.at for e in (await case.view()).state.timeline}
        period = spec.period_for(urgent=False)
        expected = due_instant(
            clock.started_at, period.length, period.unit, calendar_for(start).calendar()
        )
        assert clock.due_at == expected.at
        assert (clock.length, clock.unit) == (period.length, period.unit)

        reminder_at = clock.due_at - spec.reminders[0]
        assert reminder_at > clock.started_at
        await case.sleep_until(reminder_at, -MARGIN)
        assert not timeline_of(case.fakes.entries(), "reminder", clock)
        await case.sleep_until(reminder_at, MARGIN)

        async def reminded() -> bool:
            entries = timeline_of(case.fakes.entries(), "reminder", clock)
            told = [n for n in case.fakes.notices_of(NoticeKind.REMINDER) if n.clock == clock.key]
            return bool(entries) and bool(told)

        await soon(reminded, f"no reminder of {name}")
        (entry,) = timeline_of(case.fakes.entries(), "reminder", clock)
        assert entry.at == reminder_at
        told = [n.to for n in case.fakes.notices_of(NoticeKind.REMINDER) if n.clock == clock.key]
        assert told == [[clock.owner_agency]]

        await case.sleep_until(clock.due_at, -MARGIN)
        assert (await case.clock(name)).breached_at is None
        await case.sleep_until(clock.due_at, MARGIN)

        async def breached() -> bool:
            return (await case.clock(name)).escalation_level == 1

        await soon(breached, f"{name} never breached")
        breach_clock = await case.clock(name)
        assert breach_clock.breached_at == clock.due_at
        assert breach_clock.escalation_level == 1  # the first rung is at the breach
        (breach,) = timeline_of(case.fakes.entries(), "breach", clock)
        assert breach.at == clock.due_at


async def test_the_escalation_ladder_climbs_rung_by_rung_and_stops_when_the_owner_acts(
    time_skipping: WorkflowEnvironment,
) -> None:
    ladder = get_profile("env-police").clocks["filing_decision"].escalation
    assert [(r.to.value, r.after) for r in ladder] == [
        ("joint_office", timedelta(0)),
        ("procuratorate", timedelta(days=1)),
        ("leadership_group", timedelta(days=2)),
    ]
    async with running_case(time_skipping) as case:
        await to_filing(case)
        clock = await case.clock("filing_decision")
        await case.sleep_until(clock.due_at, MARGIN)
        await soon(level_is(case, 1), "never escalated")
        first = await case.clock("filing_decision")
        assert (first.escalation_level, list(first.escalated_to)) == (1, ["JLO-DEMO"])
        assert first.escalated_to["JLO-DEMO"] == clock.due_at
        assert (await case.search_attributes())[search.ESCALATION_LEVEL.name] == 1
        await case.sleep_until(clock.due_at + timedelta(days=1), -MARGIN)
        assert (await case.clock("filing_decision")).escalation_level == 1
        await case.sleep_until(clock.due_at + timedelta(days=1), MARGIN)
        await soon(level_is(case, 2), "never reached the second rung")
        await soon(told_escalations(case, 2), "the rungs were not told")
        second = await case.clock("filing_decision")
        assert (second.escalation_level, list(second.escalated_to)) == (
            2,
            ["JLO-DEMO", "PROC-DEMO"],
        )
        assert second.escalated_to["PROC-DEMO"] == clock.due_at + timedelta(days=1)
        escalations = case.fakes.notices_of(NoticeKind.ESCALATION)
        assert [(n.level, n.to) for n in escalations] == [
            (1, ["JLO-DEMO", "PSB-DEMO"]),
            (2, ["PROC-DEMO", "PSB-DEMO"]),
        ]
        # What the people read is Chinese, with the police by name; the record keeps English.
        assert escalations[0].text.startswith("升级督办（第1级）：案件")
        assert "应由示范县公安局办理" in escalations[0].text, escalations[0].text
        assert escalations[0].text_en.startswith("escalated (level 1): ")
        view = await case.view()
        assert view.summary.escalation_level == 2
        # An escalated clock stays escalated until its owner acts: the police decide.
        await case.act("file_case", PSB_OFFICER)
        stopped = await case.clock("filing_decision")
        assert stopped.closed_by == "filed"
        assert stopped.escalation_level == 2  # the record keeps how far it went
        await case.sleep_until(clock.due_at + timedelta(days=2), MARGIN)
        assert (await case.clock("filing_decision")).escalation_level == 2  # the ladder stopped
        assert len(case.fakes.notices_of(NoticeKind.ESCALATION)) == 2
        await settled(case, DocumentKind.FILING_NOTICE)
        handover = await case.clock("handover")
        assert handover.escalation_level == 0
        assert (await case.search_attributes())[search.ESCALATION_LEVEL.name] == 0


def level_is(case: Case, level: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await case.clock("filing_decision")).escalation_level == level

    return check


def told_escalations(case: Case, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(case.fakes.notices_of(NoticeKind.ESCALATION)) == count

    return check


def holidays_ahead(snapshot: CalendarSnapshot, first: date, days: int) -> CalendarSnapshot:
    off = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return CalendarSnapshot(
        snapshot.years,
        snapshot.known_years,
        sorted(set(snapshot.days_off) | set(off)),
        [d for d in snapshot.workdays if d not in off],
    )


async def test_a_calendar_with_the_coming_days_off_moves_the_due_instant(
    time_skipping: WorkflowEnvironment,
) -> None:
    start = await time_skipping.get_current_time()
    plain = calendar_for(start)
    tomorrow = local_date(start) + timedelta(days=1)
    # From the first working day on: the session's clock has moved on by the tests before this one,
    # and the days after it may be days off already (an estimated Spring Festival).
    while not plain.calendar().is_working_day(tomorrow):
        tomorrow += timedelta(days=1)
    holidays = holidays_ahead(plain, tomorrow, 3)
    async with running_case(time_skipping, calendar=holidays) as case:
        await case.act("request_test", EPB_OFFICER, agency="MON-DEMO", subject="COD")
        clock = await case.clock("test")
        usual = due_instant(clock.started_at, 5, Unit.WORKING_DAYS, plain.calendar()).at
        moved = due_instant(clock.started_at, 5, Unit.WORKING_DAYS, holidays.calendar()).at
        assert moved > usual
        assert clock.due_at == moved
        await case.sleep_until(usual, MARGIN)
        assert (
            await case.clock("test")
        ).breached_at is None  # the usual due instant passes quietly
        await case.sleep_until(moved, MARGIN)

        async def breached() -> bool:
            return (await case.clock("test")).breached_at == moved

        await soon(breached, "the moved due instant never breached")


async def test_a_newly_published_calendar_reaches_a_running_case(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await to_approval(case)
        before = await case.clock("approval")
        last_day = before.due_at.astimezone(CHINA_TZ).date() - timedelta(days=1)
        published = holidays_ahead(calendar_for(before.started_at), last_day, 4)
        await case.handle.signal("publish_calendar", published)

        async def recounted() -> bool:
            return (await case.clock("approval")).due_at != before.due_at

        await eventually(case, recounted, "the published calendar never reached the case")
        after = await case.clock("approval")
        assert after.due_at == due_instant(before.started_at, 3, Unit.DAYS, published.calendar()).at
        assert after.due_at > before.due_at
        assert (await case.view()).state.timeline[-1].action == "calendar_published"


async def test_demo_fast_clocks_run_in_seconds(time_skipping: WorkflowEnvironment) -> None:
    async with running_case(time_skipping, mechanism="demo-fast") as case:
        await to_approval(case)
        clock = await case.clock("approval")
        assert clock.due_at - clock.started_at == timedelta(seconds=60)
        await case.sleep_until(clock.due_at, timedelta(seconds=31))

        async def escalated() -> bool:
            return list((await case.clock("approval")).escalated_to) == ["JLO-DEMO", "LG-DEMO"]

        await soon(escalated, "the demo clock never reached the leadership group")
