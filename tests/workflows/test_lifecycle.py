"""Every path and branch of the lifecycle, end to end on the time-skipping server.

Each path runs to the archive, so that its finished history can be kept for the replay tests.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from cases.calendar import Unit, due_instant
from cases.effects import NoticeKind
from cases.model import CaseFacts, Measurement
from cases.profiles import get_profile
from cases.vocabulary import (
    Classification,
    DocumentKind,
    FeedbackOutcome,
    Judgment,
    Stage,
    ViolationType,
)
from tests.workflows.driver import (
    APPRAISER,
    COORDINATOR,
    COUNTY,
    EAST_EPB,
    EPB_HEAD,
    EPB_OFFICER,
    LEADER,
    NRB_HEAD,
    PROCURATOR,
    PSB_HEAD,
    PSB_OFFICER,
    SHA,
    STATION,
    Case,
    classified,
    delivered,
    finish,
    items,
    package,
    paper,
    running_case,
    settled,
    soon,
    to_acceptance,
    to_approval,
    to_filing,
    to_investigation,
    to_not_filed,
    to_sending,
    until,
)
from tests.workflows.fakes import FakeAgencies
from workflows import search
from workflows.case import PAPERS_ATTACHED

# The events each step of a full env-police lifecycle adds to the case's history, when the step gets a
# workflow task of its own: an update takes 5 (its task's scheduled, started and completed, the update
# accepted and completed), its read-model write 1 marker; a step that moves the next clock instant
# re-arms the timer (2: cancelled, started) and one that changes the stage or the next deadline
# upserts the search attributes (1). Sending adds the delivery: an activity (scheduled, started,
# completed) whose receipt is a transition of its own (a workflow task, a marker, a timer, an upsert).
# A paper of what was sent (the referral letter before the delivery, the handover list) is an
# activity (3) whose file goes on the case as a transition of its own (a workflow task, a marker);
# the first paper of a run records its patch (a marker, and the TemporalChangeVersion upsert).
# On a loaded machine a step may land while another task is in flight and take one more task (3).
# Recording every crime-evidence item costs no more: the items go in one step (up to 50 at a time).
# Opening is a start (started), its first task (3), the opening's write (1) and the search attributes
# (1): the API writes the opening itself, and no update comes with the start.
STEP_EVENTS = {  # 131 in all
    "open": 6,
    "classify": 7,
    "record_evidence": 6,
    "request_approval": 8,
    "approve_referral": 9,
    "send_referral": 26,  # the letter, then the receipt, the acceptance (N2017 Art. 7)
    "file_case": 17,  # and the filing notice, delivered: its receipt starts the handover
    "hand_over": 16,  # and the handover list
    "feed_back": 9,
    "charge": 9,  # the procuratorate's steps (N2017 Art. 18)
    "record_judgment": 9,
    "archive": 9,
}
ONE_MORE_TASK = 3
# Steps with a delivery or a paper have more tasks of their own (the step, then the paper's and the
# receipt's transitions), and on a loaded machine each may take one more (seen once in CI: file_case
# at 22).
TASKS = {"send_referral": 3, "file_case": 2, "hand_over": 2}
EVENT_BUDGET = 170


class HistoryMeter:
    """How many events each step adds to a case's history."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.seen = 0
        self.counts: dict[str, int] = {}

    async def after(self, step: str) -> None:
        events = len((await self.case.handle.fetch_history()).events)
        self.counts[step] = self.counts.get(step, 0) + events - self.seen
        self.seen = events

    def report(self) -> str:
        lines = [f"{step:>20}: {count:3d}" for step, count in self.counts.items()]
        return "\n".join([*lines, f"{'total':>20}: {self.seen:3d}"])


async def metered_lifecycle(case: Case, *, crime_evidence: bool) -> HistoryMeter:
    """A full env-police lifecycle, measured step by step; with ``crime_evidence`` every item of the
    crime evidence checklist is recorded too (in the same step as the referral package)."""
    meter = HistoryMeter(case)
    await case.opened()
    await meter.after("open")
    await classified(case)
    await meter.after("classify")
    profile = get_profile("env-police")
    kinds = list(profile.referral_required)
    if crime_evidence:
        kinds += [k for k in profile.evidence_checklists[Classification.CRIME] if k not in kinds]
    await case.act("record_evidence", EPB_OFFICER, items=items(*kinds))
    await meter.after("record_evidence")
    await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
    await meter.after("request_approval")
    await case.act("approve_referral", EPB_HEAD)
    await meter.after("approve_referral")
    await case.act("send_referral", EPB_OFFICER)
    await delivered(case)
    await meter.after("send_referral")
    await case.act("file_case", PSB_OFFICER, reference="立案-001")
    await settled(case, DocumentKind.FILING_NOTICE)
    await meter.after("file_case")
    await case.act("hand_over", EPB_OFFICER, items=["水样3份", "暗管照片"])
    await paper(case, "handover")
    await meter.after("hand_over")
    await case.act("feed_back", PSB_OFFICER, outcome=FeedbackOutcome.PROSECUTION)
    await meter.after("feed_back")
    await case.act("charge", PROCURATOR, reference="检诉〔2026〕12号")
    await meter.after("charge")
    await case.act("record_judgment", PROCURATOR, judgment=Judgment.CONVICTED)
    await meter.after("record_judgment")
    await case.act("archive", EPB_OFFICER)
    await case.handle.result()
    await meter.after("archive")
    print(meter.report())
    return meter


