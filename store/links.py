"""Reading a case's links to cases of other regions (区域联动, D3 §3.2), both ways: those it made, and
those other cases made to it ("linked from"). A link names the other case by its id and region only;
whether the caller may open the other case is the normal rule (``store.queries.visible``), said with
each link so that a page links it only then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from cases.vocabulary import LinkRelation
from store.queries import Scope, visible
from store.tables import CaseLinkRow, CaseRow


@dataclass(frozen=True)
class LinkLine:
    """One link as a case's page shows it: the other case's id and region, what it is to this case
    (``relation``, from this case's side), which case made the link (``outgoing``: this one), and
    whether the caller may see the other case. ``note`` is the linking case's own words: shown on
    the linked case's page only to a caller who may see the linking case."""

    case_id: str
    region: str
    relation: str
    outgoing: bool
    linked_at: datetime
    visible: bool
    note: str = ""


def _seen_from_the_other(relation: str) -> str:
    """What the linking case is to the linked one (``cases.vocabulary.LinkRelation``)."""
    try:
        return LinkRelation(relation).seen_from_the_other.value
    except ValueError:
        return relation


def links_of(engine: Engine, case_id: str, scope: Scope) -> list[LinkLine]:
    """The links of ``case_id``: made by it, then made to it, each in the order made."""
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(CaseLinkRow)
                .where(
                    or_(
                        col(CaseLinkRow.case_id) == case_id,
                        col(CaseLinkRow.linked_case_id) == case_id,
                    )
                )
                .order_by(col(CaseLinkRow.linked_at), col(CaseLinkRow.case_id))
            )
        )
        others = {r.linked_case_id if r.case_id == case_id else r.case_id for r in rows}
        seen = (
            set(
                session.exec(
                    select(CaseRow.case_id).where(col(CaseRow.case_id).in_(others), visible(scope))
                )
            )
            if others
            else set()
        )
    lines = []
    for row in rows:
        outgoing = row.case_id == case_id
        other = row.linked_case_id if outgoing else row.case_id
        lines.append(
            LinkLine(
                case_id=other,
                region=row.linked_region if outgoing else row.region,
                relation=row.relation if outgoing else _seen_from_the_other(row.relation),
                outgoing=outgoing,
                linked_at=row.linked_at,
                visible=other in seen,
                note=row.note if outgoing or other in seen else "",
            )
        )
    return sorted(lines, key=lambda line: not line.outgoing)


def links_made(engine: Engine, case_id: str) -> list[CaseLinkRow]:
    """The links ``case_id`` made, as the read model keeps them (a case's export holds its own)."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(CaseLinkRow)
                .where(col(CaseLinkRow.case_id) == case_id)
                .order_by(col(CaseLinkRow.linked_at))
            )
        )
