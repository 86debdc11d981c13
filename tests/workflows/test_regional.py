"""Cross-region linkage on the time-skipping server (区域联动, D3 §3.2; D8): a jurisdiction dispute
between two counties goes to their common superior's government, and a request for assistance of
another region runs its own clock, which reminds, breaches and escalates at the instants the period
function gives, to both regions' joint offices, until the assisting agency answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from cases.calendar import Unit, calendar_for, due_instant
from cases.effects import Notice, NoticeKind
from cases.model import Actor, ClockState
from cases.profiles import get_profile
from cases.vocabulary import Role
from tests.workflows.driver import (
    COUNTY,
    EAST_EPB,
    EPB_HEAD,
    EPB_OFFICER,
    Case,
    eventually,
    running_case,
    soon,
    until,
)

CITY = Actor("GOV-CITY", Role.APPROVER, "市政府法制办")
EAST_HEAD = Actor("EPB-EAST", Role.APPROVER, "东邻局长")
EAST_STATION = Actor("MON-EAST", Role.OFFICER, "东邻监测")
MARGIN = timedelta(minutes=1)


async def test_a_dispute_between_two_counties_is_decided_by_the_city(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await case.act(
            "transfer_jurisdiction", EPB_HEAD, agency="EPB-EAST", reasons="排污口在东邻县"
        )
        await case.act("dispute_jurisdiction", EAST_HEAD, reasons="污染源在示范县境内")
        clock = await case.clock("jurisdiction_decision")
        assert clock.owner_agency == "GOV-CITY"
        # Neither county's government judges a dispute between the two.
        refused = await case.refused(
            "decide_jurisdiction", COUNTY, agency="EPB-DEMO", reasons="由示范县管辖"
        )
        assert refused["reason"] == "not_your_move"
        await case.act("decide_jurisdiction", CITY, agency="EPB-EAST", reasons="由东邻县管辖")
        state = (await case.view()).state
        assert (state.owner_agency, state.region) == ("EPB-EAST", "east-county")
        assert (state.police_agency, state.procuratorate) == ("PSB-EAST", "PROC-EAST")
        assert (await case.clock("jurisdiction_decision")).closed_by == "jurisdiction_decided"
        disputed = next(e for e in case.fakes.entries() if e.action == "dispute_jurisdiction")
        assert disputed.details["decided_by"] == "GOV-CITY"


async def assistance_clock(case: Case, request_id: str) -> ClockState:
    """The request's clock, once the assisting system's receipt has started it."""

    async def started() -> bool:
        return any(c.key == f"assistance:{request_id}" for c in (await case.view()).state.clocks)

    await eventually(case, started, f"{request_id} was never received")
    return next(c for c in (await case.view()).state.clocks if c.key == f"assistance:{request_id}")


async def test_an_assistance_reminds_breaches_and_escalates_to_both_regions_until_answered(
    time_skipping: WorkflowEnvironment,
) -> None:
    spec = get_profile("env-police").clocks["assistance"]
    assert not spec.statutory  # D3 §3.2 and D8 §三(二) set no time: a supervision value
    assert [(r.to.value, r.after) for r in spec.escalation] == [
        ("joint_office", timedelta(0)),
        ("assisting_office", timedelta(days=1)),
        ("leadership_group", timedelta(days=3)),
    ]
    async with running_case(time_skipping) as case:
        start = await case.now()
        evidence = await case.act(
            "request_assistance",
            EPB_OFFICER,
            agency="EPB-EAST",
            assistance="evidence",
            subject="核查危险废物转移联单及运输车辆",
        )
        monitoring = await case.act(
            "request_assistance",
            EPB_OFFICER,
            agency="MON-EAST",
            assistance="monitoring",
            subject="东邻县交界断面水质监测",
        )
        first, second = evidence.refs["request_id"], monitoring.refs["request_id"]
        clock = await assistance_clock(case, first)
        other = await assistance_clock(case, second)
        sent = {(c.agency, c.kind, c.assistance) for c in case.fakes.requests}
        assert sent == {
            ("EPB-EAST", "assistance", "evidence"),
            ("MON-EAST", "assistance", "monitoring"),
        }
        assert (clock.owner_agency, other.owner_agency) == ("EPB-EAST", "MON-EAST")
        # Ten working days from the receipt, counted by the one period function on the case's own
        # calendar.
        expected = due_instant(
            clock.started_at, 10, Unit.WORKING_DAYS, calendar_for(start).calendar()
        )
        assert clock.due_at == expected.at
        assert (clock.length, clock.unit) == (10, Unit.WORKING_DAYS)

        # The station answers at once: its clock stops, and it is never reminded.
        await case.act(
            "answer_assistance", EAST_STATION, request_id=second, conclusion="交界断面总铬超标"
        )
        assert (await keyed(case, f"assistance:{second}")).closed_by == ("assistance_answered")
        # Only the agency asked answers a request.
        wrong = await case.refused(
            "answer_assistance", EAST_STATION, request_id=first, conclusion="x"
        )
        assert wrong["reason"] in {"not_your_move", "invalid_payload"}

        reminder_at = clock.due_at - spec.reminders[0]
        await case.sleep_until(reminder_at, -MARGIN)
        assert not [n for n in case.fakes.notices_of(NoticeKind.REMINDER) if n.clock == clock.key]
        await case.sleep_until(reminder_at, MARGIN)

        def reminded() -> bool:
            return any(n.clock == clock.key for n in case.fakes.notices_of(NoticeKind.REMINDER))

        await until(case, reminded, "no reminder")
        told = [n for n in case.fakes.notices_of(NoticeKind.REMINDER) if n.clock == clock.key]
        assert [n.to for n in told] == [["EPB-EAST"]]
        assert not [
            n for n in case.fakes.notices_of(NoticeKind.REMINDER) if n.clock == other.key
        ]  # the answered request's clock reminds nobody

        await case.sleep_until(clock.due_at, -MARGIN)
        assert (await keyed(case, clock.key)).breached_at is None
        await case.sleep_until(clock.due_at, MARGIN)
        await soon(level(case, clock.key, 1), "never breached")
        breached = await keyed(case, clock.key)
        assert breached.breached_at == clock.due_at
        assert breached.escalated_to == {"JLO-DEMO": clock.due_at}

        # A day later the assisting agency's own region's joint office, which supervises it.
        await case.sleep_until(clock.due_at + timedelta(days=1), -MARGIN)
        assert (await keyed(case, clock.key)).escalation_level == 1
        await case.sleep_until(clock.due_at + timedelta(days=1), MARGIN)
        await soon(level(case, clock.key, 2), "never reached the assisting region")
        second_rung = await keyed(case, clock.key)
        assert second_rung.escalated_to["JLO-EAST"] == clock.due_at + timedelta(days=1)

        def both_told() -> bool:
            return len(escalations(case, clock.key)) == 2

        await until(case, both_told, "the rungs were not told")
        assert [(n.level, n.to) for n in escalations(case, clock.key)] == [
            (1, ["JLO-DEMO", "EPB-EAST"]),
            (2, ["JLO-EAST", "EPB-EAST"]),
        ]

        # The answer stops the clock, and the ladder with it.
        await case.act(
            "answer_assistance",
            EAST_EPB,
            request_id=first,
            conclusion="该批危废由东邻县某化工厂转出",
        )
        stopped = await keyed(case, clock.key)
        assert stopped.closed_by == "assistance_answered"
        assert stopped.escalation_level == 2
        await case.sleep_until(clock.due_at + timedelta(days=3), MARGIN)
        assert (await keyed(case, clock.key)).escalation_level == 2
        assert len(escalations(case, clock.key)) == 2
        answered = [e for e in case.fakes.entries() if e.action == "answer_assistance"]
        assert [e.details["request_id"] for e in answered] == [second, first]


async def keyed(case: Case, key: str) -> ClockState:
    """The case's clock of this key (a request's clock is keyed name:request)."""
    return next(c for c in (await case.view()).state.clocks if c.key == key)


def escalations(case: Case, key: str) -> list[Notice]:
    return [n for n in case.fakes.notices_of(NoticeKind.ESCALATION) if n.clock == key]


def level(case: Case, key: str, wanted: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await keyed(case, key)).escalation_level == wanted

    return check
