"""``POST /cases/{id}/evidence``: a file (stored under the data folder) or a reference by URL, each
recorded on the case with its SHA-256 fingerprint, through the ``record_evidence`` step."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import CurrentPrincipal, Services, ServicesDep, VisibleCase
from api.errors import RESPONSES, UNAVAILABLE, ApiError, ErrorBody, invalid_payload
from api.routes.actions import IdempotencyKey, send_step
from api.schemas import ActorPublic, EvidencePublic
from cases.limits import MAX_EVIDENCE_PER_ACTION
from cases.payloads import PayloadError, read, schema
from cases.steps import STEPS
from cases.steps.evidence import NewItem, RecordEvidence
from store.files import reference
from store.principals import Principal
from store.uploads import OverQuota, charge, discharge

router = APIRouter(prefix="/cases", tags=["evidence"], responses=RESPONSES)
log = structlog.get_logger(__name__)
CHUNK = 1024 * 1024
RECORD_EVIDENCE = STEPS["record_evidence"]

_ITEM = schema(NewItem)["properties"]
# One file as OpenAPI describes it. Several go in one step by repeating the three parts, in the same
# order: that their counts must match is more than a schema can say, so it is said in words.
_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": schema(NewItem)},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "description": "One file with its kind and title. Several files in one step: "
                "repeat 'kind', 'title' and 'file', in the same order, up to "
                f"{MAX_EVIDENCE_PER_ACTION} of each.",
                "required": ["kind", "title", "file"],
                "properties": {
                    "kind": _ITEM["kind"],
                    "title": _ITEM["title"],
                    "file": {"type": "string", "format": "binary"},
                },
            }
        },
    },
}


@dataclass
class Stored:
    """An uploaded file kept (``store.files``), named by its case and fingerprint."""

    case_id: str
    sha256: str
    reference: str  # evidence/<case>/<sha256>, as items reference it
    size: int
    new: bool  # not kept before: a refused step forgets it
    charged: bool  # charged to the uploader now (``store.uploads``): a refused step takes it back


def forget(services: Services, stored: list[Stored]) -> None:
    """A step the case refused keeps no file it brought (one already kept before stays), and
    charges no one for it: every charge is taken back first, then each file removed on its own (a
    file the store fails to remove is logged, and the refusal still answers as a refusal)."""
    for item in stored:
        if item.charged:
            discharge(services.engine, item.case_id, item.sha256)
    for item in stored:
        if item.new:
            try:
                services.files.forget(item.case_id, item.sha256)
            except Exception as exc:
                log.warning("evidence file not removed", case_id=item.case_id, error=str(exc)[:200])


def maybe_taken(exc: ApiError) -> bool:
    """A 5xx (the case did not answer in time, the service was unreachable) may have come after the
    step was taken: the files it names are kept, and a repeat finds them (a refusal is a 4xx)."""
    return exc.status >= 500


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


QUOTA_FIX = (
    "reference large material by URL with its SHA-256 instead (JSON: kind, title, reference, "
    "sha256), or ask the operators to raise the quota (LINKAGE_UPLOAD_QUOTA_BYTES)"
)


def store_unavailable() -> ApiError:
    return ApiError(
        503,
        "evidence_store_unavailable",
        "the evidence store did not take the file, and nothing was kept",
        "send the upload again in a moment (the same Idempotency-Key is safe)",
    )


def quota_exceeded(used: int, needed: int, allowed: int) -> ApiError:
    return ApiError(
        413,
        "storage_quota_exceeded",
        f"the evidence files your key has stored take {_size(used)} of the {_size(allowed)} it "
        f"may store; this upload needs {_size(needed)} more and is not kept",
        QUOTA_FIX,
        used=used,
        needed=needed,
        allowed=allowed,
    )


def store_upload(
    services: Services, principal: Principal, case_id: str, upload: UploadFile
) -> Stored:
    """Fingerprint the upload on its way to a local file, charge it to the principal, then keep it
    where evidence is kept (``store.files``): over its quota, the file is not kept (413
    ``storage_quota_exceeded``)."""
    incoming = services.settings.data_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=incoming, delete=False) as out:
        received = Path(out.name)
    try:
        with received.open("wb") as written:
            upload.file.seek(0)
            while chunk := upload.file.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                written.write(chunk)
        sha = digest.hexdigest()
        allowed = services.settings.upload_quota_bytes
        charged = charge(services.engine, principal.id, case_id, sha, size, allowed)
        try:
            new = services.files.keep(case_id, sha, received)
        except Exception as exc:
            if charged:
                discharge(services.engine, case_id, sha)
            log.warning("evidence store refused a file", case_id=case_id, error=str(exc)[:200])
            raise store_unavailable() from None
    except OverQuota as exc:
        raise quota_exceeded(exc.used, exc.needed, exc.allowed) from None
    finally:
        received.unlink(missing_ok=True)
    return Stored(case_id, sha, reference(case_id, sha), size, new, charged)


def read_item(data: Any, fix: str) -> NewItem:
    """An item as the ``record_evidence`` step reads it: the same limits on every path."""
    try:
        return read(NewItem, data)
    except PayloadError as exc:
        raise invalid_payload(exc, fix) from None


@router.post(
    "/{case_id}/evidence",
    operation_id="add_evidence",
    status_code=201,
    response_model=EvidencePublic | list[EvidencePublic],
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={
        **UNAVAILABLE,
        415: {"model": ErrorBody, "description": "neither multipart/form-data nor JSON"},
        413: {
            "model": ErrorBody,
            "description": "payload_too_large: a file over 20 MB (or a JSON body over 256 KB); "
            "storage_quota_exceeded: the files the key has stored and this upload would pass "
            "what one key may store (LINKAGE_UPLOAD_QUOTA_BYTES); the file is not kept",
            "content": {
                "application/json": {
                    "examples": {
                        "storage_quota_exceeded": {
                            "value": quota_exceeded(
                                2 * 1024**3 - 1024**2, 20 * 1024**2, 2 * 1024**3
                            ).body.model_dump()
                        }
                    }
                }
            },
        },
    },
)
async def add_evidence(
    row: VisibleCase,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> EvidencePublic | list[EvidencePublic]:
    """Record evidence: upload files (multipart; several in one request are one step, answered with
    the list) or reference one item by URL with its SHA-256 (JSON; several references in one step:
    the ``record_evidence`` action). What one key may store in files is capped: past it, a 413
    ``storage_quota_exceeded`` says how much is used and allowed, and the file is not kept."""
    content_type = request.headers.get("content-type", "")
    stored: list[Stored] = []
    if content_type.startswith("multipart/form-data"):
        items = await _uploads(request, row.case_id, services, principal, stored)
    elif content_type.startswith("application/json"):
        try:
            raw: Any = await request.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than any item is
            raise ApiError(
                422, "invalid_input", "the body is not JSON", "send {kind, title, reference, sha256}"
            ) from None  # fmt: skip
        items = [read_item(raw, "send {kind, title, reference, sha256} as JSON")]
    else:
        raise ApiError(
            415, "unsupported_media_type", f"cannot take '{content_type or 'no content type'}'",
            "send multipart/form-data (a file) or application/json (a reference)",
        )  # fmt: skip
    try:
        outcome = await send_step(
            services, principal, row, RECORD_EVIDENCE, RecordEvidence(items=items), idempotency_key
        )
    except ApiError as exc:
        if not maybe_taken(exc):
            await run_in_threadpool(forget, services, stored)
        raise
    first = int(outcome.refs.get("evidence_seq", "0"))
    recorded = [
        EvidencePublic(
            case_id=row.case_id,
            seq=first + i,
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
        for i, item in enumerate(items)
    ]
    return recorded[0] if len(recorded) == 1 else recorded


UPLOAD_FIX = (
    "send each file as 'file' with its 'kind' and 'title' fields, in the same order "
    f"(up to {MAX_EVIDENCE_PER_ACTION} files in one request)"
)


async def _uploads(
    request: Request, case_id: str, services: Services, principal: Principal, stored: list[Stored]
) -> list[NewItem]:
    """The files of a multipart upload, each with its kind and title, checked before any is kept;
    several go on the case in one step. ``stored`` receives each file kept, for a refusal to
    forget."""
    form = await request.form(
        max_files=MAX_EVIDENCE_PER_ACTION, max_fields=3 * MAX_EVIDENCE_PER_ACTION + 10
    )
    kinds, titles, files = form.getlist("kind"), form.getlist("title"), form.getlist("file")
    uploads = [f for f in files if isinstance(f, UploadFile)]
    if not uploads or len(uploads) != len(files) or not len(kinds) == len(titles) == len(files):
        raise ApiError(422, "invalid_input", "each file needs its 'kind' and 'title'", UPLOAD_FIX)
    for kind, title in zip(kinds, titles, strict=True):  # before storing anything
        read_item({"kind": kind, "title": title, "sha256": "0" * 64}, UPLOAD_FIX)
    items = []
    try:
        for kind, title, upload in zip(kinds, titles, uploads, strict=True):
            kept = await run_in_threadpool(store_upload, services, principal, case_id, upload)
            stored.append(kept)
            data = {
                "kind": kind,
                "title": title,
                "sha256": kept.sha256,
                "reference": kept.reference,
                "size": kept.size,
            }
            items.append(read_item(data, UPLOAD_FIX))
    except BaseException:  # a refusal, or the store down: nothing this request brought is kept
        await run_in_threadpool(forget, services, stored)
        raise
    return items
