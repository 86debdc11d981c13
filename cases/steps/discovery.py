"""Discovery: the officer decides what triage suggested, corrects the facts, and calls the police in
early when the case calls for it (D1-rules §二, §三(二)3; D4 §5)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.effects import NoticeKind, notice
from cases.limits import Reasons
from cases.model import Actor, CaseFacts, CaseState
from cases.payloads import Payload, Reasoned
from cases.phrases import Both
from cases.steps.base import OFFICER, OFFICER_OR_APPROVER, step
from cases.steps.conditions import PRE_REFERRAL
from cases.triage import triage
from cases.vocabulary import Branch, Classification, Event, Party, Stage


@dataclass(kw_only=True)
class Classify(Payload):
    classification: Classification
    reasons: Reasons | None = None  # required when overriding what triage suggested


def _override_needs_reasons(state: CaseState, actor: Actor, p: Classify, ctx: Context) -> list[str]:
    if p.classification is not state.triage.suggested and not p.reasons:
        return [
            f"overriding the suggested '{state.triage.suggested}' needs 'reasons' on the record"
        ]
    return []


@step(
    "classify",
    "确认定性",
    "Confirm classification",
    source="D1-rules §一–§二: triage suggests, the officer decides",
    stages=PRE_REFERRAL,
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    check=_override_needs_reasons,
    example={"classification": "crime", "reasons": "暗管排放含铬废水"},
)
def classify(c: Change, p: Classify) -> None:
    """The officer's classification decides the track: administrative, public security or crime."""
    s = c.case
    s.classification = p.classification
    s.classified_by = c.by
    c.note(classification=p.classification.value, suggested=s.triage.suggested.value)
    if s.stage is Stage.DISCOVERY:
        c.move(Stage.EVIDENCE)
    c.emit(Event.CLASSIFIED)
    if p.classification.referable:
        c.emit(Event.REFERABLE_FOUND)


@dataclass(kw_only=True)
class UpdateFacts(Payload):
    facts: CaseFacts


@step(
    "update_facts",
    "更新案情",
    "Update facts",
    source="D1-rules §三(一): the agency investigates and records the facts",
    stages=PRE_REFERRAL,
    movers={Party.REFERRING: OFFICER},
    example={
        "facts": {
            "violation_type": "evasive_discharge",
            "hazardous_into_water": True,
            "measurements": [{"pollutant": "总铬", "measured": 6.2, "standard": 1.5}],
        }
    },
)
def update_facts(c: Change, p: UpdateFacts) -> None:
    """New facts are triaged again; the suggestion and the key-case flag follow them."""
    take_facts(c, p.facts)


def take_facts(c: Change, facts: CaseFacts) -> None:
    """The case's facts replaced and triaged again (an update, or a correction)."""
    s = c.case
    s.facts = facts
    s.triage = triage(facts, c.ctx.profile.triage)
    c.note(suggested=s.triage.suggested.value, key_case=str(s.triage.key_case).lower())


def _early_intervention_open(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.early_intervention_at is not None:
        return Refusal(Reason.ALREADY_DONE, "the police have already intervened")
    if state.early_intervention_requested_at is not None:
        return Refusal(Reason.ALREADY_PENDING, "early intervention has already been requested")
    return None


@step(
    "request_early_intervention",
    "提请公安提前介入",
    "Ask the police to intervene early",
    source="D1-rules §三(二)3; D4 §5",
    stages=PRE_REFERRAL | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=_early_intervention_open,
    branch=Branch.EARLY_INTERVENTION,
    example={"reasons": "案情重大疑难,现场有暴力抗法迹象"},
)
def request_early_intervention(c: Change, p: Reasoned) -> None:
    """The agency asks the police in before the referral; the police are told at once."""
    s = c.case
    s.early_intervention_requested_at = c.now
    c.emit(Event.EARLY_INTERVENTION_REQUESTED)
    owner = c.ctx.registry.named(s.owner_agency)
    c.tell(
        notice(
            NoticeKind.EARLY_INTERVENTION,
            [s.police_agency] if s.police_agency else [],
            Both(
                f"{owner.zh}请公安机关提前介入案件{s.case_id}",
                f"{s.owner_agency} asks the police to intervene early in case {s.case_id}",
            ),
        )
    )


def _intervention_called_for(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.early_intervention_at is not None:
        return Refusal(Reason.ALREADY_DONE, "early intervention is already recorded")
    if state.early_intervention_requested_at is None and not state.triage.early_intervention:
        return Refusal(
            Reason.NOTHING_PENDING,
            "no request from the agency and no early-intervention trigger in the facts",
        )
    return None


@step(
    "intervene_early",
    "公安提前介入",
    "Intervene early",
    source="D1-rules §三(二)3: obvious crimes, violent resistance, threats to stability",
    stages=PRE_REFERRAL | {Stage.REFERRAL_APPROVAL, Stage.REFERRAL_SENDING, Stage.ACCEPTANCE},
    movers={Party.RECEIVING: OFFICER},
    guard=_intervention_called_for,
    branch=Branch.EARLY_INTERVENTION,
    example={"note": "派员到场指导取证"},
)
def intervene_early(c: Change, p: Payload) -> None:
    """The police come in before the referral, on a request or on the facts' triggers."""
    c.case.early_intervention_at = c.now
    c.emit(Event.EARLY_INTERVENTION_DONE)
