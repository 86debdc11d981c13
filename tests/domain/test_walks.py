"""Random walks through the lifecycle: whatever agencies do, in whatever order the rules allow, every
open clock can still be stopped by its owner (or is waiting on the police system's receipt).

A clock nobody can stop would escalate to the leadership group until the case is archived: the walks
look for such dead ends across every mechanism, driving the pure domain only (no Temporal).
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta

import pytest

from cases.actions import Action, ActionPayload
from cases.agencies import default_registry
from cases.allowed import Context, Move, moves, validate
from cases.clocks import fire
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    Classification,
    ClockState,
    DeliveryReceipt,
    EvidenceItem,
    FeedbackOutcome,
    Measurement,
    Role,
    Stage,
    ViolationType,
)
from cases.profiles import get_profile
from cases.transitions import (
    AskExpert,
    Deliver,
    Transition,
    apply_action,
    record_delivery,
    record_delivery_failure,
    record_request_failure,
    record_ticks,
)
from tests.domain.cases_at import NOW, fresh

MECHANISMS = [
    "env-police",
    "national-2017",
    "urban-police",
    "animal-health-police",
    "township-county",
]
WALKS = 40
STEPS = 45
# Steps that do not move a case on: taken less often, so that walks reach the later stages.
BUSYWORK = {Action.RECORD_EVIDENCE, Action.DIRECT, Action.UPDATE_FACTS, Action.SUPERVISE_CASE}
# Side paths: taken too, but less often than the way forward.
DETOURS = {
    Action.HANDLE_ADMINISTRATIVELY,
    Action.FIND_NOT_COMPETENT,
    Action.TRANSFER_JURISDICTION,
    Action.WITHDRAW_REFERRAL,
    Action.REFUSE_REFERRAL,
    Action.DECLINE_FILING,
    Action.REVERSE_REFER,
}


def payload_for(
    action: Action,
    state: CaseState,
    actor: Actor,
    rng: random.Random,
    ctx: Context,
    request_id: str | None = None,
) -> ActionPayload:
    agency: str | None = None
    if action is Action.REQUEST_TEST:
        agency = "MON-DEMO"
    elif action is Action.REQUEST_APPRAISAL:
        agency = "APR-DEMO"
    elif action is Action.TRANSFER_JURISDICTION:
        agency = rng.choice(
            [a for a in ("EPB-EAST", "NRB-DEMO", "TWP-DEMO-XX") if a != state.owner_agency]
        )
    elif action is Action.DECIDE_JURISDICTION and state.transfer is not None:
        agency = rng.choice([state.owner_agency, state.transfer.target])
    request_id = request_id or next(
        (r.request_id for r in state.open_requests() if r.agency == actor.agency), None
    )
    kinds = [*ctx.profile.referral_required, "monitoring_report", "party_interviews"]
    return ActionPayload(
        note="说明",
        reasons="理由",
        classification=rng.choice(list(Classification)),
        facts=CaseFacts(
            violation_type=ViolationType.DIRECT_DISCHARGE,
            hazardous_into_water=True,
            major_or_difficult=rng.random() < 0.5,
            measurements=[Measurement("COD", rng.choice([0.2, 0.4]), 0.1)],
        ),
        agency=agency,
        request_id=request_id,
        subject="COD",
        conclusion="结论",
        kind=rng.choice(kinds),
        title="材料",
        sha256="c" * 64,
        reference="ref-1",
        items=["材料"],
        upheld=rng.random() < 0.5,
        order_filing=rng.random() < 0.5,
        outcome=rng.choice(list(FeedbackOutcome)),
        extension=next(iter(ctx.profile.extensions), None),
    )


def options(state: CaseState, ctx: Context) -> list[tuple[Move, str]]:
    return [(m, role) for m in moves(state, ctx) for role in m.roles]


def take(
    state: CaseState,
    move: Move,
    role: str,
    ctx: Context,
    rng: random.Random,
    request_id: str | None = None,
) -> Transition | None:
    actor = Actor(move.agency, role, "走查")  # type: ignore[arg-type]
    payload = payload_for(move.action, state, actor, rng, ctx, request_id)
    if not validate(state, move.action, actor, payload, ctx).allowed:
        return None
    return apply_action(state, move.action, actor, payload, ctx)


def waiting_on_the_receipt(state: CaseState, clock: ClockState) -> bool:
    r = state.referral
    return (
        clock.name == "sending"
        and r.sent_at is not None
        and r.receipt is None
        and not r.delivery_error
    )


def waiting_on_the_transfer(state: CaseState, clock: ClockState) -> bool:
    """While a transfer is pending the owner's moves wait on the target (whose own clock runs)."""
    return state.transfer is not None and clock.owner_agency == state.owner_agency