def within_budget(meter: HistoryMeter) -> None:
    for step, count in meter.counts.items():
        extra = ONE_MORE_TASK * TASKS.get(step, 1)
        assert count <= STEP_EVENTS[step] + extra, f"{step}: {count}\n{meter.report()}"
    assert meter.seen <= EVENT_BUDGET, meter.report()


async def test_a_full_env_police_lifecycle(time_skipping: WorkflowEnvironment) -> None:
    async with running_case(time_skipping) as case:
        meter = await metered_lifecycle(case, crime_evidence=False)
        await finish(case, "env_police_full")
        state = (await case.view()).state
        timeline = case.fakes.entries()
        assert [(e.action, e.stage_to) for e in timeline if e.stage_from != e.stage_to] == [
            ("classify", Stage.EVIDENCE),
            ("request_approval", Stage.REFERRAL_APPROVAL),
            ("approve_referral", Stage.REFERRAL_SENDING),
            ("send_referral", Stage.ACCEPTANCE),
            ("referral_delivered", Stage.FILING_DECISION),  # the receipt is the acceptance
            ("file_case", Stage.HANDOVER),
            ("hand_over", Stage.INVESTIGATION),
            ("feed_back", Stage.PROSECUTION),  # N2017 Art. 18: the procuratorate has it
            ("charge", Stage.TRIAL),
            ("record_judgment", Stage.ARCHIVING),
            ("archive", Stage.ARCHIVED),
        ]
        # Every action is stamped with its actor; the delivery receipt is the police system's own,
        # and it is the acceptance: the filing decision's 3 days run from it (N2017 Art. 7, 9).
        filed = next(e for e in timeline if e.action == "file_case")
        assert filed.actor == PSB_OFFICER
        receipt = next(e for e in timeline if e.action == "referral_delivered")
        assert receipt.actor is None
        assert receipt.details["reference"].startswith("RCPT-case-")
        assert state.referral.receipt is not None
        assert state.filing.accepted_at == receipt.at
        # The filing notice reached the agency, copied to the procuratorate (N2017 Art. 9).
        (notice,) = case.fakes.documents
        assert (notice.kind, notice.to, notice.copy_to) == (
            "filing_notice",
            "EPB-DEMO",
            ["PROC-DEMO"],
        )
        assert case.fakes.deliveries[0].copy_to == ["PROC-DEMO"]  # the referral letter (Art. 6)
        # Every clock that ran is closed, each by the step of its owner.
        closed_by = {c.name: c.closed_by for c in state.clocks}
        assert closed_by == {
            "approval": "referral_approved",
            "sending": "referral_delivered",
            "filing_decision": "filed",
            "decision_notice": "filing_notice_received",
            "handover": "handed_over",
            "feedback": "fed_back",
            "prosecution_decision": "charged",
            "judgment": "judged",
            "archiving": "archived",
        }
        # One read-model write per transition, none lost, none twice.
        seqs = case.fakes.recorded_seqs()
        assert seqs == list(range(1, state.last_seq + 1))
        assert len(case.fakes.records) == state.last_seq
        assert case.fakes.records[-1].projection.stage is Stage.ARCHIVED
        # The history stays small: the count per step is stated above.
        within_budget(meter)


