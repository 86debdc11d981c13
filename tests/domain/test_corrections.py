"""Corrections (issue 13): an item or the facts recorded by mistake are corrected, or an item is
withdrawn, by the agency that recorded it, with reasons; nothing recorded is changed or removed."""

from __future__ import annotations

import json
from typing import Any

from cases.decide import validate
from cases.model import Actor, CaseState
from cases.steps import STEPS
from cases.vocabulary import Role, Stage
from tests.domain.cases_at import OFFICER, POLICE, ctx, walked_to


def take(state: CaseState, actor: Actor, action: str, body: dict[str, Any]) -> list[str]:
    """The step taken if allowed; otherwise why not."""
    step = STEPS[action]
    decision, payload = validate(state, step, actor, body, ctx())
    if not decision.allowed:
        return [str(decision)]
    step.carry_out(state, actor, payload, ctx())
    return []


def test_a_corrected_item_replaces_the_old_one_and_both_stay() -> None:
    state = walked_to(Stage.EVIDENCE)
    assert not take(state, OFFICER, "record_evidence", {"items": [
        {"kind": "monitoring_report", "title": "监测报告", "sha256": "a" * 64},
    ]})  # fmt: skip
    before = len(state.evidence)
    assert not take(
        state,
        OFFICER,
        "correct_evidence",
        {"item": 1, "reasons": "指纹抄录错误", "sha256": "b" * 64},
    )
    assert len(state.evidence) == before + 1  # the old item is kept
    old, new = state.evidence[0], state.evidence[-1]
    assert (old.sha256, new.sha256, new.corrects, new.title) == ("a" * 64, "b" * 64, 1, "监测报告")
    assert [i.seq for i in state.current_evidence()] == [new.seq]
    entry = state.timeline[-1]
    assert (entry.action, entry.details["item"], entry.details["reasons"]) == (
        "correct_evidence", "1", "指纹抄录错误",
    )  # fmt: skip
    # The old item is no longer one to correct; the correction is.
    assert take(state, OFFICER, "correct_evidence", {"item": 1, "reasons": "x", "title": "y"})
    assert not take(
        state, OFFICER, "correct_evidence", {"item": new.seq, "reasons": "x", "title": "y"}
    )


def test_a_withdrawn_item_no_longer_counts_for_the_package() -> None:
    state = walked_to(Stage.REFERRAL_APPROVAL)
    letter = next(i for i in state.current_evidence() if i.kind == "referral_letter")
    assert "referral_letter" in state.evidence_kinds
    assert not take(state, OFFICER, "withdraw_evidence", {"item": letter.seq, "reasons": "误登记"})
    assert "referral_letter" not in state.evidence_kinds
    assert letter in state.evidence  # still on the record
    assert state.evidence[-1].withdrawn
    # The head cannot approve a package that lacks it now.
    head = Actor("EPB-DEMO", Role.APPROVER, "李局长")
    refused = take(state, head, "approve_referral", {})
    assert refused
    assert "referral_letter" in refused[0]


def test_only_the_agency_that_recorded_it_corrects_it_and_says_what() -> None:
    state = walked_to(Stage.EVIDENCE)
    item = {"kind": "site_sketch", "title": "现场示意图", "sha256": "c" * 64}
    assert not take(state, OFFICER, "record_evidence", {"items": [item]})
    refused = take(state, POLICE, "withdraw_evidence", {"item": 1, "reasons": "x"})
    assert refused  # not the police's item (nor their move, before the referral)
    nothing = take(state, OFFICER, "correct_evidence", {"item": 1, "reasons": "x"})
    assert "give what is corrected" in nothing[0]
    missing = take(state, OFFICER, "withdraw_evidence", {"item": 99, "reasons": "x"})
    assert "no item 99" in missing[0]
    blank = take(state, OFFICER, "withdraw_evidence", {"item": 1, "reasons": " "})
    assert blank


def test_corrected_facts_are_triaged_again_and_the_first_ones_stay_on_the_timeline() -> None:
    state = walked_to(Stage.EVIDENCE)
    first = state.facts
    facts = {"violation_type": "waste_dumping", "measurements": [
        {"pollutant": "COD", "measured": 60.0, "standard": 50.0},
    ]}  # fmt: skip
    assert not take(state, OFFICER, "correct_facts", {"facts": facts, "reasons": "录入错误"})
    assert state.facts != first
    entry = state.timeline[-1]
    assert entry.details["reasons"] == "录入错误"
    kept = json.loads(entry.details["facts_before"])
    assert kept["violation_type"] == first.violation_type.value
    assert entry.details["suggested"] == state.triage.suggested.value
