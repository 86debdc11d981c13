"""Stalled cases: standing in a stage no clock times (evidence being gathered, a consultation under
way) with no step for longer than the mechanism allows. No rule of O310 or N2017 sets a time for
these stages; each mechanism says how long is too long (``stalled_after``, a supervision value), and
the overview lists such cases for the joint office (issue 13)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from cases.calendar import Unit
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


def quiet_since(profiles: Mapping[str, Profile], now: datetime) -> dict[str, datetime]:
    """For each mechanism that flags stalled cases: a case with no clock running and no step since
    before this instant is stalled."""
    return {
        name: now - span(profile.stalled_after.period)
        for name, profile in profiles.items()
        if profile.stalled_after is not None
    }
