"""``POST /cases/{id}/evidence``: a file (stored under the data folder) or a reference by URL, each
recorded on the case with its SHA-256 fingerprint, through the ``record_evidence`` step."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import CurrentPrincipal, ServicesDep, VisibleCase
from api.errors import RESPONSES, ApiError
from api.routes.actions import send_step
from api.schemas import ActorPublic, EvidencePublic
from cases.payloads import problems_of
from cases.steps import STEPS
from cases.steps.evidence import NewItem, RecordEvidence

router = APIRouter(prefix="/cases", tags=["evidence"], responses=RESPONSES)
CHUNK = 1024 * 1024
ITEM: TypeAdapter[NewItem] = TypeAdapter(NewItem)
RECORD_EVIDENCE = STEPS["record_evidence"]

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ITEM.json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["kind", "title", "file"],
                "properties": {
                    "kind": {"type": "string", "example": "monitoring_report"},
                    "title": {"type": "string", "maxLength": 200, "example": "总排口监测报告"},
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


def read_item(data: Any, fix: str) -> NewItem:
    """An item as the ``record_evidence`` step reads it: the same limits on every path."""
    try:
        return ITEM.validate_python(data)
    except ValidationError as exc:
        problems = problems_of(exc)
        raise ApiError(422, "invalid_input", "; ".join(problems), fix, problems=problems) from None


@router.post(
    "/{case_id}/evidence",
    operation_id="add_evidence",
    status_code=201,
    response_model=EvidencePublic,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def add_evidence(
    row: VisibleCase, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> EvidencePublic:
    """Record an evidence item: upload the file (multipart) or reference it by URL with its SHA-256."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        kind, title, upload = form.get("kind"), form.get("title"), form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(
                422, "invalid_input", "a multipart upload needs the fields 'kind', 'title' and 'file'",
                "send kind and title as text fields and the file as 'file'",
            )  # fmt: skip
        fix = "send kind and title as text fields and the file as 'file'"
        read_item({"kind": kind, "title": title, "sha256": "0" * 64}, fix)  # before storing
        sha, reference, size = await run_in_threadpool(
            store_upload, services.settings.data_dir, row.case_id, upload
        )
        item = read_item(
            {"kind": kind, "title": title, "sha256": sha, "reference": reference, "size": size},
            fix,
        )
    elif content_type.startswith("application/json"):
        try:
            raw: Any = await request.json()
        except ValueError:
            raise ApiError(
                422, "invalid_input", "the body is not JSON", "send {kind, title, reference, sha256}"
            ) from None  # fmt: skip
        item = read_item(raw, "send {kind, title, reference, sha256} as JSON")
    else:
        raise ApiError(
            415, "unsupported_media_type", f"cannot take '{content_type or 'no content type'}'",
            "send multipart/form-data (a file) or application/json (a reference)",
        )  # fmt: skip
    outcome = await send_step(
        services, principal, row, RECORD_EVIDENCE, RecordEvidence(items=[item])
    )
    return EvidencePublic(
        case_id=row.case_id,
        seq=int(outcome.refs.get("evidence_seq", "0")),
        kind=item.kind,
        title=item.title,
        sha256=item.sha256,
        reference=item.reference,
        size=item.size,
        recorded_by=ActorPublic(
            agency=principal.agency, role=principal.role, person=principal.name
        ),
        recorded_at=outcome.at,
    )
