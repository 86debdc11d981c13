"""The two bulletins of D4 §5 that are not on a calendar (健全信息通报制度: 实行一般信息月通报,
典型案件限时通报,重大紧急情报“零时差”通报机制): the monthly one is a routine (``cases.routines``);
these two start when a person starts them.

* **典型案件限时通报** (``typical_case``): the region's joint office coordinator or leadership
  group leader names a case typical; from that moment the mechanism's time limit runs (a reminder
  before it, the joint office and the leadership group told when it passes) until the bulletin is
  issued, in time or late.
* **重大紧急情报“零时差”通报** (``emergency``): a coordinator, a leader or an officer of a member
  agency issues it, and it is delivered at once, on a day off too: zero delay waits for no working
  day.

A mechanism lists them in ``[event_bulletins.<kind>]`` tables (read here, called by
``cases.profile_reader``); D4 sets 限时 without a number, so the time limit is this product's value
(``statutory = false``). All of it is pure: the workflows (``workflows.event_bulletins``) and the
API (``api.routes.event_bulletins``) call it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cases.agencies import AgencyKind, AgencyRegistry
from cases.calendar import Unit, WorkingDayCalendar, due_instant
from cases.vocabulary import Role

if TYPE_CHECKING:  # cases.profile reads these tables, and cases.context imports cases.profile
    from cases.context import Refusal
    from cases.model import Actor
    from cases.table_reader import TableReader


class EventKind(StrEnum):
    TYPICAL_CASE = "typical_case"  # 典型案件限时通报 (D4 §5)
    EMERGENCY = "emergency"  # 重大紧急情报“零时差”通报 (D4 §5)


EVENT_LABELS: dict[EventKind, tuple[str, str]] = {
    EventKind.TYPICAL_CASE: ("典型案件限时通报", "typical case bulletin"),
    EventKind.EMERGENCY: ("重大紧急情报零时差通报", "zero-delay emergency notice"),
}

# Who may start each: a typical case is named by the joint office or the leadership group (D5 §二:
# the joint office runs the linkage day to day); an emergency is told by whoever meets it.
ISSUERS: dict[EventKind, frozenset[Role]] = {
    EventKind.TYPICAL_CASE: frozenset({Role.COORDINATOR, Role.LEADER}),
    EventKind.EMERGENCY: frozenset({Role.COORDINATOR, Role.LEADER, Role.OFFICER}),
}

# The texts a person gives: what the bulletin says, at most this long.
TEXT_LIMIT = 2000


@dataclass(frozen=True)
class EventBulletinSpec:
    """One event-driven bulletin of a mechanism: its title, who receives it, its time limit (the
    typical case's: ``within`` units, a reminder ``remind_before`` it) and its source."""

    kind: EventKind
    title_zh: str
    title_en: str
    to: tuple[AgencyKind, ...]
    within: int = 0
    unit: Unit = Unit.WORKING_DAYS
    remind_before: timedelta = timedelta(days=1)
    statutory: bool = False
    source: str = ""
    source_zh: str = ""


@dataclass(frozen=True)
class Limit:
    """A typical case's time limit, counted from the moment it was named."""

    named_at: datetime
    remind_at: datetime
    due_at: datetime


def limit(spec: EventBulletinSpec, named_at: datetime, calendar: WorkingDayCalendar) -> Limit:
    """When a typical case named at ``named_at`` must be bulletined (the calendar's one period
    function, ``due_instant``), and when its issuer is reminded (never before it was named)."""
    due = due_instant(named_at, spec.within, spec.unit, calendar).at
    return Limit(named_at, max(named_at, due - spec.remind_before), due)


def late(due_at: datetime | None, issued_at: datetime) -> bool:
    return due_at is not None and issued_at > due_at


def recipients(spec: EventBulletinSpec, registry: AgencyRegistry, region: str) -> list[str]:
    """Every agency of the region of a kind the bulletin names (an emergency reaches every member
    agency, not only each kind's first)."""
    return [a.code for a in registry if a.region == region and a.kind in spec.to]


def check_issuer(
    kind: EventKind, actor: Actor, registry: AgencyRegistry, region: str, spec: EventBulletinSpec
) -> Refusal | None:
    """Whether ``actor`` may start (or issue) a bulletin of ``kind`` in ``region``: a coordinator
    or leader of the region; for an emergency also an officer of a member agency of the region."""
    from cases.context import Reason, Refusal

    agency = registry.find(actor.agency)
    if agency is None or agency.region != region:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "only an agency of the region issues its bulletins"
        )
    if actor.role not in ISSUERS[kind]:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED,
            f"a {EVENT_LABELS[kind][1]} is issued by "
            + ", ".join(sorted(r.value for r in ISSUERS[kind])),
        )
    if actor.role is Role.OFFICER and agency.kind not in spec.to:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "only an officer of a member agency of the mechanism"
        )
    return None


