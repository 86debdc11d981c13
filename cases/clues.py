"""Clues of officials' duty crimes found while a case is handled (O310 Art. 19; N2017 Art. 32).

A clue is not a step of the case. The officials it names may work at any agency of the case, the police
included, and every party of a case sees its state and timeline: a clue there would warn them. So it
never enters the case's workflow. It goes from the agency that found it to the supervisory commission or
the procuratorate of the case's region by a delivery of its own, and only the sender and the recipient
ever see it (``GET /cases/{id}/clues``, ``GET /clues``). The rule below is the only place that decides
who may send one and to whom; it reads the case's region and agencies from the read model because the
case itself must not be told.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from annotated_types import Len
from pydantic import ConfigDict, StringConstraints

from cases.agencies import AgencyKind, AgencyRegistry
from cases.context import Reason, Refusal
from cases.limits import NOT_BLANK, AgencyCode
from cases.vocabulary import Role


class Conduct(StrEnum):
    """What the clue alleges, in the words of the two articles."""

    SHIELDING = "shielding"  # 包庇纵容 (N2017 Art. 32)
    FAVOURITISM = "favouritism"  # 徇私舞弊 (N2017 Art. 32)
    BRIBERY = "bribery"  # 贪污贿赂、贪污受贿 (O310 Art. 19; N2017 Art. 32)
    DERELICTION = "dereliction"  # 失职渎职 (O310 Art. 19; N2017 Art. 32)
    RIGHTS_ABUSE = "rights_abuse"  # 利用职权侵犯公民人身权利和民主权利 (O310 Art. 19)


# O310 Art. 19: 移送监察机关或者人民检察院处理; N2017 Art. 32: 移送人民检察院.
RECIPIENT_KINDS = (AgencyKind.SUPERVISORY_COMMISSION, AgencyKind.PROCURATORATE)
# O310 Art. 19: 行政执法机关…发现; N2017 Art. 32: 环保部门和公安机关…发现. The case's agency and its police.
SENDER_ROLES = frozenset({Role.OFFICER, Role.APPROVER})

Account = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NOT_BLANK
]


@dataclass(kw_only=True)
class ClueReport:
    """A clue as its sender writes it. The account is confidential: it names people."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    to: AgencyCode  # the supervisory commission or the procuratorate of the case's region
    conduct: Annotated[list[Conduct], Len(1, len(Conduct))]
    account: Account  # who, what, when, and the material that shows it


def recipients(region: str, registry: AgencyRegistry) -> list[str]:
    return [a.code for kind in RECIPIENT_KINDS for a in registry.in_region(kind, region)]


def refusal(
    agency: str,
    role: Role,
    case_agencies: tuple[str | None, ...],
    region: str,
    to: str,
    registry: AgencyRegistry,
) -> Refusal | None:
    """May ``agency`` (acting in ``role``) send a clue from this case to ``to``?

    ``case_agencies``: the case's own agency and its police, the two that find such clues while they
    handle it."""
    if role not in SENDER_ROLES:
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "a clue is sent by an officer or the head of an agency"
        )
    if agency not in case_agencies:
        return Refusal(
            Reason.NOT_YOUR_MOVE,
            "a clue is sent by the agency handling the case or its police (O310 Art. 19; N2017 "
            "Art. 32)",
        )
    allowed = recipients(region, registry)
    if to not in allowed:
        return Refusal(
            Reason.INVALID_PAYLOAD,
            f"to: a clue goes to the supervisory commission or the procuratorate of the case's "
            f"region ({', '.join(allowed) or 'none is registered'}) (O310 Art. 19)",
        )
    return None
