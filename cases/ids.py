"""The shapes of identifiers: agency codes, intake refs, case ids and the workflow id of a case.

Each format is written here once. A case id joins the discovering agency's code and the intake
system's own reference with a dot; agency codes never contain a dot, so the join is unambiguous even
when one agency's code is another's followed by '-' (``EPB`` and ``EPB-XH``).
"""

from __future__ import annotations

import hashlib
import re

AGENCY_CODE = r"[A-Z][A-Z0-9-]{1,39}"
INTAKE_REF = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
CASE_ID = rf"{AGENCY_CODE}\.{INTAKE_REF}"
REGION_CODE = r"[a-z][a-z0-9-]{1,39}"

AGENCY_CODE_RE = re.compile(rf"^{AGENCY_CODE}$")
INTAKE_REF_RE = re.compile(rf"^{INTAKE_REF}$")
CASE_ID_RE = re.compile(rf"^{CASE_ID}$")
REGION_CODE_RE = re.compile(rf"^{REGION_CODE}$")

WORKFLOW_PREFIX = "case-"


def case_id_for(agency: str, intake_ref: str) -> str:
    """The case id an intake decides: the intake system's own id, under its agency."""
    return f"{agency}.{intake_ref}"


def is_case_id(value: str) -> bool:
    return CASE_ID_RE.fullmatch(value) is not None  # ``$`` alone would let a final newline by


def workflow_id(case_id: str) -> str:
    """The Temporal workflow id of a case (one workflow per case, for its whole life)."""
    return f"{WORKFLOW_PREFIX}{case_id}"


def case_id_of(workflow: str) -> str:
    """The case a case workflow's id names."""
    return workflow.removeprefix(WORKFLOW_PREFIX)


def step_key(case_id: str, *parts: str | int) -> str:
    """An idempotency key for one outside step of a case: the same on every retry of that step."""
    return "-".join([workflow_id(case_id), *(str(p) for p in parts)])


# An action sent with an Idempotency-Key: its update id names the caller's key and the request it
# came with, hashed (update ids are kept in clear text in the engine's history), so that the case
# can tell a repeat (same key, same request) from a key used again for something else.
ACTION_KEY_PREFIX = "idem"
IDEMPOTENCY_KEY = r"[\x21-\x7e]{1,200}"  # visible ASCII, as RFC 9110 field values allow
IDEMPOTENCY_KEY_RE = re.compile(rf"^{IDEMPOTENCY_KEY}$")


def _digest(*parts: str | bytes, size: int) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:size]


def action_update_id(principal: int | str, key: str, action: str, body: bytes) -> str:
    """The update id of an action sent with ``key`` by ``principal``: the same for a repeat of the
    same request, so the engine and the case apply it once."""
    return ":".join(
        [ACTION_KEY_PREFIX, _digest(str(principal), key, size=32), _digest(action, body, size=32)]
    )


def action_key(update_id: str) -> tuple[str, str] | None:
    """The caller's key and the request's fingerprint of an update id made by ``action_update_id``;
    None for any other id (an action sent without a key)."""
    parts = update_id.split(":")
    if len(parts) != 3 or parts[0] != ACTION_KEY_PREFIX:
        return None
    return parts[1], parts[2]
