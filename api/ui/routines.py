"""The dashboard's routine pages: the joint meetings, reports and bulletins a person may see, one
meeting with its agenda and decisions, and the procuratorate's list. Every page and form goes
through the API's own routes (``api.routes.routines``): the same visibility rule, the same
refusals, decided in the workflows' validators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError

from api.deps import Services, ServicesDep
from api.errors import ApiError
from api.routes import event_bulletins as events
from api.routes import routines as routes
from api.ui.routes import SignedIn, render
from api.ui.session import flashed, secret_for, signed_flash
from cases.calendar import CHINA_TZ, beijing_time
from cases.event_bulletins import EventKind, check_issuer
from cases.meetings import DecisionBody, may_convene
from cases.model import Actor
from cases.profiles import default_profiles
from cases.referral_watch import MARK_LABELS, MarkOutcome
from cases.routines import AGENDA_LABELS, RISK_LABELS
from cases.vocabulary import Role
from store.principals import Principal

router = APIRouter(include_in_schema=False)
MeetingId = Annotated[str, Path(max_length=160, pattern=routes.ROUTINE_ID)]
ACTIONS = ("record_decision", "close_meeting", "decision_done")
DECISION: TypeAdapter[DecisionBody] = TypeAdapter(DecisionBody)


def _said(table: dict[Any, tuple[str, str]], lang: str) -> dict[str, str]:
    return {k.value: v[1] if lang == "en" else v[0] for k, v in table.items()}


def _labels(request: Request) -> dict[str, Any]:
    lang = request.cookies.get("linkage_lang", "zh")
    return {
        # A due instant as a deadline reads: a due date ends at 24:00 of that day.
        "deadline": lambda instant: beijing_time(instant) if instant else "—",
        "agenda_reasons": _said(AGENDA_LABELS, lang),
        "risk_reasons": _said(RISK_LABELS, lang),
        "mark_outcomes": _said(MARK_LABELS, lang),
    }


def _watches(principal: Principal) -> bool:
    return Role(principal.role) in (Role.PROCURATOR, Role.COORDINATOR, Role.LEADER)


@router.get("/routines", response_class=HTMLResponse)
async def routines_page(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    done: Annotated[str | None, Query(max_length=60)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
    message: Annotated[str | None, Query(max_length=1000)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    meetings = await routes.list_meetings(principal, services)
    bulletins = await routes.list_bulletins(principal, services)
    watch = await routes.list_watch(principal, services) if _watches(principal) else None
    flash = _flash(services, "routines", done=done, refused=refused, message=message, sig=sig)
    return render(
        request,
        "routines.html",
        principal,
        meetings=meetings,
        bulletins=bulletins,
        watch=watch,
        marks=[o.value for o in MarkOutcome],
        may_name=_issuable(EventKind.TYPICAL_CASE, principal, services),
        may_alert=_issuable(EventKind.EMERGENCY, principal, services),
        region_name=lambda code: services.registry.region(code).name,
        **flash,
        **_labels(request),
    )


@router.get("/routines/meeting/{meeting_id}", response_class=HTMLResponse)
async def meeting_page(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    meeting_id: MeetingId,
    done: Annotated[str | None, Query(max_length=60)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
    message: Annotated[str | None, Query(max_length=1000)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    try:
        meeting = await routes.get_meeting(meeting_id, principal, services)
    except ApiError as exc:
        return render(request, "missing.html", principal, 404, error=exc.body)
    actor = Actor(principal.agency, Role(principal.role), principal.name)
    convenes = may_convene(actor, services.registry, meeting.region)
    owners = [a.code for a in services.registry if a.region == meeting.region]
    flash = _flash(services, meeting_id, done=done, refused=refused, message=message, sig=sig)
    return render(
        request,
        "meeting.html",
        principal,
        meeting=meeting,
        convenes=convenes,
        owners=owners,
        **flash,
        **_labels(request),
    )


@router.post("/routines/meeting/{meeting_id}/act/{action}")
async def act(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    meeting_id: MeetingId,
    action: Annotated[str, Path(max_length=60)],
) -> Response:
    if action not in ACTIONS:
        return _back(services, meeting_id, refused="unknown_action", message=action[:60])
    form = await request.form(max_fields=10)

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    try:
        if action == "record_decision":
            body = DECISION.validate_python(
                {k: text(k) for k in ("title", "owner", "due_on", "note")}
            )
            await routes.record_decision(meeting_id, body, principal, services)
        elif action == "close_meeting":
            await routes.close_meeting(
                meeting_id, routes.CloseBody(summary=text("summary")), principal, services
            )
        else:
            await routes.decision_done(
                meeting_id,
                routes.DoneBody(decision_id=text("decision_id"), note=text("note")),
                principal,
                services,
            )
    except ValidationError as exc:
        return _back(services, meeting_id, refused="invalid_input", message=str(exc)[:500])
    except ApiError as exc:
        return _back(services, meeting_id, refused=exc.body.code, message=exc.body.reason)
    return _back(services, meeting_id, done=action)


@router.get("/routines/bulletin/{bulletin_id}/{format}")
async def bulletin_file(
    principal: SignedIn,
    services: ServicesDep,
    bulletin_id: Annotated[str, Path(max_length=160, pattern=routes.ROUTINE_ID)],
    format: routes.Format,
) -> Response:
    return await routes.get_bulletin_file(bulletin_id, format, principal, services)


@router.get("/routines/meeting/{meeting_id}/papers/{format}")
async def minutes_file(
    principal: SignedIn,
    services: ServicesDep,
    meeting_id: MeetingId,
    format: Literal["html", "pdf"],
) -> Response:
    return await routes.get_minutes(meeting_id, format, principal, services)


@router.post("/routines/watch/mark")
async def mark(request: Request, principal: SignedIn, services: ServicesDep) -> Response:
    form = await request.form(max_fields=5)
    outcome, note, case_id = form.get("outcome"), form.get("note"), form.get("case_id")
    try:
        if not isinstance(case_id, str) or not 0 < len(case_id) <= 110:
            raise ValueError("case_id")
        body = routes.MarkBody(outcome=MarkOutcome(str(outcome)), note=str(note or "").strip())
        await routes.mark_watch(case_id, body, principal, services)
    except (ValueError, ValidationError) as exc:
        return _back(services, "routines", refused="invalid_input", message=str(exc)[:500])
    except ApiError as exc:
        return _back(services, "routines", refused=exc.body.code, message=exc.body.reason)
    return _back(services, "routines", done="mark")


def _issuable(kind: EventKind, principal: Principal, services: Services) -> list[str]:
    """The mechanisms whose ``kind`` of D4 §5 bulletin this person may start, by the rule itself
    (``check_issuer``): the page offers the form only to them."""
    agency = services.registry.find(principal.agency)
    if agency is None:
        return []
    actor = Actor(principal.agency, Role(principal.role), principal.name)
    return [
        name
        for name, profile in default_profiles().items()
        if (spec := profile.event_bulletins.get(kind)) is not None
        and not profile.demo
        and check_issuer(kind, actor, services.registry, agency.region, spec) is None
    ]


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/routines/typical-case")
async def name_typical_case(
    request: Request, principal: SignedIn, services: ServicesDep
) -> Response:
    """D4 §5 (典型案件限时通报), through the API's own route."""
    form = await request.form(max_fields=5)
    try:
        body = events.TypicalCaseBody(
            mechanism=_text(form, "mechanism") or events.DEFAULT_MECHANISM,
            case_id=_text(form, "case_id"),
            reason=_text(form, "reason"),
        )
        await events.name_typical_case(body, principal, services, Response(), _key(form))
    except ValidationError as exc:
        return _back(services, "routines", refused="invalid_input", message=_problems(exc))
    except ApiError as exc:
        return _back(services, "routines", refused=exc.body.code, message=exc.body.reason)
    return _back(services, "routines", done="typical_case")


