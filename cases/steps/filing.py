"""The filing decision and what follows a refusal: filed, not filed, handed back for a penalty,
reconsidered (O310 Art. 8, 9, 13; N2017 Art. 9, 11, 17; D4 §5)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.context import Context, Reason, Refusal
from cases.limits import Flag, Key, OptionalDocumentNumber, Reasons
from cases.model import Actor, CaseState
from cases.payloads import Dated, Reasoned
from cases.steps.base import APPROVER, OFFICER_OR_APPROVER, step
from cases.steps.conditions import window_closed
from cases.vocabulary import Branch, DocumentKind, Event, FilingOutcome, Party, Stage


def drop_supplements(c: Change) -> None:
    """The police decide without the material they asked for: the request lapses."""
    pending = c.case.pending_supplements
    if pending is not None:
        pending.dropped_at = c.now
        c.note(supplements="dropped: decided without them")
        c.emit(Event.SUPPLEMENTS_DROPPED)


# A decision not to file, and the notice that tells the agency of it: handing the case back at the
# filing decision is one too, and keeps the agency's rights against it (O310 Art. 9; N2017 Art. 11, 12).
REFUSAL_NOTICE = {
    FilingOutcome.NOT_FILED: DocumentKind.NOT_FILED_NOTICE,
    FilingOutcome.REVERSE_REFERRED: DocumentKind.HANDBACK,
}
REFUSALS = frozenset(REFUSAL_NOTICE)


def _decided(c: Change, outcome: FilingOutcome, reasons: str = "") -> None:
    filing = c.case.filing
    drop_supplements(c)
    filing.outcome = outcome
    filing.decided_at = c.now
    filing.reasons = reasons


@dataclass(kw_only=True)
class Extend(Dated):
    extension: Key
    reasons: Reasons


def _not_yet_extended(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.filing.extension_days is not None:
        return Refusal(Reason.ALREADY_DONE, "the filing decision was already extended")
    return None


def _a_known_extension(state: CaseState, actor: Actor, p: Extend, ctx: Context) -> list[str]:
    if p.extension in ctx.profile.extensions:
        return []
    known = ", ".join(ctx.profile.extensions) or "none"
    return [f"unknown extension '{p.extension}' (this mechanism has: {known})"]


def _extensions(state: CaseState, ctx: Context) -> dict[str, list[str]]:
    return {"extension": list(ctx.profile.extensions)}


@step(
    "approve_extension",
    "批准延长立案审查期限",
    "Approve an extension of the filing decision",
    source="N2017 Art. 9: 7 days when the clues need checking; 30 days for major cases, approved",
    stages={Stage.FILING_DECISION},
    movers={Party.RECEIVING: APPROVER},
    guard=_not_yet_extended,
    check=_a_known_extension,
    choices=_extensions,
    branch=Branch.EXTENSION,
    example={"extension": "major_complex", "reasons": "案情重大复杂"},
)
def approve_extension(c: Change, p: Extend) -> None:
    """The filing decision's period is replaced, counted from the same acceptance."""
    extension = c.ctx.profile.extensions[p.extension]
    c.case.filing.extension_days = extension.period.length
    c.note(extension=p.extension, source=extension.source)
    c.emit(Event.EXTENSION_APPROVED, extension=p.extension)


@dataclass(kw_only=True)
class File(Dated):
    reference: OptionalDocumentNumber = ""  # the filing decision's number (立案决定书)


def filed(c: Change, reference: str) -> None:
    """Filed: the filing notice goes to the agency, whose 3 days to hand over the items and materials
    run from its receipt (O310 Art. 8, 12; N2017 Art. 9, 10)."""
    _decided(c, FilingOutcome.FILED)
    c.case.filing.filing_ordered = False
    c.note(reference=reference)
    c.emit(Event.FILED)
    c.send(DocumentKind.FILING_NOTICE, c.case.owner_agency, reference)
    if c.ctx.profile.has_stage(Stage.HANDOVER):
        c.move(Stage.HANDOVER)
    else:
        c.move(Stage.INVESTIGATION)
        c.emit(Event.HANDED_OVER)


