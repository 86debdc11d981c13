"""An escalation is acknowledged by the agency it reached, with a note (issue 13): recorded on the
clock and the timeline; the ladder runs on; nobody else, and no clock it did not reach, may."""

from __future__ import annotations

from cases.decide import validate
from cases.model import Actor, CaseState
from cases.steps import STEPS
from cases.vocabulary import Role, Stage
from tests.domain.cases_at import NOW, ctx, walked_to

LEADER = Actor("LG-DEMO", Role.LEADER, "刘组长")
COORDINATOR = Actor("JLO-DEMO", Role.COORDINATOR, "陈联络员")
PROCURATOR = Actor("PROC-DEMO", Role.PROCURATOR, "周检察官")
STEP = STEPS["acknowledge_escalation"]


def escalated() -> CaseState:
    """A referral waiting for the head's approval, whose clock escalated to the leadership group."""
    state = walked_to(Stage.REFERRAL_APPROVAL)
    clock = state.clock("approval")
    assert clock is not None
    clock.escalation_level = 2
    clock.escalated_to = {"JLO-DEMO": NOW, "LG-DEMO": NOW}
    return state


def test_the_leader_acknowledges_what_reached_the_leadership_group() -> None:
    state = escalated()
    body = {"clock": "approval", "note": "已要求局长今日内审批"}
    decision, payload = validate(state, STEP, LEADER, body, ctx())
    assert decision.allowed, decision
    transition = STEP.carry_out(state, LEADER, payload, ctx())
    clock = state.clock("approval")
    assert clock is not None
    assert clock.acknowledged == {"LG-DEMO": NOW}
    assert clock.escalation_level == 2  # the ladder runs on: only the owner's move stops it
    [entry] = transition.entries
    assert entry.details["note"] == "已要求局长今日内审批"
    assert entry.details["clock"] == "approval"
    # Once: the leadership group has nothing more to acknowledge; the joint office still has.
    again, _ = validate(state, STEP, LEADER, body, ctx())
    assert not again.allowed
    assert validate(state, STEP, COORDINATOR, body, ctx())[0].allowed


def test_nobody_it_did_not_reach_and_no_clock_it_did_not_reach() -> None:
    state = escalated()
    refused, _ = validate(state, STEP, PROCURATOR, {"clock": "approval", "note": "x"}, ctx())
    assert not refused.allowed  # the procuratorate was not reached by this one
    wrong, _ = validate(state, STEP, LEADER, {"clock": "sending", "note": "x"}, ctx())
    assert not wrong.allowed
    assert "clock 'sending'" in str(wrong)
    quiet = walked_to(Stage.REFERRAL_APPROVAL)
    assert not validate(quiet, STEP, LEADER, {"clock": "approval", "note": "x"}, ctx())[0].allowed
    blank, _ = validate(state, STEP, LEADER, {"clock": "approval", "note": "  "}, ctx())
    assert not blank.allowed  # what the agency does about it is the point: a note is required
