"""Fake agencies for workflow tests, registered under the real activity names."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.papers import font_path, render_pdf
from cases.effects import (
    AGENCY_REFUSED,
    DELIVER_DOCUMENT,
    DELIVER_REFERRAL,
    MAKE_PAPER,
    NOTIFY,
    PAPER_NOT_MADE,
    RECORD_CASE_EVENTS,
    SEND_EXPERT_REQUEST,
    CaseRecord,
    DocumentDelivery,
    ExpertRequestCall,
    Notice,
    NotificationBatch,
    PaperFile,
    ReferralDelivery,
)
from cases.model import DeliveryReceipt, TimelineEntry
from cases.papers import Paper
from settings import Settings
from store.files import reference


@functools.cache
def _font() -> Path:
    return font_path(Settings())


@dataclass
class FakeAgencies:
    """Records every call; ``refuse_deliveries`` makes the police system answer 4xx that many times."""

    refuse_deliveries: int = 0
    refuse_requests: bool = False
    refuse_documents: int = 0  # the receiving system answers 4xx to that many notices
    fail_records: int = 0  # the read model fails that many writes
    documents: list[DocumentDelivery] = field(default_factory=list)
    hold_first_delivery: asyncio.Event | None = None  # the police system hangs until it is set
    deliveries: list[ReferralDelivery] = field(default_factory=list)
    requests: list[ExpertRequestCall] = field(default_factory=list)
    notices: list[NotificationBatch] = field(default_factory=list)
    records: list[CaseRecord] = field(default_factory=list)
    no_font: bool = False  # the worker has no font that writes Chinese: every paper fails at once
    papers: list[Paper] = field(default_factory=list)  # every paper asked for, retries included
    files: dict[str, bytes] = field(default_factory=dict)  # the papers' PDFs, by their SHA-256

    @activity.defn(name=DELIVER_REFERRAL)
    async def deliver(self, delivery: ReferralDelivery) -> DeliveryReceipt:
        self.deliveries.append(delivery)
        if self.hold_first_delivery is not None and len(self.deliveries) == 1:
            # As the real call does: heartbeat while waiting, and stop when cancelled.
            while not self.hold_first_delivery.is_set():
                activity.heartbeat()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.hold_first_delivery.wait(), 0.2)
        if self.refuse_deliveries > 0:
            self.refuse_deliveries -= 1
            raise ApplicationError(
                "422 package rejected: the referral letter is unsigned",
                type=AGENCY_REFUSED,
                non_retryable=True,
            )
        return DeliveryReceipt(f"RCPT-{delivery.idempotency_key}", datetime.now(UTC))

    @activity.defn(name=DELIVER_DOCUMENT)
    async def deliver_document(self, delivery: DocumentDelivery) -> DeliveryReceipt:
        self.documents.append(delivery)
        if self.refuse_documents > 0:
            self.refuse_documents -= 1
            raise ApplicationError(
                "422 notice rejected: unknown addressee", type=AGENCY_REFUSED, non_retryable=True
            )
        return DeliveryReceipt(f"DOC-{delivery.idempotency_key}", datetime.now(UTC))

    @activity.defn(name=SEND_EXPERT_REQUEST)
    async def ask(self, call: ExpertRequestCall) -> DeliveryReceipt:
        self.requests.append(call)
        if self.refuse_requests:
            raise ApplicationError(
                "400 unknown sample point", type=AGENCY_REFUSED, non_retryable=True
            )
        return DeliveryReceipt(f"REQ-{call.idempotency_key}", datetime.now(UTC))

    @activity.defn(name=MAKE_PAPER)
    async def make_paper(self, paper: Paper) -> PaperFile:
        """The real renderer (a paper takes a fraction of a second); the file kept in memory."""
        self.papers.append(paper)
        if self.no_font:
            raise ApplicationError(
                "no font that renders Chinese: install Debian's fonts-wqy-microhei",
                type=PAPER_NOT_MADE,
                non_retryable=True,
            )
        content = await asyncio.to_thread(render_pdf, paper, _font())
        sha = hashlib.sha256(content).hexdigest()
        self.files[sha] = content
        return PaperFile(sha, len(content), reference(paper.case_id, sha))

    @activity.defn(name=NOTIFY)
    async def notify(self, batch: NotificationBatch) -> None:
        self.notices.append(batch)

    @activity.defn(name=RECORD_CASE_EVENTS)
    async def record(self, record: CaseRecord) -> None:
        if self.fail_records > 0:
            self.fail_records -= 1
            raise RuntimeError("database is locked")
        self.records.append(record)

    @property
    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.deliver,
            self.deliver_document,
            self.ask,
            self.make_paper,
            self.notify,
            self.record,
        ]

    def recorded_seqs(self) -> list[int]:
        return [e.seq for r in self.records for e in r.entries]

    def entries(self) -> list[TimelineEntry]:
        """The whole timeline as the read model has it (the case keeps only its newest entries)."""
        found = {e.seq: e for r in self.records for e in r.entries}
        return [found[seq] for seq in sorted(found)]

    def notices_of(self, kind: str) -> list[Notice]:
        return [n for b in self.notices for n in b.notices if n.kind == kind]
