"""The activities of the event-driven bulletins (``workflows.event_bulletins``): list a typical case
named, and render, keep and list an issued bulletin (HTML and PDF through ``activities.papers``; it
has no figures, so no CSV or XLSX). Idempotent and synchronous, as the routines' are; delivery goes
through the case's own ``notify`` activity, and is recorded by the routines' activity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from activities.papers import render_html
from activities.routines import RoutineActivities, _rendered
from cases.event_bulletin_effects import (
    PUBLISH_EVENT_BULLETIN,
    RECORD_EVENT_BULLETIN,
    EventPublish,
    EventRecord,
    event_paper,
)
from cases.routine_effects import BulletinPublished
from store import event_bulletins as store


class EventBulletinActivities(RoutineActivities):
    """The routines' activities' engine, settings, registry and font, for these two as well."""

    @activity.defn(name=RECORD_EVENT_BULLETIN)
    def record_named(self, record: EventRecord) -> None:
        store.record_named(self._engine, record)

    @activity.defn(name=PUBLISH_EVENT_BULLETIN)
    def publish_event(self, publish: EventPublish) -> BulletinPublished:
        input = publish.input
        case = store.case_row(self._engine, input.case_id) if input.case_id else None
        paper = event_paper(publish, case, self._registry_now())
        rendered = [_rendered("html", render_html(paper).encode()), *self._pdf(paper)]
        formats = store.write_issued(self._engine, publish, rendered)
        return BulletinPublished(input.bulletin_id, formats)

    def event_activities(self) -> list[Callable[..., Any]]:
        """These two, for ``worker.build_worker`` (beside ``RoutineActivities.all``)."""
        return [self.record_named, self.publish_event]
