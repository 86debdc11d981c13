"""The contexts the API can show a stored case in (``cases.stored``), each by its key: the shipped
profiles, the calendars a run starts with, and the registry. A case that holds another context (a
profile the files have changed since, a calendar or registry published to it since) is asked instead:
its view is never decided in a near copy of its rules."""

from __future__ import annotations

from datetime import UTC, datetime

from cases.agencies import AgencyRegistry
from cases.calendar import CalendarSnapshot, WorkingDayCalendar, calendar_for
from cases.context import Context, context_key
from cases.profile import Profile
from cases.profiles import default_profiles, shipped
from cases.stored import ContextKeys

# Runs start with their year's calendar: the years back from now whose calendars are known here.
YEARS_BACK = 10


class Contexts:
    def __init__(self, registry: AgencyRegistry) -> None:
        self._registry = registry
        self.registry_snapshot = registry.snapshot()  # what every new case carries
        self._registry_key = context_key(self.registry_snapshot)
        self._profiles: dict[str, Profile] = {}
        self._calendars: dict[str, WorkingDayCalendar] = {}
        self._years: set[int] = set()
        # The snapshots ``calendar_for`` made (one per year, kept by it), with their keys.
        self._snapshot_keys: dict[int, tuple[CalendarSnapshot, str]] = {}

    def context(self, keys: ContextKeys, now: datetime) -> Context | None:
        """The case's own context at ``now``, or None when it is not one this process holds."""
        if keys.registry != self._registry_key:
            return None
        profile = self._profile(keys.profile)
        calendar = self._calendar(keys.calendar, now)
        if profile is None or calendar is None:
            return None
        return Context(profile, self._registry, now, calendar)

    def keys(self, profile: str, calendar: CalendarSnapshot) -> ContextKeys:
        """The keys a new case's context has (its profile's computed with ``shipped``)."""
        return ContextKeys(profile, self._calendar_key(calendar), self._registry_key)

    def calendar(self, snapshot: CalendarSnapshot) -> WorkingDayCalendar:
        """The calendar a snapshot the API made (``calendar_for``) stands for, made once."""
        key = self._calendar_key(snapshot)
        found = self._calendars.get(key)
        if found is None:
            found = self._calendars[key] = snapshot.calendar()
        return found

    def _calendar_key(self, snapshot: CalendarSnapshot) -> str:
        found = self._snapshot_keys.get(id(snapshot))
        if found is None or found[0] is not snapshot:
            found = self._snapshot_keys[id(snapshot)] = (snapshot, context_key(snapshot))
        return found[1]

    def _profile(self, key: str) -> Profile | None:
        if not self._profiles:
            for name in default_profiles():
                rules = shipped(name)
                self._profiles[rules.key] = rules.profile
        return self._profiles.get(key)

    def _calendar(self, key: str, now: datetime) -> WorkingDayCalendar | None:
        found = self._calendars.get(key)
        if found is None:
            for year in range(now.year - YEARS_BACK, now.year + 1):
                if year not in self._years:
                    self._years.add(year)
                    self.calendar(calendar_for(datetime(year, 6, 1, tzinfo=UTC)))
            found = self._calendars.get(key)
        return found
