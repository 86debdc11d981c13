"""The detention track (治安, P2014) on the time-skipping server: a public-security case of an
environmental mechanism is transferred after the agency's own penalty, on P2014's periods in working
days (Art. 19), with no filing decision, reconsideration or filing supervision. Each test is named
after the article it checks."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from cases.calendar import Unit, due_instant
from cases.model import Actor
from cases.vocabulary import Classification, DocumentKind, FeedbackOutcome, Role, Stage
from tests.workflows.driver import (
    EPB_HEAD,
    EPB_OFFICER,
    PSB_OFFICER,
    SUPERIOR,
    classified,
    delivered,
    detention_package,
    finish,
    running_case,
    settled,
    to_detention_review,
)
from tests.workflows.fakes import FakeAgencies


async def test_p2014_art_2_10_12_penalty_first_then_approval_and_3_working_days_to_send(
    time_skipping: WorkflowEnvironment,
) -> None:
    """No transfer before the penalty decision (Art. 2); the head's approval has no period in P2014,
    so its clock is a supervision value (Art. 10); sending runs 3 working days from the approval
    (Art. 12, 19), with no 24-hour clock and no copy to the procuratorate; the police accept under
    their own rules, not on the receipt, and no filing-decision clock starts."""
    fakes = FakeAgencies()
    async with running_case(time_skipping, fakes=fakes) as case:
        await classified(case, Classification.PUBLIC_SECURITY)
        await case.act("record_evidence", EPB_OFFICER, items=detention_package())
        early = await case.refused("request_approval", EPB_OFFICER, officers=["王执法"])
        assert early["reason"] == "penalty_first"
        await case.act("decide_penalty", EPB_OFFICER, reference="罚字〔2026〕9号")
        await case.act("request_approval", EPB_OFFICER, officers=["王执法"])
        approval = await case.clock("detention_approval")
        assert (approval.owner_agency, approval.statutory) == ("EPB-DEMO", False)
        assert "check" not in approval.source or "no period" in approval.source
        result = await case.act("approve_referral", EPB_HEAD)
        assert result.at is not None
        sending = await case.clock("detention_sending")
        assert (sending.length, sending.unit, sending.statutory) == (3, Unit.WORKING_DAYS, True)
        assert sending.due_at == due_instant(result.at, 3, Unit.WORKING_DAYS).at
        names = {c.name for c in (await case.view()).state.clocks}
        assert not {"approval", "sending"} & names
        await case.act("send_referral", EPB_OFFICER)
        await delivered(case)
        (delivery,) = fakes.deliveries
        assert (delivery.classification, delivery.copy_to) == ("public_security", [])
        state = (await case.view()).state
        assert state.stage is Stage.ACCEPTANCE  # the receipt is not the acceptance here
        assert (await case.clock("detention_sending")).closed_by == "referral_delivered"
        assert (await case.clock("detention_acceptance")).owner_agency == "PSB-DEMO"
        await case.act("accept", PSB_OFFICER, reference="受案-2026-77")
        state = (await case.view()).state
        assert state.stage is Stage.DETENTION_REVIEW
        names = {c.name for c in state.open_clocks()}
        assert "detention_decision" in names
        assert "filing_decision" not in names


async def test_p2014_art_13_more_evidence_is_asked_within_3_working_days_of_acceptance(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The police ask within 3 working days of accepting; P2014 sets the agency no period to supply,
    so its clock is a supervision value. After the 3 working days they gather evidence themselves."""
    async with running_case(time_skipping) as case:
        await to_detention_review(case)
        await case.act("request_supplements", PSB_OFFICER, items=["停产整治决定送达回证"])
        supply = await case.clock("detention_supplements")
        assert (supply.owner_agency, supply.statutory) == ("EPB-DEMO", False)
        assert "supplements" not in {c.name for c in (await case.view()).state.open_clocks()}
        await case.act("supply_supplements", EPB_OFFICER, note="已补充送达回证")
        accepted = (await case.view()).state.filing.accepted_at
        assert accepted is not None
        closes = due_instant(accepted, 3, Unit.WORKING_DAYS).at
        await case.sleep_until(closes, timedelta(minutes=1))
        late = await case.refused("request_supplements", PSB_OFFICER, items=["现场照片"])
        assert late["reason"] == "window_closed"
        assert "P2014 Art. 13" in late["message"]


