"""The activities of a mechanism's routines (``workflows.routines``): reading the routine and the
calendar from the worker's files, reading the read model for an agenda, figures or the referral
scan, rendering and keeping bulletins and minutes, and writing what the workflows decided.

Each is idempotent (a retry writes the same again; a scan answers its first result) and synchronous:
SQLAlchemy sessions and rendering run in the worker's thread pool. Notices go through the case's own
``notify`` activity (``activities.agencies``), each with its idempotency key.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine
from temporalio import activity
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities.papers import FontNotFound, font_path, render_html, render_pdf
from cases.agencies import AgencyRegistry, default_registry
from cases.calendar import CHINA_TZ, WorkingDayCalendar, beijing_time, default_calendar, snapshot
from cases.meetings import MeetingState, MeetingStatus
from cases.papers import Paper
from cases.profiles import UnknownMechanism, get_profile
from cases.routine_effects import (
    GATHER_FIGURES,
    PUBLISH_BULLETIN,
    READ_AGENDA,
    RECORD_BULLETIN_DELIVERY,
    RECORD_MEETING,
    RECORD_WATCH_MARK,
    ROUTINE_SETUP,
    SCAN_REFERRALS,
    START_OCCURRENCE,
    UNKNOWN_ROUTINE,
    AgendaRead,
    AgendaRequest,
    BulletinDelivered,
    BulletinPublish,
    BulletinPublished,
    FiguresRequest,
    OccurrenceStart,
    RoutineSetup,
    RoutineStart,
    ScanRequest,
    ScanResult,
    WatchMark,
)
from cases.routine_papers import bulletin_paper, figures_csv, minutes_paper
from cases.routines import Figures, agenda, figures
from settings import Settings
from store import routines as store
from store.routines import Rendered

log = structlog.get_logger(__name__)

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _rendered(format: str, content: bytes) -> Rendered:
    return Rendered(format, MEDIA_TYPES[format], content, hashlib.sha256(content).hexdigest())


def figures_xlsx(title: str, figures: Figures, at: datetime) -> bytes:
    """The figures as a one-sheet workbook, dated by the bulletin (not by the moment it is made)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "figures"
    sheet.append([title])
    sheet.append(
        ["期间", f"{beijing_time(figures.covers_from)} 至 {beijing_time(figures.covers_to)}"]
    )
    sheet.append(["key", "项目", "数量"])
    for row in figures.rows():
        sheet.append(list(row))
    sheet.column_dimensions["B"].width = 28
    naive = at.astimezone(UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = naive
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class RoutineActivities:
    """``calendar``: the working days routines are moved by (a test may give its own); ``font``:
    the CJK font papers are rendered with (the settings' or Debian's when not given)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        calendar: WorkingDayCalendar | None = None,
        registry: AgencyRegistry | None = None,
        font: Path | None = None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._calendar = calendar
        self._registry = registry
        self._font = font

    def _registry_now(self) -> AgencyRegistry:
        return self._registry or default_registry()

    def _pdf(self, paper: Paper) -> list[Rendered]:
        """The paper as PDF, when a font that writes Chinese is installed (it is said otherwise)."""
        try:
            font = self._font or font_path(self._settings)
        except FontNotFound as exc:
            log.warning("paper kept without its PDF", paper=paper.number, reason=str(exc))
            return []
        return [_rendered("pdf", render_pdf(paper, font))]

    @activity.defn(name=ROUTINE_SETUP)
    def setup(self, start: RoutineStart) -> RoutineSetup:
        try:
            spec = get_profile(start.mechanism).routines[start.routine]
        except (UnknownMechanism, KeyError):
            raise ApplicationError(
                f"mechanism '{start.mechanism}' has no routine '{start.routine}'",
                type=UNKNOWN_ROUTINE,
                non_retryable=True,
            ) from None
        registry = self._registry_now()
        if start.region not in {r.code for r in registry.regions}:
            raise ApplicationError(
                f"no region '{start.region}' in the registry",
                type=UNKNOWN_ROUTINE,
                non_retryable=True,
            )
        # The years around the instant the Schedule fired for (not the worker's clock: a catch-up,
        # or a test server whose clock has run ahead, stands for its own period), the next too: an
        # occurrence on New Year's Eve may move into January.
        year = (start.nominal or datetime.now(UTC)).astimezone(CHINA_TZ).year
        calendar = snapshot(self._calendar or default_calendar(), [year - 1, year, year + 1])
        return RoutineSetup(spec, calendar, registry.snapshot())

    @activity.defn(name=READ_AGENDA)
    def read_agenda(self, request: AgendaRequest) -> AgendaRead:
        cases = store.region_cases(self._engine, request.mechanism, request.region)
        carried = store.open_decisions(
            self._engine, request.mechanism, request.region, request.meeting_id
        )
        return AgendaRead(agenda(cases, request.at), carried)

    @activity.defn(name=RECORD_MEETING)
    def record_meeting(self, state: MeetingState) -> None:
        """The meeting; once it is closed, its minutes as HTML and PDF too (made once)."""
        minutes: list[Rendered] = []
        closed = state.status in (MeetingStatus.CLOSED, MeetingStatus.DONE)
        if closed and store.paper(self._engine, state.meeting_id, "html") is None:
            paper = minutes_paper(state, self._registry_now(), state.closed_at or state.opens_at)
            minutes = [_rendered("html", render_html(paper).encode()), *self._pdf(paper)]
        store.write_meeting(self._engine, state, minutes)

    @activity.defn(name=GATHER_FIGURES)
    def gather_figures(self, request: FiguresRequest) -> Figures:
        cases = store.region_cases(
            self._engine, request.mechanism, request.region, since=request.covers_from
        )
        return figures(cases, request.covers_from, request.covers_to, request.at)

    @activity.defn(name=PUBLISH_BULLETIN)
    def publish_bulletin(self, publish: BulletinPublish) -> BulletinPublished:
        bulletin = publish.bulletin
        paper = bulletin_paper(
            bulletin, publish.figures, self._registry_now(), publish.published_at
        )
        rendered = [
            _rendered("html", render_html(paper).encode()),
            *self._pdf(paper),
            _rendered("csv", figures_csv(publish.figures).encode("utf-8-sig")),
            _rendered("xlsx", figures_xlsx(paper.title, publish.figures, publish.published_at)),
        ]
        formats = store.write_bulletin(self._engine, publish, rendered)
        return BulletinPublished(bulletin.bulletin_id, formats)

    @activity.defn(name=RECORD_BULLETIN_DELIVERY)
    def record_delivery(self, delivered: BulletinDelivered) -> None:
        store.bulletin_delivered(self._engine, delivered)

    @activity.defn(name=SCAN_REFERRALS)
    def scan_referrals(self, request: ScanRequest) -> ScanResult:
        return store.scan_referrals(self._engine, request)

    @activity.defn(name=RECORD_WATCH_MARK)
    def record_mark(self, mark: WatchMark) -> None:
        store.mark_watched(self._engine, mark)

    @activity.defn(name=START_OCCURRENCE)
    async def start_occurrence(self, request: OccurrenceStart) -> bool:
        """Start the occurrence's workflow on this worker's queue; False when a workflow of its id
        ran or runs already (the Schedule fired twice for one period). The id is the idempotency
        key: a retried start finds the workflow it started."""
        arg: object
        if request.meeting is not None:
            workflow, arg = "MeetingWorkflow", request.meeting
        elif request.scan is not None:
            workflow, arg = "ReferralScanWorkflow", request.scan
        elif request.bulletin is not None:
            workflow, arg = "BulletinWorkflow", request.bulletin
        else:
            raise ApplicationError("no occurrence to start", non_retryable=True)
        try:
            await activity.client().start_workflow(
                workflow,
                arg,
                id=request.workflow_id,
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    def all(self) -> list[Callable[..., Any]]:
        """Every routine activity, for ``worker.build_worker``."""
        return [
            self.setup,
            self.read_agenda,
            self.record_meeting,
            self.gather_figures,
            self.publish_bulletin,
            self.record_delivery,
            self.scan_referrals,
            self.record_mark,
            self.start_occurrence,
        ]
