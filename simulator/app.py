"""The agency simulator: honours Idempotency-Key, records everything, misbehaves on request.

Agency systems: ``POST /agencies/{code}/referrals`` (the police system's delivery receipt),
``/referral-copies`` (the procuratorate's copy), ``/documents`` (a written notice: its receipt is
the moment of receipt) and ``/document-copies``, ``/requests`` (a test, an appraisal, a written
question, or a request for assistance from another region, whose receipt starts the answer's
clock), and ``POST /notifier/notify``. Each takes ``Authorization: Bearer <the agency's credential>`` and an
``Idempotency-Key``; a repeated key gets the first answer again and is counted.

Behaviour per agency, set with ``PUT /admin/agencies/{code}/behaviour``: acknowledge at once (``ack``);
fail N times with 503 (``fail``); refuse with a 4xx and a reason (``refuse``); hang (``hang``); and, on
acknowledging, answer later by calling the API's action endpoint as that agency (``answer``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import httpx
import structlog
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from cases.agencies import default_registry
from settings import Settings, simulator_token

log = structlog.get_logger(__name__)
NOTIFIER = "NOTIFIER"
# What an agency system takes, by path, and the kind of call each is recorded as.
ENDPOINTS = {
    "referrals": "referral",
    "referral-copies": "referral_copy",
    "documents": "document",
    "document-copies": "document_copy",
    "requests": "request",
    "clues": "clue",
}
Auth = Annotated[str | None, Header()]
Key = Annotated[str | None, Header(alias="Idempotency-Key")]


class CallbackStep(BaseModel):
    """One action the simulated agency takes later, through the API, as itself."""

    action: str = Field(examples=["accept"])
    after_seconds: float = Field(default=1.0, ge=0, le=3600)
    payload: dict[str, Any] = Field(default_factory=dict)


class Answer(BaseModel):
    api_key: str = Field(description="The API key the agency's system uses to call the API.")
    steps: list[CallbackStep] = Field(min_length=1)


class Behaviour(BaseModel):
    mode: Literal["ack", "fail", "refuse", "hang"] = "ack"
    times: int | None = Field(
        default=None, ge=0, description="How many calls misbehave before acknowledging; none: all."
    )
    status: int = Field(default=503, ge=400, le=599)
    reason: str = "simulated failure"
    hang_seconds: float = Field(default=30.0, ge=0, le=3600)
    answer: Answer | None = None


@dataclass
class Received:
    id: int
    agency: str
    kind: str
    key: str
    at: datetime
    body: Any
    status: int
    repeat: bool


@dataclass
class Callback:
    agency: str
    case_id: str
    action: str
    at: datetime
    status: int
    body: Any


@dataclass
class SimulatorState:
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    misbehaved: dict[str, int] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    answers: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    callbacks: list[Callback] = field(default_factory=list)
    locks: dict[tuple[str, str, str], asyncio.Lock] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # set: hanging calls let go
    generation: int = 0  # bumped by a reset: calls from before it leave no trace after it
    ids: Any = field(default_factory=lambda: itertools.count(1))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = default_registry()
    state = SimulatorState()
    app = FastAPI(title="Agency simulator", version="1")
    app.state.sim = state

    @app.exception_handler(HTTPException)
    async def flat_errors(_request: Request, exc: HTTPException) -> JSONResponse:
        """Answer the way agency systems do: ``{"reason": ...}``, not FastAPI's ``detail``."""
        detail: Any = exc.detail
        if not isinstance(detail, dict):
            detail = {"reason": str(detail)}
        return JSONResponse(detail, status_code=exc.status_code)

    def known(code: str) -> None:
        if code != NOTIFIER and code not in registry:
            raise HTTPException(404, {"reason": f"no agency '{code}' here"})

    def authorised(code: str, authorization: str | None) -> None:
        if authorization != f"Bearer {simulator_token(code)}":
            raise HTTPException(401, {"reason": "invalid or missing credential"})

    async def answer_later(code: str, kind: str, body: dict[str, Any], answer: Answer) -> None:
        case_id = str(body.get("case_id", ""))
        async with httpx.AsyncClient(base_url=settings.api_url, timeout=10) as client:
            for step in answer.steps:
                await asyncio.sleep(step.after_seconds)
                payload = dict(step.payload)
                if kind == "request" and "request_id" in body:
                    payload.setdefault("request_id", body["request_id"])
                try:
                    response = await client.post(
                        f"/cases/{case_id}/actions/{step.action}",
                        json=payload,
                        headers={"Authorization": f"Bearer {answer.api_key}"},
                    )
                    status, content = response.status_code, _body(response)
                except httpx.HTTPError as exc:
                    status, content = 0, str(exc)
                state.callbacks.append(
                    Callback(code, case_id, step.action, datetime.now(UTC), status, content)
                )
                log.info(
                    "simulator answered",
                    agency=code,
                    case_id=case_id,
                    action=step.action,
                    status=status,
                )

    async def handle(
        code: str, kind: str, key: str | None, authorization: str | None, body: Any
    ) -> JSONResponse:
        known(code)
        authorised(code, authorization)
        if not key:
            raise HTTPException(400, {"reason": "Idempotency-Key header required"})
        slot = (code, kind, key)
        lock = state.locks.setdefault(slot, asyncio.Lock())
        behaviour = state.behaviours.get(code, Behaviour())
        seen = slot in state.answers
        entry = Received(next(state.ids), code, kind, key, datetime.now(UTC), body, 0, seen)
        state.received.append(entry)
        if not seen:
            misbehave = behaviour.mode != "ack" and (
                behaviour.times is None or state.misbehaved.get(code, 0) < behaviour.times
            )
            if misbehave:
                state.misbehaved[code] = state.misbehaved.get(code, 0) + 1
                if behaviour.mode == "hang":
                    generation = state.generation
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(state.release.wait(), behaviour.hang_seconds)
                    if generation != state.generation:
                        return JSONResponse({"reason": "simulator reset"}, status_code=503)
                elif behaviour.mode == "fail":
                    entry.status = behaviour.status if behaviour.status >= 500 else 503
                    return JSONResponse({"reason": behaviour.reason}, status_code=entry.status)
                else:
                    entry.status = behaviour.status if behaviour.status < 500 else 422
                    return JSONResponse({"reason": behaviour.reason}, status_code=entry.status)
        async with lock:
            if slot not in state.answers:
                now = datetime.now(UTC)
                reference = f"{code}-{kind.upper()}-{next(state.ids):05d}"
                state.answers[slot] = (
                    201,
                    {"reference": reference, "received_at": now.isoformat()},
                )
                if (
                    behaviour.answer is not None
                    and isinstance(body, dict)
                    and kind in ("referral", "request")
                ):
                    task = asyncio.create_task(answer_later(code, kind, body, behaviour.answer))
                    state.tasks.add(task)
                    task.add_done_callback(state.tasks.discard)
            else:
                entry.repeat = True
        status, answer = state.answers[slot]
        entry.status = status
        return JSONResponse(answer, status_code=status)

    @app.post("/agencies/{code}/{endpoint}", status_code=201)
    async def agency_call(
        code: str,
        endpoint: str,
        request: Request,
        authorization: Auth = None,
        idempotency_key: Key = None,
    ) -> JSONResponse:
        kind = ENDPOINTS.get(endpoint)
        if kind is None:
            raise HTTPException(404, {"reason": f"no endpoint '{endpoint}' here"})
        return await handle(code, kind, idempotency_key, authorization, await _json(request))

    @app.post("/notifier/notify", status_code=201)
    async def notify(
        request: Request, authorization: Auth = None, idempotency_key: Key = None
    ) -> JSONResponse:
        return await handle(
            NOTIFIER, "notify", idempotency_key, authorization, await _json(request)
        )

    @app.post("/notifier/reporter-replies", status_code=201)
    async def reporter_reply(
        request: Request, authorization: Auth = None, idempotency_key: Key = None
    ) -> JSONResponse:
        """The SMS or mail gateway that tells a reporter (``cases.reports``)."""
        return await handle(
            NOTIFIER, "reporter_reply", idempotency_key, authorization, await _json(request)
        )

    @app.put("/admin/agencies/{code}/behaviour")
    async def set_behaviour(code: str, behaviour: Behaviour) -> dict[str, Any]:
        known(code)
        state.behaviours[code] = behaviour
        state.misbehaved[code] = 0
        return {"agency": code, "behaviour": behaviour.model_dump()}

    @app.get("/admin/agencies/{code}")
    async def agency(code: str) -> dict[str, Any]:
        known(code)
        mine = [r for r in state.received if r.agency == code]
        return {
            "agency": code,
            "behaviour": state.behaviours.get(code, Behaviour()).model_dump(),
            "calls": len(mine),
            "repeats": sum(1 for r in mine if r.repeat),
            "accepted": {
                kind: sum(1 for (a, k, _) in state.answers if a == code and k == kind)
                for kind in (
                    "referral",
                    "referral_copy",
                    "document",
                    "document_copy",
                    "request",
                    "notify",
                )
            },
        }

    @app.get("/admin/received")
    async def received(agency: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            {**r.__dict__, "at": r.at.isoformat(), "body": _masked(r.kind, r.body)}
            for r in state.received
            if (agency is None or r.agency == agency) and (kind is None or r.kind == kind)
        ]

    @app.get("/admin/callbacks")
    async def callbacks() -> list[dict[str, Any]]:
        return [{**c.__dict__, "at": c.at.isoformat()} for c in state.callbacks]

    @app.post("/admin/reset")
    async def reset() -> dict[str, str]:
        for task in list(state.tasks):
            task.cancel()
        state.release.set()  # calls still hanging answer now, and leave no trace
        state.release = asyncio.Event()
        state.generation += 1
        fresh = SimulatorState()
        for name in ("behaviours", "misbehaved", "received", "answers", "callbacks", "locks"):
            setattr(state, name, getattr(fresh, name))
        return {"status": "reset"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _masked(kind: str, body: Any) -> Any:
    """A reply to a reporter as the admin page shows it: what it says, never whom it went to (the
    gateway had the contact; this unauthenticated page is no place for it)."""
    if kind != "reporter_reply" or not isinstance(body, dict):
        return body
    return {**body, **{k: "***" for k in ("name", "phone", "address") if body.get(k)}}


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise HTTPException(400, {"reason": "the body is not JSON"}) from None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]