def with_package(state: CaseState, ctx: Context) -> CaseState:
    """The owner records whatever the referral package lacks (it always may, before referral)."""
    done = copy.deepcopy(state)
    for kind in ctx.profile.referral_required:
        done.evidence.append(
            EvidenceItem(
                len(done.evidence) + 1,
                kind,
                kind,
                Actor(done.owner_agency, Role.OFFICER, "x"),
                ctx.now,
            )
        )
    return done


def owner_can_stop(state: CaseState, index: int, ctx: Context, rng: random.Random) -> bool:
    """Can the owner stop the clock in a few of its own steps (recording missing evidence first)?"""
    for depth in (1, 2, 3):
        for start in (state, with_package(state, ctx)):
            if _stops(start, index, ctx, rng, depth):
                return True
    return False


def _stops(state: CaseState, index: int, ctx: Context, rng: random.Random, depth: int) -> bool:
    clock = state.clocks[index]
    request = clock.key.partition(":")[2] or None
    for move, role in options(state, ctx):
        if move.agency != clock.owner_agency or move.action in BUSYWORK:
            continue
        trial = copy.deepcopy(state)
        transition = take(trial, move, role, ctx, random.Random(rng.random()), request)
        if transition is None:
            continue
        if any(isinstance(e, Deliver) for e in transition.effects):
            record_delivery(trial, DeliveryReceipt("R", ctx.now), ctx)
        if trial.clocks[index].closed_at is not None:
            return True
        if depth > 1 and _stops(trial, index, ctx, rng, depth - 1):
            return True
    return False


def outside(state: CaseState, transition: Transition, ctx: Context, rng: random.Random) -> None:
    """The agencies' systems answer: mostly a receipt, sometimes a refusal."""
    for effect in transition.effects:
        if isinstance(effect, Deliver):
            if rng.random() < 0.8:
                record_delivery(state, DeliveryReceipt(f"R-{effect.attempt}", ctx.now), ctx)
            else:
                record_delivery_failure(state, "422 rejected", ctx)
        elif isinstance(effect, AskExpert) and rng.random() < 0.2:
            record_request_failure(state, effect.request_id, "400 unknown sample point", ctx)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_open_clock_can_be_stopped_by_its_owner(mechanism: str) -> None:
    registry = default_registry()
    profile = get_profile(mechanism)
    seen_stages: set[Stage] = set()
    for seed in range(WALKS):
        rng = random.Random(f"{mechanism}-{seed}")
        state = fresh(mechanism, CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE))
        now = NOW
        if rng.random() < 0.7:  # most walks start with the package gathered, to get further
            state = with_package(state, Context(profile, registry, now))
        trail: list[str] = []
        for _ in range(STEPS):
            ctx = Context(profile, registry, now)
            choices = options(state, ctx)
            if not choices or state.stage.closed:
                break
            weights = [1 if m.action in BUSYWORK | DETOURS else 6 for m, _ in choices]
            move, role = rng.choices(choices, weights)[0]
            transition = take(state, move, role, ctx, rng)
            if transition is None:
                continue
            trail.append(f"{move.action}/{move.agency}/{role}")
            outside(state, transition, ctx, rng)
            seen_stages.add(state.stage)
            now += rng.choice([timedelta(minutes=5), timedelta(hours=7), timedelta(days=2)])
            ctx = Context(profile, registry, now)
            ticks = fire(state, ctx)
            if ticks:
                record_ticks(state, ticks, ctx)
            for index, clock in enumerate(state.clocks):
                if not clock.open or clock.paused_at is not None:
                    continue
                if waiting_on_the_receipt(state, clock) or waiting_on_the_transfer(state, clock):
                    continue
                assert clock.owner_agency, f"{clock.key} has no owner after {trail}"
                assert owner_can_stop(state, index, ctx, rng), (
                    f"{mechanism} seed {seed}: nobody can stop '{clock.key}' "
                    f"(owner {clock.owner_agency}, stage {state.stage}) after {trail}"
                )
        if state.stage.closed:
            assert not state.open_clocks()
    # The walks reach deep into the lifecycle, not only its first stages.
    assert {
        Stage.ACCEPTANCE,
        Stage.FILING_DECISION,
        Stage.ADMIN_PENALTY,
        Stage.ARCHIVED,
    } <= seen_stages