@router.post("/routines/emergency")
async def issue_emergency(request: Request, principal: SignedIn, services: ServicesDep) -> Response:
    """D4 §5 (重大紧急情报“零时差”通报): delivered at once; the form's own key makes a double
    submit deliver it once. The time is read as Beijing time, as the page shows it."""
    form = await request.form(max_fields=6)
    try:
        happened = datetime.fromisoformat(_text(form, "happened_at"))
        body = events.EmergencyBody(
            mechanism=_text(form, "mechanism") or events.DEFAULT_MECHANISM,
            what=_text(form, "what"),
            place=_text(form, "place"),
            happened_at=happened if happened.tzinfo else happened.replace(tzinfo=CHINA_TZ),
        )
        await events.issue_emergency(body, principal, services, Response(), _key(form))
    except ValidationError as exc:
        return _back(services, "routines", refused="invalid_input", message=_problems(exc))
    except ValueError:
        return _back(services, "routines", refused="invalid_input", message="happened_at")
    except ApiError as exc:
        return _back(services, "routines", refused=exc.body.code, message=exc.body.reason)
    return _back(services, "routines", done="emergency")


@router.post("/routines/bulletin/{bulletin_id}/issue")
async def issue_typical_case(
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    bulletin_id: Annotated[str, Path(max_length=160, pattern=routes.ROUTINE_ID)],
) -> Response:
    form = await request.form(max_fields=3)
    try:
        body = events.IssueBody(text=_text(form, "text"))
        await events.issue_typical_case(bulletin_id, body, principal, services)
    except ValidationError as exc:
        return _back(services, "routines", refused="invalid_input", message=_problems(exc))
    except ApiError as exc:
        return _back(services, "routines", refused=exc.body.code, message=exc.body.reason)
    return _back(services, "routines", done="issue")


def _key(form: Any) -> str | None:
    value = form.get("idempotency_key")
    return value if isinstance(value, str) and 0 < len(value) <= 100 else None


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())[
        :500
    ]


def _flash(services: Services, key: str, *, sig: str | None, **flash: str | None) -> dict[str, Any]:
    return signed_flash(secret_for(services.settings), key, sig, **flash)


def _back(services: Services, key: str, **flash: str) -> Response:
    where = "/routines" if key == "routines" else f"/routines/meeting/{quote(key)}"
    return flashed(secret_for(services.settings), where, key, **flash)
