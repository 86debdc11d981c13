"""One change of a case: what a step (or the workflow itself) does, collected, then recorded.

A step's effect receives a ``Change`` and says what happens in the words of the lifecycle: move to a
stage, emit an event (the clocks start, stop and pause on events), note details for the timeline, ask
for an outside effect. ``finish`` writes the one timeline entry and runs the clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from cases.agencies import AgencyKind
from cases.calendar import local_date
from cases.clocks import Happening, close_all, on_events, reassign
from cases.context import Context
from cases.effects import Notice
from cases.limits import KEPT_TIMELINE
from cases.model import Actor, CaseState, Document, EvidenceItem, TimelineEntry
from cases.papers.model import Paper, PaperKind
from cases.vocabulary import DocumentKind, Event, Stage


@dataclass
class Deliver:
    """Deliver the referral package (this attempt) to the police system."""

    attempt: int
    effect: Literal["deliver"] = "deliver"


@dataclass
class AskExpert:
    """Send an open request to its institution's system."""

    request_id: str
    effect: Literal["ask_expert"] = "ask_expert"


@dataclass
class SendDocument:
    """Deliver a written notice (this attempt) to the receiving agency's system."""

    doc_id: str
    attempt: int
    effect: Literal["send_document"] = "send_document"


@dataclass
class MakePaper:
    """Make the paper of what the case sent (``cases.papers``): rendered as PDF, fingerprinted and
    kept by an activity, then attached to the case as an evidence item of ``kind``. The workflow
    builds ``paper`` from the case as the step left it, so a retry, and a new run, render the same
    bytes; ``problem`` says why it could not be built (the case records it and goes on)."""

    kind: PaperKind
    key: str  # what it is the paper of, once on a case: "referral-2", "N3", "handover"
    by: Actor | None = None  # who took the step; none when the case made it on its own
    things: list[str] = field(default_factory=list)  # a handover's items involved
    paper: Paper | None = None
    problem: str = ""
    effect: Literal["make_paper"] = "make_paper"


def letter_key(attempt: int) -> str:
    """The key of the referral letter of one attempt at sending: each sending has its own."""
    return f"referral-{attempt}"


Effect = Deliver | AskExpert | SendDocument | MakePaper | Notice


@dataclass
class ActionResult:
    """What the caller of a step gets back."""

    seq: int
    stage: Stage
    refs: dict[str, str] = field(default_factory=dict)
    at: datetime | None = None  # when the case recorded it (workflow time)
    # False when the read model could not be written with it (the entries wait in the case's
    # outbox): the case's stored state is behind until they are, and a reader must ask the case.
    recorded: bool = True


@dataclass
class Transition:
    """One change of a case: its timeline entries (usually one), what drove the clocks, what to do."""

    entries: list[TimelineEntry]
    happenings: list[Happening]
    effects: list[Effect]
    result: ActionResult
    clocks_changed: bool = False  # the next wake-up may have moved


def append_entry(state: CaseState, entry: TimelineEntry) -> None:
    """Add an entry; the case keeps the newest (the read model keeps them all)."""
    state.timeline.append(entry)
    state.last_seq = entry.seq
    if len(state.timeline) > KEPT_TIMELINE:
        del state.timeline[: len(state.timeline) - KEPT_TIMELINE]
    if entry.actor is not None and entry.actor.agency not in state.acted:
        state.acted.append(entry.actor.agency)


