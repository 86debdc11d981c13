"""The dashboard's case page and its forms: a step taken from a form, an evidence file uploaded.
Each goes through the same visibility and the same steps as the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import Services, ServicesDep
from api.errors import ApiError
from api.routes.actions import read_body, send_step
from api.routes.cases import case_detail
from api.routes.evidence import forget, maybe_taken, read_item, store_upload
from api.ui.routes import SeenCase, SignedIn, render
from api.ui.session import flashed, secret_for, signed_flash
from cases.checklists import CATALOGUE
from cases.ids import IDEMPOTENCY_KEY_RE, workflow_id
from cases.payloads import fields_of
from cases.steps import STEPS
from cases.steps.evidence import RecordEvidence
from cases.vocabulary import SIDE_STAGES, Stage
from store.queries import evidence
from store.records import timeline

router = APIRouter(include_in_schema=False)


@router.get("/case/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request,
    row: SeenCase,
    principal: SignedIn,
    services: ServicesDep,
    done: Annotated[str | None, Query(max_length=60)] = None,
    refused: Annotated[str | None, Query(max_length=60)] = None,
    message: Annotated[str | None, Query(max_length=1000)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    case_id = row.case_id
    flash = signed_flash(
        secret_for(services.settings), case_id, sig, done=done, refused=refused, message=message
    )
    try:
        detail = await case_detail(services, principal, row)
    except ApiError as exc:
        return render(request, "missing.html", principal, exc.status, error=exc.body)
    entries, items = await run_in_threadpool(_rows, services, case_id)
    progress = [s for s in detail.stages if Stage(s) not in SIDE_STAGES] or [
        s.value for s in Stage if s not in SIDE_STAGES
    ]
    forms = [a for a in detail.allowed_actions if all(f.kind != "structured" for f in a.fields)]
    can_add_evidence = any(a.action == "record_evidence" for a in detail.allowed_actions)
    workflow_link = (
        f"{services.settings.temporal_ui_url.rstrip('/')}/namespaces/"
        f"{quote(services.settings.temporal_namespace)}/workflows/{quote(workflow_id(case_id))}"
    )
    return render(
        request,
        "case.html",
        principal,
        case=detail,
        state=detail.state or {},
        entries=entries,
        items=items,
        # Each item a later one corrected or withdrew, and that later item.
        replaced={i.corrects: i for i in items if i.corrects is not None},
        forms=forms,
        can_add_evidence=can_add_evidence,
        kinds=sorted(CATALOGUE.values(), key=lambda k: k.key),
        progress=progress,
        workflow_link=workflow_link,
        **flash,
    )


def _rows(services: Services, case_id: str) -> tuple[list[Any], list[Any]]:
    return timeline(services.engine, case_id), evidence(services.engine, case_id)


def _body(form: Any, action: str) -> dict[str, Any]:
    """A step's body from its form: the fields its payload declares, typed as the form shows them."""
    body: dict[str, Any] = {}
    for field in fields_of(STEPS[action].payload):
        value = form.get(field.name)
        if not isinstance(value, str) or not value.strip():
            continue
        if field.kind == "lines":
            body[field.name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif field.kind == "bool":
            body[field.name] = value == "true"
        else:
            body[field.name] = value.strip()
    return body


@router.post("/case/{case_id}/act/{action}")
async def act(
    request: Request, row: SeenCase, action: str, principal: SignedIn, services: ServicesDep
) -> Response:
    case_id = row.case_id
    step = STEPS.get(action)
    if step is None:
        return _back(
            services, case_id, refused="unknown_action", message=f"unknown action '{action[:60]}'"
        )
    form = await request.form(max_fields=30)
    try:
        payload = read_body(step, _body(form, action))
        outcome = await send_step(services, principal, row, step, payload, _form_key(form))
    except ApiError as exc:
        return _back(services, case_id, refused=exc.body.code, message=exc.body.reason)
    return _back(services, case_id, done=outcome.action)


@router.post("/case/{case_id}/evidence")
async def add_evidence(
    request: Request, row: SeenCase, principal: SignedIn, services: ServicesDep
) -> Response:
    case_id = row.case_id
    form = await request.form(max_files=1, max_fields=10)
    kind, title, upload = form.get("kind"), form.get("title"), form.get("file")
    if not isinstance(upload, UploadFile):
        return _back(
            services, case_id, refused="invalid_input", message="kind, title and a file are needed"
        )
    fix = "choose a kind, give a title, attach the file"
    try:
        read_item({"kind": kind, "title": title, "sha256": "0" * 64}, fix)  # before storing
        kept = await run_in_threadpool(store_upload, services, principal, row.case_id, upload)
    except ApiError as exc:  # an invalid kind or title, or past what the person may store
        return _back(services, case_id, refused=exc.body.code, message=exc.body.reason)
    try:
        item = read_item(
            {
                "kind": kind,
                "title": title,
                "sha256": kept.sha256,
                "reference": kept.reference,
                "size": kept.size,
            },
            fix,
        )
        await send_step(
            services,
            principal,
            row,
            STEPS["record_evidence"],
            RecordEvidence(items=[item]),
            _form_key(form),
        )
    except ApiError as exc:
        if not maybe_taken(exc):  # a refused upload keeps no file
            await run_in_threadpool(forget, services, [kept])
        return _back(services, case_id, refused=exc.body.code, message=exc.body.reason)
    return _back(services, case_id, done="record_evidence")


def _form_key(form: Any) -> str | None:
    """The form's own key (see ``form_key``), if it is one."""
    value = form.get("idempotency_key")
    return value if isinstance(value, str) and IDEMPOTENCY_KEY_RE.fullmatch(value) else None


def _back(services: Services, case_id: str, **flash: str) -> Response:
    return flashed(secret_for(services.settings), f"/case/{quote(case_id)}", case_id, **flash)
