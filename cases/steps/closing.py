"""Closing: the administrative penalty and the archive (O310 Art. 10, 11; N2017 Art. 16, 34)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import DocumentNumber
from cases.model import CaseState
from cases.payloads import Dated, Payload, Reasoned
from cases.steps.base import OFFICER, OFFICER_OR_APPROVER, step
from cases.steps.conditions import PRE_REFERRAL, transfer_pending
from cases.vocabulary import DOCUMENT_LABELS, Branch, DocumentKind, Event, Party, Stage


def _administrative_path_open(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """After a refusal to file the agency handles the case (O310 Art. 10); before any referral only
    where the mechanism has an administrative-only path."""
    if state.stage is Stage.NOT_FILED:
        return None
    if not ctx.profile.has(Branch.ADMIN_ONLY):
        return Refusal(
            Reason.NOT_IN_MECHANISM,
            f"mechanism '{ctx.profile.name}' has no administrative-only path before referral",
        )
    return transfer_pending(state)


@step(
    "handle_administratively",
    "转行政处罚程序",
    "Handle administratively",
    source="O310 Art. 10; a penalty never replaces a referral (O310 Art. 11)",
    stages=PRE_REFERRAL | {Stage.NOT_FILED},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=_administrative_path_open,
    example={"reasons": "一般违法,依法行政处罚"},
    final=True,
)
def handle_administratively(c: Change, p: Reasoned) -> None:
    """A referable case handled administratively before any referral is marked as a 以罚代刑 risk."""
    s = c.case
    classification = s.classification or s.triage.suggested
    if classification.referable and s.stage is not Stage.NOT_FILED:
        c.note(risk="referable case handled administratively (以罚代刑 risk)")
    c.move(Stage.ADMIN_PENALTY)
    c.emit(Event.ADMINISTRATIVE_HANDLING)


@dataclass(kw_only=True)
class Penalty(Dated):
    reference: DocumentNumber  # the penalty decision's number (行政处罚决定书)


@step(
    "impose_penalty",
    "作出行政处罚决定",
    "Record the administrative penalty",
    source="O310 Art. 10, 13; N2017 Art. 16, 17",
    stages={Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    example={"reference": "罚字〔2026〕7号"},
)
def impose_penalty(c: Change, p: Penalty) -> None:
    """The penalty decision closes the agency's handling; the dossier is archived next."""
    c.case.penalty_decided_at = c.now
    c.note(reference=p.reference)
    c.move(Stage.ARCHIVING)
    c.emit(Event.PENALTY_IMPOSED)


# What the agency files before it closes a detention case: the copy of the decision (P2014 Art. 14,
# 16), or the written reasons that came back with the file (Art. 15: 收到书面告知及退回的案卷材料后…结案).
FILED_BEFORE_ARCHIVING = frozenset({DocumentKind.DETENTION_DECISION, DocumentKind.RETURN_NOTICE})


def _nothing_awaited(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    awaited = [d for d in state.documents if d.kind in FILED_BEFORE_ARCHIVING and d.pending]
    if not awaited:
        return None
    doc = awaited[-1]
    return Refusal(
        Reason.NOT_DELIVERED,
        f"{DOCUMENT_LABELS[doc.kind][0]} ({doc.doc_id}) has not reached the agency's system yet; "
        "the case is closed on its receipt (P2014 Art. 15, 16)",
    )


@step(
    "archive",
    "归档",
    "Archive",
    source="D7 §六; N2017 Art. 34: each decision on the shared record; P2014 Art. 15, 16",
    stages={Stage.ARCHIVING},
    movers={Party.REFERRING: OFFICER},
    guard=_nothing_awaited,
    final=True,
)
def archive(c: Change, p: Payload) -> None:
    """The case closes; every clock stops, and the read model keeps the record."""
    c.move(Stage.ARCHIVED)
    c.emit(Event.ARCHIVED)
