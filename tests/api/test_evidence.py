"""``api/routes/evidence.py``: files and references, each fingerprinted, through the same step (and
the same limits) as ``record_evidence``; in process."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import pytest

from api import engine
from api.errors import ApiError
from store.principals import create_key
from tests.api.conftest import UPLOAD_QUOTA, InProcess
from tests.api.helpers import OFFICER, detail, ok, open_case, shape, to_sent
from tests.api.matrix import EVERYONE, ON_A

REFERENCE = {
    "kind": "complaint",
    "title": "举报材料",
    "reference": "https://files.example/c.pdf",
    "sha256": "b" * 64,
}


@pytest.fixture(scope="module")
async def case_a(stack: InProcess) -> str:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
        return await open_case(client, stack)


async def test_a_file_is_stored_by_its_fingerprint(
    api: httpx.AsyncClient, stack: InProcess, case_a: str
) -> None:
    content = "采样记录: COD 420 mg/L".encode()
    upload = await api.post(
        f"/cases/{case_a}/evidence",
        data={"kind": "sampling_records", "title": "采样记录"},
        files={"file": ("sampling.txt", content, "text/plain")},
        headers=stack.auth(*OFFICER),
    )
    assert upload.status_code == 201, upload.text
    item = upload.json()
    assert item["sha256"] == hashlib.sha256(content).hexdigest()
    assert item["size"] == len(content)
    assert item["reference"] == f"evidence/{case_a}/{item['sha256']}"
    assert (stack.data_dir / item["reference"]).read_bytes() == content
    state = (await detail(api, stack, case_a))["state"]
    assert state["evidence"][item["seq"] - 1]["sha256"] == item["sha256"]


async def test_several_files_go_on_the_case_in_one_step(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    files = [
        ("file", ("a.txt", b"site inspection", "text/plain")),
        ("file", ("b.txt", b"interviews", "text/plain")),
    ]
    data = {
        "kind": ["site_inspection_report", "party_interviews"],
        "title": ["勘验报告", "询问笔录"],
    }
    upload = await api.post(
        f"/cases/{case_id}/evidence", data=data, files=files, headers=stack.auth(*OFFICER)
    )
    assert upload.status_code == 201, upload.text
    recorded = upload.json()
    assert [(r["seq"], r["kind"]) for r in recorded] == [
        (1, "site_inspection_report"),
        (2, "party_interviews"),
    ]
    timeline = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    assert [e["action"] for e in timeline] == ["open", "record_evidence"]  # one step
    unpaired = await api.post(
        f"/cases/{case_id}/evidence",
        data={"kind": ["complaint"], "title": ["x"]},
        files=files,
        headers=stack.auth(*OFFICER),
    )
    assert unpaired.status_code == 422
    assert shape(unpaired)["code"] == "invalid_input"


async def test_a_reference_is_recorded_with_its_fingerprint(
    api: httpx.AsyncClient, stack: InProcess, case_a: str
) -> None:
    item = await ok(
        api.post(f"/cases/{case_a}/evidence", json=REFERENCE, headers=stack.auth(*OFFICER))
    )
    assert (item["kind"], item["sha256"], item["recorded_by"]["agency"]) == (
        "complaint",
        "b" * 64,
        "EPB-DEMO",
    )


@EVERYONE
async def test_each_principal_adds_evidence_where_it_may(
    api: httpx.AsyncClient, stack: InProcess, case_a: str, agency: str, role: str
) -> None:
    added = await api.post(
        f"/cases/{case_a}/evidence", json=REFERENCE, headers=stack.auth(agency, role)
    )
    assert added.status_code == ON_A[(agency, role)][3], added.text


BAD_EVIDENCE: list[tuple[str, dict[str, Any], int, str]] = [
    ("no content type", {"content": b"raw"}, 415, "unsupported_media_type"),
    (
        "plain text",
        {"content": b"raw", "headers": {"Content-Type": "text/plain"}},
        415,
        "unsupported_media_type",
    ),
    (
        "not JSON",
        {"content": b"{oops", "headers": {"Content-Type": "application/json"}},
        422,
        "invalid_input",
    ),
    (
        "neither fingerprint nor reference",
        {"json": {"kind": "complaint", "title": "x"}},
        422,
        "invalid_input",
    ),
    (
        "a file: reference",
        {"json": {**REFERENCE, "reference": "file:///etc/passwd"}},
        422,
        "invalid_input",
    ),
    (
        "a gopher: reference",
        {"json": {**REFERENCE, "reference": "gopher://x/1"}},
        422,
        "invalid_input",
    ),
    ("unknown kind", {"json": {**REFERENCE, "kind": "rumour"}}, 422, "invalid_input"),
    ("a title too long", {"json": {**REFERENCE, "title": "x" * 80_000}}, 422, "invalid_input"),
    ("unknown field", {"json": {**REFERENCE, "colour": "red"}}, 422, "invalid_input"),
    (
        "upload without file",
        {"data": {"kind": "complaint", "title": "x"}, "files": {"other": ("a", b"a")}},
        422,
        "invalid_input",
    ),
    (
        "upload of unknown kind",
        {"data": {"kind": "rumour", "title": "x"}, "files": {"file": ("a.txt", b"a")}},
        422,
        "invalid_input",
    ),
    (
        "upload without title",
        {"data": {"kind": "complaint"}, "files": {"file": ("a.txt", b"a")}},
        422,
        "invalid_input",
    ),
]


@pytest.mark.parametrize(
    ("title", "request_args", "status", "code"), BAD_EVIDENCE, ids=[b[0] for b in BAD_EVIDENCE]
)
async def test_bad_evidence(
    api: httpx.AsyncClient,
    stack: InProcess,
    case_a: str,
    title: str,
    request_args: dict[str, Any],
    status: int,
    code: str,
) -> None:
    args = dict(request_args)
    args["headers"] = {**args.get("headers", {}), **stack.auth(*OFFICER)}
    response = await api.post(f"/cases/{case_a}/evidence", **args)
    assert response.status_code == status, response.text
    assert shape(response)["code"] == code


async def test_a_refused_kind_or_title_stores_no_file(
    api: httpx.AsyncClient, stack: InProcess, case_a: str
) -> None:
    folder = stack.data_dir / "evidence" / case_a
    before = set(folder.iterdir()) if folder.exists() else set()
    for data in ({"kind": "rumour", "title": "x"}, {"kind": "complaint", "title": "t" * 201}):
        response = await api.post(
            f"/cases/{case_a}/evidence",
            data=data,
            files={"file": ("orphan.txt", b"orphan")},
            headers=stack.auth(*OFFICER),
        )
        assert response.status_code == 422
    after = set(folder.iterdir()) if folder.exists() else set()
    assert after == before


async def test_an_upload_the_case_refuses_leaves_no_file(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    """Kind and title are fine, but the step is not the caller's now (the police before the case
    reaches them): the case refuses it, and the file it brought is not kept; one kept before stays."""
    case_id = await open_case(api, stack)
    folder = stack.data_dir / "evidence" / case_id
    kept = await api.post(
        f"/cases/{case_id}/evidence",
        data={"kind": "complaint", "title": "举报材料"},
        files={"file": ("kept.txt", b"kept before")},
        headers=stack.auth(*OFFICER),
    )
    assert kept.status_code == 201, kept.text
    before = set(folder.iterdir())
    for content in (b"refused upload", b"kept before"):
        refused = await api.post(
            f"/cases/{case_id}/evidence",
            data={"kind": "complaint", "title": "警方材料"},
            files={"file": ("x.txt", content)},
            headers=stack.auth("PSB-DEMO", "officer"),
        )
        assert refused.status_code == 409, refused.text
    assert set(folder.iterdir()) == before


async def test_an_oversized_upload_is_413(
    api: httpx.AsyncClient, stack: InProcess, case_a: str
) -> None:
    upload = await api.post(
        f"/cases/{case_a}/evidence",
        data={"kind": "complaint", "title": "大文件"},
        files={"file": ("big.bin", b"\0" * (21 * 1024 * 1024))},
        headers=stack.auth(*OFFICER),
    )
    assert upload.status_code == 413
    assert shape(upload)["code"] == "payload_too_large"


def new_officer(stack: InProcess) -> dict[str, str]:
    """A key of its own, which has stored nothing yet."""
    _, key = create_key(stack.engine, name="新执法", agency="EPB-DEMO", role="officer")
    return {"Authorization": f"Bearer {key}"}


async def upload(
    api: httpx.AsyncClient, case_id: str, content: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await api.post(
        f"/cases/{case_id}/evidence",
        data={"kind": "photo_video_list", "title": "现场照片"},
        files={"file": ("photos.bin", content)},
        headers=headers,
    )


def kept_in(stack: InProcess, case_id: str) -> set[str]:
    folder = stack.data_dir / "evidence" / case_id
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


async def test_what_one_key_may_store_is_capped(api: httpx.AsyncClient, stack: InProcess) -> None:
    """Issue 11 (item 2): past its quota a key's upload is a 413 that says how much is used and
    allowed and what to do, and the file is not kept; the same file again stores nothing more."""
    case_id = await open_case(api, stack)
    officer = new_officer(stack)
    first, second = b"a" * 40_000, b"b" * 40_000
    assert (await upload(api, case_id, first, officer)).status_code == 201
    again = await upload(api, case_id, first, officer)  # the case holds it: nothing more stored
    assert again.status_code == 201, again.text
    over = await upload(api, case_id, second, officer)
    assert over.status_code == 413, over.text
    error = shape(over)
    assert error["code"] == "storage_quota_exceeded"
    assert error["details"] == {"used": 40_000, "needed": 40_000, "allowed": UPLOAD_QUOTA}
    assert "39.1 KiB of the 64.0 KiB" in error["reason"]
    assert "reference" in error["fix"]
    assert "LINKAGE_UPLOAD_QUOTA_BYTES" in error["fix"]
    assert kept_in(stack, case_id) == {hashlib.sha256(first).hexdigest()}
    # Several files in one request that together do not fit: none is kept.
    both = await api.post(
        f"/cases/{case_id}/evidence",
        data={"kind": ["complaint", "complaint"], "title": ["x", "y"]},
        files=[("file", ("x", b"x" * 20_000)), ("file", ("y", b"y" * 20_000))],
        headers=officer,
    )
    assert (both.status_code, shape(both)["code"]) == (413, "storage_quota_exceeded")
    assert kept_in(stack, case_id) == {hashlib.sha256(first).hexdigest()}
    # Another key, of the same agency and role, has an allowance of its own.
    assert (await upload(api, case_id, second, new_officer(stack))).status_code == 201


async def test_uploads_at_once_do_not_together_pass_the_quota(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    officer = new_officer(stack)
    contents = [bytes([i]) * 30_000 for i in range(3)]
    answers = await asyncio.gather(*(upload(api, case_id, c, officer) for c in contents))
    assert sorted(a.status_code for a in answers) == [201, 201, 413]
    assert len(kept_in(stack, case_id)) == 2


async def test_an_upload_the_case_refuses_is_not_counted(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    """A refused step keeps no file, and charges none to the key."""
    officer = new_officer(stack)
    sent = await open_case(api, stack)
    await to_sent(api, stack, sent)  # the package is with the police: not the officer's move
    refused = await upload(api, sent, b"r" * 40_000, officer)
    assert refused.status_code == 409, refused.text
    other = await open_case(api, stack)
    assert (await upload(api, other, b"s" * 60_000, officer)).status_code == 201


async def test_the_quota_is_in_the_contract(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    answer = document["paths"]["/cases/{case_id}/evidence"]["post"]["responses"]["413"]
    assert "storage_quota_exceeded" in answer["description"]
    example = answer["content"]["application/json"]["examples"]["storage_quota_exceeded"]
    assert example["value"]["code"] == "storage_quota_exceeded"
    assert set(example["value"]["details"]) == {"used", "needed", "allowed"}


async def test_an_upload_that_may_have_been_taken_keeps_its_file(
    api: httpx.AsyncClient, stack: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the case does not answer in time the step may have been taken after all: the file it
    would name stays (and stays counted), so the evidence never points at a file that is gone; a
    repeat stores nothing more."""
    case_id = await open_case(api, stack)
    officer = new_officer(stack)

    async def no_answer(*_args: object) -> None:
        raise ApiError(
            503, "case_service_unavailable", "the case did not answer in time", "try again"
        )

    with monkeypatch.context() as patched:
        patched.setattr(engine, "take_step", no_answer)
        late = await upload(api, case_id, b"l" * 40_000, officer)
    assert late.status_code == 503
    assert kept_in(stack, case_id) == {hashlib.sha256(b"l" * 40_000).hexdigest()}
    assert (await upload(api, case_id, b"l" * 40_000, officer)).status_code == 201  # not again
    assert (await upload(api, case_id, b"m" * 40_000, officer)).status_code == 413
