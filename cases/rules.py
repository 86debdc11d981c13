"""Every mechanism's clocks as one table: who owes the move, from which event, how long, on which
source, and whether the text itself sets the period. ``python -m cases.rules`` prints it; the
dashboard shows coordinators the same rows (``/rules``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby

from cases.profile import Profile


@dataclass(frozen=True)
class ClockRule:
    mechanism: str
    clock: str
    title_zh: str
    title_en: str
    owner: str  # the part and the role that owe the move
    starts_on: str  # the events that start it
    period: str  # length and unit (and the urgent period, where the mechanism has one)
    source: str
    statutory: bool
    track: str = "both"  # the referral track it runs on: criminal, detention, or both


def clock_rules(profiles: Mapping[str, Profile]) -> list[ClockRule]:
    rows = []
    for name in sorted(profiles):
        for spec in profiles[name].clocks.values():
            period = f"{spec.period.length} {spec.period.unit.value}"
            if spec.urgent is not None:
                period += f" ({spec.urgent.length} {spec.urgent.unit.value} when urgent)"
            rows.append(
                ClockRule(
                    mechanism=name,
                    clock=spec.name,
                    title_zh=spec.title_zh,
                    title_en=spec.title_en,
                    owner=f"{spec.owner.value} ({spec.owner_role.value})",
                    starts_on=", ".join(sorted(e.value for e in spec.starts_on))
                    + (" (counted from the discovery)" if spec.from_discovery else "")
                    + (
                        f" (in {', '.join(sorted(s.value for s in spec.starts_in))})"
                        if spec.starts_in
                        else ""
                    ),
                    period=period,
                    source=spec.source,
                    statutory=spec.statutory,
                    track=", ".join(sorted(t.value for t in spec.tracks)) or "both",
                )
            )
    return rows


def as_text(rows: list[ClockRule]) -> str:
    """One line per clock, grouped by mechanism: what an operator reads on a terminal."""
    blocks = []
    for mechanism, clocks in groupby(rows, key=lambda r: r.mechanism):
        lines = [f"[{mechanism}]"]
        for row in clocks:
            kind = "statutory" if row.statutory else "not statutory"
            if row.track != "both":
                kind += f" | {row.track} track"
            lines.append(
                f"  {row.clock} {row.title_zh} | owner {row.owner} | from {row.starts_on} | "
                f"{row.period} | {kind} | {row.source}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


if __name__ == "__main__":
    from cases.profiles import default_profiles

    print(as_text(clock_rules(default_profiles())))
