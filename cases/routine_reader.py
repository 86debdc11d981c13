"""Reading a mechanism's ``[routines.<name>]`` tables: each problem a ConfigError naming the file, the
routine and the problem, as for the profile's clocks (``cases.profile_reader``).

A calendar must say exactly what its cadence needs, so that the Schedule made from it
(``workflows.schedules``) fires once per period: a weekly routine names its weekday, a monthly one its
day of the month (at most 28: every month has it), a quarterly one four months three apart and its
day, a yearly one its month and day; a daily one names none of them.
"""

from __future__ import annotations

from typing import Any

from cases.agencies import AgencyKind
from cases.routines import Cadence, RoutineKind, RoutineSpec
from cases.table_reader import TableReader

_ROUTINE_KEYS = {
    "kind", "title_zh", "title_en", "cadence", "hour", "minute", "weekday", "day", "months", "to",
    "statutory", "source", "source_zh", "remind_before", "follow_up",
}  # fmt: skip
# Which kinds may run at which cadence: a scan runs daily, a bulletin at least weekly, and the
# enforcement month once a year (D1-op §二(二): 每年的五月).
_CADENCES = {
    RoutineKind.REFERRAL_SCAN: {Cadence.DAILY},
    RoutineKind.WEEKLY_REPORT: {Cadence.WEEKLY},
    RoutineKind.MONTHLY_BULLETIN: {Cadence.MONTHLY},
    RoutineKind.ENFORCEMENT_MONTH: {Cadence.YEARLY},
    RoutineKind.JOINT_MEETING: {Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.YEARLY},
}


def _whole(reader: TableReader, table: dict[str, Any], key: str, where: str) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise reader.fail(where, f"'{key}' must be a whole number, got {value!r}")
    return value


def read_routine(
    reader: TableReader, name: str, table: Any, *, carried: bool = False
) -> RoutineSpec:
    where = f"routine '{name}'"
    if not isinstance(table, dict):
        raise reader.fail(where, "must be a table [routines.<name>]")
    extra = set(table) - _ROUTINE_KEYS
    if extra:
        raise reader.fail(where, f"unknown keys {sorted(extra)}")
    try:
        kind = RoutineKind(str(table.get("kind", name)))
    except ValueError:
        kinds = ", ".join(k.value for k in RoutineKind)
        raise reader.fail(
            where, f"unknown kind {table.get('kind', name)!r} (one of: {kinds})"
        ) from None
    try:
        cadence = Cadence(str(table.get("cadence")))
    except ValueError:
        cadences = ", ".join(c.value for c in Cadence)
        raise reader.fail(
            where, f"unknown cadence {table.get('cadence')!r} (one of: {cadences})"
        ) from None
    if cadence not in _CADENCES[kind]:
        allowed = ", ".join(sorted(c.value for c in _CADENCES[kind]))
        raise reader.fail(where, f"a {kind} runs {allowed}, not {cadence}")

    hour = _whole(reader, table, "hour", where)
    minute = _whole(reader, table, "minute", where) or 0
    if hour is None or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        raise reader.fail(where, "'hour' (0-23) is required, and 'minute' is 0-59")
    weekday = _whole(reader, table, "weekday", where)
    day = _whole(reader, table, "day", where)
    months_raw = table.get("months", [])
    if not isinstance(months_raw, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months_raw
    ):
        raise reader.fail(where, "'months' must list months 1-12")
    months = tuple(sorted(set(months_raw)))
    if len(months) != len(months_raw):
        raise reader.fail(where, "'months' lists a month twice")

    if cadence is Cadence.WEEKLY:
        if weekday is None or not 1 <= weekday <= 7 or day is not None or months:
            raise reader.fail(
                where, "a weekly routine names its 'weekday' (1 Monday … 7 Sunday) only"
            )
    elif cadence is Cadence.DAILY:
        if weekday is not None or day is not None or months:
            raise reader.fail(where, "a daily routine names no weekday, day or months")
    else:
        if day is None or not 1 <= day <= 28 or weekday is not None:
            raise reader.fail(where, f"a {cadence} routine names its 'day' of the month (1-28)")
        wanted = {Cadence.MONTHLY: 0, Cadence.QUARTERLY: 4, Cadence.YEARLY: 1}[cadence]
        if len(months) != wanted:
            raise reader.fail(where, f"a {cadence} routine lists {wanted} 'months'")
        if cadence is Cadence.QUARTERLY and any((m - months[0]) % 3 for m in months):
            raise reader.fail(where, "a quarterly routine's months are three apart")
    if kind is RoutineKind.ENFORCEMENT_MONTH and day != 1:
        raise reader.fail(where, "an enforcement month opens on day 1 of its month")

    to = tuple(sorted(reader.members(table, "to", where, AgencyKind, "agency kind")))
    if not to:
        raise reader.fail(where, "'to' names at least one kind of agency that receives it")
    remind_before = (
        reader.duration(table["remind_before"], where) if "remind_before" in table else None
    )
    follow_up = reader.duration(table["follow_up"], where) if "follow_up" in table else None
    if kind is RoutineKind.JOINT_MEETING and remind_before is None:
        raise reader.fail(
            where,
            "a joint meeting says how long before a decision is due its owner is reminded ('remind_before')",
        )
    if kind is RoutineKind.REFERRAL_SCAN and follow_up is None:
        raise reader.fail(
            where,
            "a referral scan says how long a listed case waits before it is named again ('follow_up')",
        )
    source = reader.text(table, "source", where)
    return RoutineSpec(
        name=name,
        kind=kind,
        title_zh=reader.text(table, "title_zh", where),
        title_en=reader.text(table, "title_en", where),
        cadence=cadence,
        hour=hour,
        minute=minute,
        weekday=weekday,
        day=day,
        months=months,
        to=to,
        statutory=reader.boolean(table, "statutory", where),
        source=source,
        source_zh=reader.text(table, "source_zh", where, optional=carried) or source,
        remind_before=remind_before,
        follow_up=follow_up,
    )


def read_routines(
    reader: TableReader, raw: Any, *, carried: bool = False
) -> dict[str, RoutineSpec]:
    """``[routines]``: none when absent (a profile a case carried from before routines existed)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise reader.fail("routines", "must be tables [routines.<name>]")
    return {name: read_routine(reader, name, table, carried=carried) for name, table in raw.items()}
