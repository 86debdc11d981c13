"""The bodies of steps: typed, with their limits on their fields, read the same way on every path.

Every step declares its own payload dataclass (next to the step, in ``cases/steps/``). The limits
live on the field types (``cases.limits``); pydantic reads them, so the API publishes them in OpenAPI
and refuses a bad body with 422, and the workflow's validator reads the update's body with the same
type and refuses the same body with ``invalid_payload``. Unknown fields are refused on both paths.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar, get_args, get_origin

from pydantic import ConfigDict, TypeAdapter, ValidationError

from cases.limits import Day, Note, Reasons

P = TypeVar("P", bound="Payload")
T = TypeVar("T")  # a payload, or a dataclass a payload is made of


@dataclass(kw_only=True)
class Payload:
    """What every step may carry: a note for the record."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    note: Note = ""


@dataclass(kw_only=True)
class Dated(Payload):
    """A decision, which may have been taken before it is recorded: the date it was taken. One entered
    later than the mechanism allows (N2017 Art. 34: 7 days) is flagged on the record."""

    decided_on: Day | None = None


@dataclass(kw_only=True)
class Reasoned(Dated):
    """A step that must give its reasons on the record."""

    reasons: Reasons


class PayloadError(ValueError):
    """A body that does not fit its step's type; each problem says where and what."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def prepare(kind: type[Any]) -> None:
    """Build the reader of a payload type now (see ``cases.steps.base.step``)."""
    _adapter(kind)
    fields_of(kind)


def problems_of(error: ValidationError) -> list[str]:
    """A validation error as sentences: the field, then what is wrong with it."""
    found = []
    for e in error.errors():
        where = ".".join(str(p) for p in e.get("loc", ())) or "body"
        message = "unknown field" if e.get("type") == "unexpected_keyword_argument" else e["msg"]
        found.append(f"{where}: {message}")
    return found


def read(kind: type[T], data: object) -> T:
    """Read a body (decoded JSON, or an instance) as ``kind``, or raise ``PayloadError``."""
    if data is None:
        data = {}
    if isinstance(data, kind) and dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)  # checked again: an instance may have been built unchecked
    try:
        value: T = _adapter(kind).validate_python(data)
    except ValidationError as exc:
        raise PayloadError(problems_of(exc)) from None
    return value


def schema(kind: type[Any]) -> dict[str, Any]:
    """The JSON schema of a payload type (what OpenAPI shows)."""
    return _adapter(kind).json_schema()


# --------------------------------------------------------------------------------------------------
# What a form for a payload needs: its fields, whether each is required, and its choices.


@dataclass(frozen=True)
class FieldShape:
    name: str
    kind: str  # "text", "textarea", "lines", "select", "bool", "number", "date" or "structured"
    required: bool
    choices: tuple[str, ...] = ()


def _plain(annotation: Any) -> Any:
    """The type under Annotated[...] and Optional[...]."""
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        if len(inner) == 1:
            return _plain(inner[0])
    return annotation


_SHAPES: dict[type[Any], tuple[FieldShape, ...]] = {}


def fields_of(kind: type[Any]) -> tuple[FieldShape, ...]:
    """The fields a person fills in for this payload, in declaration order."""
    found = _SHAPES.get(kind)
    if found is None:
        found = _SHAPES[kind] = _shapes(kind)
    return found


def _shapes(kind: type[Any]) -> tuple[FieldShape, ...]:
    hints = typing.get_type_hints(kind, include_extras=True)
    shapes = []
    for f in dataclasses.fields(kind):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        plain = _plain(hints[f.name])
        origin = get_origin(plain)
        if isinstance(plain, type) and issubclass(plain, StrEnum):
            shape = FieldShape(f.name, "select", required, tuple(m.value for m in plain))
        elif plain is bool:
            shape = FieldShape(f.name, "bool", required, ("true", "false"))
        elif plain in (int, float):
            shape = FieldShape(f.name, "number", required)
        elif plain is date:
            shape = FieldShape(f.name, "date", required)
        elif origin is list and _plain(get_args(plain)[0]) is str:
            shape = FieldShape(f.name, "lines", required)
        elif plain is str:
            long = f.name in ("note", "reasons", "conclusion")
            shape = FieldShape(f.name, "textarea" if long else "text", required)
        else:
            shape = FieldShape(f.name, "structured", required)
        shapes.append(shape)
    return tuple(shapes)


def simple(kind: type[Any]) -> bool:
    """Can a plain form fill this payload (no nested records)?"""
    return all(f.kind != "structured" for f in fields_of(kind))
