"""Stalled cases: standing in a stage no clock times (evidence being gathered, a consultation under
way) with no step for longer than the mechanism allows. No rule of O310 or N2017 sets a time for
these stages; each mechanism says how long is too long (``stalled_after``, a supervision value), and
the overview lists such cases for the joint office (issue 13)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cases.calendar import Unit
from cases.clocks import next_deadline
from cases.model import CaseState
from cases.profile import Period, Profile

_SPANS = {
    Unit.DAYS: timedelta(days=1),
    Unit.HOURS: timedelta(hours=1),
    Unit.MINUTES: timedelta(minutes=1),
    Unit.SECONDS: timedelta(seconds=1),
}


def span(period: Period) -> timedelta:
    """A period as a span of time (the profile reader refuses working days here)."""
    return period.length * _SPANS[period.unit]


def stalled_at(state: CaseState, profile: Profile | None, now: datetime) -> datetime | None:
    """When the case counts as stalled if nothing happens from ``now``, by the mechanism the case
    itself runs under; none while a clock runs (the clock's own reminders and escalations watch it),
    once it is closed, or in a mechanism that does not flag stalled cases."""
    if profile is None or profile.stalled_after is None:
        return None
    if state.stage.closed or next_deadline(state) is not None:
        return None
    return now + span(profile.stalled_after.period)
