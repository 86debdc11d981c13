"""Cases standing in each stage, for the rules' tests: consistent states built the way the workflow will."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from cases.agencies import AgencyKind, AgencyRegistry, default_registry
from cases.calendar import CHINA_TZ
from cases.context import Context
from cases.decide import validate
from cases.intake import CaseIntake, open_case
from cases.model import Actor, CaseFacts, CaseState, DeliveryReceipt, Document, EvidenceItem
from cases.profile import Profile
from cases.profiles import get_profile
from cases.steps import STEPS
from cases.system import record_delivery
from cases.vocabulary import (
    CaseSource,
    Classification,
    DocumentKind,
    FeedbackOutcome,
    FilingOutcome,
    Role,
    Stage,
    ViolationType,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CHINA_TZ)  # a Monday
EPB = "EPB-DEMO"
PSB = "PSB-DEMO"
PROC = "PROC-DEMO"
JLO = "JLO-DEMO"
LG = "LG-DEMO"
GOV = "GOV-DEMO"
MON = "MON-DEMO"
APR = "APR-DEMO"
CITY = "EPB-CITY"  # EPB-DEMO's superior department (P2014 Art. 17)
OFFICER = Actor(EPB, Role.OFFICER, "王执法")
HEAD = Actor(EPB, Role.APPROVER, "李局长")
POLICE = Actor(PSB, Role.OFFICER, "赵警官")


def registry() -> AgencyRegistry:
    return default_registry()


def ctx(
    mechanism: str = "env-police", now: datetime = NOW, profile: Profile | None = None
) -> Context:
    return Context(profile or get_profile(mechanism), registry(), now)


def discovering_agency(mechanism: str) -> str:
    """The demo county's agency of the mechanism's first referring kind."""
    kind = AgencyKind(get_profile(mechanism).referring_kinds[0])
    found = registry().first_in_region(kind, "demo-county")
    assert found is not None
    return found.code


def fresh(mechanism: str = "env-police", facts: CaseFacts | None = None) -> CaseState:
    intake = CaseIntake(
        intake_ref="INTAKE-1",
        mechanism=mechanism,
        discovering_agency=discovering_agency(mechanism),
        source=CaseSource.INSPECTION,
        subject="某化工有限公司",
        discovered_at=NOW - timedelta(days=1),
        facts=facts or CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE),
    )
    return open_case(intake, get_profile(mechanism), registry(), NOW - timedelta(hours=20))


def with_items(state: CaseState, *kinds: str) -> CaseState:
    items = list(state.evidence)
    for kind in kinds:
        items.append(
            EvidenceItem(
                seq=len(items) + 1,
                kind=kind,
                title=kind,
                recorded_by=OFFICER,
                recorded_at=NOW - timedelta(hours=5),
                sha256="0" * 64,
            )
        )
    return replace(state, evidence=items)


def complete_package(state: CaseState) -> CaseState:
    rules = get_profile(state.mechanism).rules_for(state.classification)
    return with_items(state, *rules.referral_required)


def received(state: CaseState, kind: DocumentKind, at: datetime) -> Document:
    """A notice the police sent at ``at`` and the agency's system acknowledged at once."""
    doc = Document(f"N{len(state.documents) + 1}", kind, PSB, state.owner_agency, at)
    doc.received_at = at
    doc.reference = f"RCPT-{doc.doc_id}"
    state.documents.append(doc)
    return doc


