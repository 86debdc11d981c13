"""The access matrix: every principal against a case of the demo county (case A) and one of the east
county (case B). Each router's tests check their own column.

An agency sees the cases it has a part in (a superior department those of the agencies below it),
coordinators and leaders their region, procurators everything. A role that can never take an action gets 403; a case the caller may not see is 404 (its
existence not revealed); a visible case where the move is someone else's is the case's 409.
"""

from __future__ import annotations

import pytest

from tests.stack import PRINCIPALS

# (agency, role) -> on case A: (GET detail, GET timeline, an action, evidence)
ON_A: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("EPB-DEMO", "intake"): (200, 200, 403, 403),
    ("EPB-DEMO", "officer"): (200, 200, 200, 201),
    ("EPB-DEMO", "approver"): (200, 200, 200, 403),
    ("PSB-DEMO", "officer"): (200, 200, 409, 409),
    ("PSB-DEMO", "approver"): (200, 200, 409, 403),
    ("PROC-DEMO", "procurator"): (200, 200, 200, 403),
    ("JLO-DEMO", "coordinator"): (200, 200, 200, 403),
    ("LG-DEMO", "leader"): (200, 200, 200, 403),
    ("MON-DEMO", "officer"): (404, 404, 404, 404),
    ("APR-DEMO", "officer"): (404, 404, 404, 404),
    ("EPB-EAST", "intake"): (404, 404, 404, 404),
    ("EPB-EAST", "officer"): (404, 404, 404, 404),
    ("PSB-EAST", "officer"): (404, 404, 404, 404),
    ("JLO-EAST", "coordinator"): (404, 404, 404, 404),
    ("LG-EAST", "leader"): (404, 404, 404, 404),
    ("PROC-EAST", "procurator"): (200, 200, 409, 403),
    # The superior department sees its subordinate's cases (稽查, P2014 Art. 17); their moves are not
    # its own.
    ("EPB-CITY", "officer"): (200, 200, 409, 409),
    ("EPB-CITY", "approver"): (200, 200, 409, 403),
    # Receives clues (O310 Art. 19), which never make it a party of the case.
    ("SUP-DEMO", "officer"): (404, 404, 404, 404),
}
# The action each role tries: one its role may take in principle.
ACTION = {
    "intake": ("classify", {"classification": "crime", "reasons": "x"}),
    "officer": ("classify", {"classification": "crime", "reasons": "暗管"}),
    "approver": ("classify", {"classification": "crime", "reasons": "暗管"}),
    "procurator": ("direct", {"note": "请依法移送"}),
    "coordinator": ("direct", {"note": "请尽快固定证据"}),
    "leader": ("direct", {"note": "挂牌督办"}),
}
EVERYONE = pytest.mark.parametrize(
    ("agency", "role"), PRINCIPALS, ids=[f"{a}/{r}" for a, r in PRINCIPALS]
)


def sees_east(agency: str, role: str) -> bool:
    return (agency.endswith("-EAST") and not agency.startswith(("MON", "APR"))) or (
        role == "procurator"
    )
