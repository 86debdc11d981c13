"""``python -m cases.rules``: every mechanism's clocks, one line each, as the profiles set them."""

from __future__ import annotations

import subprocess
import sys

from cases.profiles import load_profiles
from cases.rules import clock_rules
from tests.services import ROOT


def test_the_table_has_every_clock_of_every_mechanism() -> None:
    profiles = load_profiles()
    rows = clock_rules(profiles)
    assert len(rows) == sum(len(p.clocks) for p in profiles.values())
    approval = next(r for r in rows if (r.mechanism, r.clock) == ("env-police", "approval"))
    assert approval.owner == "referring (approver)"
    assert approval.starts_on == "referral_requested"
    assert approval.period == "3 days"
    assert approval.statutory
    assert "O310 Art. 5" in approval.source
    urgent = next(
        r for r in rows if (r.mechanism, r.clock) == ("env-police", "jurisdiction_transfer")
    )
    assert urgent.period == "5 working_days (24 hours when urgent)"


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
