"""``POST /cases/{id}/evidence``: a file (stored under the data folder) or a reference by URL, each
recorded on the case with its SHA-256 fingerprint."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import CurrentPrincipal, ServicesDep
from api.errors import RESPONSES, ApiError
from api.routes.actions import send_action
from api.routes.cases import visible_case
from api.schemas import ActorPublic, EvidencePublic, EvidenceReference
from cases.actions import Action, ActionPayload
from cases.checklists import CATALOGUE

router = APIRouter(prefix="/cases", tags=["evidence"], responses=RESPONSES)
CHUNK = 1024 * 1024

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": EvidenceReference.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["kind", "title", "file"],
                "properties": {
                    "kind": {"type": "string", "example": "monitoring_report"},
                    "title": {"type": "string", "example": "总排口监测报告"},
                    "file": {"type": "string", "format": "binary"},
                },
            }
        },
    },
}


def store_upload(data_dir: Path, case_id: str, upload: UploadFile) -> tuple[str, str, int]:
    """Copy the upload under the data folder, named by its fingerprint; returns (sha256, path, size)."""
    folder = data_dir / "evidence" / case_id
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as out:
        upload.file.seek(0)
        while chunk := upload.file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    sha = digest.hexdigest()
    final = folder / sha
    os.replace(out.name, final)
    return sha, f"evidence/{case_id}/{sha}", size


def check_kind(kind: str) -> None:
    if kind not in CATALOGUE:
        raise ApiError(
            422, "invalid_input", f"unknown evidence kind '{kind}'",
            f"use one of: {', '.join(sorted(CATALOGUE))}",
        )  # fmt: skip


@router.post(
    "/{case_id}/evidence",
    operation_id="add_evidence",
    status_code=201,
    response_model=EvidencePublic,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def add_evidence(
    case_id: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> EvidencePublic:
    """Record an evidence item: upload the file (multipart) or reference it by URL with its SHA-256."""
    await visible_case(case_id, principal, services)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        kind, title, upload = form.get("kind"), form.get("title"), form.get("file")
        if (
            not isinstance(kind, str)
            or not isinstance(title, str)
            or not isinstance(upload, UploadFile)
        ):
            raise ApiError(
                422, "invalid_input", "a multipart upload needs the fields 'kind', 'title' and 'file'",
                "send kind and title as text fields and the file as 'file'",
            )  # fmt: skip
        if not title.strip() or len(title) > 400:
            raise ApiError(
                422,
                "invalid_input",
                "'title' must be 1 to 400 characters",
                "shorten or fill the title",
            )
        check_kind(kind)
        sha, reference, size = await run_in_threadpool(
            store_upload, services.settings.data_dir, case_id, upload
        )
        payload = ActionPayload(
            kind=kind, title=title.strip(), sha256=sha, reference=reference, size=size
        )
    elif content_type.startswith("application/json"):
        try:
            raw: Any = await request.json()
            item = EvidenceReference.model_validate(raw)
        except ValueError as exc:
            problems = exc.errors() if isinstance(exc, ValidationError) else []
            raise ApiError(
                422, "invalid_input",
                "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems) or "the body is not JSON",
                "send {kind, title, reference, sha256} as JSON", problems=[
                    {"at": ".".join(map(str, p["loc"])), "problem": p["msg"]} for p in problems
                ],
            ) from None  # fmt: skip
        check_kind(item.kind)
        payload = ActionPayload(
            kind=item.kind,
            title=item.title,
            sha256=item.sha256,
            reference=item.reference,
            size=item.size,
        )
    else:
        raise ApiError(
            415, "unsupported_media_type", f"cannot take '{content_type or 'no content type'}'",
            "send multipart/form-data (a file) or application/json (a reference)",
        )  # fmt: skip
    outcome = await send_action(services, principal, case_id, Action.RECORD_EVIDENCE, payload)
    return EvidencePublic(
        case_id=case_id,
        seq=int(outcome.refs.get("evidence_seq", "0")),
        kind=payload.kind or "",
        title=payload.title,
        sha256=payload.sha256,
        reference=payload.reference,
        size=payload.size,
        recorded_by=ActorPublic(
            agency=principal.agency, role=principal.role, person=principal.name
        ),
        recorded_at=outcome.at,
    )