async def test_p2014_art_14_the_detention_decision_is_copied_within_3_working_days(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The copy is the police's statutory clock, stopped by the agency system's receipt; a refused
    copy shows on the case and the agency cannot close the case until its copy arrives (Art. 16)."""
    fakes = FakeAgencies(refuse_documents=1)
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_detention_review(case)
        out_of_range = await case.refused(
            "decide_detention", PSB_OFFICER, reference="拘决字〔2026〕3号", days=20
        )
        assert out_of_range["reason"] == "invalid_payload"
        result = await case.act(
            "decide_detention", PSB_OFFICER, reference="拘决字〔2026〕3号", days=10
        )
        assert result.at is not None
        copy = await case.clock("detention_copy")
        assert (copy.owner_agency, copy.length, copy.unit, copy.statutory) == (
            "PSB-DEMO",
            3,
            Unit.WORKING_DAYS,
            True,
        )
        assert copy.due_at == due_instant(result.at, 3, Unit.WORKING_DAYS).at
        refused = await settled(case, DocumentKind.DETENTION_DECISION)
        assert refused.error is not None
        waiting = await case.refused("archive", EPB_OFFICER)
        assert waiting["reason"] == "not_delivered"
        await case.act("resend_document", PSB_OFFICER, document=refused.doc_id)
        received = await settled(case, DocumentKind.DETENTION_DECISION)
        assert received.received_at is not None
        assert (await case.clock("detention_copy")).closed_by == "detention_decision_received"
        assert (await case.clock("archiving")).started_at == received.received_at
        await case.act("archive", EPB_OFFICER)
        state = (await case.view()).state
        assert (state.stage, state.feedback) == (Stage.ARCHIVED, FeedbackOutcome.DETENTION)
        await finish(case, "detention_decided")


async def test_p2014_art_15_a_return_after_5_working_days_is_flagged(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The written reasons and the file go back; later than 5 working days from acceptance the return
    is still made and the record says it was late. The agency closes the case on receiving them."""
    fakes = FakeAgencies()
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_detention_review(case)
        accepted = (await case.view()).state.filing.accepted_at
        assert accepted is not None
        await case.sleep_until(due_instant(accepted, 5, Unit.WORKING_DAYS).at, timedelta(hours=1))
        await case.act("return_referral", PSB_OFFICER, reasons="事实不清、证据不足")
        notice = await settled(case, DocumentKind.RETURN_NOTICE)
        assert notice.received_at is not None
        assert fakes.documents[-1].reasons == "事实不清、证据不足"
        (entry,) = [e for e in fakes.entries() if e.action == "return_referral"]
        assert "P2014 Art. 15" in entry.details["late"]
        assert (await case.clock("return_delivery")).closed_by == "return_notice_received"
        await case.act("archive", EPB_OFFICER)
        assert (await case.view()).state.stage is Stage.ARCHIVED
        await finish(case, "detention_returned_late")


async def test_p2014_art_17_the_superior_department_orders_a_transfer_not_made(
    time_skipping: WorkflowEnvironment,
) -> None:
    """A case the county bureau closed with a penalty alone is found by its superior's inspection:
    the order reclassifies it, brings it back to evidence fixing, and the bureau's days to transfer
    (a supervision value: P2014 sets none) run from its receipt of the order until the sending."""
    async with running_case(time_skipping) as case:
        await classified(case, Classification.PUBLIC_SECURITY)
        await case.act("handle_administratively", EPB_OFFICER, reasons="先行政处罚")
        await case.act("impose_penalty", EPB_OFFICER, reference="罚字〔2026〕11号")
        assert (await case.view()).state.stage is Stage.ARCHIVING
        stranger = await case.refused(
            "order_referral", Actor("EPB-EAST", Role.APPROVER, "x"), reasons="应当移送"
        )
        assert stranger["reason"] == "not_your_move"
        await case.act("order_referral", SUPERIOR, reasons="拒不执行停产整治决定,应当移送行政拘留")
        state = (await case.view()).state
        assert (state.stage, state.classification) == (
            Stage.EVIDENCE,
            Classification.PUBLIC_SECURITY,
        )
        assert (await case.clock("archiving")).closed_by == "referral_ordered"
        order = await settled(case, DocumentKind.REFERRAL_ORDER)
        clock = await case.clock("referral_order")
        assert (clock.owner_agency, clock.started_at, clock.statutory) == (
            "EPB-DEMO",
            order.received_at,
            False,
        )
        again = await case.refused("order_referral", SUPERIOR, reasons="再次责令")
        assert again["reason"] == "already_pending"
        await case.act("record_evidence", EPB_OFFICER, items=detention_package())
        await case.act("request_approval", EPB_OFFICER, officers=["王执法"])
        await case.act("approve_referral", EPB_HEAD)
        await case.act("send_referral", EPB_OFFICER)
        assert (await case.clock("referral_order")).closed_by == "referral_sent"
        await delivered(case)
        await finish(case, "detention_ordered_by_the_superior")