class Change:
    """Collects what one step does, then writes its timeline entry."""

    def __init__(self, state: CaseState, action: str, actor: Actor | None, ctx: Context) -> None:
        self.case = state
        self.action = action
        self.actor = actor
        self.ctx = ctx
        self.now = ctx.now
        self.stage_from = state.stage
        self.happenings: list[Happening] = []
        self.effects: list[Effect] = []
        self.details: dict[str, str] = {}
        self.refs: dict[str, str] = {}
        self.clocks_changed = False

    @property
    def by(self) -> Actor:
        """The actor of a step (system changes have none)."""
        assert self.actor is not None, "a step is always taken by someone"
        return self.actor

    def emit(self, event: Event, ref: str | None = None, extension: str | None = None) -> None:
        self.happenings.append(Happening(event, ref, extension))

    def note(self, **details: str | None) -> None:
        self.details.update({k: v for k, v in details.items() if v})

    def dated(self, decided_on: date | None) -> None:
        """The date a decision was taken, when it is recorded later; recorded after the mechanism's
        days (N2017 Art. 34: 自作出相关决定之日起7日内录入) it is flagged as a late record."""
        if decided_on is None:
            return
        self.note(decided_on=decided_on.isoformat())
        limit = self.ctx.profile.record_within_days
        late = (local_date(self.now) - decided_on).days
        if limit and late > limit:
            self.note(late_record=f"recorded {late} days after the decision (within {limit})")

    def move(self, stage: Stage) -> None:
        self.case.stage = stage

    def tell(self, notice: Notice) -> None:
        self.effects.append(notice)

    def send(self, kind: DocumentKind, to: str | None, reasons: str = "") -> Document | None:
        """Send a written notice to ``to``'s system, copied to the procuratorate where the mechanism
        says so; the receiver's clocks start on its acknowledged receipt, not now."""
        if not to:
            return None
        state = self.case
        copy_to = []
        rules = self.ctx.profile.rules_for(state.classification)
        if rules.copy_procuratorate and state.procuratorate not in (
            None,
            to,
            self.by.agency,
        ):
            copy_to = [state.procuratorate]
        doc = Document(
            doc_id=f"N{len(state.documents) + 1}",
            kind=kind,
            sender=self.by.agency,
            to=to,
            sent_at=self.now,
            copy_to=[c for c in copy_to if c],
            reasons=reasons,
        )
        state.documents.append(doc)
        self.refs[kind.value] = doc.doc_id
        self.note(document=f"{doc.doc_id} {kind.value} → {to}")
        self.effects.append(SendDocument(doc.doc_id, doc.attempts))
        return doc

    def add_item(
        self,
        kind: str,
        title: str,
        *,
        sha256: str | None = None,
        reference: str | None = None,
        size: int | None = None,
        corrects: int | None = None,
        withdrawn: bool = False,
        reasons: str = "",
        by: Actor | None = None,
    ) -> EvidenceItem:
        """An item recorded by the step's actor, or by ``by`` (a paper the case made itself)."""
        item = EvidenceItem(
            seq=len(self.case.evidence) + 1,
            kind=kind,
            title=title,
            recorded_by=by or self.by,
            recorded_at=self.now,
            sha256=sha256,
            reference=reference,
            size=size,
            corrects=corrects,
            withdrawn=withdrawn,
            reasons=reasons,
        )
        self.case.evidence.append(item)
        return item

    def hand_to(self, agency: str) -> None:
        """The competent agency takes the case over: its region's police and procuratorate come
        with it, and it gets a fresh clock for every move it now holds."""
        state, registry = self.case, self.ctx.registry
        new_owner = registry.get(agency)
        state.owner_agency = new_owner.code
        if new_owner.region != state.region:
            state.region = new_owner.region
            state.police_agency = registry.code_in_region(AgencyKind.POLICE, new_owner.region)
            state.procuratorate = registry.code_in_region(
                AgencyKind.PROCURATORATE, new_owner.region
            )
        state.transfer = None
        reassign(state, self.ctx)

    def finish(self) -> Transition:
        state = self.case
        if self.stage_from.closed and not state.stage.closed:
            # Reopened from its record (a recommendation or an order to refer an archived case).
            state.closed_at = None
            self.details["reopened"] = f"from {self.stage_from.value}"
        entry = TimelineEntry(
            seq=state.last_seq + 1,
            at=self.now,
            action=self.action,
            actor=self.actor,
            stage_from=self.stage_from,
            stage_to=state.stage,
            details=self.details,
        )
        append_entry(state, entry)
        if self.happenings:
            on_events(state, self.happenings, self.ctx)
        if state.stage.closed:
            # Closed at the change that archives it; a later one (a paper made while the case was
            # being archived) keeps that instant. Every clock stays closed, as it always was.
            if not self.stage_from.closed or state.closed_at is None:
                state.closed_at = self.now
            close_all(state, self.now, "archived")
        return Transition(
            [entry],
            self.happenings,
            self.effects,
            ActionResult(entry.seq, state.stage, self.refs, entry.at),
            self.clocks_changed or bool(self.happenings),
        )
