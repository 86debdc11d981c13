"""The papers of a mechanism's routines, as data (``cases.papers``): a bulletin's text and table of
figures, a meeting's minutes, and the same figures as CSV lines. ``activities.routines`` renders
them (HTML and PDF through ``activities.papers``, XLSX beside them) and keeps them."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from cases.agencies import AgencyKind, AgencyRegistry
from cases.calendar import beijing_time, local_date
from cases.meetings import MeetingState
from cases.papers import (
    AgendaLine,
    AgreedMatter,
    Block,
    Heading,
    KeyValues,
    MeetingRecord,
    Paper,
    PaperKind,
    Paragraph,
    Seal,
    Table,
    cited,
    meeting_minutes,
)
from cases.phrases import word
from cases.routine_effects import BulletinInput
from cases.routines import AGENDA_LABELS, Figures, RoutineKind

FIGURES_HEADER = ("key", "项目", "数量")


def _issuer(registry: AgencyRegistry, region: str) -> str:
    """The region's joint office publishes (D5 §二: it runs the linkage day to day)."""
    code = registry.code_in_region(AgencyKind.JOINT_OFFICE, region)
    return registry.named(code).zh


def bulletin_paper(
    bulletin: BulletinInput, figures: Figures, registry: AgencyRegistry, published_at: datetime
) -> Paper:
    issuer = _issuer(registry, bulletin.region)
    lines = [
        ("期间", f"{beijing_time(bulletin.covers_from)} 至 {beijing_time(bulletin.covers_to)}"),
        ("统计时点", beijing_time(figures.at)),
        ("地区", registry.region(bulletin.region).name),
        ("依据", bulletin.source_zh),
    ]
    opening = {
        RoutineKind.WEEKLY_REPORT: "现将本周执法联动案件情况报告如下。",
        RoutineKind.MONTHLY_BULLETIN: "现将上月执法联动一般信息通报如下。",
        RoutineKind.ENFORCEMENT_MONTH: "执法行动月集中查处一批大案要案,现将查处结果公布如下。",
    }.get(bulletin.kind, "现将有关情况通报如下。")
    rows = [[label, str(value)] for _, label, value in figures.rows()]
    blocks: list[Block] = [
        KeyValues(lines),
        Paragraph(opening),
        Heading("一、主要数据"),
        Table(["项目", "数量"], rows, [20, 6]),
        Seal("通报单位", issuer, local_date(published_at)),
    ]
    return Paper(
        kind=PaperKind.BULLETIN,
        title=f"{bulletin.title_zh}（{bulletin.period}）",
        number=bulletin.bulletin_id,
        issuer=issuer,
        recipient="",
        issued_at=published_at,
        blocks=blocks,
        basis=cited(bulletin.source),
    )


def figures_csv(figures: Figures) -> str:
    """The figures as CSV (UTF-8, one line a figure), for a spreadsheet or another system."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIGURES_HEADER)
    for row in figures.rows():
        writer.writerow(row)
    return out.getvalue()


def minutes_paper(state: MeetingState, registry: AgencyRegistry, at: datetime) -> Paper:
    """A closed meeting's minutes (N2017 Art. 23: 联席会议应明确议定事项)."""
    record = MeetingRecord(
        meeting_id=state.meeting_id,
        title=f"{state.title_zh}纪要（{state.period}）",
        held_at=state.opened_at or state.opens_at,
        convener=state.convener or "",
        attendees=state.participants,
        agenda=[
            AgendaLine(item.case_id, "、".join(word(AGENDA_LABELS, r).zh for r in item.reasons))
            for item in state.agenda.items
        ],
        decisions=[AgreedMatter(d.title, d.owner, d.due_at) for d in state.decisions],
        carried_over=[AgreedMatter(d.title, d.owner, d.due_at) for d in state.carried_over],
        summary=state.summary,
    )
    return meeting_minutes(record, registry, at, source=state.source)
