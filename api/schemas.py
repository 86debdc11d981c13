"""API schemas: the public side of the domain's models, separate from the read model's tables.

The case summary and the clock extend the domain's models (the same lineage as the tables), adding
only what a reader needs besides: whether a deadline has passed, and how long is left.

Every instant the API answers with has one format, whatever offset the case or the read model holds
it in: UTC, ISO 8601, to the microsecond, with ``Z`` (``2026-11-27T01:30:00.000000Z``). Every schema
that may hold an instant derives from ``Public``, whose serializer writes each instant so (the others
derive from ``Plain``); the case's state, a plain dict, is written the same way by ``api.views``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    Field,
    FieldSerializationInfo,
    SerializerFunctionWrapHandler,
    field_serializer,
)
from pydantic_core import to_jsonable_python

from cases.model import ClockState
from cases.projection import CaseProjection

INSTANT = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"  # the one format, as a pattern


def instant_text(value: datetime) -> str:
    """An instant as the API writes it. The domain's instants are aware; a naive one is UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _as_text(value: Any) -> Any:
    """The instants in plain dicts and lists (a clock's escalations, say) as text."""
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_text(v) for v in value]
    return value


def _holds_instant(value: Any) -> bool:
    if isinstance(value, datetime):
        return True
    if isinstance(value, dict):
        return any(_holds_instant(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_instant(v) for v in value)
    return False


class Public(BaseModel):
    """The base of the API's schemas: every instant in a field, or in a plain dict or list of one,
    is written in the one format (nested schemas write their own)."""

    # Fields whose values are made public already (``api.views.state_public``): not walked again.
    _written: ClassVar[frozenset[str]] = frozenset()

    def _instants(
        self, value: Any, handler: SerializerFunctionWrapHandler, info: FieldSerializationInfo
    ) -> Any:
        if info.field_name not in self._written and _holds_instant(value):
            return to_jsonable_python(_as_text(value))
        return handler(value)

    # Unannotated, the serializer leaves each field's own type in the schema of the answers
    # (OpenAPI's responses); annotated, every field would read "any".
    del _instants.__annotations__["return"]
    _write_instants = field_serializer("*", mode="wrap", when_used="json")(_instants)


class Plain(BaseModel):
    """The base of the schemas with no instant in them (text, numbers, flags and lists of these,
    or other ``Plain`` schemas): written by pydantic alone, without ``Public``'s walk of each field
    (a case's page has hundreds of such fields). ``tests/api/test_instants.py`` keeps them so."""


class CaseSummary(CaseProjection, Public):
    overdue: bool = Field(description="The next deadline has passed.")
    workflow_status: str | None = Field(
        default=None,
        description="Set when the case's workflow ended without the case being archived "
        "(terminated, failed, timed out): the case can take no further step.",
    )


class CasePage(Public):
    items: list[CaseSummary]
    total: int = Field(description="How many cases match, counted up to 10 000.")
    total_exact: bool = Field(
        default=True, description="False when more match than ``total`` counted."
    )
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None,
        description="Pass as ``cursor`` for the next page; none when this page is the last.",
    )


class ClockPublic(ClockState, Public):
    overdue: bool
    seconds_left: int


class FieldPublic(Plain):
    name: str
    kind: str = Field(description="text, textarea, lines, select, bool, number or structured")
    required: bool
    choices: list[str] = Field(default_factory=list)


class AllowedAction(Plain):
    action: str
    label_zh: str
    label_en: str
    source: str
    required: list[str]
    fields: list[FieldPublic]
    final: bool = Field(
        default=False,
        description="Cannot be undone by whoever takes it (a refusal, a withdrawal, the archive; "
        "only another party's remedy may reverse it): confirm with the person before sending it.",
    )


class MovePublic(Plain):
    action: str
    agency: str
    party: str
    roles: list[str]


class ChecklistLinePublic(Plain):
    key: str
    label_zh: str
    label_en: str
    source: str
    required: bool
    met: bool
    met_by: list[int]


class OutsideCallPublic(Public):
    """A call to an agency system (or the notifier) that has not succeeded yet, as the engine retries
    it: an agency that cannot be reached shows here, not only as a clock running."""

    call: str = Field(examples=["deliver_referral"])
    attempts: int = Field(description="attempts made so far (the one under way included)")
    state: str = Field(examples=["scheduled", "started"])
    last_error: str | None = Field(
        default=None, examples=["PSB-DEMO: http://…/referrals answered 503"]
    )
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None


class CaseLinkPublic(Public):
    """A link between this case and a case of another region (区域联动, D3 §3.2: 一查到底): the other
    case by its id and region only. Its details are the other region's: open it only where
    ``visible`` (the caller may see that case by the usual rule)."""

    case_id: str = Field(description="The other case.", examples=["EPB-EAST.2026-1120-0007"])
    region: str = Field(description="The other case's region.", examples=["east-county"])
    relation: str = Field(
        description="What the other case is to this one: source, downstream or related.",
        examples=["source"],
    )
    direction: str = Field(
        description="'to': this case made the link; 'from': the other case linked this one.",
        examples=["to"],
    )
    linked_at: datetime
    visible: bool = Field(description="Whether you may open the other case.")
    note: str = Field(
        default="",
        description="The linking case's note; on a link from another case, only if you may see it.",
    )


class CaseDetail(Public):
    _written = frozenset({"state"})

    summary: CaseSummary
    live: bool = Field(
        description="True when the actions and moves are the case's own (from its workflow, or from "
        "its state as its last write stored it while nothing can have moved it since); False when "
        "the workflow could not be asked or has ended: read-model data only, no actions."
    )
    state: dict[str, Any] | None
    stages: list[str] = Field(description="The mechanism's stages, in order.")
    open_clocks: list[ClockPublic]
    allowed_actions: list[AllowedAction]
    awaited_actions: list[str] = Field(
        default_factory=list,
        description="Of allowed_actions (which list them first), those the case waits for from "
        "you: each stops a clock your agency and role hold.",
    )
    moves: list[MovePublic]
    referral_checklist: list[ChecklistLinePublic]
    evidence_checklist: list[ChecklistLinePublic]
    outside_calls: list[OutsideCallPublic] = Field(
        default_factory=list,
        description="Calls to agency systems still being retried, with their attempts and last error.",
    )
    links: list[CaseLinkPublic] = Field(
        default_factory=list,
        description="Cases of other regions this case is linked to, and those linked to it.",
    )


class ActorPublic(Public):
    agency: str
    role: str
    person: str


class TimelineEntryPublic(Public):
    seq: int
    at: datetime
    action: str
    actor: ActorPublic | None
    stage_from: str
    stage_to: str
    details: dict[str, str]


class ActionOutcome(Public):
    case_id: str
    action: str
    seq: int
    stage: str
    at: datetime
    refs: dict[str, str]


class EvidencePublic(Public):
    case_id: str
    seq: int
    kind: str
    title: str
    sha256: str | None
    reference: str | None
    size: int | None
    recorded_by: ActorPublic
    recorded_at: datetime


class Health(Public):
    status: str
    temporal: str
    database: str
