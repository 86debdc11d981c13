"""What a step of the lifecycle is: one declaration that says everything about it.

A step is declared once, with the ``step`` decorator on the function that carries it out: its name (the
action's name in the API and the workflow update's name), labels, the article it implements, the
stages it belongs to, who may take it (parts and roles), the mechanism branch it needs, its guard (the
conditions of the case it needs besides stage, part and role), the check of its body against the case,
and the choices a form offers. The payload type is the annotation of the function's second parameter.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic

from cases.change import Change, Transition
from cases.context import Context, Refusal
from cases.model import Actor, CaseState
from cases.payloads import P, Payload, fields_of, prepare, read
from cases.vocabulary import Branch, Party, Role, Stage

Guard = Callable[[CaseState, Party, Context], Refusal | None]
BodyCheck = Callable[[CaseState, Actor, Any, Context], list[str]]
Choices = Callable[[CaseState, Context], dict[str, list[str]]]
Effect = Callable[[Change, Any], None]

OFFICER = frozenset({Role.OFFICER})
APPROVER = frozenset({Role.APPROVER})
OFFICER_OR_APPROVER = frozenset({Role.OFFICER, Role.APPROVER})
PROCURATOR = frozenset({Role.PROCURATOR})
OVERSIGHT: Mapping[Party, frozenset[Role]] = {
    Party.JOINT_OFFICE: frozenset({Role.COORDINATOR}),
    Party.LEADERSHIP_GROUP: frozenset({Role.LEADER}),
}


@dataclass(frozen=True, eq=False)
class Step(Generic[P]):
    name: str
    label_zh: str
    label_en: str
    source: str
    stages: frozenset[Stage]
    movers: Mapping[Party, frozenset[Role]]
    payload: type[P]
    effect: Callable[[Change, P], None]
    guard: Guard | None = None
    check: BodyCheck | None = None
    choices: Choices | None = None
    branch: Branch | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    doc: str = ""
    # May be taken on an archived case, which it reopens from its record (DOMAIN.md, Archiving).
    reopens: bool = False
    # Cannot be undone by whoever takes it (a refusal, a withdrawal, the archive): only another
    # party's remedy reverses it, if any (reconsideration, supervision, a recommendation to refer,
    # reopening), so the person is asked to confirm first.
    final: bool = False

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset().union(*self.movers.values())

    @property
    def required(self) -> list[str]:
        """The fields a body must have."""
        return [f.name for f in fields_of(self.payload) if f.required]

    def read(self, data: object) -> P:
        """The body as this step's type, or ``PayloadError`` naming each problem."""
        return read(self.payload, data)

    def carry_out(self, state: CaseState, actor: Actor, payload: P, ctx: Context) -> Transition:
        """Take the step (the validator allowed it): the note and reasons go on the record, then
        what the step does; one timeline entry, and the clocks run on its events."""
        change = Change(state, self.name, actor, ctx)
        change.note(note=payload.note, reasons=getattr(payload, "reasons", None))
        change.dated(getattr(payload, "decided_on", None))
        self.effect(change, payload)
        return change.finish()

    def __repr__(self) -> str:
        return f"Step({self.name})"


def step(
    name: str,
    label_zh: str,
    label_en: str,
    *,
    source: str,
    stages: Iterable[Stage],
    movers: Mapping[Party, frozenset[Role]],
    guard: Guard | None = None,
    check: BodyCheck | None = None,
    choices: Choices | None = None,
    branch: Branch | None = None,
    example: Mapping[str, Any] | None = None,
    reopens: bool = False,
    final: bool = False,
) -> Callable[[Callable[[Change, P], None]], Step[P]]:
    """Declare a step on the function that carries it out (see the module's docstring)."""

    def declare(effect: Callable[[Change, P], None]) -> Step[P]:
        hints = typing.get_type_hints(effect)
        parameters = list(effect.__code__.co_varnames[: effect.__code__.co_argcount])
        payload = hints[parameters[1]]
        if not (isinstance(payload, type) and issubclass(payload, Payload)):
            raise TypeError(f"step '{name}': the body must be a Payload dataclass, not {payload}")
        # Built now, at import: inside the workflow sandbox forward references do not resolve.
        prepare(payload)
        return Step(
            name=name,
            label_zh=label_zh,
            label_en=label_en,
            source=source,
            stages=frozenset(stages),
            movers=dict(movers),
            payload=typing.cast("type[P]", payload),
            effect=effect,
            guard=guard,
            check=check,
            choices=choices,
            branch=branch,
            example=dict(example or {}),
            doc=(effect.__doc__ or "").strip(),
            reopens=reopens,
            final=final,
        )

    return declare
