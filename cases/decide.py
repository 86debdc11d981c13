"""The one answer to "may this agency, in this role, take this step now, and if not, why".

The workflow's update validators and its query ask these functions, inside the case's own context;
nobody else decides whether a step may be taken. A refusal carries a machine-readable ``Reason`` and a
sentence saying what would make the step possible.

Order of the questions, from the most permanent to the most passing: does the agency exist; can this
role ever take the step (a 403 at the API); is the case still open; does the mechanism have this path;
is the case in a stage where the step belongs; does the acting agency hold the move; may this role take
it for this agency's part; the step's own guard (a complete package, an open window, nothing already
pending); and, for a body, whether it fits its type and the case.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from cases.calendar import local_date
from cases.context import Context, Decision, Reason, Refusal
from cases.model import Actor, CaseState
from cases.parties import holders, parties_of
from cases.payloads import PayloadError
from cases.steps import STEPS, Step
from cases.vocabulary import Party, Role


@dataclass
class Move:
    """Who may take a step now: an agency, in a part, with these roles."""

    action: str
    agency: str
    party: Party
    roles: list[Role]


def resolve(name: str) -> Step[Any] | Decision:
    """The step of that name, or the refusal of a name the product does not know."""
    found = STEPS.get(name)
    if found is not None:
        return found
    known = ", ".join(STEPS)
    return Decision(
        name, False, Reason.UNKNOWN_ACTION, f"unknown action '{name}' (one of: {known})"
    )


def role_refusal(step: Step[Any], role: Role) -> Decision | None:
    """A role that can never take the step, whatever the case."""
    if role in step.roles:
        return None
    roles = ", ".join(sorted(r.value for r in step.roles))
    return Decision(
        step.name,
        False,
        Reason.ROLE_NOT_PERMITTED,
        f"the role '{role}' may not '{step.name}'; it is for: {roles}",
    )


def _stage_and_branch(step: Step[Any], state: CaseState, ctx: Context) -> Refusal | None:
    if state.stage.closed and not step.reopens:
        return Refusal(Reason.CASE_CLOSED, "the case is archived")
    if step.branch is not None and not ctx.profile.has(step.branch):
        return Refusal(
            Reason.NOT_IN_MECHANISM, f"mechanism '{ctx.profile.name}' has no '{step.branch}' path"
        )
    if state.stage not in step.stages:
        stages = ", ".join(sorted(s.value for s in step.stages))
        return Refusal(
            Reason.WRONG_STAGE,
            f"'{step.name}' belongs to stage(s) {stages}; the case is in '{state.stage}'",
        )
    return None


def check(state: CaseState, step: Step[Any], actor: Actor, ctx: Context) -> Decision:
    """May ``actor`` take ``step`` on this case now? Always a Decision, never an exception."""
    if actor.agency not in ctx.registry:
        return Decision.refused(
            step.name,
            Refusal(Reason.UNKNOWN_AGENCY, f"agency '{actor.agency}' is not in the registry"),
        )
    if refused := role_refusal(step, actor.role):
        return refused
    if blocked := _stage_and_branch(step, state, ctx):
        return Decision.refused(step.name, blocked)
    played = parties_of(state, actor.agency, ctx.registry)
    candidates = [p for p in step.movers if p in played]
    if not candidates:
        who = " or ".join(
            f"{p.value} ({', '.join(holders(state, p, ctx.registry)) or 'nobody yet'})"
            for p in step.movers
        )
        return Decision.refused(
            step.name,
            Refusal(
                Reason.NOT_YOUR_MOVE,
                f"'{step.name}' is the move of the {who}; agency '{actor.agency}' does not hold it",
            ),
        )
    fitting = [p for p in candidates if actor.role in step.movers[p]]
    if not fitting:
        party = candidates[0]
        roles = ", ".join(sorted(r.value for r in step.movers[party]))
        return Decision.refused(
            step.name,
            Refusal(
                Reason.ROLE_NOT_PERMITTED,
                f"for the {party.value} agency, '{step.name}' is taken by: {roles}",
            ),
        )
    refusal: Refusal | None = None
    for party in fitting:
        refusal = step.guard(state, party, ctx) if step.guard else None
        if refusal is None:
            return Decision(step.name, True, party=party)
    assert refusal is not None
    return Decision.refused(step.name, refusal)


def validate(
    state: CaseState, step: Step[Any], actor: Actor, body: object, ctx: Context
) -> tuple[Decision, Any]:
    """The whole question an update's validator asks: allowed now, with a body that fits its type
    and the case. Returns the decision and, when allowed, the body read as the step's type."""
    decision = check(state, step, actor, ctx)
    if not decision.allowed:
        return decision, None
    try:
        payload = step.read(body)
    except PayloadError as exc:
        return _invalid(step, decision, exc.problems), None
    problems = _dated_within_the_case(state, payload, ctx)
    problems += step.check(state, actor, payload, ctx) if step.check else []
    if problems:
        return _invalid(step, decision, problems), None
    return decision, payload


