"""The papers of a referral: the letter with its materials list (O310 Art. 6; N2017 Art. 6), the
acknowledgement of a notice of not filing (O310 Art. 8, 9) and the handover list (O310 Art. 12;
N2017 Art. 10), each built from the case and its mechanism, its periods counted by the case's
calendar."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cases.agencies import AgencyRegistry
from cases.calendar import WorkingDayCalendar, beijing_time, due_instant, local_date
from cases.checklists import CATALOGUE
from cases.model import CaseState, Document, EvidenceItem
from cases.papers.model import (
    Block,
    Heading,
    KeyValues,
    Paper,
    PaperKind,
    Paragraph,
    Seal,
    Table,
    cited,
    period_text,
    zh_date,
)
from cases.phrases import word
from cases.profile import Profile
from cases.vocabulary import VIOLATION_LABELS, DocumentKind, Track

# The letter and its list are the paper itself: it lists every other item of the case.
_THE_LETTER = frozenset({"referral_letter", "materials_list"})
MATERIALS_HEADER = ["序号", "材料", "名称", "SHA-256 指纹"]


def materials_table(items: Sequence[EvidenceItem]) -> Table:
    """Each item by its catalogue name, its own title and its fingerprint: what the receiver checks
    the files it got against."""
    rows = [
        [
            str(n),
            CATALOGUE[i.kind].label_zh if i.kind in CATALOGUE else i.kind,
            i.title,
            i.sha256 or "（未登记指纹）",
        ]
        for n, i in enumerate(items, start=1)
    ]
    return Table(MATERIALS_HEADER, rows, [2, 7, 7, 18], fingerprints=3)


def _crime_grounds(state: CaseState) -> str:
    met = [f"{c.source}：{c.explanation_zh}" for c in state.triage.crime_criteria if c.met]
    return "；".join(met or state.triage.reasons_zh[:2]) or "见案件调查报告"


def referral_letter(
    state: CaseState,
    registry: AgencyRegistry,
    profile: Profile,
    at: datetime,
    *,
    officers: Sequence[str] = (),
) -> Paper:
    """The letter the package opens with, its materials list attached (O310 Art. 6(一); N2017
    Art. 6(一): the referring agency, the suspected crime and its grounds, the officers in charge,
    the list, the seal). On the detention track it is P2014 Art. 12's 案件移送书."""
    rules = profile.rules_for(state.classification)
    detention = rules.track is Track.DETENTION
    issuer = registry.named(state.owner_agency).zh
    police = registry.named(state.police_agency).zh
    violation = word(VIOLATION_LABELS, state.facts.violation_type).zh
    items = [i for i in state.current_evidence() if i.kind not in _THE_LETTER]
    what = "违反治安管理、依法应当予以行政拘留" if detention else "犯罪、依法需要追究刑事责任"
    lines = [
        ("移送机关", issuer),
        ("案件编号", state.case_id),
        ("当事人", state.subject),
        ("违法行为", violation),
        ("发现时间", beijing_time(state.discovered_at)),
    ]
    if not detention:
        lines.append(("涉嫌犯罪的主要依据", _crime_grounds(state)))
    lines.append(("案件主办人", "、".join(officers) or "—"))
    if rules.copy_procuratorate and state.procuratorate:
        lines.append(("抄送", registry.named(state.procuratorate).zh))
    blocks: list[Block] = [
        Paragraph(
            f"本机关在查处{state.subject}（{violation}）一案中，发现其涉嫌{what}。"
            "现将该案移送你局，请依法审查，并将处理结果书面告知本机关。"
        ),
        KeyValues(lines),
        Heading("附件：移送材料清单"),
        materials_table(items),
        Paragraph(
            f"以上材料共{len(items)}项。收到的文件与所列 SHA-256 指纹一致，即为本机关所移送。"
        ),
        Seal("移送机关", issuer, local_date(at)),
    ]
    # The package's own article first (O310 Art. 6), then the mechanism's (N2017 Art. 6); on the
    # detention track, P2014's package (Art. 11) and its letter (Art. 12).
    basis = (
        [rules.referral_source, "P2014 Art. 12"]
        if detention
        else ["O310 Art. 6", rules.referral_source]
    )
    return Paper(
        kind=PaperKind.REFERRAL_LETTER,
        title="案件移送书" if detention else "涉嫌犯罪案件移送书",
        number=f"{state.case_id}·移送",
        issuer=issuer,
        recipient=police,
        issued_at=at,
        blocks=blocks,
        basis=cited(*basis),
        case_id=state.case_id,
    )


