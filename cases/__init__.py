"""The domain of joint enforcement linkage, pure and deterministic: no I/O once the data is loaded.

Workflows, activities and the API import this package; it imports none of them. Its data (agencies,
mechanism profiles, calendar years) is read once, at start-up, and a malformed file stops start-up.
"""

from cases.actions import ACTIONS, Action, ActionPayload, ActionRequest, Branch, Event
from cases.agencies import Agency, AgencyKind, AgencyRegistry, default_registry, load_registry
from cases.allowed import Context, Decision, Move, Reason, allowed_actions, check, moves, validate
from cases.calendar import CHINA_TZ, Due, Unit, WorkingDayCalendar, default_calendar, due_instant
from cases.errors import ConfigError
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    Classification,
    ExceedanceArithmetic,
    Measurement,
    Party,
    Role,
    Stage,
)
from cases.profiles import DEFAULT_MECHANISM, Profile, default_profiles, get_profile, load_profiles
from cases.triage import triage

__all__ = [
    "ACTIONS",
    "CHINA_TZ",
    "DEFAULT_MECHANISM",
    "Action",
    "ActionPayload",
    "ActionRequest",
    "Actor",
    "Agency",
    "AgencyKind",
    "AgencyRegistry",
    "Branch",
    "CaseFacts",
    "CaseState",
    "Classification",
    "ConfigError",
    "Context",
    "Decision",
    "Due",
    "Event",
    "ExceedanceArithmetic",
    "Measurement",
    "Move",
    "Party",
    "Profile",
    "Reason",
    "Role",
    "Stage",
    "Unit",
    "WorkingDayCalendar",
    "allowed_actions",
    "check",
    "default_calendar",
    "default_profiles",
    "default_registry",
    "due_instant",
    "get_profile",
    "load_profiles",
    "load_registry",
    "moves",
    "triage",
    "validate",
]
