"""Sealed text: a reporter's identity, encrypted before it enters anything (``cases.reports``).

The payload codec already encrypts what the engine keeps; a sealed identity is encrypted once more,
bound to its report, so that neither a decoded history (the Web UI's codec endpoint) nor a read-model
row nor a log line ever shows it. Only the API opens it, for the roles a mechanism allows (and writes
down each look), and the worker, to send the reporter a reply. AES-256-GCM under the payload keys: a
rotated key still opens what it sealed.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "s1"
NONCE = 12


class SealError(ValueError):
    """Sealed text that does not open: another key set, or damaged."""


@dataclass(frozen=True)
class Identity:
    name: str = ""
    phone: str = ""
    address: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name or self.phone or self.address)

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.address)


class Sealer:
    def __init__(self, current: str, keys: dict[str, bytes]) -> None:
        self._current = current
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}

    def seal(self, identity: Identity, report_id: str) -> str:
        if identity.empty:
            return ""
        clear = json.dumps(
            {"name": identity.name, "phone": identity.phone, "address": identity.address},
            ensure_ascii=False,
        ).encode()
        nonce = os.urandom(NONCE)
        sealed = self._ciphers[self._current].encrypt(nonce, clear, _bound(report_id))
        body = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{VERSION}:{self._current}:{body}"

    def open(self, text: str, report_id: str) -> Identity:
        if not text:
            return Identity()
        try:
            version, kid, body = text.split(":", 2)
            cipher = self._ciphers[kid]
            raw = base64.urlsafe_b64decode(body)
            clear = cipher.decrypt(raw[:NONCE], raw[NONCE:], _bound(report_id))
            data = json.loads(clear)
        except (ValueError, KeyError, InvalidTag) as exc:
            raise SealError(f"a sealed identity of report {report_id} does not open") from exc
        if version != VERSION:
            raise SealError(f"unknown sealing '{version}'")
        return Identity(str(data["name"]), str(data["phone"]), str(data["address"]))


def _bound(report_id: str) -> bytes:
    """Sealed for one report: copied onto another, it does not open."""
    return f"reporter\n{report_id}".encode()
