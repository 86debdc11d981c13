"""Dashboard pages. Every page shows only what the API would show the signed-in person, and every
button goes through the same action path as the API (``send_action``), so the rules stay in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.access import scope_for
from api.deps import Services, ServicesDep
from api.errors import ApiError
from api.routes.actions import send_action
from api.routes.cases import case_detail
from api.routes.evidence import check_kind, store_upload
from api.ui import i18n
from api.ui.session import COOKIE, LIFETIME, issue, principal_of, secret_for
from cases.actions import ACTIONS, Action, ActionPayload
from cases.agencies import AgencyKind
from cases.allowed import ESCALATION_PARTY
from cases.calendar import CHINA_TZ
from cases.checklists import CATALOGUE
from cases.model import Classification, FeedbackOutcome, Stage
from cases.profiles import UnknownMechanism, get_profile
from store.dashboard import ClockLine, inbox, overview
from store.principals import Principal, authenticate
from store.queries import CaseFilter, evidence, list_cases
from store.records import timeline

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LANG = "linkage_lang"
PAGE = 25
# Actions whose body is too rich for a button's form; the API serves them.
NOT_ON_BUTTONS = {Action.UPDATE_FACTS, Action.RECORD_EVIDENCE}


class SignIn(Exception):
    """Not signed in: go to the sign-in page and come back."""

    def __init__(self, path: str) -> None:
        self.path = path


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG, "zh")
    return lang if lang in i18n.LANGUAGES else "zh"


def signed_in(request: Request, services: Services) -> Principal:
    principal = principal_of(
        secret_for(services.settings.data_dir), services.engine, request.cookies.get(COOKIE)
    )
    if principal is None:
        raise SignIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return principal


def render(
    request: Request, template: str, principal: Principal | None, **context: Any
) -> HTMLResponse:
    lang = lang_of(request)
    now = datetime.now(UTC)
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": lambda key: i18n.t(key, lang),
            "stage_label": lambda stage: i18n.stage_label(stage, lang),
            "action_label": lambda action: i18n.action_label(action, lang),
            "local": lambda instant: (
                instant.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if instant else ""
            ),
            "span": lambda seconds: _span(seconds, lang),
            "pct": lambda value: "—" if value is None else f"{value:.0%}",
            "clock_title": lambda mechanism, name: _clock_title(mechanism, name, lang),
            "principal": principal,
            "now": now,
            "path": request.url.path,
            **context,
        },
    )


def _clock_title(mechanism: str, name: str, lang: str) -> str:
    try:
        spec = get_profile(mechanism).clocks.get(name)
    except UnknownMechanism:
        spec = None
    if spec is None:
        return name
    return spec.title_en if lang == "en" else spec.title_zh


def _span(seconds: float, lang: str) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if lang == "en":
        parts = [
            f"{days}d" if days else "",
            f"{hours}h" if hours else "",
            f"{minutes}m" if minutes and not days else "",
        ]
        text = " ".join(p for p in parts if p)
        return text or f"{secs}s"
    parts = [
        f"{days}天" if days else "",
        f"{hours}小时" if hours else "",
        f"{minutes}分" if minutes and not days else "",
    ]
    return "".join(parts) or f"{secs}秒"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/", failed: bool = False) -> HTMLResponse:
    return render(
        request, "login.html", None, next=next if next.startswith("/") else "/", failed=failed
    )


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    principal = await run_in_threadpool(authenticate, services.engine, key.strip())
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    if principal is None:
        return RedirectResponse(
            f"/login?{urlencode({'next': target, 'failed': 'true'})}", status_code=303
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        issue(secret_for(services.settings.data_dir), principal),
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/lang/{code}")
async def switch_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(
        next if next.startswith("/") and not next.startswith("//") else "/", status_code=303
    )
    if code in i18n.LANGUAGES:
        response.set_cookie(LANG, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
async def overview_page(request: Request, services: ServicesDep) -> HTMLResponse:
    principal = signed_in(request, services)
    now = datetime.now(UTC)
    today_end = datetime.combine(
        now.astimezone(CHINA_TZ).date() + timedelta(days=1), datetime.min.time(), CHINA_TZ
    )
    data = await run_in_threadpool(
        overview, services.engine, scope_for(principal, services.registry), now, today_end
    )
    stages = [s.value for s in Stage]
    return render(request, "overview.html", principal, data=data, stages=stages)


@router.get("/list", response_class=HTMLResponse)
async def list_page(
    request: Request,
    services: ServicesDep,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    overdue: Annotated[str | None, Query(max_length=5)] = None,
    escalated: Annotated[str | None, Query(max_length=5)] = None,
    key_case: Annotated[str | None, Query(max_length=5)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    principal = signed_in(request, services)
    now = datetime.now(UTC)

    def flag(value: str | None) -> bool | None:
        return {"true": True, "false": False}.get(value or "")

    filters = CaseFilter(
        stage=stage if stage in {s.value for s in Stage} else None,
        agency=agency or None,
        overdue=flag(overdue),
        escalated=flag(escalated),
        key_case=flag(key_case),
        text=q or None,
    )
    rows, total = await run_in_threadpool(
        list_cases,
        services.engine,
        scope_for(principal, services.registry),
        filters,
        now,
        PAGE,
        (page - 1) * PAGE,
    )
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return render(
        request,
        "list.html",
        principal,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        filters=filters,
        query=urlencode(query),
        stages=[s.value for s in Stage],
    )


@router.get("/case/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request,
    case_id: str,
    services: ServicesDep,
    done: Annotated[str | None, Query(max_length=60)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
    message: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    principal = signed_in(request, services)
    try:
        detail = await case_detail(services, principal, case_id)
    except ApiError as exc:
        return render(request, "missing.html", principal, error=exc.body)
    entries, items = await run_in_threadpool(_rows, services, case_id)
    try:
        profile = get_profile(detail.summary.mechanism)
        progress = [
            s.value
            for s in profile.stages
            if s not in (Stage.NOT_FILED, Stage.RECONSIDERATION, Stage.SUPERVISION)
        ]
    except UnknownMechanism:
        profile, progress = None, [s.value for s in Stage]
    state = detail.state or {}
    forms = [
        _form(a.action, state, services, profile)
        for a in detail.allowed_actions
        if Action(a.action) not in NOT_ON_BUTTONS
    ]
    can_add_evidence = any(a.action == Action.RECORD_EVIDENCE.value for a in detail.allowed_actions)
    workflow_link = (
        f"{services.settings.temporal_ui_url.rstrip('/')}/namespaces/"
        f"{quote(services.settings.temporal_namespace)}/workflows/case-{quote(case_id)}"
    )
    return render(
        request,
        "case.html",
        principal,
        case=detail,
        state=state,
        entries=entries,
        items=items,
        forms=forms,
        can_add_evidence=can_add_evidence,
        kinds=sorted(CATALOGUE.values(), key=lambda k: k.key),
        progress=progress,
        workflow_link=workflow_link,
        done=done,
        refused=refused,
        message=message,
    )


def _rows(services: Services, case_id: str) -> tuple[list[Any], list[Any]]:
    return timeline(services.engine, case_id), evidence(services.engine, case_id)


def _form(action: str, state: dict[str, Any], services: Services, profile: Any) -> dict[str, Any]:
    """The fields a button's form needs, with choices where the answer is one of a few."""
    spec = ACTIONS[Action(action)]
    fields: list[dict[str, Any]] = []
    for name in spec.required:
        field: dict[str, Any] = {"name": name, "kind": "text"}
        if name == "classification":
            field.update(kind="select", choices=[c.value for c in Classification])
        elif name == "outcome":
            field.update(kind="select", choices=[o.value for o in FeedbackOutcome])
        elif name in ("upheld", "order_filing"):
            field.update(kind="select", choices=["true", "false"])
        elif name == "items":
            field.update(kind="textarea")
        elif name == "extension":
            field.update(kind="select", choices=list(profile.extensions) if profile else [])
        elif name == "request_id":
            field.update(
                kind="select",
                choices=[
                    r["request_id"]
                    for r in state.get("requests", [])
                    if not r["answered_at"] and not r.get("failed_at")
                ],
            )
        elif name == "agency":
            wanted = {
                Action.REQUEST_TEST: {AgencyKind.MONITORING_STATION},
                Action.REQUEST_APPRAISAL: {AgencyKind.APPRAISAL_INSTITUTION},
            }.get(Action(action))
            choices = [
                a.code
                for a in services.registry
                if (wanted is None and a.kind.enforces) or (wanted and a.kind in wanted)
            ]
            field.update(kind="select", choices=choices)
        fields.append(field)
    return {"action": action, "fields": fields}