def case_at(stage: Stage, mechanism: str = "env-police", *, complete: bool = True) -> CaseState:
    """A case standing in ``stage``, as the lifecycle would have left it there: on the criminal track,
    but for the detention track's own stage."""
    s = fresh(mechanism)
    if stage is Stage.DISCOVERY:
        return s
    detention = stage is Stage.DETENTION_REVIEW
    s = replace(
        s,
        stage=Stage.EVIDENCE,
        classification=Classification.PUBLIC_SECURITY if detention else Classification.CRIME,
        classified_by=Actor(s.owner_agency, Role.OFFICER, "王执法"),
    )
    if detention:
        s.penalty_decided_at = NOW - timedelta(days=1)
    if complete:
        s = complete_package(s)
    if stage is Stage.EVIDENCE:
        return s
    if stage is Stage.ADMIN_PENALTY:
        return replace(s, stage=stage)
    s.referral.requested_at = NOW - timedelta(hours=10)
    if stage is Stage.REFERRAL_APPROVAL:
        return replace(s, stage=stage)
    s.referral.approved_at = NOW - timedelta(hours=9)
    s.referral.approved_by = Actor(EPB, Role.APPROVER, "李局长")
    if stage is Stage.REFERRAL_SENDING:
        return replace(s, stage=stage)
    s.referral.sent_at = NOW - timedelta(hours=8)
    s.referral.attempts = 1
    on_receipt = get_profile(mechanism).rules_for(s.classification).acceptance_on_receipt
    if stage is Stage.ACCEPTANCE:
        # Where the receipt is the acceptance, a case stands here only until the receipt comes.
        if not on_receipt:
            s.referral.receipt = DeliveryReceipt("PSB-RCPT-1", NOW - timedelta(hours=8))
        return replace(s, stage=stage)
    s.referral.receipt = DeliveryReceipt("PSB-RCPT-1", NOW - timedelta(hours=6))
    s.filing.accepted_at = NOW - timedelta(hours=6)
    if stage in (Stage.FILING_DECISION, Stage.DETENTION_REVIEW):
        return replace(s, stage=stage)
    if stage in (Stage.NOT_FILED, Stage.RECONSIDERATION, Stage.SUPERVISION):
        s.filing.outcome = FilingOutcome.NOT_FILED
        s.filing.decided_at = NOW - timedelta(hours=4)
        s.filing.reasons = "证据不足"
        received(s, DocumentKind.NOT_FILED_NOTICE, NOW - timedelta(hours=4))
        if stage is Stage.RECONSIDERATION:
            s.filing.reconsideration_requested_at = NOW - timedelta(hours=2)
        if stage is Stage.SUPERVISION:
            s.filing.supervision_proposed_at = NOW - timedelta(hours=2)
        return replace(s, stage=stage)
    s.filing.outcome = FilingOutcome.FILED
    s.filing.decided_at = NOW - timedelta(hours=4)
    received(s, DocumentKind.FILING_NOTICE, NOW - timedelta(hours=4))
    if stage in (Stage.HANDOVER, Stage.INVESTIGATION):
        return replace(s, stage=stage)
    if stage in (Stage.PROSECUTION, Stage.TRIAL):
        return replace(s, stage=stage, feedback=FeedbackOutcome.PROSECUTION)
    if stage is Stage.ARCHIVING:
        return replace(s, stage=stage)
    if stage is Stage.ARCHIVED:
        return replace(s, stage=stage, closed_at=NOW - timedelta(hours=1))
    raise AssertionError(f"no recipe for {stage}")


def _take(state: CaseState, actor: Actor, action: str, body: dict[str, Any]) -> CaseState:
    step = STEPS[action]
    decision, payload = validate(state, step, actor, body, ctx())
    assert decision.allowed, (action, decision)
    step.carry_out(state, actor, payload, ctx())
    return state


def walked_to(stage: Stage) -> CaseState:
    """A case taken through its steps, so that its clocks run as they would."""
    state = fresh()
    kinds = ctx().profile.referral_required
    items = [{"kind": k, "title": k, "sha256": "e" * 64} for k in kinds]
    plan: list[tuple[Actor, str, dict[str, Any]]] = [
        (OFFICER, "classify", {"classification": "crime", "reasons": "暗管"}),
        (OFFICER, "record_evidence", {"items": items}),
        (OFFICER, "request_approval", {"officers": ["王执法", "张执法"]}),
        (HEAD, "approve_referral", {}),
        (OFFICER, "send_referral", {}),
    ]
    for actor, action, body in plan:
        if state.stage is stage:
            return state
        _take(state, actor, action, body)
    if state.stage is not stage:
        record_delivery(state, DeliveryReceipt("回执-1", NOW), ctx())
    assert state.stage is stage, state.stage
    return state
