"""The outside effects of a case: the contract between the workflow and its activities.

The workflow calls activities by these names with these dataclasses; the real implementations live in
``activities/`` and the tests register fakes under the same names. Every call carries an idempotency key
that is the same on every retry of the same step, so an agency never sees a step twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from cases.agencies import AgencyRegistry
from cases.clocks import to_record
from cases.intake import CaseIntake
from cases.model import CaseLink, CaseState, ClockState, EvidenceItem, TimelineEntry
from cases.parties import participants
from cases.phrases import Both
from cases.profile import Profile
from cases.projection import CaseProjection, projection
from cases.stored import StoredCase

DELIVER_REFERRAL = "deliver_referral"  # returns cases.model.DeliveryReceipt
DELIVER_DOCUMENT = "deliver_document"  # returns cases.model.DeliveryReceipt
SEND_EXPERT_REQUEST = "send_expert_request"
NOTIFY = "notify"
RECORD_CASE_EVENTS = "record_case_events"
DELIVER_CLUE = "deliver_clue"  # returns cases.model.DeliveryReceipt
RECORD_CLUE = "record_clue"
MAKE_PAPER = "make_paper"  # cases.papers.Paper -> PaperFile
REPLY_TO_REPORTER = "reply_to_reporter"  # cases.reports.ReporterReply
RECORD_REPORT = "record_report"  # cases.reports.ReportState

# An agency refused a call (a 4xx): retrying cannot fix it, a person must resend or correct it.
AGENCY_REFUSED = "AgencyRefused"
# The agency has no endpoint configured here: a deployment problem, not a passing fault.
AGENCY_NOT_CONFIGURED = "AgencyNotConfigured"
# A paper cannot be made on this worker (no font that writes Chinese): retrying cannot fix it.
PAPER_NOT_MADE = "PaperNotMade"


@dataclass
class ClueDelivery:
    """A clue of an official's duty crime, to the supervisory commission or the procuratorate
    (O310 Art. 19; N2017 Art. 32). It travels on its own, never through the case (``cases.clues``)."""

    clue_id: str
    case_id: str
    idempotency_key: str
    sender: str
    to: str
    conduct: list[str]
    account: str


@dataclass
class ClueOutcome:
    """What became of a clue's delivery, for the read model."""

    clue_id: str
    delivered_at: datetime | None = None
    reference: str | None = None
    error: str | None = None


@dataclass
class PackageItem:
    kind: str
    title: str
    sha256: str | None = None
    reference: str | None = None


@dataclass
class PaperFile:
    """A paper rendered and kept with the case's evidence files (``store.files``): its SHA-256 is
    the fingerprint the case records, the same on every retry (the bytes are)."""

    sha256: str
    size: int
    reference: str  # evidence/<case>/<sha256>


@dataclass
class ReferralDelivery:
    """Deliver the referral package to the police system (and copy the procuratorate)."""

    case_id: str
    idempotency_key: str
    attempt: int
    police_agency: str
    copy_to: list[str]
    mechanism: str
    referring_agency: str
    classification: str
    items: list[PackageItem]
    # The referral letter the case made of this package, with its fingerprint (also among the items):
    # the letter lists the others, so the receiver checks each file it got against it (N2017 Art.
    # 6(一)). None where it could not be made, or in a case from before letters were made.
    letter: PackageItem | None = None


@dataclass
class DocumentDelivery:
    """Deliver a written notice to the receiving agency's system (and copy the procuratorate); its
    receipt is the moment of receipt for the receiver's periods."""

    case_id: str
    idempotency_key: str
    doc_id: str
    attempt: int
    kind: str
    title_zh: str
    sender: str
    to: str
    copy_to: list[str]
    reasons: str = ""


@dataclass
class ExpertRequestCall:
    """Ask a monitoring station or appraisal institution for a test or an appraisal, another agency
    a written question, or an agency of another region for assistance."""

    case_id: str
    idempotency_key: str
    request_id: str
    kind: str
    agency: str
    requesting_agency: str
    subject: str
    assistance: str = ""  # what an assistance request asks for (cases.vocabulary.AssistanceKind)