def bulletin_id(kind: EventKind, mechanism: str, region: str, agency: str, given: str) -> str:
    """The workflow (and bulletin) id: the caller's own id for it, scoped by its agency so two
    agencies' keys never meet. 'event_bulletin' has an underscore, which no mechanism's name has
    (``cases.profile.NAME_PATTERN``): it cannot be a scheduled routine's id
    (``routine.<mechanism>.<region>.<routine>.<period>``)."""
    digest = hashlib.sha256(f"{agency}\n{kind}\n{given}".encode()).hexdigest()[:24]
    return f"routine.event_bulletin.{mechanism}.{region}.{kind.value}.{digest}"


EVENT_PREFIX = "routine.event_bulletin."


def is_event_bulletin(bulletin_id: str) -> bool:
    return bulletin_id.startswith(EVENT_PREFIX)


# --- Reading [event_bulletins.<kind>] ------------------------------------------------------------

_KEYS = {
    "title_zh", "title_en", "to", "within", "unit", "remind_before", "statutory", "source",
    "source_zh",
}  # fmt: skip


def read_event_bulletins(
    reader: TableReader, raw: Any, *, carried: bool = False
) -> dict[EventKind, EventBulletinSpec]:
    """``[event_bulletins]``: none when absent."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise reader.fail("event_bulletins", "must be tables [event_bulletins.<kind>]")
    found: dict[EventKind, EventBulletinSpec] = {}
    for name, table in raw.items():
        where = f"event bulletin '{name}'"
        try:
            kind = EventKind(name)
        except ValueError:
            kinds = ", ".join(k.value for k in EventKind)
            raise reader.fail(where, f"unknown kind (one of: {kinds})") from None
        if not isinstance(table, dict):
            raise reader.fail(where, "must be a table")
        extra = set(table) - _KEYS
        if extra:
            raise reader.fail(where, f"unknown keys {sorted(extra)}")
        to = tuple(sorted(reader.members(table, "to", where, AgencyKind, "agency kind")))
        if not to:
            raise reader.fail(where, "'to' names at least one kind of agency that receives it")
        within = table.get("within", 0)
        if not isinstance(within, int) or isinstance(within, bool) or within < 0:
            raise reader.fail(where, "'within' must be a whole number of units")
        if kind is EventKind.TYPICAL_CASE and within == 0:
            raise reader.fail(where, "a typical case's bulletin names its time limit ('within')")
        if kind is EventKind.EMERGENCY and within:
            raise reader.fail(where, "an emergency is told at once: it has no 'within'")
        try:
            unit = Unit(str(table.get("unit", Unit.WORKING_DAYS.value)))
        except ValueError:
            raise reader.fail(where, f"unknown unit {table.get('unit')!r}") from None
        remind = table.get("remind_before")
        source = reader.text(table, "source", where)
        found[kind] = EventBulletinSpec(
            kind=kind,
            title_zh=reader.text(table, "title_zh", where),
            title_en=reader.text(table, "title_en", where),
            to=to,
            within=within,
            unit=unit,
            remind_before=reader.duration(remind, where) if remind else timedelta(days=1),
            statutory=reader.boolean(table, "statutory", where),
            source=source,
            source_zh=reader.text(table, "source_zh", where, optional=carried) or source,
        )
    return found
