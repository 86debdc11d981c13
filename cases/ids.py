"""The shapes of identifiers: agency codes, intake refs, case ids and the workflow id of a case.

Each format is written here once. A case id joins the discovering agency's code and the intake
system's own reference with a dot; agency codes never contain a dot, so the join is unambiguous even
when one agency's code is another's followed by '-' (``EPB`` and ``EPB-XH``).
"""

from __future__ import annotations

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
    return CASE_ID_RE.match(value) is not None


def workflow_id(case_id: str) -> str:
    """The Temporal workflow id of a case (one workflow per case, for its whole life)."""
    return f"{WORKFLOW_PREFIX}{case_id}"


def step_key(case_id: str, *parts: str | int) -> str:
    """An idempotency key for one outside step of a case: the same on every retry of that step."""
    return "-".join([workflow_id(case_id), *(str(p) for p in parts)])