async def test_a_lifecycle_with_every_crime_evidence_item_stays_within_budget(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        meter = await metered_lifecycle(case, crime_evidence=True)
        state = (await case.view()).state
        crime = get_profile("env-police").evidence_checklists[Classification.CRIME]
        assert set(crime) <= state.evidence_kinds
        within_budget(meter)


async def test_search_attributes_follow_the_case(time_skipping: WorkflowEnvironment) -> None:
    facts = CaseFacts(hazardous_into_water=True, discharges_past_year=3)
    async with running_case(time_skipping, facts=facts) as case:
        await to_acceptance(case)
        attributes = await case.search_attributes()
        # Temporal's own: the patches this run took (the referral letter's).
        assert attributes.pop("TemporalChangeVersion") == [PAPERS_ATTACHED]
        filing = await case.clock("filing_decision")
        assert attributes == {
            search.CASE_STAGE.name: "filing_decision",
            search.CASE_MECHANISM.name: "env-police",
            search.OWNING_AGENCY.name: "EPB-DEMO",
            search.KEY_CASE.name: True,
            search.ESCALATION_LEVEL.name: 0,
            search.NEXT_DEADLINE.name: filing.due_at.isoformat(),
        }
        await finish(case)
        attributes = await case.search_attributes()
        assert attributes[search.CASE_STAGE.name] == "archived"
        assert search.NEXT_DEADLINE.name not in attributes  # no open clock, no deadline


async def test_n2017_art_8_supplements_run_their_own_clock_while_the_filing_decision_runs(
    time_skipping: WorkflowEnvironment,
) -> None:
    """Asked within 24 hours of the receipt, supplied within 3 days or explained in writing; the
    filing clock neither pauses nor restarts, and a pending request blocks nothing."""
    async with running_case(time_skipping) as case:
        await to_filing(case)
        filing = await case.clock("filing_decision")
        await case.act("request_supplements", PSB_OFFICER, items=["环境损害鉴定评估报告"])
        supplements = await case.clock("supplements")
        assert (supplements.length, supplements.unit, supplements.statutory) == (3, Unit.DAYS, True)
        assert supplements.owner_agency == "EPB-DEMO"
        assert (await case.clock("filing_decision")).paused_at is None
        await case.env.sleep(timedelta(days=1))
        await case.act("supply_supplements", EPB_OFFICER, explanation="原始记录已灭失,无法补正")
        after = await case.clock("filing_decision")
        assert (after.started_at, after.due_at) == (filing.started_at, filing.due_at)
        entry = (await case.view()).state.timeline[-1]
        assert entry.details["explanation"] == "原始记录已灭失,无法补正"
        assert (await case.clock("supplements")).closed_by == "supplements_supplied"
        await case.act("file_case", PSB_OFFICER)
        await finish(case, "supplements_env_police")


async def test_n2017_art_7_the_receipt_is_the_acceptance_and_nothing_gates_the_filing_clock(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping, mechanism="national-2017") as case:
        await to_acceptance(case)
        state = (await case.view()).state
        assert state.stage is Stage.FILING_DECISION
        receipt = next(e for e in state.timeline if e.action == "referral_delivered")
        filing = await case.clock("filing_decision")
        assert filing.started_at == receipt.at
        assert filing.due_at == due_instant(receipt.at, 3, Unit.DAYS).at
        assert "accept" not in {m.action for m in (await case.view()).moves}  # no such step here
        # Supplements asked for do not move it (N2017 Art. 8).
        await case.act("request_supplements", PSB_OFFICER, items=["监测报告原件"])
        assert (await case.clock("filing_decision")).paused_at is None
        await case.act("decline_filing", PSB_OFFICER, reasons="证据不足")
        notice = await settled(case, DocumentKind.NOT_FILED_NOTICE)
        assert notice.copy_to == ["PROC-DEMO"]  # N2017 Art. 9
        assert (await case.clock("supplements")).closed_by == "supplements_dropped"
        await finish(case, "supplements_national_2017")


async def test_national_2017_extension_of_the_filing_decision(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping, mechanism="national-2017") as case:
        await to_filing(case)
        before = await case.clock("filing_decision")
        await case.act(
            "approve_extension", PSB_HEAD, extension="major_complex", reasons="案情重大复杂"
        )
        after = await case.clock("filing_decision")
        assert after.started_at == before.started_at
        assert after.length == 30
        assert after.due_at == due_instant(before.started_at, 30, Unit.DAYS).at
        again = await case.refused(
            "approve_extension", PSB_HEAD, extension="clues_check", reasons="再延"
        )
        assert again["reason"] == "already_done"
        await case.act("file_case", PSB_OFFICER)
        await finish(case, "extension_national_2017")


async def test_o310_art_9_reconsidered_then_supervised_and_ordered_filed(
    time_skipping: WorkflowEnvironment,
) -> None:
    """Each period runs from the receipt of the document it answers: the police's 3 working days from
    the request (N2017 Art. 11), the agency's 3 days to propose supervision from the decision (O310
    Art. 9 ¶2)."""
    async with running_case(time_skipping) as case:
        await to_not_filed(case)
        assert (await case.clock("not_filed")).owner_agency == "EPB-DEMO"
        await case.act("request_reconsideration", EPB_HEAD, reasons="监测数据足以证明")
        request = await settled(case, DocumentKind.RECONSIDERATION_REQUEST)
        assert request.to == "PSB-DEMO"
        reconsideration = await case.clock("reconsideration")
        assert reconsideration.owner_agency == "PSB-DEMO"
        assert reconsideration.started_at == request.received_at
        assert reconsideration.unit is Unit.WORKING_DAYS
        assert (await case.clock("not_filed")).closed_by == "reconsideration_requested"
        await case.act("decide_reconsideration", PSB_HEAD, upheld=True, reasons="维持")
        decision = await settled(case, DocumentKind.RECONSIDERATION_DECISION)
        state = (await case.view()).state
        assert state.stage is Stage.NOT_FILED
        assert state.filing.reconsideration_upheld is True
        proposal = await case.clock("supervision_proposal")
        assert (proposal.started_at, proposal.length, proposal.statutory) == (
            decision.received_at,
            3,
            True,
        )
        again = await case.refused("request_reconsideration", EPB_HEAD, reasons="再议")
        assert again["reason"] == "already_done"
        await case.act("propose_supervision", EPB_HEAD, reasons="建议立案监督")
        assert (await case.clock("supervision_proposal")).closed_by == "supervision_proposed"
        assert (await case.clock("supervision")).owner_agency == "PROC-DEMO"
        await case.act("supervise_filing", PROCURATOR, order_filing=True, reasons="应当立案")
        assert (await case.view()).state.stage is Stage.FILING_DECISION
        ordered = await case.clock("ordered_filing")
        assert (ordered.length, ordered.statutory) == (15, False)  # secondary sources only
        declined = await case.refused("decline_filing", PSB_OFFICER, reasons="仍不立案")
        assert declined["reason"] == "filing_ordered"
        await case.act("file_case", PSB_OFFICER, reference="立案-002")
        assert (await case.clock("ordered_filing")).closed_by == "filed"
        await finish(case, "not_filed_supervised")


async def test_reconsideration_can_reverse_the_refusal(time_skipping: WorkflowEnvironment) -> None:
    async with running_case(time_skipping) as case:
        await to_not_filed(case)
        await case.act("request_reconsideration", EPB_OFFICER, reasons="补充了证据")
        await settled(case, DocumentKind.RECONSIDERATION_REQUEST)
        await case.act("decide_reconsideration", PSB_HEAD, upheld=False, reasons="撤销不立案")
        state = (await case.view()).state
        assert state.stage is Stage.HANDOVER
        notice = await settled(case, DocumentKind.FILING_NOTICE)  # reversed: a filing notice
        handover = await case.clock("handover")
        assert (handover.owner_agency, handover.started_at) == ("EPB-DEMO", notice.received_at)
        await finish(case, "reconsideration_reversed")


async def test_not_filed_and_accepted_goes_to_administrative_penalty(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await to_not_filed(case)
        await case.act("handle_administratively", EPB_OFFICER, reasons="依法行政处罚")
        assert (await case.clock("penalty")).owner_agency == "EPB-DEMO"
        await case.act("impose_penalty", EPB_HEAD, reference="罚字〔2026〕7号")
        await finish(case, "not_filed_penalty")


async def test_reverse_referral_at_filing_and_after_investigation(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The case handed back reaches the agency as a document; the penalty's period runs from its
    receipt (O310 Art. 13; N2017 Art. 17), copied to the procuratorate."""
    async with running_case(time_skipping) as case:
        await to_filing(case)
        await case.act("reverse_refer", PSB_OFFICER, reasons="不构成犯罪,应予行政处罚")
        state = (await case.view()).state
        assert state.stage is Stage.ADMIN_PENALTY
        assert state.filing.outcome is not None
        assert state.filing.outcome.value == "reverse_referred"
        handback = await settled(case, DocumentKind.HANDBACK)
        assert handback.copy_to == ["PROC-DEMO"]
        penalty = await case.clock("penalty")
        assert penalty.started_at == handback.received_at
        assert (await case.clock("handback")).closed_by == "handback_received"
        await finish(case, "reverse_referral_at_filing")
    async with running_case(time_skipping) as case:
        await to_investigation(case)
        await case.act("reverse_refer", PSB_HEAD, reasons="侦查终结,不构成犯罪")
        assert (await case.view()).state.stage is Stage.ADMIN_PENALTY
        assert (await case.clock("feedback")).closed_by == "reverse_referred"
        await settled(case, DocumentKind.HANDBACK)
        await finish(case, "reverse_referral_after_investigation")


async def test_an_administrative_only_case_is_never_referred(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping, facts=CaseFacts()) as case:
        await classified(case, Classification.ADMINISTRATIVE)
        refusal = await case.refused("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
        assert refusal["reason"] == "not_referable"
        await case.act("handle_administratively", EPB_OFFICER, reasons="一般违法")
        await finish(case, "administrative_only")
        assert case.fakes.deliveries == []
        risk = [e for e in case.fakes.entries() if "risk" in e.details]
        assert risk == []


async def test_a_referable_case_handled_administratively_is_marked(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await classified(case, Classification.CRIME)
        await case.act("handle_administratively", EPB_OFFICER, reasons="先行处罚")
        entry = (await case.view()).state.timeline[-1]
        assert "以罚代刑" in entry.details["risk"]
        await finish(case)


async def test_a_case_archives_when_no_clock_has_anything_left_to_do(
    time_skipping: WorkflowEnvironment,
) -> None:
    """Archiving when every clock's reminders, breach and rungs are spent: nothing is due, and the
    case still closes."""
    async with running_case(time_skipping, facts=CaseFacts()) as case:
        await classified(case, Classification.ADMINISTRATIVE)
        await case.act("handle_administratively", EPB_OFFICER, reasons="一般违法")
        await case.act("impose_penalty", EPB_OFFICER, reference="罚字〔2026〕31号")
        archiving = await case.clock("archiving")
        await case.sleep_until(archiving.due_at, timedelta(days=30))

        async def spent() -> bool:
            return (await case.clock("archiving")).escalation_level == 1

        await soon(spent, "the archiving clock never escalated")
        await case.act("archive", EPB_OFFICER)
        outcome = await asyncio.wait_for(case.handle.result(), timeout=30)
        assert outcome.stage == Stage.ARCHIVED


async def test_withdrawal_before_sending(time_skipping: WorkflowEnvironment) -> None:
    async with running_case(time_skipping) as case:
        await to_sending(case)
        await case.act("withdraw_referral", EPB_HEAD, reasons="发现新的证据需要补充")
        state = (await case.view()).state
        assert state.stage is Stage.EVIDENCE
        assert (await case.clock("sending")).closed_by == "referral_withdrawn"
        refusal = await case.refused("send_referral", EPB_OFFICER)
        assert refusal["reason"] == "wrong_stage"
        assert case.fakes.deliveries == []
        await finish(case, "withdrawn")


async def test_a_refused_referral_keeps_its_reasons(time_skipping: WorkflowEnvironment) -> None:
    async with running_case(time_skipping) as case:
        await to_approval(case)
        await case.act("refuse_referral", EPB_HEAD, reasons="证据不足以证明涉嫌犯罪")
        state = (await case.view()).state
        assert state.stage is Stage.EVIDENCE
        assert state.referral.refusals == ["证据不足以证明涉嫌犯罪"]
        assert (await case.clock("approval")).closed_by == "referral_refused"
        await finish(case, "referral_refused")


async def test_n2017_art_9_12_a_withdrawal_after_filing_returns_the_file_and_keeps_the_rights(
    time_skipping: WorkflowEnvironment,
) -> None:
    """Withdrawn after filing: notified with reasons and copied to the procuratorate (Art. 9); the
    agency may not ask for reconsideration (only a refusal is reconsidered, Art. 11) but may propose
    supervision against it (Art. 12), and the case does not sit without a clock meanwhile."""
    async with running_case(time_skipping) as case:
        await to_investigation(case)
        await case.act("withdraw_case", PSB_HEAD, reasons="犯罪事实显著轻微,不需要追究刑事责任")
        state = (await case.view()).state
        assert state.stage is Stage.NOT_FILED
        assert state.filing.outcome is not None
        assert state.filing.outcome.value == "withdrawn"
        assert (await case.clock("feedback")).closed_by == "filing_withdrawn"
        notice = await settled(case, DocumentKind.WITHDRAWAL_NOTICE)
        assert (notice.to, notice.copy_to) == ("EPB-DEMO", ["PROC-DEMO"])
        assert "显著轻微" in notice.reasons
        not_filed = await case.clock("not_filed")
        assert (not_filed.owner_agency, not_filed.started_at) == ("EPB-DEMO", notice.received_at)
        refused = await case.refused("request_reconsideration", EPB_HEAD, reasons="复议")
        assert refused["reason"] == "not_a_refusal"
        await case.act("propose_supervision", EPB_HEAD, reasons="撤销案件决定不当")
        assert (await case.clock("not_filed")).closed_by == "supervision_proposed"
        await case.act("supervise_filing", PROCURATOR, order_filing=False, reasons="撤案并无不当")
        assert (await case.view()).state.stage is Stage.NOT_FILED
        await finish(case, "withdrawn_after_filing")


async def test_n2017_art_16_18_not_prosecuted_the_paused_penalty_goes_on_with_what_it_had_left(
    time_skipping: WorkflowEnvironment,
) -> None:
    """A penalty under way when the procuratorate's recommendation brought the case to the police
    stands still through the criminal process; the decision not to prosecute is told within 3 days
    with a recommendation for a penalty, and from its receipt the penalty goes on with the time it
    had left, not afresh (N2017 Art. 14, 16, 18)."""
    async with running_case(time_skipping) as case:
        await classified(case)
        await case.act("handle_administratively", EPB_OFFICER, reasons="先行处罚程序")
        penalty = await case.clock("penalty")
        await case.env.sleep(timedelta(days=10))
        await case.act("recommend_referral", PROCURATOR, reasons="涉嫌污染环境罪,建议移送")
        await settled(case, DocumentKind.REFERRAL_RECOMMENDATION)
        await package(case)
        await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
        await case.act("approve_referral", EPB_HEAD)
        await case.act("send_referral", EPB_OFFICER)
        paused = await case.clock("penalty")
        assert paused.paused_at is not None
        left = penalty.due_at - paused.paused_at
        await delivered(case)
        await case.act("file_case", PSB_OFFICER)
        await settled(case, DocumentKind.FILING_NOTICE)
        await case.act("hand_over", EPB_OFFICER, items=["水样"])
        await case.env.sleep(timedelta(days=40))
        await case.act("feed_back", PSB_OFFICER, outcome=FeedbackOutcome.PROSECUTION)
        assert (await case.view()).state.stage is Stage.PROSECUTION
        assert (await case.clock("prosecution_decision")).owner_agency == "PROC-DEMO"
        await case.act(
            "decline_prosecution", PROCURATOR, reasons="犯罪情节轻微", recommend_penalty=True
        )
        notice = await settled(case, DocumentKind.NOT_PROSECUTED_NOTICE)
        assert "建议予以行政处罚" in notice.reasons
        assert (await case.clock("not_prosecuted_notice")).closed_by == (
            "not_prosecuted_notice_received"
        )
        resumed = await case.clock("penalty")
        assert resumed.ordinal == penalty.ordinal  # the same clock, not a fresh one
        assert resumed.paused_at is None
        assert notice.received_at is not None
        assert resumed.due_at == notice.received_at + left
        assert (await case.view()).state.stage is Stage.ADMIN_PENALTY
        await finish(case, "not_prosecuted_penalty_resumed")


async def test_n2017_art_16_an_acquittal_returns_the_case_for_a_penalty(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await to_investigation(case)
        await case.act("feed_back", PSB_OFFICER, outcome=FeedbackOutcome.PROSECUTION)
        await case.act("charge", PROCURATOR, reference="检诉〔2026〕9号")
        assert (await case.clock("judgment")).owner_agency == "PROC-DEMO"
        await case.act("record_judgment", PROCURATOR, judgment=Judgment.ACQUITTED)
        state = (await case.view()).state
        assert (state.stage, state.judgment) == (Stage.ADMIN_PENALTY, Judgment.ACQUITTED)
        assert (await case.clock("penalty")).owner_agency == "EPB-DEMO"
        await finish(case, "acquitted_then_penalty")


async def test_a_refused_delivery_waits_for_a_person_then_goes_through(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeAgencies(refuse_deliveries=1)
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_sending(case)
        await case.act("send_referral", EPB_OFFICER)
        await delivered(case)
        state = (await case.view()).state
        assert state.referral.delivery_error is not None
        assert "unsigned" in state.referral.delivery_error
        assert (
            await case.clock("sending")
        ).closed_at is None  # not delivered: still the agency's move
        assert len(fakes.deliveries) == 1  # a 4xx is not retried
        failed = fakes.notices_of(NoticeKind.DELIVERY_FAILED)
        assert len(failed) == 1
        assert failed[0].text.startswith(f"案件{case.case_id}的移送未能送达：")
        assert failed[0].text_en.startswith(f"the referral of case {case.case_id} was not ")
        await case.act("resend_referral", EPB_OFFICER, note="已补签移送书")
        await delivered(case)
        state = (await case.view()).state
        assert state.referral.receipt is not None
        assert state.referral.delivery_error is None
        assert [d.idempotency_key for d in fakes.deliveries] == [
            f"case-{case.case_id}-referral-1",
            f"case-{case.case_id}-referral-2",
        ]
        assert (await case.clock("sending")).closed_by == "referral_delivered"
        await case.act("file_case", PSB_OFFICER)
        await finish(case, "delivery_refused_then_resent")


async def test_tests_and_appraisals_answered_later(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    facts = CaseFacts(hazardous_into_water=True, violation_type=ViolationType.HEAVY_METAL)
    async with running_case(time_skipping, facts=facts, fakes=fakes) as case:
        await classified(case, Classification.PUBLIC_SECURITY)
        result = await case.act("request_test", EPB_OFFICER, agency="MON-DEMO", subject="总铬")
        request_id = result.refs["request_id"]
        clock = await case.clock("test")
        assert clock.owner_agency == "MON-DEMO"
        assert clock.key == f"test:{request_id}"
        await until(case, lambda: bool(fakes.requests), "the station was never asked")
        assert fakes.requests[0].idempotency_key == f"case-{case.case_id}-{request_id}"
        assert not (await case.view()).state.triage.key_case
        await case.act(
            "record_test_result",
            STATION,
            request_id=request_id,
            conclusion="总铬超标",
            measurements=[Measurement(pollutant="总铬", measured=6.0, standard=1.5)],
            sha256=SHA,
        )
        state = (await case.view()).state
        assert state.triage.key_case  # 4 times the standard: criterion (2) met
        assert state.evidence[-1].kind == "monitoring_report"
        assert state.evidence[-1].recorded_by == STATION
        assert (await case.clock("test")).closed_by == "test_answered"
        result = await case.act(
            "request_appraisal", EPB_OFFICER, agency="APR-DEMO", subject="环境损害"
        )
        appraisal_id = result.refs["request_id"]
        wrong = await case.refused(
            "record_appraisal", STATION, request_id=appraisal_id, conclusion="x"
        )
        assert wrong["reason"] == "not_your_move"
        await case.act(
            "record_appraisal",
            APPRAISER,
            request_id=appraisal_id,
            conclusion="损害成立",
            sha256=SHA,
        )
        assert (await case.clock("appraisal")).closed_by == "appraisal_answered"
        await finish(case, "expert_requests")


async def test_a_refused_request_is_told_to_the_agency(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeAgencies(refuse_requests=True)
    async with running_case(time_skipping, fakes=fakes) as case:
        await classified(case)
        await case.act("request_test", EPB_OFFICER, agency="MON-DEMO", subject="COD")
        await until(case, lambda: bool(fakes.notices_of(NoticeKind.REQUEST_FAILED)), "not told")
        assert (await case.view()).state.timeline[-1].action == "request_failed"
        await finish(case)


async def test_early_intervention_and_joint_consultation(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeAgencies()
    facts = CaseFacts(major_or_difficult=True, violation_type=ViolationType.EVASIVE_DISCHARGE)
    async with running_case(time_skipping, facts=facts, fakes=fakes) as case:
        assert (await case.view()).state.triage.early_intervention == ["major_or_difficult"]
        await case.act("request_early_intervention", EPB_OFFICER, reasons="重大疑难")
        assert (await case.clock("early_intervention")).owner_agency == "PSB-DEMO"
        await until(
            case, lambda: bool(fakes.notices_of(NoticeKind.EARLY_INTERVENTION)), "police not told"
        )
        await case.act("intervene_early", PSB_OFFICER, note="派员到场指导取证")
        assert (await case.clock("early_intervention")).closed_by == "early_intervention_done"
        await to_investigation(case)
        await case.act("convene_consultation", COORDINATOR, reasons="邀请检察院、法院会商")
        assert (await case.clock("consultation")).owner_agency == "JLO-DEMO"
        await case.act("conclude_consultation", LEADER, conclusion="按污染环境罪侦查")
        assert (await case.clock("consultation")).closed_by == "consultation_concluded"
        await finish(case, "early_intervention_consultation")


async def test_supervised_listing_and_instructions(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_acceptance(case)
        await case.act("supervise_case", LEADER, reasons="挂牌督办")
        assert (await case.view()).state.supervised
        await case.act("direct", COORDINATOR, note="请派出所今日内作出立案决定")
        await until(case, lambda: bool(fakes.notices_of(NoticeKind.INSTRUCTION)), "not told")
        instruction = fakes.notices_of(NoticeKind.INSTRUCTION)
        assert [n.to for n in instruction] == [["PSB-DEMO"]]
        await case.act("file_case", PSB_OFFICER)
        await finish(case, "supervised")


async def test_jurisdiction_transfer_to_another_region_gives_the_new_owner_fresh_clocks(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await classified(case)
        await case.act("recommend_referral", PROCURATOR, reasons="涉嫌污染环境罪,建议移送")
        await settled(case, DocumentKind.REFERRAL_RECOMMENDATION)
        recommendation = await case.clock("referral_recommendation")
        assert recommendation.owner_agency == "EPB-DEMO"
        await case.act("find_not_competent", EPB_OFFICER, reasons="排污口位于东邻县")
        assert (await case.clock("jurisdiction_transfer")).owner_agency == "EPB-DEMO"
        await case.env.sleep(timedelta(days=1))
        await case.act("transfer_jurisdiction", EPB_OFFICER, agency="EPB-EAST", reasons="属地管辖")
        assert (await case.clock("jurisdiction_transfer")).closed_by == "transfer_sent"
        assert (await case.clock("transfer_acceptance")).owner_agency == "EPB-EAST"
        pending = await case.refused("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
        assert pending["reason"] == "transfer_pending"
        await case.env.sleep(timedelta(hours=5))
        await case.act("accept_transfer", EAST_EPB)
        state = (await case.view()).state
        assert state.owner_agency == "EPB-EAST"
        assert state.region == "east-county"
        assert state.police_agency == "PSB-EAST"
        assert state.procuratorate == "PROC-EAST"
        fresh = await case.clock("referral_recommendation")
        now = (await case.view()).state.timeline[-1].at
        assert fresh.owner_agency == "EPB-EAST"
        assert fresh.started_at == now
        assert fresh.due_at == due_instant(now, 3, Unit.DAYS).at  # N2017 Art. 14
        assert (await case.clock("transfer_acceptance")).closed_by == "transfer_accepted"
        old = await case.refused("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
        assert old["reason"] == "not_your_move"
        await case.act("handle_administratively", EAST_EPB, reasons="先行处罚")
        await case.act("impose_penalty", EAST_EPB, reference="东罚〔2026〕3号")
        await case.act("archive", EAST_EPB)
        await finish(case, "jurisdiction_transfer")


async def test_a_jurisdiction_dispute_goes_to_the_county_government(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await case.act("transfer_jurisdiction", EPB_HEAD, agency="NRB-DEMO", reasons="非法占地")
        nrb = case.fakes
        await until(case, lambda: bool(nrb.notices_of(NoticeKind.TRANSFER)), "target not told")
        assert [n.to for n in nrb.notices_of(NoticeKind.TRANSFER)] == [["NRB-DEMO"]]
        await case.act(
            "dispute_jurisdiction",
            NRB_HEAD,
            reasons="系排污行为,属环保管辖",
        )
        assert (await case.clock("jurisdiction_decision")).owner_agency == "GOV-DEMO"
        await case.act("decide_jurisdiction", COUNTY, agency="EPB-DEMO", reasons="由环保部门管辖")
        state = (await case.view()).state
        assert state.owner_agency == "EPB-DEMO"
        assert state.transfer is None
        assert (await case.clock("jurisdiction_decision")).closed_by == "jurisdiction_decided"
        await finish(case, "jurisdiction_dispute")


async def test_a_step_sent_as_the_case_starts_is_taken_after_its_opening(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The API answers an intake before the worker takes the case's first task, so a step may reach
    the case with its start: it waits for the opening, and its outside calls are made once."""
    async with running_case(time_skipping) as case:  # no wait between the start and the step
        await case.act("transfer_jurisdiction", EPB_HEAD, agency="NRB-DEMO", reasons="非法占地")
        await until(case, lambda: bool(case.fakes.notices_of(NoticeKind.TRANSFER)), "not told")
        await case.settle()
        entries = case.fakes.entries()
        assert [(e.seq, e.action) for e in entries][:2] == [
            (1, "open"),
            (2, "transfer_jurisdiction"),
        ]
        assert len(case.fakes.notices_of(NoticeKind.TRANSFER)) == 1
        # The case opened at the instant its start carried, as the API's own opening says.
        assert entries[0].at == (await case.view()).state.opened_at


async def test_refused_actions_come_back_with_their_codes(
    time_skipping: WorkflowEnvironment,
) -> None:
    async with running_case(time_skipping) as case:
        await classified(case)
        incomplete = await case.refused(
            "request_approval", EPB_OFFICER, officers=["王执法", "张执法"]
        )
        assert incomplete["reason"] == "package_incomplete"
        assert "materials_list" in incomplete["missing"]
        wrong_stage = await case.refused("accept", PSB_OFFICER)
        assert wrong_stage["reason"] == "wrong_stage"
        wrong_agency = await case.refused("update_facts", PSB_OFFICER, facts=CaseFacts())
        assert wrong_agency["reason"] == "not_your_move"
        role = await case.refused("approve_referral", EPB_OFFICER)
        assert role["reason"] == "role_not_permitted"
        body = await case.refused("refuse_referral", EPB_OFFICER)
        assert body["reason"] in {"role_not_permitted", "invalid_payload"}
        missing_reasons = await case.refused("handle_administratively", EPB_OFFICER)
        assert missing_reasons["reason"] == "invalid_payload"
        unknown = await case.refused_raw("teleport", {"actor": {"agency": "EPB-DEMO"}})
        assert "unknown action" in unknown
        garbled = await case.refused_raw("accept", {"actor": "nobody"})
        assert "could not be read" in garbled
        oversized = await case.refused(
            "direct", COORDINATOR, note="很长" * 1001
        )  # every text field has its limit, on this path too
        assert oversized["reason"] == "invalid_payload"
        assert "note: String should have at most 2000 characters" in oversized["message"]
        unknown_field = await case.refused("update_facts", EPB_OFFICER, facts={}, colour="red")
        assert unknown_field["reason"] == "invalid_payload"
        assert "colour: unknown field" in unknown_field["message"]
        # Refusals leave no trace in the state.
        assert [e.action for e in case.fakes.entries()] == ["open", "classify"]
        await finish(case)


async def test_an_invalid_intake_fails_the_workflow_with_its_reason(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The API admits an intake before it starts anything; a case that still gets an invalid one
    (started by hand) fails with the reason rather than running without rules."""
    async with running_case(time_skipping, agency="PSB-DEMO", opened_by="hand") as case:
        with pytest.raises(WorkflowFailureError) as raised:
            await case.handle.result()
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "InvalidIntake"
    assert "environmental_protection" in cause.message


async def test_a_read_model_outage_holds_the_entries_in_the_outbox_and_ends_nothing(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The read model fails longer than the write's own retries: the case goes on, its entries wait
    in the outbox, and reach the read model whole once it takes writes again."""
    fakes = FakeAgencies()
    async with running_case(time_skipping, fakes=fakes) as case:

        async def opened() -> bool:
            return fakes.recorded_seqs() == [1]

        await soon(opened, "the opening was never written")
        fakes.fail_records = 10  # more than one round of the local write's attempts
        taken = await case.act("classify", EPB_OFFICER, classification="crime", reasons="暗管排放")
        # The answer says the read model does not have it: the case's stored page is behind.
        assert taken.recorded is False
        await case.act("record_evidence", EPB_OFFICER, items=items("monitoring_report"))
        state = (await case.view()).state
        assert state.classification is not None  # the case took both steps meanwhile
        await case.env.sleep(timedelta(minutes=5))  # the outbox is tried again

        async def written() -> bool:
            return fakes.recorded_seqs()[-1:] == [state.last_seq]

        await soon(written, "the outbox never reached the read model", seconds=60)
        assert sorted(set(fakes.recorded_seqs())) == list(range(1, state.last_seq + 1))
        # The write that caught up carries the case's state as it stands, for its page.
        stored = fakes.records[-1].stored
        assert stored is not None
        assert stored.state.last_seq == state.last_seq
        assert stored.state.classification is not None
        later = await case.act("record_evidence", EPB_OFFICER, items=items("sampling_records"))
        assert later.recorded is True
