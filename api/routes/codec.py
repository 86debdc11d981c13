"""``POST /codec/decode``: the Temporal Web UI's remote codec, behind the API's authentication.

Every payload in the engine is encrypted (``workflows.codec``); the Web UI shows a case's history in
clear only through this endpoint. Only coordinators, leaders and procurators may decode, and only
payloads of the cases they may see: each encrypted payload carries, unencrypted, its case's id and
region, so a payload outside the caller's scope (the read model's rule, as the API and the dashboard
apply it) is refused before anything is decrypted. The Web UI's calls carry
no API key: they are authenticated with the dashboard's session cookie, sent cross-origin
(``Include cross-origin credentials`` in the UI's codec settings), so CORS here admits the Web UI's
own origin and no other. There is no ``/codec/encode``: nothing is written through the Web UI.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from temporalio.api.common.v1 import Payload

from api.access import scope_for
from api.deps import ServicesDep, point_read
from api.errors import RESPONSES, ApiError, unauthorized
from api.ui.session import COOKIE, principal_of, secret_for
from cases.vocabulary import Role
from settings import Settings
from store.principals import Principal, authenticate
from store.queries import Scope, can_see
from store.records import case_row
from workflows.codec import RESTRICTED, EncryptionCodec, case_marker, region_marker

router = APIRouter(prefix="/codec", tags=["codec"], responses=RESPONSES)
DECODERS = (Role.COORDINATOR, Role.LEADER, Role.PROCURATOR)
MAX_PAYLOADS = 2000


# Standard base64 with its padding, as the Web UI writes it: the schema says what the route reads,
# so that a client (or a fuzzer) that follows the schema is never refused for the encoding.
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class WirePayload(BaseModel):
    """A payload as the Temporal Web UI sends it: metadata values and data in base64."""

    metadata: dict[
        Annotated[str, Field(max_length=100)],
        Annotated[str, Field(max_length=4096, pattern=BASE64)],
    ] = Field(default_factory=dict, max_length=20)
    data: Annotated[str, Field(pattern=BASE64)] = ""


class Payloads(BaseModel):
    payloads: list[WirePayload] = Field(max_length=MAX_PAYLOADS)


def ui_origin(settings: Settings) -> str:
    parts = urlsplit(settings.temporal_ui_url)
    return f"{parts.scheme}://{parts.netloc}"


def _cors(request: Request, response: Response, settings: Settings) -> None:
    """The Web UI's origin, and it alone, may call with its credentials (the session cookie)."""
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    if origin is not None and origin == ui_origin(settings):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"


@router.options("/decode", include_in_schema=False)
async def preflight(request: Request, services: ServicesDep) -> Response:
    response = Response(status_code=204)
    _cors(request, response, services.settings)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = (
            "Content-Type, X-Namespace, Authorization, Caller-Type"
        )
        response.headers["Access-Control-Max-Age"] = "600"
    return response


async def caller(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header(description="Bearer <api key>")] = None,
) -> Principal:
    """An API key when one is sent; otherwise the dashboard's session cookie (the Web UI's way)."""
    principal: Principal | None = None
    if authorization is not None:
        if authorization.startswith("Bearer "):
            key = authorization.removeprefix("Bearer ").strip()
            principal = await point_read(services, authenticate, services.engine, key)
    else:
        secret = secret_for(services.settings)
        principal = await run_in_threadpool(
            principal_of, secret, services.engine, request.cookies.get(COOKIE)
        )
    if principal is None:
        raise unauthorized()
    return principal


def _payload(wire: WirePayload) -> Payload:
    try:
        return Payload(
            metadata={k: base64.b64decode(v, validate=True) for k, v in wire.metadata.items()},
            data=base64.b64decode(wire.data, validate=True),
        )
    except (binascii.Error, ValueError):
        raise ApiError(
            422, "invalid_input", "a payload's metadata or data is not base64",
            "send the payloads as the Temporal Web UI does: base64 metadata values and data",
        ) from None  # fmt: skip


async def _may_read(
    services: ServicesDep, scope: Scope, payload: Payload, region: str, seen: dict[str, bool]
) -> bool:
    """The visibility rule of the API and the dashboard: a payload of a recorded case is readable
    by whoever may see the case (the read model follows a transfer to another region); one of no
    recorded case, by its region; a restricted one (a duty-crime clue's), by no one here."""
    if region == RESTRICTED:
        return False
    case = case_marker(payload)
    if case is not None:
        if case not in seen:
            visible = await point_read(services, can_see, services.engine, scope, case)
            known = visible is not None or (
                await run_in_threadpool(case_row, services.engine, case) is not None
            )
            seen[case] = visible is not None if known else _in_region(scope, region)
        return seen[case]
    return _in_region(scope, region)


def _in_region(scope: Scope, region: str) -> bool:
    return scope.everything or region == scope.region


def _wire(payload: Payload) -> WirePayload:
    return WirePayload(
        metadata={k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        data=base64.b64encode(payload.data).decode(),
    )


@router.post(
    "/decode",
    operation_id="codec_decode",
    response_model=Payloads,
    summary="Decode payloads for the Temporal Web UI",
)
async def decode(
    body: Payloads,
    request: Request,
    response: Response,
    services: ServicesDep,
    principal: Annotated[Principal, Depends(caller)],
) -> Payloads:
    """The payloads in clear, for a coordinator, a leader or a procurator, each payload of a case they
    may see (the session cookie, or an API key). A payload outside the caller's scope refuses the
    whole request with 403: nothing is decrypted for it."""
    _cors(request, response, services.settings)
    if Role(principal.role) not in DECODERS:
        raise ApiError(
            403, "role_not_permitted",
            f"a {principal.role} may not read the engine's payloads",
            "ask a coordinator, a leader or a procurator; or read the case through the API",
        )  # fmt: skip
    scope = scope_for(principal, services.registry)
    seen: dict[str, bool] = {}
    codec = services.temporal.data_converter.payload_codec
    if not isinstance(codec, EncryptionCodec):
        raise ApiError(
            409, "codec_not_configured", "this installation does not encrypt payloads",
            "nothing to decode: payloads are in clear",
        )  # fmt: skip
    decoded: list[WirePayload] = []
    for wire in body.payloads:
        payload = _payload(wire)
        region = region_marker(payload)
        if region is not None and not await _may_read(services, scope, payload, region, seen):
            raise ApiError(
                403, "payload_out_of_scope",
                "a payload belongs to a case outside what you may see",
                "decode only the histories of cases in your region",
            )  # fmt: skip
        try:
            decoded.append(_wire(codec.open(payload)))
        except ValueError as exc:
            raise ApiError(
                422, "payload_unreadable", str(exc),
                "the payload was encrypted with a key this installation no longer holds, or damaged",
            ) from None  # fmt: skip
    return Payloads(payloads=decoded)
