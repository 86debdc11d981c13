"""The procuratorate's list of cases that may have been handled by a penalty in place of a referral
(以罚代刑): who goes on it, who comes off, and when a case is named again.

N2017 Art. 14: 人民检察院发现环保部门不移送涉嫌环境犯罪案件的，可以派员查询、调阅有关案件材料，认为涉嫌
环境犯罪应当移送的，应当提出建议移送的检察意见 (O310 Art. 14 for every mechanism). A daily scan puts on
the list each case ``cases.routines.referral_risk`` finds; a case stays on it until it is referred
(the scan sees it) or the region's procuratorate marks it (reviewed, or recommended for referral:
the recommendation itself is the case's own ``recommend_referral`` step, with its 3-day clock). A
case still listed ``follow_up`` after it was listed, or last named, is named to the procuratorate
again: the list's own follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from cases.agencies import AgencyKind, AgencyRegistry
from cases.context import Reason, Refusal
from cases.limits import CaseId, Note
from cases.model import Actor
from cases.routines import RiskReason
from cases.vocabulary import Role

# A scan's notice names at most this many cases; the list in the read model holds them all.
NAMED_IN_A_NOTICE = 50


class Cleared(StrEnum):
    REFERRED = "referred"  # the case's referral was sent
    MARKED = "marked"  # the procuratorate marked it


class MarkOutcome(StrEnum):
    """What the procuratorate says of a listed case."""

    REVIEWED = "reviewed"  # 已查询、调阅, no referral needed
    RECOMMENDED = "recommended"  # 已提出建议移送的检察意见 (N2017 Art. 14)


MARK_LABELS: dict[MarkOutcome, tuple[str, str]] = {
    MarkOutcome.REVIEWED: ("已查询,无需移送", "reviewed: no referral needed"),
    MarkOutcome.RECOMMENDED: ("已提出建议移送的检察意见", "referral recommended"),
}


@dataclass
class WatchEntry:
    """A case on the list (or taken off it)."""

    case_id: str
    reason: RiskReason
    listed_at: datetime
    named_at: datetime  # when the procuratorate was last told of it
    cleared_at: datetime | None = None
    cleared: Cleared | None = None


@dataclass
class Rescan:
    """What one scan changes: cases listed now, taken off as referred, and named again."""

    listed: list[str] = field(default_factory=list)
    referred: list[str] = field(default_factory=list)
    named_again: list[str] = field(default_factory=list)
    standing: list[str] = field(default_factory=list)  # on the list after the scan


def rescan(
    watch: dict[str, WatchEntry],
    risks: dict[str, RiskReason],
    referred: set[str],
    now: datetime,
    follow_up: timedelta,
) -> Rescan:
    """One scan at ``now`` over the entries still listed (``watch``, changed in place and added to),
    the cases the rule finds (``risks``) and which of the listed cases were referred since."""
    result = Rescan()
    for case_id, entry in watch.items():
        if entry.cleared is not None:
            continue
        if case_id in referred:
            entry.cleared, entry.cleared_at = Cleared.REFERRED, now
            result.referred.append(case_id)
        elif now - entry.named_at >= follow_up:
            entry.named_at = now
            result.named_again.append(case_id)
    for case_id, reason in sorted(risks.items()):
        if case_id not in watch:
            watch[case_id] = WatchEntry(case_id, reason, now, now)
            result.listed.append(case_id)
    result.standing = sorted(c for c, e in watch.items() if e.cleared is None)
    return result


@dataclass
class MarkRequest:
    actor: Actor
    case_id: CaseId
    outcome: MarkOutcome
    note: Note = ""


def may_mark(actor: Actor, registry: AgencyRegistry, region: str) -> bool:
    """The region's procuratorate, by a procurator (N2017 Art. 14: 人民检察院)."""
    agency = registry.find(actor.agency)
    return (
        agency is not None
        and agency.kind is AgencyKind.PROCURATORATE
        and agency.region == region
        and actor.role is Role.PROCURATOR
    )


def check_mark(
    standing: set[str], request: MarkRequest, registry: AgencyRegistry, region: str
) -> Refusal | None:
    if not may_mark(request.actor, registry, region):
        return Refusal(
            Reason.ROLE_NOT_PERMITTED, "the procurators of the region's procuratorate mark the list"
        )
    if request.case_id not in standing:
        return Refusal(Reason.NOTHING_PENDING, f"case {request.case_id} is not on the list")
    return None