@router.post("/case/{case_id}/act/{action}")
async def act(request: Request, case_id: str, action: str, services: ServicesDep) -> Response:
    principal = signed_in(request, services)
    form = await request.form(max_fields=30)
    try:
        chosen = Action(action)
    except ValueError:
        return _back(case_id, refused="unknown_action", message=f"unknown action '{action}'")
    payload: dict[str, Any] = {}
    for name in (*ACTIONS[chosen].required, "note", "reasons", "reference"):
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        if name == "items":
            payload[name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif name in ("upheld", "order_filing"):
            payload[name] = value == "true"
        else:
            payload[name] = value.strip()
    try:
        outcome = await send_action(services, principal, case_id, chosen, ActionPayload(**payload))
    except ApiError as exc:
        return _back(case_id, refused=exc.body.code, message=exc.body.reason)
    except (TypeError, ValueError) as exc:
        return _back(case_id, refused="invalid_input", message=str(exc))
    return _back(case_id, done=outcome.action)


@router.post("/case/{case_id}/evidence")
async def add_evidence(request: Request, case_id: str, services: ServicesDep) -> Response:
    principal = signed_in(request, services)
    form = await request.form(max_files=1, max_fields=10)
    kind, title, upload = form.get("kind"), form.get("title"), form.get("file")
    if (
        not isinstance(kind, str)
        or not isinstance(title, str)
        or not title.strip()
        or not isinstance(upload, UploadFile)
    ):
        return _back(case_id, refused="invalid_input", message="kind, title and a file are needed")
    try:
        check_kind(kind)
        sha, reference, size = await run_in_threadpool(
            store_upload, services.settings.data_dir, case_id, upload
        )
        await send_action(
            services, principal, case_id, Action.RECORD_EVIDENCE,
            ActionPayload(kind=kind, title=title.strip()[:400], sha256=sha, reference=reference, size=size),
        )  # fmt: skip
    except ApiError as exc:
        return _back(case_id, refused=exc.body.code, message=exc.body.reason)
    return _back(case_id, done=Action.RECORD_EVIDENCE.value)


def _back(case_id: str, **flash: str) -> Response:
    return RedirectResponse(f"/case/{quote(case_id)}?{urlencode(flash)}", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(request: Request, services: ServicesDep) -> HTMLResponse:
    principal = signed_in(request, services)
    lines = await run_in_threadpool(
        inbox, services.engine, principal.agency, scope_for(principal, services.registry)
    )
    reached: dict[str, datetime] = {}
    for line in lines:
        reached[line.clock.key + line.case_id] = _reached(line, principal.agency, services)
    return render(request, "inbox.html", principal, lines=lines, reached=reached)


def _reached(line: ClockLine, agency: str, services: Services) -> datetime:
    """When the escalation reached this agency: the due time plus the delay of its rung."""
    found = services.registry.find(agency)
    party = ESCALATION_PARTY.get(found.kind) if found else None
    try:
        spec = get_profile(line.mechanism).clocks.get(line.clock.name)
    except UnknownMechanism:
        spec = None
    for rung in spec.escalation if spec else ():
        if rung.to is party:
            return line.clock.due_at + rung.after
    return line.clock.due_at
