"""Random walks through the lifecycle: whatever agencies do, in whatever order the rules allow, every
open clock can still be stopped by its owner (or is waiting on a receiving system's receipt).

A clock nobody can stop would escalate to the leadership group until the case is archived: the walks
look for such dead ends across every mechanism, driving the pure domain only (no Temporal).
"""

from __future__ import annotations

import pickle
import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from cases.agencies import default_registry
from cases.change import AskExpert, Deliver, SendDocument, Transition
from cases.clocks import fire
from cases.context import Context
from cases.decide import Move, moves, validate
from cases.model import Actor, CaseFacts, CaseState, ClockState, DeliveryReceipt, EvidenceItem
from cases.profiles import get_profile
from cases.steps import STEPS
from cases.system import (
    answered,
    record_delivery,
    record_delivery_failure,
    record_document_failure,
    record_document_receipt,
    record_request_failure,
    record_ticks,
)
from cases.vocabulary import (
    AssistanceKind,
    Classification,
    FeedbackOutcome,
    Judgment,
    LinkRelation,
    Role,
    Stage,
    ViolationType,
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
STEPS_PER_WALK = 45
# Steps that do not move a case on: taken less often, so that walks reach the later stages.
BUSYWORK = {
    "record_evidence",
    "direct",
    "update_facts",
    "supervise_case",
    "link_case",
}
# Written questions may be asked at any stage: taken less often too, but they are real moves (an
# answer stops its clock).
QUESTIONS = {
    "ask_in_writing",
    "answer_in_writing",
    "request_assistance",  # of another region (D3 §3.2): its answer stops its clock too
    "answer_assistance",
}
# Side paths: taken too, but less often than the way forward.
DETOURS = {
    "handle_administratively",
    "order_referral",
    "find_not_competent",
    "transfer_jurisdiction",
    "withdraw_referral",
    "refuse_referral",
    "decline_filing",
    "reverse_refer",
    "withdraw_case",
}


def body_for(
    action: str,
    state: CaseState,
    actor: Actor,
    rng: random.Random,
    ctx: Context,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A body for ``action`` with every field any step reads; each step keeps those it declares."""
    agency: str | None = None
    if action == "request_test":
        agency = "MON-DEMO"
    elif action == "request_appraisal":
        agency = "APR-DEMO"
    elif action == "transfer_jurisdiction":
        agency = rng.choice(
            [a for a in ("EPB-EAST", "NRB-DEMO", "TWP-DEMO-XX") if a != state.owner_agency]
        )
    elif action == "ask_in_writing":
        choices = STEPS[action].choices
        assert choices is not None
        askable = choices(state, ctx)["agency"]
        agency = rng.choice([a for a in askable if a != actor.agency] or askable or [None])
    elif action == "request_assistance":
        choices = STEPS[action].choices
        assert choices is not None
        agency = rng.choice(choices(state, ctx)["agency"] or [None])
    elif action == "decide_jurisdiction" and state.transfer is not None:
        agency = rng.choice([state.owner_agency, state.transfer.target])
    request_id = request_id or next(
        (r.request_id for r in state.open_requests() if r.agency == actor.agency), None
    )
    kinds = [*package_kinds(ctx), "monitoring_report", "party_interviews"]
    everything: dict[str, Any] = {
        "note": "说明",
        "reasons": "理由",
        "classification": rng.choice(list(Classification)).value,
        "facts": {
            "violation_type": ViolationType.DIRECT_DISCHARGE.value,
            "hazardous_into_water": True,
            "major_or_difficult": rng.random() < 0.5,
            "measurements": [
                {"pollutant": "COD", "measured": rng.choice([0.2, 0.4]), "standard": 0.1}
            ],
        },
        "agency": agency,
        "request_id": request_id,
        "subject": "COD",
        "assistance": rng.choice(list(AssistanceKind)).value,
        "case_id": rng.choice(["EPB-EAST.W-1", "EPB-DEMO.W-2"]),
        "relation": rng.choice(list(LinkRelation)).value,
        "conclusion": "结论",
        "items": [{"kind": rng.choice(kinds), "title": "材料", "sha256": "c" * 64}]
        if action == "record_evidence"
        else ["材料"],
        "upheld": rng.random() < 0.5,
        "order_filing": rng.random() < 0.5,
        "outcome": rng.choice(list(FeedbackOutcome)).value,
        "extension": next(iter(ctx.profile.extensions), None),
        "reference": "https://files.example/ref-1"
        if action in ("record_test_result", "record_appraisal")
        else "ref-1",
        "sha256": "c" * 64,
        "officers": ["走查甲", "走查乙"],
        "judgment": rng.choice(list(Judgment)).value,
        "recommend_penalty": rng.random() < 0.5,
        "document": next(
            (
                d.doc_id
                for d in reversed(state.documents)
                if d.sender == actor.agency and d.pending and d.error is not None
            ),
            None,
        ),
    }
    wanted = set(STEPS[action].payload.__dataclass_fields__)
    return {k: v for k, v in everything.items() if k in wanted and v is not None}


def package_kinds(ctx: Context) -> list[str]:
    """What the packages of both tracks need (the detention track's where the mechanism has one)."""
    detention = ctx.profile.detention.referral_required if ctx.profile.detention else ()
    return list(dict.fromkeys([*ctx.profile.referral_required, *detention]))


def options(state: CaseState, ctx: Context) -> list[tuple[Move, Role]]:
    return [(m, role) for m in moves(state, ctx) for role in m.roles]


def take(
    state: CaseState,
    move: Move,
    role: Role,
    ctx: Context,
    rng: random.Random,
    request_id: str | None = None,
) -> Transition | None:
    actor = Actor(move.agency, role, "走查")
    step = STEPS[move.action]
    body = body_for(move.action, state, actor, rng, ctx, request_id)
    decision, payload = validate(state, step, actor, body, ctx)
    if not decision.allowed:
        return None
    return step.carry_out(state, actor, payload, ctx)


def trial_copy(state: CaseState) -> CaseState:
    """A copy to try steps on; without its timeline and closed clocks (no rule reads them), to keep
    copies cheap."""
    # A pickle round trip copies as deeply as deepcopy, several times faster.
    copied: CaseState = pickle.loads(
        pickle.dumps(replace(state, timeline=[], clocks=state.open_clocks()))
    )
    return copied


def clock_of(state: CaseState, ordinal: int) -> ClockState:
    return next(c for c in state.clocks if c.ordinal == ordinal)


def waiting_on_the_receipt(state: CaseState, clock: ClockState, ctx: Context) -> bool:
    """The referral or a notice is on its way and nothing has failed: the receipt will stop it."""
    r = state.referral
    if clock.name in ("sending", "detention_sending"):
        return r.sent_at is not None and r.receipt is None and not r.delivery_error
    spec = ctx.profile.clocks[clock.name]
    return any(
        d.pending and d.error is None and d.kind.received in spec.stops_on for d in state.documents
    )


def waiting_on_the_transfer(state: CaseState, clock: ClockState) -> bool:
    """While a transfer is pending the owner's moves wait on the target (whose own clock runs)."""
    return state.transfer is not None and clock.owner_agency == state.owner_agency


def with_package(state: CaseState, ctx: Context) -> CaseState:
    """The owner records whatever the referral package lacks (it always may, before referral), and
    on the detention track its penalty decision (P2014 Art. 2), which it may always take first."""
    done = trial_copy(state)
    rules = ctx.profile.rules_for(done.classification)
    if rules.penalty_first and done.penalty_decided_at is None:
        done.penalty_decided_at = ctx.now
    for kind in package_kinds(ctx):
        done.evidence.append(
            EvidenceItem(
                len(done.evidence) + 1,
                kind,
                kind,
                Actor(done.owner_agency, Role.OFFICER, "x"),
                ctx.now,
                sha256="c" * 64,
            )
        )
    return done


def owner_can_stop(state: CaseState, ordinal: int, ctx: Context, rng: random.Random) -> bool:
    """Can the owner stop the clock in a few of its own steps (recording missing evidence first)?"""
    for depth in (1, 2, 3):
        for start in (state, with_package(state, ctx)):
            if _stops(start, ordinal, ctx, rng, depth):
                return True
    return False


def _stops(state: CaseState, ordinal: int, ctx: Context, rng: random.Random, depth: int) -> bool:
    clock = clock_of(state, ordinal)
    request = clock.key.partition(":")[2] or None
    for move, role in options(state, ctx):
        if move.agency != clock.owner_agency or move.action in BUSYWORK:
            continue
        trial = trial_copy(state)
        transition = take(trial, move, role, ctx, random.Random(rng.random()), request)
        if transition is None:
            continue
        for effect in transition.effects:
            if isinstance(effect, Deliver):
                record_delivery(trial, DeliveryReceipt("R", ctx.now), ctx)
            elif isinstance(effect, SendDocument):
                record_document_receipt(trial, effect.doc_id, DeliveryReceipt("R", ctx.now), ctx)
        if clock_of(trial, ordinal).closed_at is not None:
            return True
        # Deeper, only through steps that move the case on: a step that leaves the stage as it
        # was does not bring the owner nearer to stopping the clock.
        moved = trial.stage is not state.stage
        if depth > 1 and moved and _stops(trial, ordinal, ctx, rng, depth - 1):
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
        elif isinstance(effect, SendDocument):
            if rng.random() < 0.85:
                receipt = DeliveryReceipt(f"D-{effect.doc_id}", ctx.now)
                record_document_receipt(state, effect.doc_id, receipt, ctx)
            else:
                record_document_failure(state, effect.doc_id, "422 unknown addressee", ctx)
        elif isinstance(effect, AskExpert):
            if rng.random() < 0.2:
                record_request_failure(state, effect.request_id, "400 unknown sample point", ctx)
            else:
                answered(state, effect, DeliveryReceipt(f"Q-{effect.request_id}", ctx.now), ctx)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_open_clock_can_be_stopped_by_its_owner(mechanism: str) -> None:
    registry = default_registry()
    profile = get_profile(mechanism)
    seen_stages: set[Stage] = set()
    for seed in range(WALKS):
        rng = random.Random(f"{mechanism}-{seed}")
        state = fresh(mechanism, CaseFacts(violation_type=ViolationType.DIRECT_DISCHARGE))
        now = NOW
        if profile.detention is not None and rng.random() < 0.3:
            # Some start confirmed as 治安 cases, to walk the detention track (P2014) as far.
            state = replace(
                state,
                stage=Stage.EVIDENCE,
                classification=Classification.PUBLIC_SECURITY,
                classified_by=Actor(state.owner_agency, Role.OFFICER, "走查"),
            )
        if rng.random() < 0.7:  # most walks start with the package gathered, to get further
            state = with_package(state, Context(profile, registry, now))
        trail: list[str] = []
        for _ in range(STEPS_PER_WALK):
            ctx = Context(profile, registry, now)
            choices = options(state, ctx)
            if not choices or state.stage.closed:
                break
            weights = [1 if m.action in BUSYWORK | DETOURS | QUESTIONS else 6 for m, _ in choices]
            move, role = rng.choices(choices, weights)[0]
            transition = take(state, move, role, ctx, rng)
            if transition is None:
                continue
            trail.append(f"{move.action}/{move.agency}/{role}")
            seen_stages.add(state.stage)  # before the receipt moves it on (N2017 Art. 7)
            outside(state, transition, ctx, rng)
            seen_stages.add(state.stage)
            now += rng.choice([timedelta(minutes=5), timedelta(hours=7), timedelta(days=2)])
            ctx = Context(profile, registry, now)
            ticks = fire(state, ctx)
            if ticks:
                record_ticks(state, ticks, ctx)
            for clock in state.clocks:
                if not clock.open or clock.paused_at is not None:
                    continue
                if waiting_on_the_receipt(state, clock, ctx) or waiting_on_the_transfer(
                    state, clock
                ):
                    continue
                assert clock.owner_agency, f"{clock.key} has no owner after {trail}"
                assert owner_can_stop(state, clock.ordinal, ctx, rng), (
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
    if profile.detention is not None:
        assert Stage.DETENTION_REVIEW in seen_stages
