"""What the read model keeps of a live case so that its page can be answered without asking the case:
the state as of the case's last write, the keys of the context it holds in, and what could change it
unseen since. A reader shows the stored state only while it still holds (``holds_at``); otherwise it
asks the case, which is always right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cases.model import CaseState


@dataclass(frozen=True)
class ContextKeys:
    """The case's own profile, calendar and registry, named by ``cases.context.context_key``."""

    profile: str
    calendar: str
    registry: str


@dataclass
class StoredCase:
    state: CaseState
    keys: ContextKeys
    calls_in_flight: int = 0  # outside calls under way at the write (the engine says how each goes)
    answering_calls: int = 0  # of these, the calls whose answer the case takes in as a step
    wake: datetime | None = None  # the first instant a clock of the case has something to do

    def holds_at(self, now: datetime) -> bool:
        """The stored state is the case's own at ``now``: every change of a case is written
        before it is answered, except what a clock does when it comes due and what an outside
        call's answer does; so no clock may have come due, and no answering call be under way.
        (A write that failed is marked by the one who learns of it: ``store.views``.)"""
        return self.answering_calls == 0 and (self.wake is None or now < self.wake)
