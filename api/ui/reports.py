"""The dashboard's report pages: the reports a person may see, one report with its steps, and the
look at who reported (for the roles its mechanism allows, written to the audit trail first). Every
page and form goes through the API's own visibility rule and step path (``api.routes.reports``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.access import scope_for
from api.deps import Services, ServicesDep
from api.errors import ApiError
from api.routes.reports import get_report, get_reporter, take_step
from api.ui.routes import SignedIn, render
from api.ui.session import flashed, secret_for, signed_flash
from cases.agencies import AgencyKind
from cases.payloads import PayloadError, read
from cases.report_steps import LABELS, STEPS
from cases.reports import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    REWARD_LABELS,
    STAGE_LABELS,
    Outcome,
    ReportStage,
    identity_refusal,
    supervisors_of,
)
from cases.vocabulary import VIOLATION_LABELS, Role, ViolationType
from store.principals import Principal
from store.reports import ReportFilter, list_reports, report_seen
from store.tables import ReportRow

router = APIRouter(include_in_schema=False)
PAGE = 50


def _said(table: dict[Any, tuple[str, str]], lang: str) -> dict[str, str]:
    return {k.value: v[1] if lang == "en" else v[0] for k, v in table.items()}


def _labels(request: Request) -> dict[str, Any]:
    lang = request.cookies.get("linkage_lang", "zh")
    return {
        "channels": _said(CHANNEL_LABELS, lang),
        "report_stages": _said(STAGE_LABELS, lang),
        "outcomes": _said(OUTCOME_LABELS, lang),
        "rewards": _said(REWARD_LABELS, lang),
        "violations": _said(VIOLATION_LABELS, lang),
        "step_labels": {k: v[1] if lang == "en" else v[0] for k, v in LABELS.items()},
    }


@router.get("/report-list", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    stage: Annotated[str | None, Query(max_length=20)] = None,
    overdue: Annotated[str | None, Query(max_length=5)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    now = datetime.now(UTC)
    filters = ReportFilter(
        stage=stage if stage in {s.value for s in ReportStage} else None,
        overdue={"true": True, "false": False}.get(overdue or ""),
    )
    rows, total = await run_in_threadpool(
        list_reports, services.engine, scope_for(principal, services.registry), filters, now,
        PAGE, (page - 1) * PAGE,
    )  # fmt: skip
    query = urlencode({k: v for k, v in request.query_params.items() if k != "page"})
    return render(
        request, "reports.html", principal, rows=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE)), filters=filters, query=query,
        stages=[s.value for s in ReportStage], **_labels(request),
    )  # fmt: skip


async def _seen(report_id: str, principal: Principal, services: Services) -> ReportRow | None:
    scope = scope_for(principal, services.registry)
    return await run_in_threadpool(report_seen, services.engine, scope, report_id)


@router.get("/report/{report_id}", response_class=HTMLResponse)
async def report_page(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    report_id: Annotated[str, Path(max_length=110)],
    done: Annotated[str | None, Query(max_length=60)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
    message: Annotated[str | None, Query(max_length=1000)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    return await _page(request, principal, services, report_id, done, refused, message, sig)


async def _page(
    request: Request, principal: Principal, services: Services, report_id: str,
    done: str | None = None, refused: str | None = None, message: str | None = None,
    sig: str | None = None, reporter: Any = None, status_code: int = 200,
) -> Response:  # fmt: skip
    row = await _seen(report_id, principal, services)
    if row is None:
        return _missing(request, principal, report_id)
    flash = signed_flash(
        secret_for(services.settings), report_id, sig, done=done, refused=refused, message=message
    )
    detail = await get_report(row, principal, services)
    registry = services.registry
    if row.about_agency:
        targets = supervisors_of(row.about_agency, registry)
    else:
        targets = [a.code for a in registry if a.kind.enforces
                   or a.kind is AgencyKind.POLICE]  # fmt: skip
    may_look = bool(row.reporter_sealed) and identity_refusal(
        row.owner_agency, row.region, row.anonymous, list(row.identity_roles),
        agency=principal.agency, role=Role(principal.role), registry=registry,
        about=row.about_agency,
    ) is None  # fmt: skip
    return render(
        request, "report.html", principal, status_code, report=detail, row=row,
        targets=[t for t in targets if t != row.owner_agency], may_look=may_look,
        reporter=reporter, **flash,
        findings=[o.value for o in Outcome if o is not Outcome.CASE_OPENED],
        violation_types=[v.value for v in ViolationType], **_labels(request),
    )  # fmt: skip


@router.post("/report/{report_id}/act/{action}")
async def act(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    report_id: Annotated[str, Path(max_length=110)],
    action: Annotated[str, Path(max_length=60)],
) -> Response:
    row = await _seen(report_id, principal, services)
    if row is None:
        return _missing(request, principal, report_id)
    step = STEPS.get(action)
    if step is None:
        return _back(services, report_id, refused="unknown_action", message=action[:60])
    form = await request.form(max_fields=20)
    body = _body(action, form)
    try:
        payload = read(step.payload, body)
        outcome = await take_step(services, principal, row, step, payload, _key(form))
    except PayloadError as exc:
        return _back(services, report_id, refused="invalid_payload", message=str(exc)[:500])
    except ApiError as exc:
        return _back(services, report_id, refused=exc.body.code, message=exc.body.reason)
    return _back(services, report_id, done=outcome.action)


@router.post("/report/{report_id}/reporter", response_class=HTMLResponse)
async def look(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    report_id: Annotated[str, Path(max_length=110)],
) -> Response:
    """The identity is shown on the page itself (never in a link, a redirect or the browser's
    history), after the look is written down."""
    row = await _seen(report_id, principal, services)
    if row is None:
        return _missing(request, principal, report_id)
    form = await request.form(max_fields=5)
    purpose = str(form.get("purpose") or "").strip()
    if len(purpose) < 2:
        return _back(services, report_id, refused="invalid_input", message="purpose")
    try:
        reporter = await get_reporter(row, principal, services, purpose[:500])
    except ApiError as exc:
        return _back(services, report_id, refused=exc.body.code, message=exc.body.reason)
    return await _page(request, principal, services, report_id, reporter=reporter)


def _missing(request: Request, principal: Principal, report_id: str) -> Response:
    """The one "not found" page, the same whether the report does not exist or is not the
    person's to see (the API's 404 ``report_not_found``)."""
    error = ApiError(
        404, "report_not_found", f"no report '{report_id[:120]}' is visible to you",
        "check the report id",
    )  # fmt: skip
    return render(request, "missing.html", principal, 404, error=error.body)


def _body(action: str, form: Any) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    if action == "transfer":
        return {"to": text("to"), "reason": text("reason")}
    if action == "answer":
        return {"finding": text("finding"), "reply": text("reply")}
    if action == "open_case":
        facts: dict[str, Any] = {"summary": text("summary")}
        if text("violation_type"):
            facts["violation_type"] = text("violation_type")
        return {"subject": text("subject"), "facts": facts}
    amount = text("amount_yuan")
    return {
        "granted": text("granted") == "true",
        "form": text("form") or "material",
        "amount_yuan": int(amount) if amount.isdigit() else 0,
        "note": text("note"),
    }


def _key(form: Any) -> str | None:
    value = form.get("idempotency_key")
    return value if isinstance(value, str) and 0 < len(value) <= 200 else None


def _back(services: Services, report_id: str, **flash: str) -> Response:
    return flashed(secret_for(services.settings), f"/report/{quote(report_id)}", report_id, **flash)
