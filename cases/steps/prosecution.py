"""After the police: the procuratorate charges or decides not to prosecute, and the court judges. A case
not prosecuted, acquitted or exempted from criminal punishment comes back to the agency, which then
decides on a penalty; the time it spent in the criminal process does not count against that penalty
(N2017 Art. 16, 18)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.change import Change
from cases.limits import Flag, OptionalDocumentNumber
from cases.payloads import Dated, Reasoned
from cases.steps.base import PROCURATOR, step
from cases.vocabulary import DocumentKind, Event, Judgment, Party, Stage


@dataclass(kw_only=True)
class Charge(Dated):
    reference: OptionalDocumentNumber = ""  # the indictment's number (起诉书)


@dataclass(kw_only=True)
class Judged(Charge):
    judgment: Judgment  # the reference is the judgment's number (判决书)


@step(
    "charge",
    "提起公诉",
    "Charge",
    source="N2017 Art. 18: 对符合起诉条件的环境犯罪嫌疑人,应当及时提起公诉",
    stages={Stage.PROSECUTION},
    movers={Party.PROCURATORATE: PROCURATOR},
    example={"reference": "检诉〔2026〕12号"},
)
def charge(c: Change, p: Charge) -> None:
    """The case goes before the court."""
    c.note(reference=p.reference)
    c.move(Stage.TRIAL)
    c.emit(Event.CHARGED)


@dataclass(kw_only=True)
class NotProsecuted(Reasoned):
    # 认为应当给予行政处罚的,可以提出予以行政处罚的检察意见 (N2017 Art. 18)
    recommend_penalty: Flag = False


@step(
    "decline_prosecution",
    "不起诉",
    "Decide not to prosecute",
    source="N2017 Art. 18: 自作出决定之日起3日内书面告知移送案件的环保部门, with any recommendation "
    "for a penalty",
    stages={Stage.PROSECUTION},
    movers={Party.PROCURATORATE: PROCURATOR},
    example={"reasons": "犯罪情节轻微,不需要判处刑罚", "recommend_penalty": True},
    final=True,
)
def decline_prosecution(c: Change, p: NotProsecuted) -> None:
    """The decision goes to the agency in writing; from its receipt the agency decides on a penalty."""
    c.note(recommend_penalty=str(p.recommend_penalty).lower())
    c.move(Stage.ADMIN_PENALTY)
    c.emit(Event.NOT_PROSECUTED)
    recommendation = "; 建议予以行政处罚" if p.recommend_penalty else ""
    c.send(DocumentKind.NOT_PROSECUTED_NOTICE, c.case.owner_agency, p.reasons + recommendation)


@step(
    "record_judgment",
    "记录判决结果",
    "Record the judgment",
    source="N2017 Art. 16: 人民法院作出无罪判决或者免予刑事处罚后,再决定是否给予行政处罚; Art. 34",
    stages={Stage.TRIAL},
    movers={Party.PROCURATORATE: PROCURATOR},
    example={"judgment": "convicted", "reference": "(2026)刑初字第88号"},
)
def record_judgment(c: Change, p: Judged) -> None:
    """Convicted, the dossier is archived; acquitted or exempted, the agency decides on a penalty."""
    c.case.judgment = p.judgment
    c.note(judgment=p.judgment.value, reference=p.reference)
    if p.judgment.penalty_may_follow:
        c.move(Stage.ADMIN_PENALTY)
        c.emit(Event.JUDGED)
        c.emit(Event.NO_CRIMINAL_PENALTY)
    else:
        c.move(Stage.ARCHIVING)
        c.emit(Event.JUDGED)
