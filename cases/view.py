"""What a caller sees of a live case, computed inside the case with its own rules and time: the
state, its summary, who holds which move, the caller's own allowed steps with the choices their forms
offer, and the checklists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cases.checklists import ChecklistLine
from cases.context import Context
from cases.decide import Move, allowed_steps, awaited, moves
from cases.model import Actor, CaseState
from cases.projection import CaseProjection, projection
from cases.steps.conditions import evidence_lines, referral_lines
from cases.stored import StoredCase
from cases.vocabulary import TRACK_STAGES, Role, Stage


@dataclass
class Caller:
    """Who asks: their agency and role (the person does not change what they may do)."""

    agency: str
    role: Role


@dataclass
class Allowed:
    """A step the caller may take now, with the values its form may choose from."""

    action: str
    choices: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CaseView:
    state: CaseState
    summary: CaseProjection
    moves: list[Move]
    allowed: list[Allowed]
    referral_checklist: list[ChecklistLine]
    evidence_checklist: list[ChecklistLine]
    stages: list[Stage]  # the mechanism's stages, in order
    now: datetime
    # Of ``allowed``, the steps the case waits for from the caller: each stops a clock the caller's
    # agency and role hold (``cases.decide.awaited``). They come first in ``allowed``.
    awaited: list[str] = field(default_factory=list)
    # How many calls to agency systems the case is making now (its workflow says: the engine is
    # asked about their attempts only when there are some).
    calls_in_flight: int = 0


def stages_of(state: CaseState, ctx: Context) -> list[Stage]:
    """The mechanism's stages a case of its track can pass through, in order: a detention case
    never stands in a filing decision, a criminal case never in a detention review."""
    track = ctx.profile.track_of(state.classification)
    others = set().union(*(stages for t, stages in TRACK_STAGES.items() if t is not track))
    return [s for s in ctx.profile.stages if s not in others]


def view_of(state: CaseState, caller: Caller | None, ctx: Context) -> CaseView:
    allowed: list[Allowed] = []
    waited: list[str] = []
    if caller is not None:
        actor = Actor(caller.agency, caller.role, "")
        steps = allowed_steps(state, actor, ctx)
        waited = awaited(state, actor, steps, ctx)
        for step in sorted(steps, key=lambda s: s.name not in waited):
            choices = step.choices(state, ctx) if step.choices else {}
            allowed.append(Allowed(step.name, choices))
    return CaseView(
        state=state,
        summary=projection(state, ctx.now, ctx.profile),
        moves=moves(state, ctx),
        allowed=allowed,
        referral_checklist=referral_lines(state, ctx.profile),
        evidence_checklist=evidence_lines(state, ctx.profile),
        stages=stages_of(state, ctx),
        now=ctx.now,
        awaited=waited,
    )


def stored_view(stored: StoredCase, caller: Caller | None, ctx: Context) -> CaseView:
    """The view of a stored case, as the case would compute it at ``ctx.now`` (while the stored
    state holds then: ``StoredCase.holds_at``)."""
    view = view_of(stored.state, caller, ctx)
    view.calls_in_flight = stored.calls_in_flight
    return view
