"""The contract between the event-driven bulletins' workflows (``workflows.event_bulletins``) and
their activities (``activities.event_bulletins``): activity names, the dataclasses that cross, and
the bulletin as a paper (rendered by ``activities.papers``). The rules are in
``cases.event_bulletins``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cases.agencies import AgencyKind, AgencyRegistry, RegistrySnapshot
from cases.calendar import CalendarSnapshot, Unit, beijing_time, local_date
from cases.event_bulletins import EventKind
from cases.model import Actor
from cases.papers import Block, Heading, KeyValues, Paper, PaperKind, Paragraph, Seal
from cases.phrases import word
from cases.projection import CaseProjection
from cases.vocabulary import STAGE_LABELS

RECORD_EVENT_BULLETIN = "record_event_bulletin"  # EventRecord: listed, not yet issued
PUBLISH_EVENT_BULLETIN = "publish_event_bulletin"  # EventPublish -> BulletinPublished


@dataclass
class EventBulletinInput:
    """What the API starts an event bulletin's workflow with: the mechanism's values for it (its
    profile's ``[event_bulletins.<kind>]``), who started it, and what it is about. A typical case
    carries the calendar its time limit is counted on."""

    bulletin_id: str
    kind: EventKind
    mechanism: str
    region: str
    title_zh: str
    title_en: str
    source: str
    source_zh: str
    statutory: bool
    to: list[str]  # every receiving agency of the region
    escalate_to: list[str]  # the joint office and the leadership group, told when it is late
    started_by: Actor
    registry: RegistrySnapshot
    issuer_kinds: list[AgencyKind] = field(default_factory=list)  # whose officers may issue
    # A typical case: the case, why it is typical, and its time limit.
    case_id: str | None = None
    reason: str = ""
    within: int = 0
    unit: Unit = Unit.WORKING_DAYS
    remind_before: timedelta = timedelta(days=1)
    calendar: CalendarSnapshot | None = None
    # An emergency: what happened, where, when, and the issuer's words (given at once).
    what: str = ""
    place: str = ""
    happened_at: datetime | None = None


@dataclass
class IssueRequest:
    """The coordinator issues the typical case's bulletin with their words."""

    actor: Actor
    text: str


@dataclass
class IssueAnswer:
    bulletin_id: str
    issued_at: datetime
    late: bool


@dataclass
class EventRecord:
    """A typical case named, listed before its bulletin is issued."""

    input: EventBulletinInput
    named_at: datetime
    due_at: datetime


@dataclass
class EventPublish:
    input: EventBulletinInput
    issued_by: Actor
    text: str
    started_at: datetime
    issued_at: datetime
    due_at: datetime | None = None


@dataclass
class EventOutcome:
    bulletin_id: str
    issued_at: datetime | None
    late: bool
    formats: dict[str, str]
    delivered_at: datetime | None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    error: str | None = None


def case_summary(case: CaseProjection | None, case_id: str) -> list[tuple[str, str]]:
    """The case as the read model has it, in the lines a bulletin states (no party's facts)."""
    if case is None:
        return [("案件编号", case_id)]
    return [
        ("案件编号", case.case_id),
        ("案件名称", case.subject),
        ("办理阶段", word(STAGE_LABELS, case.stage).zh),
        ("承办单位", case.owner_agency),
        ("发现时间", beijing_time(case.opened_at)),
        ("是否已移送", "是" if case.referred else "否"),
    ]


def event_paper(
    publish: EventPublish, case: CaseProjection | None, registry: AgencyRegistry
) -> Paper:
    """The bulletin as a paper: a typical case's summary and the coordinator's words, with its time
    limit and whether it was met; an emergency's what, where and when."""
    bulletin = publish.input
    issuer = registry.named(publish.issued_by.agency).zh
    lines = [
        ("地区", registry.region(bulletin.region).name),
        ("通报时间", beijing_time(publish.issued_at)),
        ("依据", bulletin.source_zh),
    ]
    blocks: list[Block]
    if bulletin.kind is EventKind.TYPICAL_CASE:
        due = publish.due_at
        in_time = "逾期通报" if due is not None and publish.issued_at > due else "限时内通报"
        lines += [
            ("确定为典型案件", beijing_time(publish.started_at)),
            ("通报时限", beijing_time(due) if due else "—"),
            ("时限情况", in_time),
        ]
        blocks = [
            KeyValues(lines),
            Heading("一、案件概况"),
            KeyValues(case_summary(case, bulletin.case_id or "")),
            Heading("二、典型意义"),
            Paragraph(bulletin.reason),
            Heading("三、通报内容"),
            Paragraph(publish.text),
        ]
    else:
        happened = bulletin.happened_at
        blocks = [
            KeyValues(lines),
            Heading("一、事件情况"),
            KeyValues(
                [
                    ("发生时间", beijing_time(happened) if happened else "—"),
                    ("发生地点", bulletin.place),
                ]
            ),
            Paragraph(bulletin.what),
        ]
        if publish.text:
            blocks += [Heading("二、通报内容"), Paragraph(publish.text)]
    blocks.append(Seal("通报单位", issuer, local_date(publish.issued_at)))
    return Paper(
        kind=PaperKind.BULLETIN,
        title=bulletin.title_zh,
        number=bulletin.bulletin_id,
        issuer=issuer,
        recipient="",
        issued_at=publish.issued_at,
        blocks=blocks,
        basis=[],
        case_id=bulletin.case_id or "",
    )
