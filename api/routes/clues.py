"""Clues of officials' duty crimes (O310 Art. 19; N2017 Art. 32): sent from a case to the supervisory
commission or the procuratorate, and seen by the sender and the recipient only.

``POST /cases/{id}/clues`` keeps the clue and starts its delivery, never touching the case (see
``cases.clues`` for why); ``GET /cases/{id}/clues`` and ``GET /clues`` list what the caller's key sent
and what the caller's agency received, and nothing else, whatever the caller's role or region: the
sending agency's other people, its head included, do not see a clue (the officials it names may be
among them).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Path
from fastapi.openapi.models import Example
from starlette.concurrency import run_in_threadpool

from api import engine
from api.deps import CurrentPrincipal, ServicesDep, VisibleCase
from api.errors import RESPONSES, UNAVAILABLE, ApiError
from api.schemas import Public
from cases import clues
from cases.effects import ClueDelivery
from cases.ids import step_key
from cases.vocabulary import Role
from store.clues import add_clue, clues_seen_by, drop_clue
from store.tables import ClueRow

router = APIRouter(tags=["clues"], responses=RESPONSES)
EXAMPLE = {
    "to": "SUP-DEMO",
    "conduct": ["shielding"],
    "account": "执法检查中发现某所工作人员多次事先通知企业检查时间,涉嫌包庇纵容",
}


class CluePublic(Public):
    clue_id: str
    case_id: str
    sender_agency: str
    sender_person: str
    recipient: str
    conduct: list[str]
    account: str
    sent_at: datetime
    status: Literal["sending", "delivered", "refused"]
    delivered_at: datetime | None = None
    reference: str | None = None  # the recipient system's receipt number
    error: str | None = None  # the recipient system's refusal


def public(row: ClueRow) -> CluePublic:
    status: Literal["sending", "delivered", "refused"] = (
        "delivered" if row.delivered_at else "refused" if row.error else "sending"
    )
    return CluePublic(
        clue_id=row.clue_id,
        case_id=row.case_id,
        sender_agency=row.sender_agency,
        sender_person=row.sender_person,
        recipient=row.recipient,
        conduct=list(row.conduct),
        account=row.account,
        sent_at=row.sent_at,
        status=status,
        delivered_at=row.delivered_at,
        reference=row.reference,
        error=row.error,
    )


def _clue_id(case_id: str, agency: str, key: str | None) -> str:
    """The same id for a retried request (same Idempotency-Key), a new one otherwise."""
    if key is None:
        return f"clue-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{case_id}\n{agency}\n{key}".encode()).hexdigest()
    return f"clue-{digest[:32]}"


@router.post(
    "/cases/{case_id}/clues",
    operation_id="send_clue",
    status_code=201,
    response_model=CluePublic,
    summary="Send a clue of an official's duty crime",
    responses=UNAVAILABLE,
)
async def send_clue(
    row: VisibleCase,
    body: Annotated[
        clues.ClueReport,
        Body(openapi_examples={"example": Example(summary="a clue", value=EXAMPLE)}),
    ],
    principal: CurrentPrincipal,
    services: ServicesDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> CluePublic:
    """O310 Art. 19; N2017 Art. 32. The case's agency or its police sends it to the supervisory
    commission or the procuratorate of the case's region. The case does not learn of it: on the
    sender's side only the sending key sees it. A repeat with the same `Idempotency-Key` and body
    sends it once; another body under that key is a 409."""
    refused = clues.refusal(
        principal.agency,
        Role(principal.role),
        (row.owner_agency, row.police_agency),
        row.region,
        body.to,
        services.registry,
    )
    if refused is not None:
        raise engine.refusal_error(refused.reason.value, refused.message)
    clue_id = _clue_id(row.case_id, principal.agency, idempotency_key)
    kept, created = await run_in_threadpool(
        add_clue,
        services.engine,
        ClueRow(
            clue_id=clue_id,
            case_id=row.case_id,
            sender_agency=principal.agency,
            sender_principal=principal.id,
            sender_role=principal.role,
            sender_person=principal.name,
            recipient=body.to,
            conduct=[c.value for c in body.conduct],
            account=body.account,
            sent_at=datetime.now(UTC),
        ),
    )
    if not created and (
        kept.sender_principal != principal.id
        or kept.recipient != body.to
        or list(kept.conduct) != [c.value for c in body.conduct]
        or kept.account != body.account
    ):
        raise ApiError(
            409,
            "idempotency_conflict",
            "this Idempotency-Key was used for another clue",
            "send the same body again, or use a new Idempotency-Key for a new clue",
        )
    delivery = ClueDelivery(
        clue_id=kept.clue_id,
        case_id=kept.case_id,
        idempotency_key=step_key(kept.case_id, kept.clue_id),
        sender=kept.sender_agency,
        to=kept.recipient,
        conduct=list(kept.conduct),
        account=kept.account,
    )
    try:
        await engine.send_clue(services, delivery)
    except ApiError:
        if created:  # not started: nothing is kept that would stay "sending" for good
            await run_in_threadpool(drop_clue, services.engine, kept.clue_id)
        raise
    return public(kept)


@router.get(
    "/cases/{case_id}/clues",
    operation_id="list_case_clues",
    response_model=list[CluePublic],
    summary="The clues of a case the caller's agency sent or received",
)
async def list_case_clues(
    case_id: Annotated[str, Path(max_length=110, description="The case id.")],
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> list[CluePublic]:
    """Only the sending key's and the recipient agency's: the sender's colleagues, another party of
    the case, a coordinator or another procuratorate get an empty list, the same as for a case
    without clues."""
    rows = await run_in_threadpool(
        clues_seen_by, services.engine, principal.id, principal.agency, case_id
    )
    return [public(r) for r in rows]


@router.get(
    "/clues",
    operation_id="list_clues",
    response_model=list[CluePublic],
    summary="The clues the caller's agency sent or received",
)
async def list_clues(principal: CurrentPrincipal, services: ServicesDep) -> list[CluePublic]:
    rows = await run_in_threadpool(clues_seen_by, services.engine, principal.id, principal.agency)
    return [public(r) for r in rows]
