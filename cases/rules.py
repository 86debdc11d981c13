"""Every mechanism's clocks as one table: who owes the move, from which event, how long, on which
source, and whether the text itself sets the period. ``python -m cases.rules`` prints it with the
domain's codes; the dashboard shows coordinators the same rows in words (``/rules``), from the
fields here and the labels of ``cases.vocabulary``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby

from cases.profile import Period, Profile
from cases.vocabulary import Event, Party, Role, Stage, Track


@dataclass(frozen=True)
class ClockRule:
    mechanism: str
    clock: str
    title_zh: str
    title_en: str
    owner: Party  # the part that owes the move
    owner_role: Role  # and the role in it
    starts_on: tuple[Event, ...]  # the events that start it
    period: Period
    urgent: Period | None  # the period when the case is urgent, where the mechanism has one
    source: str
    source_zh: str
    statutory: bool
    from_discovery: bool = False  # the period counts from the discovery, not from the event
    starts_in: tuple[Stage, ...] = ()  # the stages in which its events start it (empty: any)
    tracks: tuple[Track, ...] = ()  # the referral tracks it runs on (empty: both)

    @property
    def track(self) -> str:
        """The referral track it runs on: criminal, detention, or both."""
        return ", ".join(t.value for t in self.tracks) or "both"


def clock_rules(profiles: Mapping[str, Profile]) -> list[ClockRule]:
    rows = []
    for name in sorted(profiles):
        for spec in profiles[name].clocks.values():
            rows.append(
                ClockRule(
                    mechanism=name,
                    clock=spec.name,
                    title_zh=spec.title_zh,
                    title_en=spec.title_en,
                    owner=spec.owner,
                    owner_role=spec.owner_role,
                    starts_on=tuple(sorted(spec.starts_on)),
                    period=spec.period,
                    urgent=spec.urgent,
                    source=spec.source,
                    source_zh=spec.source_zh,
                    statutory=spec.statutory,
                    from_discovery=spec.from_discovery,
                    starts_in=tuple(sorted(spec.starts_in)),
                    tracks=tuple(sorted(spec.tracks)),
                )
            )
    return rows


def _period(period: Period) -> str:
    return f"{period.length} {period.unit.value}"


def as_text(rows: list[ClockRule]) -> str:
    """One line per clock, grouped by mechanism: what an operator reads on a terminal."""
    blocks = []
    for mechanism, clocks in groupby(rows, key=lambda r: r.mechanism):
        lines = [f"[{mechanism}]"]
        for row in clocks:
            kind = "statutory" if row.statutory else "not statutory"
            if row.track != "both":
                kind += f" | {row.track} track"
            starts = ", ".join(row.starts_on)
            if row.from_discovery:
                starts += " (counted from the discovery)"
            if row.starts_in:
                starts += f" (in {', '.join(row.starts_in)})"
            period = _period(row.period)
            if row.urgent is not None:
                period += f" ({_period(row.urgent)} when urgent)"
            lines.append(
                f"  {row.clock} {row.title_zh} | owner {row.owner} ({row.owner_role}) | "
                f"from {starts} | {period} | {kind} | {row.source}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


if __name__ == "__main__":
    from cases.profiles import default_profiles

    print(as_text(clock_rules(default_profiles())))
