"""``python -m cases.rules``: every mechanism's clocks, one line each, as the profiles set them."""

from __future__ import annotations

import subprocess
import sys

from cases.calendar import Unit
from cases.profile import Period
from cases.profiles import load_profiles
from cases.rules import clock_rules
from cases.vocabulary import Event, Party, Role, Stage, Track
from tests.services import ROOT


def test_the_table_has_every_clock_of_every_mechanism() -> None:
    profiles = load_profiles()
    rows = clock_rules(profiles)
    assert len(rows) == sum(len(p.clocks) for p in profiles.values())
    approval = next(r for r in rows if (r.mechanism, r.clock) == ("env-police", "approval"))
    assert (approval.owner, approval.owner_role) == (Party.REFERRING, Role.APPROVER)
    assert approval.starts_on == (Event.REFERRAL_REQUESTED,)
    assert (approval.period, approval.urgent) == (Period(3, Unit.DAYS), None)
    assert approval.statutory
    assert approval.tracks == (Track.CRIMINAL,)
    assert "O310 Art. 5" in approval.source
    assert "O310 第5条第2款" in approval.source_zh
    urgent = next(
        r for r in rows if (r.mechanism, r.clock) == ("env-police", "jurisdiction_transfer")
    )
    assert (urgent.period, urgent.urgent) == (Period(5, Unit.WORKING_DAYS), Period(24, Unit.HOURS))
    handover = next(r for r in rows if (r.mechanism, r.clock) == ("env-police", "handover"))
    assert handover.starts_in == (Stage.HANDOVER,)


def test_python_m_cases_rules_prints_it() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "cases.rules"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    profiles = load_profiles()
    for name, profile in profiles.items():
        assert f"[{name}]" in printed
        for clock in profile.clocks:
            assert f"\n  {clock} " in printed, (name, clock)
    assert "| statutory | O310 Art. 5" in printed
    assert "| not statutory |" in printed
    assert "| statutory | detention track | P2014 Art. 12" in printed
    assert "| owner referring (approver) | from referral_requested | 3 days |" in printed
    assert "| 5 working_days (24 hours when urgent) |" in printed
