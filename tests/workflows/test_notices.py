"""Periods that run from the receipt of a notice, the windows that run from the discovery, and the
agencies consulting each other, on the time-skipping server: each test is named after the article it
checks."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from cases.calendar import Unit, due_instant
from cases.effects import NoticeKind
from cases.model import Actor, CaseFacts
from cases.vocabulary import DocumentKind, Role, Stage, ViolationType
from tests.workflows.driver import (
    COORDINATOR,
    EPB_HEAD,
    EPB_OFFICER,
    PROCURATOR,
    PSB_OFFICER,
    classified,
    delivered,
    eventually,
    package,
    running_case,
    settled,
    soon,
    to_filing,
    until,
)
from tests.workflows.fakes import FakeAgencies


def major() -> CaseFacts:
    return CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE, major_or_difficult=True)


async def test_o310_art_12_the_handover_runs_from_the_receipt_of_the_filing_notice(
    time_skipping: WorkflowEnvironment,
) -> None:
    """A filing notice the agency's system refuses starts nothing of the agency's: it shows on the
    case, the police are told to resend it, and their own period to notify runs on (N2017 Art. 9).
    The agency's 3 days start when its system acknowledges the notice sent again."""
    fakes = FakeAgencies(refuse_documents=1)
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_filing(case)
        await case.act("file_case", PSB_OFFICER, reference="立案-003")
        refused = await settled(case, DocumentKind.FILING_NOTICE)
        assert refused.error is not None
        assert refused.received_at is None
        state = (await case.view()).state
        assert state.stage is Stage.HANDOVER
        assert "handover" not in {c.name for c in state.open_clocks()}
        notify = await case.clock("decision_notice")
        assert (notify.owner_agency, notify.statutory) == ("PSB-DEMO", True)
        await until(case, lambda: bool(fakes.notices_of(NoticeKind.DOCUMENT_FAILED)), "not told")
        (told,) = fakes.notices_of(NoticeKind.DOCUMENT_FAILED)
        assert told.to == ["PSB-DEMO"]
        # The agency cannot resend the police's notice; the police can.
        other = await case.refused("resend_document", EPB_OFFICER, document=refused.doc_id)
        assert other["reason"] in {"invalid_payload", "not_your_move"}
        await case.env.sleep(timedelta(days=1))
        await case.act("resend_document", PSB_OFFICER, document=refused.doc_id)
        received = await settled(case, DocumentKind.FILING_NOTICE)
        assert received.received_at is not None
        assert received.attempts == 2
        assert [d.idempotency_key for d in fakes.documents] == [
            f"case-{case.case_id}-document-{refused.doc_id}-1",
            f"case-{case.case_id}-document-{refused.doc_id}-2",
        ]
        handover = await case.clock("handover")
        assert handover.started_at == received.received_at
        assert handover.due_at == due_instant(received.received_at, 3, Unit.DAYS).at
        assert (await case.clock("decision_notice")).closed_by == "filing_notice_received"


async def test_n2017_art_14_only_a_sent_referral_answers_the_recommendation(
    time_skipping: WorkflowEnvironment,
) -> None:
    """Three days from the receipt of the procuratorate's recommendation; asking the head or handling
    the case otherwise does not stop the clock, the referral's sending does."""
    async with running_case(time_skipping) as case:
        await classified(case)
        await case.act("recommend_referral", PROCURATOR, reasons="涉嫌污染环境罪,建议移送")
        received = await settled(case, DocumentKind.REFERRAL_RECOMMENDATION)
        clock = await case.clock("referral_recommendation")
        assert (clock.started_at, clock.length, clock.unit, clock.statutory) == (
            received.received_at,
            3,
            Unit.DAYS,
            True,
        )
        await package(case)
        await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
        await case.act("approve_referral", EPB_HEAD)
        assert (await case.clock("referral_recommendation")).closed_at is None
        await case.act("send_referral", EPB_OFFICER)
        assert (await case.clock("referral_recommendation")).closed_by == "referral_sent"
        await delivered(case)  # no call left in flight: it would hold the test server's clock


