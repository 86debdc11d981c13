"""What the read model keeps of a live case so that its page can be answered without asking the case:
the state as of the case's last write, the keys of the context it holds in, and what could change it
unseen since. A reader shows the stored state only while it still holds (``holds_at``); otherwise it
asks the case, which is always right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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

    def holds_at(self, now: datetime, last_seq: int) -> bool:
        """The stored state is the case's own at ``now``: every change of a case is written
        before it is answered, except what a clock does when it comes due and what an outside
        call's answer does; so no clock may have come due (by the engine's clock too, which may be
        ahead of the reader's: ``CLOCK_SKEW``), no answering call be under way, and no later write
        of the case (``last_seq``, the read model's) have come without a state. (A write that failed
        is marked by the one who learns of it: ``store.views.mark_stale``.)"""
        return (
            self.answering_calls == 0
            and self.state.last_seq >= last_seq
            and (self.wake is None or now + CLOCK_SKEW < self.wake)
        )


# How far the engine's clock (which fires a case's timers) may be ahead of a reader's.
CLOCK_SKEW = timedelta(seconds=5)
