"""After filing: the handover of items and the police's feedback (O310 Art. 12; N2017 Art. 10;
D1-rules §四)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change, MakePaper
from cases.limits import Lines
from cases.papers.model import PaperKind
from cases.payloads import Dated, Payload
from cases.steps.base import OFFICER, OFFICER_OR_APPROVER, step
from cases.vocabulary import Event, FeedbackOutcome, Party, Stage

HANDOVER = "handover"  # the key of the handover list: a case hands over once


@dataclass(kw_only=True)
class HandOver(Payload):
    items: Lines


@step(
    "hand_over",
    "移交涉案物品及材料",
    "Hand over items and materials",
    source="O310 Art. 12; N2017 Art. 10: within 3 days of receiving the filing notice",
    stages={Stage.HANDOVER},
    movers={Party.REFERRING: OFFICER},
    example={"items": ["水样3份", "暗管照片"]},
)
def hand_over(c: Change, p: HandOver) -> None:
    """The items and materials pass to the police; the investigation is theirs. Both agencies
    sign the list of what passed (N2017 Art. 10: 办理交接手续): the case makes it."""
    c.note(items=", ".join(p.items))
    c.effects.append(MakePaper(PaperKind.HANDOVER_LIST, HANDOVER, by=c.by, things=list(p.items)))
    c.move(Stage.INVESTIGATION)
    c.emit(Event.HANDED_OVER)


@dataclass(kw_only=True)
class Feedback(Dated):
    outcome: FeedbackOutcome


@step(
    "feed_back",
    "反馈处理结果",
    "Feed the result back",
    source="D1-rules §四; D5 §三.3: the police feed the result back to the referring agency",
    stages={Stage.INVESTIGATION},
    movers={Party.RECEIVING: OFFICER_OR_APPROVER},
    example={"outcome": "prosecution"},
)
def feed_back(c: Change, p: Feedback) -> None:
    """The police's result closes their part. A case sent for prosecution goes on to the procuratorate
    where the mechanism tracks it (N2017 Art. 18); otherwise the agency archives the dossier."""
    c.case.feedback = p.outcome
    c.note(outcome=p.outcome.value)
    prosecuted = p.outcome is FeedbackOutcome.PROSECUTION
    c.move(
        Stage.PROSECUTION
        if prosecuted and c.ctx.profile.has_stage(Stage.PROSECUTION)
        else Stage.ARCHIVING
    )
    c.emit(Event.FED_BACK)
