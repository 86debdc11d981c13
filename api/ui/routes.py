"""Dashboard pages. Every page shows only what the API would show the signed-in person, and every
button goes through the same action path as the API (``send_action``), so the rules stay in one place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.access import scope_for
from api.deps import ServicesDep, find_visible, point_read
from api.errors import ApiError
from api.ui import i18n
from api.ui.session import (
    COOKIE,
    LIFETIME,
    issue,
    principal_of,
    same_site,
    secret_for,
)
from cases.calendar import CHINA_TZ
from cases.model import ClockState
from cases.profiles import default_profiles
from cases.rules import clock_rules
from cases.vocabulary import Stage
from store.dashboard import STALLED_COUNTED, overview
from store.principals import Principal, authenticate
from store.queries import CaseFilter, list_cases
from store.tables import CaseRow

router = APIRouter(include_in_schema=False)
_pages = jinja2.Environment(
    loader=jinja2.FileSystemLoader(FilePath(__file__).parent / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
# Each page passes its language's ``gettext`` (as ``_``); none installed is English as written.
_pages.install_null_translations()  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_pages)
LANG = "linkage_lang"
PAGE = 25


class SignIn(Exception):
    """Not signed in: go to the sign-in page and come back."""

    def __init__(self, path: str) -> None:
        self.path = path


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG, "zh")
    return lang if lang in i18n.LANGUAGES else "zh"


class Missing(Exception):
    """A case this person may not see, or none at all: the dashboard's one "not found" page, the
    same for both (the API's 404 ``case_not_found``)."""

    def __init__(self, principal: Principal, error: ApiError) -> None:
        self.principal = principal
        self.error = error


def safe_next(target: str) -> str:
    """Where to go after signing in or switching language: a path on this site, never another
    (``//host``, ``/\\host`` and a path with control characters are read by browsers as one)."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return "/"
    return target


def same_origin(request: Request) -> None:
    """A form posted from another site is refused: the session cookie is SameSite=None when the
    Web UI is on another site (for the codec endpoint), so the browser's own origin check is what
    keeps a page elsewhere from acting as the signed-in person (cross-site request forgery)."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if request.method == "POST" and origin is not None and origin != own:
        raise ApiError(
            403, "cross_site_request", f"a form from {origin[:100]} may not act here",
            "use the dashboard's own pages",
        )  # fmt: skip


async def signed_in(request: Request, services: ServicesDep) -> Principal:
    """The signed-in person (a dependency of every page but sign-in); otherwise to sign-in."""
    same_origin(request)
    principal = principal_of(
        secret_for(services.settings), services.engine, request.cookies.get(COOKIE)
    )
    if principal is None:
        raise SignIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


async def seen_case(
    case_id: Annotated[str, Path(description="The case id.")],
    principal: SignedIn,
    services: ServicesDep,
) -> CaseRow:
    """The case's row if the signed-in person may see it, by the API's own rule (``find_visible``);
    otherwise the "not found" page, whether or not the case exists."""
    try:
        return await find_visible(case_id, principal, services)
    except ApiError as exc:
        raise Missing(principal, exc) from None


SeenCase = Annotated[CaseRow, Depends(seen_case)]


def missing_page(request: Request, exc: Missing) -> HTMLResponse:
    return render(request, "missing.html", exc.principal, exc.error.status, error=exc.error.body)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    now = datetime.now(UTC)
    registry = request.app.state.services.registry
    return templates.TemplateResponse(
        request,
        template,
        status_code=status_code,
        context={
            "lang": lang,
            **i18n.words(lang, registry),
            "local": _local,
            "span": lambda seconds: _span(seconds, lang),
            "pct": lambda value: "—" if value is None else f"{value:.0%}",
            # Each form carries its own key: a double submit (or a resend after an outage) is
            # applied once, as an API client's Idempotency-Key is.
            "form_key": lambda: uuid.uuid4().hex,
            "clock_title": lambda clock: _clock_title(clock, lang),
            "principal": principal,
            "now": now,
            "path": request.url.path,
            **context,
        },
    )


def _clock_title(clock: ClockState, lang: str) -> str:
    return clock.title_en if lang == "en" else clock.title_zh


def _local(instant: datetime | str | None) -> str:
    """An instant in Beijing time; the case's state comes as JSON, so it may be ISO 8601 text."""
    if not instant:
        return ""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return instant.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


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
    return render(request, "login.html", None, next=safe_next(next), failed=failed)


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    same_origin(request)
    principal = await point_read(services, authenticate, services.engine, key.strip())
    target = safe_next(next)
    if principal is None:
        return RedirectResponse(
            f"/login?{urlencode({'next': target, 'failed': 'true'})}", status_code=303
        )
    response = RedirectResponse(target, status_code=303)
    # The Temporal Web UI sends this cookie to the codec endpoint: across sites only a cookie marked
    # SameSite=None goes with its calls, and browsers keep such a cookie only when it is Secure.
    https = request.url.scheme == "https"
    cross_site = https and not same_site(str(request.base_url), services.settings.temporal_ui_url)
    response.set_cookie(
        COOKIE,
        issue(secret_for(services.settings), principal),
        max_age=LIFETIME,
        httponly=True,
        samesite="none" if cross_site else "lax",
        # Over HTTPS (behind a proxy, as its X-Forwarded-Proto says) the cookie never goes in clear.
        secure=https,
    )
    return response


@router.get("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/lang/{code}")
async def switch_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(LANG, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
async def overview_page(
    request: Request, principal: SignedIn, services: ServicesDep
) -> HTMLResponse:
    now = datetime.now(UTC)
    today_end = datetime.combine(
        now.astimezone(CHINA_TZ).date() + timedelta(days=1), datetime.min.time(), CHINA_TZ
    )
    data = await run_in_threadpool(
        overview,
        services.engine,
        scope_for(principal, services.registry),
        now,
        today_end,
    )
    stages = [s.value for s in Stage]
    return render(
        request,
        "overview.html",
        principal,
        data=data,
        stages=stages,
        stalled_counted=STALLED_COUNTED,
    )


@router.get("/list", response_class=HTMLResponse)
async def list_page(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    overdue: Annotated[str | None, Query(max_length=5)] = None,
    escalated: Annotated[str | None, Query(max_length=5)] = None,
    key_case: Annotated[str | None, Query(max_length=5)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
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
    found = await run_in_threadpool(
        list_cases,
        services.engine,
        scope_for(principal, services.registry),
        filters,
        now,
        PAGE,
        (page - 1) * PAGE,
    )
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    counted = max(1, -(-found.total // PAGE))
    return render(
        request,
        "list.html",
        principal,
        rows=found.rows,
        total=found.total,
        exact=found.exact,
        page=page,
        pages=counted if found.exact else max(counted, page + (found.last is not None)),
        filters=filters,
        query=urlencode(query),
        stages=[s.value for s in Stage],
    )


@router.get("/rules", response_class=HTMLResponse)
async def rules_page(request: Request, principal: SignedIn) -> HTMLResponse:
    """The clocks of every mechanism new cases start under, from the profiles (a running case keeps
    the profile it started with)."""
    rows = clock_rules(default_profiles())
    mechanisms = [(name, list(group)) for name, group in groupby(rows, key=lambda r: r.mechanism)]
    return render(request, "rules.html", principal, mechanisms=mechanisms)
