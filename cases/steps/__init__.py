"""Every step of the lifecycle, one module per phase, each step declared once (see ``base``).

``STEPS`` lists them in the order of the lifecycle; a step's name is the action's name in the API
(``POST /cases/{id}/actions/<name>``) and the name of the workflow update that carries it out.
"""

from __future__ import annotations

from typing import Any

from cases.steps import (
    acceptance,
    assistance,
    closing,
    consultation,
    corrections,
    detention,
    discovery,
    documents,
    evidence,
    filing,
    investigation,
    jurisdiction,
    links,
    oversight,
    prosecution,
    referral,
    supervision,
)
from cases.steps.base import Step

PHASES = (
    discovery,
    evidence,
    corrections,
    jurisdiction,
    referral,
    acceptance,
    detention,
    filing,
    supervision,
    investigation,
    prosecution,
    consultation,
    assistance,
    links,
    closing,
    oversight,
    documents,
)

STEPS: dict[str, Step[Any]] = {
    s.name: s for phase in PHASES for s in vars(phase).values() if isinstance(s, Step)
}


def find(name: str) -> Step[Any] | None:
    return STEPS.get(name)


__all__ = ["PHASES", "STEPS", "Step", "find"]