def _notice(state: CaseState, kind: DocumentKind) -> tuple[Document, datetime]:
    notice = state.received(kind)
    if notice is None or notice.received_at is None:
        raise ValueError(f"the case holds no {kind.value} its agency's system has acknowledged")
    return notice, notice.received_at


def not_filed_acknowledgement(
    state: CaseState,
    registry: AgencyRegistry,
    profile: Profile,
    at: datetime,
    *,
    calendar: WorkingDayCalendar | None = None,
) -> Paper:
    """The agency's written word that the notice of not filing reached it, and when: the window to
    ask for reconsideration runs from that receipt (O310 Art. 9 ¶1; N2017 Art. 11), so the paper
    states the receipt and the window's last instant as the case's calendar counts it."""
    notice, received_at = _notice(state, DocumentKind.NOT_FILED_NOTICE)
    issuer = registry.named(state.owner_agency).zh
    window = profile.rules_for(state.classification).windows.get("reconsideration")
    lines = [
        ("案件编号", state.case_id),
        ("当事人", state.subject),
        ("不予立案理由", notice.reasons or state.filing.reasons or "—"),
        ("收到通知书时间", beijing_time(received_at)),
    ]
    said = ""
    if window is not None:
        due = due_instant(received_at, window.period.length, window.period.unit, calendar)
        lines.append(("提请复议期限", f"{beijing_time(due.at)}前"))
        said = (
            f"本机关认为依法应当立案的，将自接到通知书之日起{period_text(window.period)}内"
            "提请你局复议，或者建议人民检察院依法进行立案监督。"
        )
    decided = f"于{zh_date(local_date(state.filing.decided_at))}" if state.filing.decided_at else ""
    return Paper(
        kind=PaperKind.NOT_FILED_ACKNOWLEDGEMENT,
        title="不予立案通知书回执",
        number=f"{state.case_id}·回执·{notice.doc_id}",
        issuer=issuer,
        recipient=registry.named(notice.sender).zh,
        issued_at=at,
        blocks=[
            Paragraph(
                f"你局{decided}对本机关移送的{state.subject}一案作出的不予立案决定，"
                f"其通知书本机关已于{beijing_time(received_at)}收到。{said}"
            ),
            KeyValues(lines),
            Seal("收到机关", issuer, local_date(at)),
        ],
        basis=cited("O310 Art. 8", window.source if window else "O310 Art. 9 ¶1"),
        case_id=state.case_id,
    )


def handover_list(
    state: CaseState,
    registry: AgencyRegistry,
    profile: Profile,
    at: datetime,
    items: Sequence[str] = (),
    *,
    calendar: WorkingDayCalendar | None = None,
) -> Paper:
    """The items involved and the case's other materials handed to the police once they filed,
    within the days from the filing notice's receipt (O310 Art. 12; N2017 Art. 10: 办理交接手续):
    both agencies seal it, so it carries a blank for the receiver's date."""
    notice, received_at = _notice(state, DocumentKind.FILING_NOTICE)
    issuer = registry.named(state.owner_agency).zh
    police = registry.named(notice.sender).zh
    clock = profile.clocks.get("handover")
    lines = [
        ("案件编号", state.case_id),
        ("当事人", state.subject),
        ("立案决定书", notice.reasons or "—"),
        ("收到立案通知书时间", beijing_time(received_at)),
    ]
    if clock is not None:
        due = due_instant(received_at, clock.period.length, clock.period.unit, calendar)
        lines.append(("移交期限", f"{beijing_time(due.at)}前"))
    things: Block = (
        Table(
            ["序号", "物品（名称、数量、特征、存放地）"],
            [[str(n), t] for n, t in enumerate(items, 1)],
            [2, 30],
        )
        if items
        else Paragraph("无")
    )
    return Paper(
        kind=PaperKind.HANDOVER_LIST,
        title="涉案物品及案件材料移交清单",
        number=f"{state.case_id}·移交",
        issuer=issuer,
        recipient=police,
        issued_at=at,
        blocks=[
            Paragraph(
                f"根据你局对{state.subject}一案的立案决定，本机关将涉案物品以及与案件有关的其他材料"
                "移交你局，请清点核对后签收。"
            ),
            KeyValues(lines),
            Heading("一、涉案物品"),
            things,
            Heading("二、案件材料"),
            materials_table(state.current_evidence()),
            Seal("移交机关", issuer, local_date(at)),
            Seal("接收机关", police),
        ],
        basis=cited(clock.source if clock else "O310 Art. 12"),
        case_id=state.case_id,
    )
