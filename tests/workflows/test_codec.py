"""``workflows/codec.py``: AES-256-GCM on every payload, the key named in its metadata, rotation, the
case's region unencrypted but bound to the ciphertext, failures encoded too."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from settings import Settings
from workflows.codec import (
    CASE,
    ENCODING,
    KEY_ID,
    REGION,
    RESTRICTED,
    EncryptionCodec,
    Keys,
    KeySetError,
    case_agency,
    case_marker,
    case_of,
    encrypted,
    region_marker,
)
from workflows.engine import DATA_CONVERTER, _region, converter_for, payload_keys

OLD, NEW = os.urandom(32), os.urandom(32)


def _codec(keys: Keys, workflow_id: str | None = "case-EPB-DEMO.T-1") -> EncryptionCodec:
    codec = EncryptionCodec(keys, _region)
    context = WorkflowSerializationContext(namespace="default", workflow_id=workflow_id or "")
    return codec.with_context(context) if workflow_id is not None else codec


async def test_payloads_are_encrypted_under_the_current_key_and_marked_with_the_region() -> None:
    keys = Keys("k1", {"k1": OLD})
    plain = Payload(metadata={"encoding": b"json/plain"}, data="某化工有限公司".encode())
    [sealed] = await _codec(keys).encode([plain])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"k1"
    assert region_marker(sealed) == "demo-county"
    assert "某化工".encode() not in sealed.data
    assert (await _codec(keys).decode([sealed])) == [plain]
    # Two encryptions of the same payload differ (a fresh nonce each time).
    assert (await _codec(keys).encode([plain]))[0].data != sealed.data


async def test_a_rotated_key_still_reads_what_it_wrote() -> None:
    before = _codec(Keys("k1", {"k1": OLD}))
    after = _codec(Keys("k2", {"k2": NEW, "k1": OLD}))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"subject":"x"}')
    [old] = await before.encode([plain])
    [new] = await after.encode([plain])
    assert new.metadata[KEY_ID] == b"k2"
    assert await after.decode([old, new]) == [plain, plain]
    with pytest.raises(ValueError, match="unknown key 'k2'"):
        await before.decode([new])


async def test_a_rewritten_region_or_damaged_payload_does_not_decrypt() -> None:
    codec = _codec(Keys("k1", {"k1": OLD}))
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b"1")])
    forged = Payload()
    forged.CopyFrom(sealed)
    forged.metadata[REGION] = b"east-county"
    with pytest.raises(ValueError, match="tampered"):
        await codec.decode([forged])
    damaged = Payload()
    damaged.CopyFrom(sealed)
    damaged.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(ValueError, match="tampered"):
        await codec.decode([damaged])


async def test_payloads_in_clear_from_before_encryption_still_read() -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"{}")
    assert await _codec(Keys("k1", {"k1": OLD})).decode([plain]) == [plain]
    assert region_marker(plain) is None


async def test_the_region_follows_the_workflow_and_is_restricted_without_a_case() -> None:
    keys = Keys("k1", {"k1": OLD})
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"{}")
    east = EncryptionCodec(keys, _region).with_context(
        ActivitySerializationContext(
            namespace="default", activity_id="1", activity_type="deliver_referral",
            activity_task_queue="q", workflow_id="case-EPB-EAST.R-9", workflow_type="CaseWorkflow",
            is_local=False,
        )
    )  # fmt: skip
    assert region_marker((await east.encode([plain]))[0]) == "east-county"
    for workflow_id in ("clue-0123abcd", None):
        [sealed] = await _codec(keys, workflow_id).encode([plain])
        assert region_marker(sealed) == RESTRICTED
    assert case_agency("case-EPB-DEMO.T-1-ended") == "EPB-DEMO"
    assert case_agency("clue-abc") is None
    [own] = await _codec(keys, "case-EPB-DEMO.T-1").encode([plain])
    assert case_marker(own) == "EPB-DEMO.T-1"
    assert case_of("case-EPB-DEMO.T-1") == "EPB-DEMO.T-1"
    assert case_of("clue-0123") is None
    forged = Payload()
    forged.CopyFrom(own)
    forged.metadata[CASE] = b"EPB-EAST.R-9"
    with pytest.raises(ValueError, match="tampered"):
        await _codec(keys).decode([forged])


async def test_failure_messages_and_traces_are_encoded() -> None:
    converter = encrypted(DATA_CONVERTER, _codec(Keys("k1", {"k1": OLD})))
    failure = Failure()
    await converter.encode_failure(
        ApplicationError("王小明 refused: 某化工 record missing"), failure
    )
    assert "王小明" not in str(failure)
    assert failure.message == "Encoded failure"
    decoded = await converter.decode_failure(failure)
    assert str(decoded) == "王小明 refused: 某化工 record missing"


def test_keys_come_from_the_settings_or_a_development_key_in_the_data_folder(
    tmp_path: Path,
) -> None:
    configured = Settings(
        data_dir=tmp_path,
        payload_keys={"2026-11": base64.b64encode(NEW).decode(), "2026-01": base64.b64encode(OLD).decode()},
        payload_key_id="2026-11",
    )  # fmt: skip
    assert payload_keys(configured) == Keys("2026-11", {"2026-11": NEW, "2026-01": OLD})
    assert not (tmp_path / "payload-keys.json").exists()

    development = Settings(data_dir=tmp_path)
    first = payload_keys(development)
    assert (tmp_path / "payload-keys.json").stat().st_mode & 0o077 == 0
    assert payload_keys(development) == first  # kept, not made again
    assert converter_for(development).payload_codec is not None

    with pytest.raises(KeySetError, match="32"):
        Keys.parse("k", {"k": base64.b64encode(b"short").decode()})
    with pytest.raises(KeySetError, match="not among"):
        Keys.parse("other", {"k": base64.b64encode(NEW).decode()})
