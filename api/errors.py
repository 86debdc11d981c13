"""One error shape for every failure: a machine-readable code, the reason, and what to fix."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from cases.context import Reason
from cases.payloads import PayloadError

log = structlog.get_logger(__name__)


class ErrorBody(BaseModel):
    code: str = Field(examples=["wrong_stage"])
    reason: str = Field(
        examples=["'accept' belongs to stage(s) acceptance; the case is in 'evidence'"]
    )
    fix: str = Field(examples=["wait until the case reaches acceptance"])
    details: dict[str, Any] = Field(default_factory=dict)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        reason: str,
        fix: str,
        *,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.body = ErrorBody(code=code, reason=reason, fix=fix, details=details)
        self.headers = dict(headers or {})
        if status == 401:  # RFC 6750 §3: a 401 names the scheme the caller should use
            self.headers.setdefault("WWW-Authenticate", "Bearer")


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "no valid API key was given",
        "send 'Authorization: Bearer <api key>' with a key that is not revoked",
    )


def invalid_payload(exc: PayloadError, fix: str) -> ApiError:
    """A body the domain could not read as its payload type: 422 naming each problem."""
    return ApiError(422, "invalid_input", "; ".join(exc.problems), fix, problems=exc.problems)


def not_found(case_id: str) -> ApiError:
    # The same answer whether the case does not exist or the caller may not see it.
    return ApiError(
        404, "case_not_found", f"no case '{case_id}' is visible to you", "check the case id"
    )


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}

RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code.replace("_", " ")}
    for status, code in STATUS_CODES.items()
    if status in (401, 403, 404, 409, 413, 422)
}

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorBody,
        "description": (
            "case_service_unavailable: the engine or the worker did not answer within the bound; "
            "try again after Retry-After seconds"
        ),
        "headers": {
            "Retry-After": {
                "description": "seconds after which a repeat is worth trying",
                "schema": {"type": "integer"},
            }
        },
    }
}


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@functools.lru_cache(maxsize=256)
def _path_pattern(template: str) -> re.Pattern[str]:
    """An OpenAPI path template (``/cases/{case_id}``) as a regular expression."""
    parts = re.split(r"\{[^}/]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def allowed_methods(request: Request, headers: Mapping[str, str] | None) -> str:
    """A 405's ``Allow`` (RFC 9110 §15.5.6): every method of the path. The router names only those
    of the one route that matched the path, and a path may have several (``GET /cases`` and
    ``POST /cases`` are two), so the methods the API documents for the path are added."""
    methods = {m.strip() for m in (headers or {}).get("Allow", "").split(",") if m.strip()}
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    for template, operations in paths.items():
        if _path_pattern(template).fullmatch(request.url.path):
            methods.update(m.upper() for m in operations if m in HTTP_METHODS)
    return ", ".join(sorted(methods))


def _problem(error: Mapping[str, Any]) -> dict[str, str]:
    """One validation error as a field and what is wrong with it. A body that is not JSON at all
    says where its text stops being JSON (the error's place is a character, not a field)."""
    if error.get("type") == "json_invalid":
        where = error.get("loc", ("body", 0))[-1]
        why = (error.get("ctx") or {}).get("error", "")
        return {"at": "", "problem": f"not valid JSON: {why} (at character {where})"}
    return {
        "at": ".".join(str(p) for p in error.get("loc", ()) if p != "body"),
        "problem": error.get("msg", ""),
    }


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            exc.body.model_dump(), status_code=exc.status, headers=exc.headers or None
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        problems = [_problem(e) for e in errors]
        not_json = any(e.get("type") == "json_invalid" for e in errors)
        body = ErrorBody(
            code="invalid_input",
            reason="; ".join(f"{p['at'] or 'body'}: {p['problem']}" for p in problems)[:2000],
            fix="send the body as JSON, as /docs describes it for this endpoint"
            if not_json
            else "correct the fields named, as the API's schema at /docs describes them",
            details={"problems": problems},
        )
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's own "error parsing the body" (a body nested deeper than the parser goes,
            # bytes that are not text): bad input, answered as every other bad input is.
            body = ErrorBody(
                code="invalid_input",
                reason=f"the body could not be read: {exc.detail}",
                fix="send a JSON body as /docs describes it for this endpoint",
            )
            return JSONResponse(body.model_dump(), status_code=422)
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request, headers)}
        code = STATUS_CODES.get(exc.status_code, "error")
        fix = {
            413: "send a smaller body: evidence files up to 20 MB, other bodies up to 256 KB",
            405: "use the method /docs lists for this path",
            404: "check the path against /docs",
        }.get(exc.status_code, "see /docs for this endpoint")
        body = ErrorBody(code=code, reason=str(exc.detail), fix=fix)
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", path=request.url.path)
        body = ErrorBody(
            code="internal_error",
            reason="the service failed on its side; the request may or may not have taken effect",
            fix="look at the case before repeating; if it persists, tell the operators the time of the request",
        )
        return JSONResponse(body.model_dump(), status_code=500)


# What to do about each reason a case refuses a step for.
FIXES = {
    Reason.WRONG_STAGE.value: "wait until the case reaches the stage the action belongs to",
    Reason.NOT_YOUR_MOVE.value: "this move belongs to another agency; see 'moves' in GET /cases/{id}",
    Reason.PACKAGE_INCOMPLETE.value: "record the missing items with POST /cases/{id}/evidence",
    Reason.CLASSIFICATION_REQUIRED.value: "confirm the classification with the 'classify' action",
    Reason.AWAITING_SUPPLEMENTS.value: "wait for the supplementary material",
    Reason.NOT_DELIVERED.value: "wait for the police system's delivery receipt",
    Reason.WINDOW_CLOSED.value: "the period for this step has passed",
    Reason.INVALID_PAYLOAD.value: "correct the body as the reason says",
    Reason.CASE_CLOSED.value: "nothing more can be done to an archived case",
    Reason.LIMIT_REACHED.value: "the case holds the most it may; bundle material into fewer items",
}
