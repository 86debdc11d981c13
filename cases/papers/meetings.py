"""A joint meeting's minutes (N2017 Art. 23: 定期召开联席会议…联席会议应明确议定事项): the meeting
as plain data, so that whatever records meetings (a workflow of its own) can hand it over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cases.agencies import AgencyRegistry
from cases.calendar import beijing_time, local_date
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
)


@dataclass
class AgendaLine:
    case_id: str
    why: str  # why the case is on the agenda, in words: 已超期、已升级督办…


@dataclass
class AgreedMatter:
    """One matter the meeting settled (议定事项), whose it is and by when."""

    item: str
    owner: str  # agency code
    # Its due instant, said as the product says a deadline: a due date ends at 24:00 of that day.
    due_at: datetime | None = None


@dataclass
class MeetingRecord:
    """A meeting as its minutes need it: plain data, whatever keeps meetings (agencies only: the
    minutes name no person)."""

    meeting_id: str
    title: str
    held_at: datetime
    convener: str  # agency code: the joint office, as a rule
    attendees: list[str]  # agency codes
    agenda: list[AgendaLine] = field(default_factory=list)
    decisions: list[AgreedMatter] = field(default_factory=list)
    # What earlier meetings settled and is not done yet: the meeting takes it up again.
    carried_over: list[AgreedMatter] = field(default_factory=list)
    summary: str = ""
    place: str = ""


def _matters(matters: list[AgreedMatter], registry: AgencyRegistry) -> Block:
    if not matters:
        return Paragraph("无")
    rows = [
        [str(n), m.item, registry.named(m.owner).zh, beijing_time(m.due_at) if m.due_at else "—"]
        for n, m in enumerate(matters, start=1)
    ]
    return Table(["序号", "事项", "责任单位", "完成时限"], rows, [2, 16, 9, 8])


def meeting_minutes(
    meeting: MeetingRecord, registry: AgencyRegistry, at: datetime, *, source: str = "N2017 Art. 23"
) -> Paper:
    """What the agencies settled, each matter with its owner and its due instant, so that a later
    meeting (and the dashboard) can hold them to it (N2017 Art. 23: 联席会议应明确议定事项)."""
    convener = registry.named(meeting.convener).zh
    lines = [
        ("会议时间", beijing_time(meeting.held_at)),
        ("召集单位", convener),
        ("参会单位", "、".join(registry.named(a).zh for a in meeting.attendees) or "—"),
    ]
    if meeting.place:
        lines.insert(1, ("会议地点", meeting.place))
    agenda = [[str(n), a.case_id, a.why] for n, a in enumerate(meeting.agenda, start=1)]
    blocks: list[Block] = [KeyValues(lines)]
    if meeting.summary:
        blocks.append(Paragraph(meeting.summary))
    blocks += [
        Heading("一、议题"),
        Table(["序号", "案件编号", "列入议题的理由"], agenda, [2, 10, 20])
        if agenda
        else Paragraph("无"),
        Heading("二、议定事项"),
        _matters(meeting.decisions, registry),
    ]
    if meeting.carried_over:
        blocks += [Heading("三、前次会议未办结事项"), _matters(meeting.carried_over, registry)]
    blocks.append(Seal("召集单位", convener, local_date(at)))
    return Paper(
        kind=PaperKind.MEETING_MINUTES,
        title=meeting.title,
        number=meeting.meeting_id,
        issuer=convener,
        recipient="",
        issued_at=at,
        blocks=blocks,
        basis=cited(source),
    )
