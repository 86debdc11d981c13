"""What one case adds to each agency's figures on the dashboard (acceptance time, filing rate,
feedback rate, clocks kept on time), decided here once from the case's own clocks and timeline.

The read model keeps each case's part beside the case and sums the parts per region as they change,
so the dashboard reads a handful of sums instead of every clock and timeline entry it ever recorded.
What is still running (how many clocks are overdue now) depends on the hour and is counted when read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import SQLModel

from cases.model import ClockState
from cases.vocabulary import Classification, Stage

# The timeline's actions these figures count (the names the steps record).
DELIVERED = "referral_delivered"
ACCEPTED = "accept"
FILED = "file_case"
DECLINED = "decline_filing"
REVERSED = "reverse_refer"
FED_BACK = "feed_back"
COUNTED = (DELIVERED, ACCEPTED, FILED, DECLINED, REVERSED, FED_BACK)
# A case triage found referable (a suspected crime or a public-security violation) that stands in one
# of these stages without its referral having been sent was handled without the police: the risk of
# a penalty in place of a referral (以罚代刑, O310 Art. 11) that the overview lists.
NOT_REFERRED_STAGES = (Stage.ADMIN_PENALTY, Stage.ARCHIVING, Stage.ARCHIVED)
REFERABLE = tuple(c for c in Classification if c.referable)
# A clock the archive closed was not kept or missed by anyone: it stopped with the case.
NOT_A_KEPT_CLOCK = "archived"


@dataclass(frozen=True)
class Step:
    """A timeline entry, as much of it as the figures read."""

    action: str
    agency: str | None
    stage_from: str
    at: datetime


class Sums(SQLModel):
    """What is summed of the cases' parts in an agency's figures: the fields of one lineage, like the
    case's projection, that the read model's rows and the dashboard's figures extend."""

    closed: int = 0  # the agency's clocks the case closed (not by archiving)
    on_time: int = 0  # of those, closed by their due time
    decided: int = 0  # filing decisions the agency took (filed, declined, sent back for want)
    filed: int = 0
    fed_back: int = 0
    accepted: int = 0  # acceptances with a delivery before them (the waits below count these)


SUMMED = tuple(Sums.model_fields)


class Part(Sums):
    """One case's part in one agency's figures."""

    accept_hours: float | None = None  # hours from the delivery to the agency's latest acceptance

    def __add__(self, other: Part) -> Part:
        return Part(**{f: getattr(self, f) + getattr(other, f) for f in SUMMED})

    def __neg__(self) -> Part:
        return Part(**{f: -getattr(self, f) for f in SUMMED})

    @property
    def empty(self) -> bool:
        return self.accept_hours is None and not any(getattr(self, f) for f in SUMMED)


def parts(clocks: Iterable[ClockState], steps: Iterable[Step]) -> dict[str, Part]:
    """Each agency's part in this case's figures, from all its clocks and all its timeline (in
    order). An acceptance waits from the delivery before it (a repeated referral is waited for
    again); a decision to send the case back for want of a crime, taken at the filing decision, is a
    decision not to file (P2014 Art. 8)."""
    found: dict[str, dict[str, float | int | None]] = {}

    def of(agency: str) -> dict[str, float | int | None]:
        return found.setdefault(agency, dict.fromkeys(SUMMED, 0) | {"accept_hours": None})

    def add(agency: str, name: str) -> None:
        part = of(agency)
        part[name] = int(part[name] or 0) + 1

    for clock in clocks:
        if not clock.owner_agency or clock.closed_at is None or clock.closed_by == NOT_A_KEPT_CLOCK:
            continue
        add(clock.owner_agency, "closed")
        if clock.closed_at <= clock.due_at:
            add(clock.owner_agency, "on_time")
    delivered: datetime | None = None
    for step in steps:
        if step.action == DELIVERED:
            delivered = step.at
        if not step.agency:
            continue
        if step.action == ACCEPTED and delivered is not None:
            add(step.agency, "accepted")
            of(step.agency)["accept_hours"] = (step.at - delivered).total_seconds() / 3600
        elif step.action in (FILED, DECLINED):
            add(step.agency, "decided")
            if step.action == FILED:
                add(step.agency, "filed")
        elif step.action == REVERSED and step.stage_from == "filing_decision":
            add(step.agency, "decided")
        elif step.action == FED_BACK:
            add(step.agency, "fed_back")
    return {agency: Part(**values) for agency, values in found.items()}  # type: ignore[arg-type]


class AgencyFigures(Sums):
    """An agency's figures within what the reader may see: sums of the cases' parts, the median
    acceptance wait among them, and the clocks it holds that are overdue now."""

    agency: str
    accept_hours: float | None = None
    overdue: int = 0

    @property
    def filing_rate(self) -> float | None:
        return self.filed / self.decided if self.decided else None

    @property
    def feedback_rate(self) -> float | None:
        return self.fed_back / self.filed if self.filed else None

    @property
    def timed(self) -> int:
        """The clocks an on-time rate is over: those closed, and those open and already late (an
        overdue clock is a deadline missed, whether or not the move has come since)."""
        return self.closed + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.timed if self.timed else None
