"""Written notices between agencies (文书送达): a notice counts as received when the receiving agency's
system acknowledges it, and the receiver's periods "自接到…之日起" start then (O310 Art. 9, 12; N2017
Art. 10, 11, 14). One the receiving system refused shows on the case and starts nothing; its sender
sends it again."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change, SendDocument
from cases.context import Context, Reason, Refusal
from cases.limits import DocumentId
from cases.model import Actor, CaseState
from cases.payloads import Payload
from cases.steps.base import OFFICER_OR_APPROVER, PROCURATOR, step
from cases.vocabulary import OPEN_STAGES, Party


@dataclass(kw_only=True)
class Resend(Payload):
    document: DocumentId  # the notice's id on the case ("N3")


def _undelivered(state: CaseState) -> list[str]:
    return [d.doc_id for d in state.documents if d.pending and d.error is not None]


def _one_of_mine(state: CaseState, actor: Actor, p: Resend, ctx: Context) -> list[str]:
    doc = state.document(p.document)
    mine = [
        d
        for d in _undelivered(state)
        if (found := state.document(d)) is not None and found.sender == actor.agency
    ]
    if doc is not None and p.document in mine:
        return []
    listed = f" (undelivered notices of '{actor.agency}': {', '.join(mine)})" if mine else ""
    return [f"'{p.document}' is not an undelivered notice '{actor.agency}' sent{listed}"]


def _something_undelivered(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if not _undelivered(state):
        return Refusal(Reason.NOTHING_PENDING, "every notice of this case was delivered")
    return None


def _undelivered_ones(state: CaseState, ctx: Context) -> dict[str, list[str]]:
    return {"document": _undelivered(state)}


@step(
    "resend_document",
    "重新送达文书",
    "Resend a notice",
    source="O310 Art. 8, 9, 12; N2017 Art. 9, 14; P2014 Art. 14, 15, 17: the notice must reach its "
    "receiver",
    stages=OPEN_STAGES,
    movers={
        Party.REFERRING: OFFICER_OR_APPROVER,
        Party.RECEIVING: OFFICER_OR_APPROVER,
        Party.PROCURATORATE: PROCURATOR,
        Party.SUPERIOR: OFFICER_OR_APPROVER,  # its order to transfer (P2014 Art. 17)
    },
    guard=_something_undelivered,
    check=_one_of_mine,
    choices=_undelivered_ones,
    example={"document": "N1"},
)
def resend_document(c: Change, p: Resend) -> None:
    """The notice goes again, as a new attempt with its own idempotency key."""
    doc = c.case.document(p.document)
    assert doc is not None
    doc.attempts += 1
    doc.error = None
    c.note(document=doc.doc_id, attempt=str(doc.attempts))
    c.effects.append(SendDocument(doc.doc_id, doc.attempts))
