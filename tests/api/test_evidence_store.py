"""Evidence files in an S3-compatible object store (``LINKAGE_EVIDENCE_URL=s3://…``), as API replicas
on several hosts share them: a real S3 endpoint over HTTP (moto's server), the same routes, the same
rules (one object per case and fingerprint, a refused step keeps nothing it brought, the quota)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import httpx
import pytest
from moto.server import ThreadedMotoServer
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import InProcess, in_process
from tests.api.helpers import OFFICER, POLICE, open_case
from tests.api.test_evidence import upload
from tests.services import free_port

BUCKET = "linkage-evidence"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture
async def s3_stack(
    dev_server: WorkflowEnvironment, simulator_url: str, s3_endpoint: str, bucket: Any
) -> AsyncIterator[InProcess]:
    async with in_process(
        dev_server,
        simulator_url,
        evidence_url=f"s3://{BUCKET}/cases",
        evidence_s3_endpoint=s3_endpoint,
        evidence_s3_region="us-east-1",
        upload_quota_bytes=64,
    ) as stack:
        yield stack


def objects(s3: Any, case_id: str) -> set[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"cases/{case_id}/")
    return {o["Key"] for o in listed.get("Contents", [])}


async def test_uploads_are_kept_in_the_bucket_once_and_a_refused_step_keeps_none(
    s3_stack: InProcess, bucket: Any
) -> None:
    transport = httpx.ASGITransport(app=s3_stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as api:
        case_id = await open_case(api, s3_stack)
        content = b"site sketch, scanned"
        sha = hashlib.sha256(content).hexdigest()
        for _ in range(2):  # the same file twice: one object
            kept = await api.post(
                f"/cases/{case_id}/evidence",
                data={"kind": "site_sketch", "title": "现场示意图"},
                files={"file": ("sketch.pdf", content)},
                headers=s3_stack.auth(*OFFICER),
            )
            assert kept.status_code == 201, kept.text
        assert objects(bucket, case_id) == {f"cases/{case_id}/{sha}"}
        body = bucket.get_object(Bucket=BUCKET, Key=f"cases/{case_id}/{sha}")["Body"].read()
        assert body == content
        assert kept.json()["reference"] == f"evidence/{case_id}/{sha}"
        # Not the police's step yet: refused, and the object it brought is gone again.
        refused = await upload(api, case_id, b"refused upload", s3_stack.auth(*POLICE))
        assert refused.status_code == 409, refused.text
        assert objects(bucket, case_id) == {f"cases/{case_id}/{sha}"}
        # Charged once for the file sent twice, and not for the refused one: 20 + 40 of 64 fit.
        fits = await upload(api, case_id, b"y" * 40, s3_stack.auth(*OFFICER))
        assert fits.status_code == 201, fits.text
        assert len(objects(bucket, case_id)) == 2
        # Past the key's quota (60 of 64 bytes used): 413, and nothing stored.
        big = await upload(api, case_id, b"x" * 5, s3_stack.auth(*OFFICER))
        assert big.status_code == 413, big.text
        assert len(objects(bucket, case_id)) == 2
    assert not list((s3_stack.data_dir / "incoming").iterdir())  # nothing left on the way


def test_an_evidence_url_that_names_no_store_is_refused() -> None:
    from pydantic import ValidationError

    from settings import Settings

    for wrong in ("ftp://host/x", "s3://", "file://", "/srv/evidence"):
        with pytest.raises(ValidationError, match="neither"):
            Settings(evidence_url=wrong)


async def test_a_store_that_does_not_take_the_file_is_a_503_and_charges_nothing(
    dev_server: WorkflowEnvironment, simulator_url: str, s3_endpoint: str, bucket: Any
) -> None:
    async with in_process(
        dev_server,
        simulator_url,
        evidence_url="s3://no-such-bucket/cases",
        evidence_s3_endpoint=s3_endpoint,
        evidence_s3_region="us-east-1",
        upload_quota_bytes=64,
    ) as stack:
        transport = httpx.ASGITransport(app=stack.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            case_id = await open_case(api, stack)
            for _ in range(3):  # 3 x 30 bytes: each would pass the quota, had one been charged
                down = await upload(api, case_id, b"z" * 30, stack.auth(*OFFICER))
                assert down.status_code == 503, down.text
                assert down.json()["code"] == "evidence_store_unavailable"
        assert not list((stack.data_dir / "incoming").iterdir())
