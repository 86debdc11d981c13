"""``api/routes/evidence.py``: files and references, each fingerprinted, through the same step (and
the same limits) as ``record_evidence``; in process."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, detail, ok, open_case, shape
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