def _dated_within_the_case(state: CaseState, payload: Any, ctx: Context) -> list[str]:
    """A decision's date lies between the case's discovery and today (Asia/Shanghai)."""
    decided_on = getattr(payload, "decided_on", None)
    if decided_on is None:
        return []
    if decided_on > local_date(ctx.now):
        return [f"decided_on: {decided_on} is after today ({local_date(ctx.now)})"]
    if decided_on < local_date(state.discovered_at):
        return [f"decided_on: {decided_on} is before the case was discovered"]
    return []


def _invalid(step: Step[Any], decision: Decision, problems: list[str]) -> Decision:
    return Decision(
        step.name, False, Reason.INVALID_PAYLOAD, "; ".join(problems), party=decision.party
    )


def allowed_steps(state: CaseState, actor: Actor, ctx: Context) -> list[Step[Any]]:
    """The steps ``actor`` may take now, in the order of the lifecycle: the caller's buttons."""
    # A step of another stage, or not for the actor's role, is refused whatever else holds: not
    # asked (its refusal's message is not written) for every page.
    return [
        s
        for s in STEPS.values()
        if state.stage in s.stages and actor.role in s.roles and check(state, s, actor, ctx).allowed
    ]


def awaited(state: CaseState, actor: Actor, steps: list[Step[Any]], ctx: Context) -> list[str]:
    """Of the steps ``actor`` may take, those the case waits for: each that would stop a clock the
    actor's agency and role hold, tried on a copy of the case with the step's example body. (A step
    needs no declaration of the clocks it stops: the mechanism's clocks say which events stop them,
    and only taking the step says which events it makes.)"""
    held = {
        c.key
        for c in state.open_clocks()
        if c.paused_at is None and c.owner_agency == actor.agency and c.owner_role is actor.role
    }
    if not held:
        return []
    found: list[str] = []
    for step in steps:
        # Without its timeline and closed clocks (no rule reads them): a cheaper copy.
        trial = copy.deepcopy(replace(state, timeline=[], clocks=state.open_clocks()))
        decision, payload = validate(trial, step, actor, dict(step.example), ctx)
        if not decision.allowed:
            continue
        step.carry_out(trial, actor, payload, ctx)
        if any(c.key in held and c.closed_at is not None for c in trial.clocks):
            found.append(step.name)
    return found


def decisions(state: CaseState, actor: Actor, ctx: Context) -> list[Decision]:
    """Every step with its decision for this actor (why not, where not)."""
    return [check(state, s, actor, ctx) for s in STEPS.values()]


def moves(state: CaseState, ctx: Context) -> list[Move]:
    """Who holds which move now: each allowed step, with the agency, its part and the roles."""
    result: list[Move] = []
    for step in STEPS.values():
        if state.stage not in step.stages or _stage_and_branch(step, state, ctx):
            continue
        for party, roles in step.movers.items():
            for agency in holders(state, party, ctx.registry):
                permitted = [
                    role
                    for role in sorted(roles)
                    if check(state, step, Actor(agency, role, ""), ctx).allowed
                ]
                if permitted:
                    result.append(Move(step.name, agency, party, permitted))
    return result