async def test_n2017_art_12_15_supervision_of_an_overdue_filing_decision(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The agency may propose supervision once the police are overdue (Art. 12), and the procuratorate
    may step in on its own (Art. 15); the police's decision stays theirs meanwhile."""
    async with running_case(time_skipping) as case:
        await to_filing(case)
        early = await case.refused("propose_supervision", EPB_HEAD, reasons="逾期未决定")
        assert early["reason"] == "not_overdue"
        on_its_own = await case.refused(
            "supervise_filing", PROCURATOR, order_filing=True, reasons="逾期"
        )
        assert on_its_own["reason"] == "not_overdue"
        filing = await case.clock("filing_decision")
        await case.sleep_until(filing.due_at, timedelta(minutes=1))

        async def breached() -> bool:
            return (await case.clock("filing_decision")).breached_at is not None

        await soon(breached, "the filing decision never breached")
        await case.act("propose_supervision", EPB_HEAD, reasons="公安机关逾期未作出是否立案决定")
        state = (await case.view()).state
        assert state.stage is Stage.FILING_DECISION
        assert (await case.clock("supervision")).owner_agency == "PROC-DEMO"
        await case.act("supervise_filing", PROCURATOR, order_filing=True, reasons="通知立案")
        assert (await case.clock("ordered_filing")).owner_agency == "PSB-DEMO"
        await case.act("file_case", PSB_OFFICER)
        assert (await case.clock("ordered_filing")).closed_by == "filed"
        await settled(case, DocumentKind.FILING_NOTICE)  # no call left in flight


async def test_d5_3_3_the_urban_transfer_window_runs_from_the_discovery(
    time_skipping: WorkflowEnvironment,
) -> None:
    """城管执法大队发现…应在3日内移交: the 3 days count from the discovery, not from the case's
    opening or classification."""
    async with running_case(time_skipping, mechanism="urban-police", agency="UMB-DEMO") as case:
        state = (await case.view()).state
        await case.env.sleep(timedelta(hours=5))
        urban = Actor("UMB-DEMO", Role.OFFICER, "城管队员")
        await case.act("classify", urban, classification="crime", reasons="暴力抗法致人轻伤")
        window = await case.clock("referral_window")
        assert window.started_at == state.discovered_at
        assert window.due_at == due_instant(state.discovered_at, 3, Unit.DAYS).at
        assert window.statutory


async def test_d6_1_3_the_township_transfer_runs_from_the_discovery(
    time_skipping: WorkflowEnvironment,
) -> None:
    """应当自发现之日起5个工作日内移送有管辖权的一方处理."""
    async with running_case(
        time_skipping, mechanism="township-county", agency="TWP-DEMO-XX"
    ) as case:
        state = (await case.view()).state
        await case.env.sleep(timedelta(hours=3))
        await case.act(
            "find_not_competent",
            Actor("TWP-DEMO-XX", Role.OFFICER, "乡执法队员"),
            reasons="属县自然资源局管辖",
        )
        clock = await case.clock("jurisdiction_transfer")
        assert clock.started_at == state.discovered_at
        assert clock.due_at == due_instant(state.discovered_at, 5, Unit.WORKING_DAYS).at


async def test_d6_1_2_a_county_department_answers_the_township_within_3_working_days(
    time_skipping: WorkflowEnvironment,
) -> None:
    """执法协作文书: the township asks a county department of its county, not the case's own agencies;
    the department's 3 working days run per request from its system's receipt, and its written
    answer stops them."""
    township = Actor("TWP-DEMO-XX", Role.OFFICER, "乡执法队员")
    department = Actor("NRB-DEMO", Role.OFFICER, "县自然资源局")
    async with running_case(
        time_skipping, mechanism="township-county", agency="TWP-DEMO-XX"
    ) as case:
        wrong = await case.refused(
            "ask_in_writing", township, agency="PSB-DEMO", subject="是否属于违法占地"
        )
        assert wrong["reason"] == "invalid_payload"
        asked = await case.act(
            "ask_in_writing", township, agency="NRB-DEMO", subject="是否属于违法占用耕地的认定"
        )

        async def received() -> bool:
            return any(r.received_at for r in (await case.view()).state.requests)

        await eventually(case, received, "the department's system never acknowledged the request")
        (request,) = (await case.view()).state.requests
        clock = await case.clock("written_consultation")
        assert clock.started_at == request.received_at  # 自收到执法协作文书后
        assert (clock.owner_agency, clock.length, clock.unit, clock.statutory) == (
            "NRB-DEMO",
            3,
            Unit.WORKING_DAYS,
            True,
        )
        assert clock.due_at == due_instant(clock.started_at, 3, Unit.WORKING_DAYS).at
        await case.act(
            "answer_in_writing",
            department,
            request_id=asked.refs["request_id"],
            conclusion="经认定,属于违法占用耕地",
        )
        assert (await case.clock("written_consultation")).closed_by == "question_answered"


async def test_n2017_art_29_a_consultation_before_referral_invites_the_procuratorate_and_the_court(
    dev_server: WorkflowEnvironment,
) -> None:
    """On the dev server: after this case, the time-skipping server intermittently held its clock
    for the next test's timers (seen with test_registry), though no activity of this case was left
    in flight and the case was terminated; no period of this case is measured here."""
    fakes = FakeAgencies()
    async with running_case(dev_server, fakes=fakes, facts=major()) as case:
        await classified(case)  # still fixing evidence: nothing has been referred
        await case.act("convene_consultation", COORDINATOR, reasons="案情重大,移送前会商")
        assert (await case.clock("consultation")).owner_agency == "JLO-DEMO"
        await until(case, lambda: bool(fakes.notices_of(NoticeKind.CONSULTATION)), "not invited")
        (invitation,) = fakes.notices_of(NoticeKind.CONSULTATION)
        assert invitation.to == ["EPB-DEMO", "PSB-DEMO", "PROC-DEMO", "COURT-DEMO"]


async def test_n2017_art_24_a_written_question_is_answered_within_7_days(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeAgencies()
    async with running_case(time_skipping, fakes=fakes) as case:
        await classified(case)
        asked = await case.act(
            "ask_in_writing", EPB_OFFICER, agency="PROC-DEMO", subject="立案追诉标准如何适用"
        )
        request_id = asked.refs["request_id"]
        clock = await case.clock("written_consultation")
        assert (clock.owner_agency, clock.length, clock.unit, clock.statutory) == (
            "PROC-DEMO",
            7,
            Unit.DAYS,
            True,
        )
        await until(case, lambda: bool(fakes.requests), "the question never reached its system")
        assert fakes.requests[0].kind == "consultation"
        wrong = await case.refused(
            "answer_in_writing", PSB_OFFICER, request_id=request_id, conclusion="x"
        )
        assert wrong["reason"] == "not_your_move"
        await case.act(
            "answer_in_writing", PROCURATOR, request_id=request_id, conclusion="按J2023第一条认定"
        )
        assert (await case.clock("written_consultation")).closed_by == "question_answered"
