"""Every payload the engine keeps is encrypted: case facts and personal data never sit in its history
in clear text.

AES-256-GCM with a fresh 96-bit nonce per payload. The payload's metadata names the key (so that a
rotated key still decrypts what it encrypted: new payloads use the current key, every listed key
decrypts) and, unencrypted, the region of the case it belongs to, so that the Web UI's codec endpoint
can refuse a payload outside the caller's scope without decrypting it. Both are bound to the
ciphertext as associated data: a payload whose region was rewritten does not decrypt.

The region comes from the serialization context (the workflow id the payload belongs to): a case's
workflows are named after the case, and the case id after its discovering agency. A case's own
payloads also name the case (``linkage-case``), so that the codec endpoint applies the read model's
visibility rule, which follows a case transferred to another region; the region is what is checked
for a payload of no recorded case. A payload with no case at all (a duty-crime clue, a call made
without a workflow) is marked ``restricted``. Case ids name an agency and the intake system's own
reference: no personal data.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from cases.ids import WORKFLOW_PREFIX, is_case_id

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
REGION = "linkage-region"
CASE = "linkage-case"
RESTRICTED = "restricted"  # no case's region: decoded for nobody through the Web UI
NONCE = 12


class KeySetError(ValueError):
    """A key set that cannot be used: the process stops at start-up with this message."""


@dataclasses.dataclass(frozen=True)
class Keys:
    """The keys payloads are encrypted with: the current one for new payloads, all for reading."""

    current: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeySetError(f"the current payload key '{self.current}' is not among the keys")
        for kid, key in self.keys.items():
            if len(key) != 32:
                raise KeySetError(f"payload key '{kid}' is {len(key)} bytes; AES-256 needs 32")
            if not kid or ":" in kid or len(kid) > 40:
                raise KeySetError(f"payload key id '{kid}' must be 1-40 characters without ':'")

    @classmethod
    def parse(cls, current: str, encoded: dict[str, str]) -> Keys:
        """Keys as settings hold them: base64 (standard or URL-safe) of 32 random bytes each."""
        keys: dict[str, bytes] = {}
        for kid, text in encoded.items():
            try:
                keys[kid] = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_"))
            except ValueError as exc:
                raise KeySetError(f"payload key '{kid}' is not base64: {exc}") from None
        return cls(current, keys)

    @classmethod
    def development(cls, data_dir: Path) -> Keys:
        """A key generated once and kept in the data folder (``make run`` and the tests): never for
        production, where the keys come from the settings (a secret store)."""
        file = data_dir / "payload-keys.json"
        if not file.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            kid = f"dev-{secrets.token_hex(4)}"
            body = {
                "current": kid,
                "keys": {kid: base64.urlsafe_b64encode(os.urandom(32)).decode()},
            }
            temporary = file.with_suffix(".tmp")
            temporary.write_text(json.dumps(body))
            temporary.chmod(0o600)
            try:
                os.link(temporary, file)  # the first process to make it wins; others read it
            except FileExistsError:
                pass
            finally:
                temporary.unlink(missing_ok=True)
        data = json.loads(file.read_text())
        return cls.parse(str(data["current"]), dict(data["keys"]))


def case_agency(workflow_id: str) -> str | None:
    """The discovering agency of the case a workflow belongs to (its own, its notices'), if any."""
    if not workflow_id.startswith(WORKFLOW_PREFIX) or "." not in workflow_id:
        return None
    return workflow_id.removeprefix(WORKFLOW_PREFIX).split(".", 1)[0]


def case_of(workflow_id: str) -> str | None:
    """The case a workflow is the case's own workflow of (its notices' workflows name no case)."""
    rest = workflow_id.removeprefix(WORKFLOW_PREFIX)
    return rest if rest != workflow_id and is_case_id(rest) else None


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(
        self,
        keys: Keys,
        region_of: Callable[[str], str | None],
        workflow_id: str | None = None,
        ciphers: dict[str, AESGCM] | None = None,
    ) -> None:
        self._keys = keys
        self._ciphers = ciphers or {kid: AESGCM(key) for kid, key in keys.keys.items()}
        self._region_of = region_of
        self._workflow_id = workflow_id

    def with_context(self, context: SerializationContext) -> Self:
        """The codec for one workflow's payloads (the SDK asks for one per payload sequence: the
        ciphers are the same objects)."""
        workflow_id = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            workflow_id = context.workflow_id
        return type(self)(self._keys, self._region_of, workflow_id, self._ciphers)

    def _region(self) -> str:
        agency = case_agency(self._workflow_id or "")
        return (self._region_of(agency) if agency else None) or RESTRICTED

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        kid, region = self._keys.current, self._region()
        case = case_of(self._workflow_id or "") or ""
        cipher = self._ciphers[kid]
        marks = {"encoding": ENCODING, KEY_ID: kid.encode(), REGION: region.encode()}
        if case:
            marks[CASE] = case.encode()
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE)
            bound = _bound(kid, region, case)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), bound)
            out.append(Payload(metadata=marks, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(p) for p in payloads]

    def open(self, payload: Payload) -> Payload:
        """The payload in clear; one not encrypted (from before encryption) is returned as it is."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get(KEY_ID, b"").decode()
        region = payload.metadata.get(REGION, b"").decode()
        case = payload.metadata.get(CASE, b"").decode()
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise ValueError(f"payload encrypted with unknown key '{kid}'")
        try:
            bound = _bound(kid, region, case)
            clear = cipher.decrypt(payload.data[:NONCE], payload.data[NONCE:], bound)
        except InvalidTag:
            raise ValueError("payload does not decrypt: damaged or tampered with") from None
        decoded = Payload()
        decoded.ParseFromString(clear)
        return decoded


def region_marker(payload: Payload) -> str | None:
    """The region an encrypted payload was marked with; None for a payload in clear."""
    if payload.metadata.get("encoding") != ENCODING:
        return None
    return payload.metadata.get(REGION, RESTRICTED.encode()).decode()


def case_marker(payload: Payload) -> str | None:
    """The case an encrypted payload was marked with, if any."""
    case = payload.metadata.get(CASE, b"").decode()
    return case or None


def _bound(kid: str, region: str, case: str) -> bytes:
    """The metadata the ciphertext is bound to: rewritten, the payload does not decrypt. (A payload
    naming no case is bound as the first encrypted payloads were, before they named their case.)"""
    return (f"{kid}\n{region}" + (f"\n{case}" if case else "")).encode()


def encrypted(converter: DataConverter, codec: EncryptionCodec) -> DataConverter:
    """``converter`` with every payload, failure messages and stack traces included, encrypted."""
    return dataclasses.replace(
        converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
