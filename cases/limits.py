"""How large anything a client sends may be, and how large a case may grow.

A case is a workflow whose history Temporal ends at 50 MB or 51,200 events: every text field has a
length limit (declared on the type, so the API documents it in OpenAPI and the workflow enforces it on
every path), lists have a count limit, and the lists a case accumulates are capped. The workflow also
continues as new before its history grows large (see ``HISTORY_EVENTS`` and ``HISTORY_BYTES``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, Strict, StringConstraints

from cases.ids import AGENCY_CODE, CASE_ID, INTAKE_REF

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_only(value: Any) -> Any:
    """JSON has no date type: a number (or a string of digits) would be read as Unix seconds, which
    OpenAPI does not say. An instant is an ISO 8601 date-time, with its offset."""
    if (isinstance(value, str) and _ISO.match(value)) or isinstance(value, datetime):
        return value
    raise ValueError(
        "must be an ISO 8601 date-time with its offset, e.g. 2026-11-27T09:30:00+08:00"
    )


# A required text is read with its surrounding spaces stripped: one of spaces only is empty, and
# refused. OpenAPI says so with a pattern, a character that is not one the reading strips (Unicode's
# White_Space), listed rather than written \S, which ECMA-262 (JSON Schema) reads otherwise; the
# check itself stays the length's ("at least 1 character").
_SPACES = r"\x09-\x0d\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = Field(json_schema_extra={"pattern": f"[^{_SPACES}]"})

# Free text a person writes.
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Reasons = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NOT_BLANK
]
Conclusion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), NOT_BLANK
]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
# A link's note stays on the case with the link (cases.model.CaseLink): shorter than a step's note.
LinkNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
# Short text: titles, names, subjects, document numbers, list lines.
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
]
OptionalTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Subject = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
]
Person = Annotated[str, StringConstraints(max_length=200)]
DocumentNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NOT_BLANK
]
OptionalDocumentNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Instruction = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NOT_BLANK
]
Line = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
]
Lines = Annotated[list[Line], Field(min_length=1, max_length=20)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), NOT_BLANK
]
UnitText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), NOT_BLANK
]
# Identifiers.
AgencyCode = Annotated[str, StringConstraints(pattern=rf"^{AGENCY_CODE}$")]
IntakeRef = Annotated[str, StringConstraints(pattern=rf"^{INTAKE_REF}$")]
CaseId = Annotated[str, StringConstraints(pattern=rf"^{CASE_ID}$")]
RequestId = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[0-9]{1,6}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}$")]
# A running clock's key: its name, or name:request for a clock that runs once per request.
ClockKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,59}(:[A-Za-z0-9_.-]{1,19})?$")
]
DocumentId = Annotated[str, StringConstraints(pattern=r"^N[0-9]{1,4}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# Where an evidence item is kept: a web address, or a file this service stored by its fingerprint.
# A web address has no space and no control character. They are listed, not written \s: what \s
# matches differs between the JSON Schema (ECMA-262) reading of OpenAPI and the API's own (NEL,
# U+0085, is a space to one and not to the other).
_NOT_IN_A_URL = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff<>\""
Location = Annotated[
    str,
    StringConstraints(
        max_length=500,
        pattern=rf"^(https?://[^{_NOT_IN_A_URL}]+|evidence/[A-Za-z0-9][A-Za-z0-9._-]*/[0-9a-f]{{64}})$",
    ),
]
# Numbers and yes/no: JSON's own types. Read leniently, true would be the number 1 and 1 would be
# true, though OpenAPI says a number or a boolean: both are refused, naming the type.


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


NUMBER = BeforeValidator(_not_a_boolean)
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False), NUMBER]
PositiveAmount = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False), NUMBER]
Size = Annotated[int, Field(ge=0, le=10**12), NUMBER]
Count = Annotated[int, Field(ge=1, le=10_000), NUMBER]
Flag = Annotated[bool, Strict()]  # true or false, nothing else
# An instant a client states: with its offset, as text.
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


def _iso_date_only(value: Any) -> Any:
    """A calendar date as ISO 8601 text (2026-11-27), never a number."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("a date must be ISO 8601 text, for example 2026-11-27")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Day = Annotated[date, BeforeValidator(_iso_date_only)]

# What a case may accumulate. A refusal names the limit.
# With every one of them full, a case's state stays under 1.5 MB (a test says so): it travels whole
# into a new run, and Temporal refuses a payload over 2 MB.
MAX_EVIDENCE = 200
MAX_EVIDENCE_PER_ACTION = 50
MAX_MEASUREMENTS = 50
MAX_REQUESTS = 30
MAX_LINKS = 20  # cases of other regions a case is linked to (D3 §3.2)
MAX_SUPPLEMENT_REQUESTS = 10
MAX_TEAM = 10  # officers named on a referral report
KEPT_REFUSALS = 10  # the head's recorded refusals kept on the case (all are in the timeline)
KEPT_TIMELINE = 10  # the newest entries the workflow keeps; the read model keeps them all
KEPT_CLOSED_CLOCKS = 30  # closed clocks the workflow keeps; the read model keeps them all
KEPT_ACTION_KEYS = 500  # Idempotency-Keys of applied actions a case remembers (newest kept)
KEPT_ERROR = 500  # characters of an agency system's refusal kept on the case
KEPT_PAPERS = 20  # the newest papers' records a case keeps (their items stay in its evidence)

# The workflow continues as new when its history passes either budget (or when the server suggests
# it), well below Temporal's limits of 51,200 events and 50 MB.
HISTORY_EVENTS = 4_000
HISTORY_BYTES = 4 * 1024 * 1024