@step(
    "file_case",
    "立案",
    "File the case",
    source="O310 Art. 8; N2017 Art. 9: decided within 3 days of accepting, notified in writing",
    stages={Stage.FILING_DECISION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    example={"reference": "立案决定书 2026-001"},
)
def file_case(c: Change, p: File) -> None:
    """The case is filed for investigation."""
    filed(c, p.reference)


def _not_ordered_filed(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    if state.filing.filing_ordered and state.stage is Stage.FILING_DECISION:
        return Refusal(Reason.FILING_ORDERED, "the procuratorate has ordered the case filed")
    return None


@step(
    "decline_filing",
    "不予立案",
    "Decline to file",
    source="O310 Art. 8: with reasons, notified in writing, the file returned; N2017 Art. 9",
    stages={Stage.FILING_DECISION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    guard=_not_ordered_filed,
    example={"reasons": "证据不足,不构成犯罪"},
    final=True,
)
def decline_filing(c: Change, p: Reasoned) -> None:
    """Not filed: the notice with its reasons goes to the agency (the file goes back with it); from
    its receipt the agency may ask for reconsideration, propose supervision, or handle the case."""
    _decided(c, FilingOutcome.NOT_FILED, p.reasons)
    c.move(Stage.NOT_FILED)
    c.emit(Event.NOT_FILED)
    c.send(DocumentKind.NOT_FILED_NOTICE, c.case.owner_agency, p.reasons)


@step(
    "reverse_refer",
    "反向移送行政处罚",
    "Return for administrative penalty",
    source="O310 Art. 13; N2017 Art. 17: no crime, but a penalty is due: handed back in time",
    stages={Stage.FILING_DECISION, Stage.INVESTIGATION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    guard=_not_ordered_filed,
    branch=Branch.REVERSE_REFERRAL,
    example={"reasons": "不构成犯罪,应予行政处罚"},
    final=True,
)
def reverse_refer(c: Change, p: Reasoned) -> None:
    """The police hand the case back; at the filing decision this is their decision on it, and the
    agency keeps its rights against it: the notice of not filing goes with the case (O310 Art. 9;
    N2017 Art. 11, 12). The penalty's period runs from the agency's receipt of the case."""
    at_filing = c.case.stage is Stage.FILING_DECISION
    if at_filing:
        _decided(c, FilingOutcome.REVERSE_REFERRED, p.reasons)
    else:
        drop_supplements(c)
    c.move(Stage.ADMIN_PENALTY)
    c.emit(Event.REVERSE_REFERRED)
    c.send(DocumentKind.HANDBACK, c.case.owner_agency, p.reasons)


def _reconsideration_open(state: CaseState, party: Party, ctx: Context) -> Refusal | None:
    """Only a refusal to file is reconsidered (O310 Art. 9 ¶1; N2017 Art. 11), within the window
    counted from the agency's receipt of the notice."""
    filing = state.filing
    if filing.outcome not in REFUSALS:
        return Refusal(
            Reason.NOT_A_REFUSAL,
            "only a refusal to file is reconsidered; propose supervision instead (N2017 Art. 12)",
        )
    if filing.reconsideration_requested_at is not None:
        return Refusal(Reason.ALREADY_DONE, "reconsideration was already asked for")
    if filing.supervision_proposed_at is not None:
        return Refusal(Reason.ALREADY_PENDING, "the case is already before the procuratorate")
    notice = state.received(REFUSAL_NOTICE[filing.outcome])
    if window_closed(state, notice.received_at if notice else None, "reconsideration", ctx):
        source = ctx.profile.windows["reconsideration"].source
        return Refusal(
            Reason.WINDOW_CLOSED,
            f"reconsideration must be asked for within the window after the notice ({source}); "
            "procuratorate supervision may still be proposed",
        )
    return None


@step(
    "request_reconsideration",
    "提请复议",
    "Ask the police to reconsider",
    source="O310 Art. 9 ¶1; N2017 Art. 11 (a case handed back at the filing decision too)",
    stages={Stage.NOT_FILED, Stage.ADMIN_PENALTY},
    movers={Party.REFERRING: OFFICER_OR_APPROVER},
    guard=_reconsideration_open,
    branch=Branch.RECONSIDERATION,
    example={"reasons": "监测数据足以证明涉嫌犯罪"},
)
def request_reconsideration(c: Change, p: Reasoned) -> None:
    """The request goes to the police; their days to decide run from its receipt."""
    c.case.filing.reconsideration_requested_at = c.now
    c.move(Stage.RECONSIDERATION)
    c.emit(Event.RECONSIDERATION_REQUESTED)
    c.send(DocumentKind.RECONSIDERATION_REQUEST, c.case.police_agency, p.reasons)


@dataclass(kw_only=True)
class Reconsidered(Dated):
    upheld: Flag  # True: the refusal to file stands
    reasons: Reasons
    reference: OptionalDocumentNumber = ""


@step(
    "decide_reconsideration",
    "作出复议决定",
    "Decide the reconsideration",
    source="O310 Art. 9 ¶2; N2017 Art. 11",
    stages={Stage.RECONSIDERATION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    branch=Branch.RECONSIDERATION,
    example={"upheld": True, "reasons": "维持不予立案决定"},
)
def decide_reconsideration(c: Change, p: Reconsidered) -> None:
    """Upheld, the decision goes to the agency, whose 3 days to propose supervision run from its
    receipt (O310 Art. 9 ¶2); reversed, the case is filed and the filing notice goes instead."""
    c.case.filing.reconsideration_upheld = p.upheld
    c.note(upheld=str(p.upheld).lower())
    c.emit(Event.RECONSIDERATION_DECIDED)
    if p.upheld:
        c.move(Stage.NOT_FILED)
        c.send(DocumentKind.RECONSIDERATION_DECISION, c.case.owner_agency, p.reasons)
    else:
        filed(c, p.reference)


@step(
    "withdraw_case",
    "立案后撤销案件",
    "Withdraw the case after filing",
    source="N2017 Art. 9: 撤销案件决定, notified within 3 days with reasons, the file returned",
    stages={Stage.HANDOVER, Stage.INVESTIGATION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    example={"reasons": "犯罪事实显著轻微,不需要追究刑事责任"},
    final=True,
)
def withdraw_case(c: Change, p: Reasoned) -> None:
    """Withdrawn after filing: the notice goes to the agency, which may propose supervision against it
    (N2017 Art. 12) or handle the case itself (O310 Art. 10)."""
    _decided(c, FilingOutcome.WITHDRAWN, p.reasons)
    c.case.filing.withdrawn_at = c.now
    c.move(Stage.NOT_FILED)
    c.emit(Event.FILING_WITHDRAWN)
    c.send(DocumentKind.WITHDRAWAL_NOTICE, c.case.owner_agency, p.reasons)