class NoticeKind(StrEnum):
    REMINDER = "reminder"
    BREACH = "breach"
    ESCALATION = "escalation"
    DELIVERY_FAILED = "delivery_failed"
    DOCUMENT_FAILED = "document_failed"
    REQUEST_FAILED = "request_failed"
    TRANSFER = "transfer"
    EARLY_INTERVENTION = "early_intervention"
    INSTRUCTION = "instruction"
    CONSULTATION = "consultation"  # an invitation to a joint consultation
    CASE_ENDED = "case_ended"  # the case's workflow ended without the case being archived
    PAPER_FAILED = "paper_failed"  # a paper of what the case sent could not be made
    CASE_LINKED = "case_linked"  # linked to a case of the receiver's region (D3 §3.2)
    # A mechanism's routines (cases.routines): a joint meeting and its decisions, a report or bulletin,
    # the procuratorate's list of cases that should have been referred.
    MEETING = "meeting"
    DECISION = "decision"
    BULLETIN = "bulletin"
    REFERRAL_WATCH = "referral_watch"


@dataclass
class Notice:
    """One message to some agencies: the shape of an SMS, mail or chat-bot webhook. ``text`` is what
    the people of those agencies read (Chinese), ``text_en`` the same in English for the record."""

    kind: NoticeKind
    to: list[str]
    text: str
    clock: str | None = None
    level: int = 0
    due_at: datetime | None = None
    text_en: str = ""


def notice(kind: NoticeKind, to: list[str], said: Both, **more: Any) -> Notice:
    return Notice(kind, to, said.zh, text_en=said.en, **more)


@dataclass
class NotificationBatch:
    """Everything one transition has to tell: one call, one idempotency key."""

    case_id: str
    idempotency_key: str
    notices: list[Notice]
    effect: Literal["notify"] = "notify"


@dataclass
class ArchivedCase:
    """What an archived case leaves in the read model to be reopened from: its state and the rules it
    ran under. Temporal keeps a closed workflow's history only for its namespace's retention; this
    record is kept for good (DOMAIN.md, Archiving)."""

    profile: dict[str, Any]
    state: CaseState


@dataclass
class CaseRecord:
    """Transitions for the read model: idempotent on (case id, sequence of the entries).

    ``agencies`` are every agency with a part in the case, now or before (the API shows a case to
    these); ``clocks`` the open ones and those closed by these transitions; ``evidence`` the items
    these transitions added; ``intake`` the opening request, with the first record only.
    """

    case_id: str
    projection: CaseProjection
    entries: list[TimelineEntry]
    agencies: list[str] = field(default_factory=list)
    clocks: list[ClockState] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    intake: CaseIntake | None = None
    archived: ArchivedCase | None = None  # with the record of the archiving
    stored: StoredCase | None = None  # the case's state, for its page (written by the case itself)
    # Its links to cases of other regions, all of them (a few: cases.limits.MAX_LINKS), so that the
    # row of each carries the case's region as it now stands.
    links: list[CaseLink] = field(default_factory=list)


def case_record(
    case: CaseState,
    entries: list[TimelineEntry],
    registry: AgencyRegistry,
    now: datetime,
    *,
    evidence_from: int = 0,
    intake: CaseIntake | None = None,
    archived: ArchivedCase | None = None,
    stored: StoredCase | None = None,
    profile: Profile | None = None,
) -> CaseRecord:
    """What the read model is written with after ``entries``: one way, whoever writes it (the case
    itself, or the API writing the opening it made the case with). ``profile`` is the case's own
    mechanism."""
    return CaseRecord(
        case_id=case.case_id,
        projection=projection(case, now, profile),
        entries=entries,
        agencies=participants(case, registry),
        clocks=to_record(case, min(e.at for e in entries)),
        evidence=case.evidence[evidence_from:],
        intake=intake,
        archived=archived,
        stored=stored,
        links=list(case.links),
    )
