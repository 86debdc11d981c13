"""An archived case reopens from its record when a step that may reach it arrives: the procuratorate's
recommendation to refer a case handled administratively (N2017 Art. 14), or a superior department's
order to transfer (P2014 Art. 17). Nothing else reopens it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from cases import decide as rules
from cases.context import Reason
from cases.model import Actor, CaseState
from cases.steps import STEPS
from cases.vocabulary import Classification, Role, Stage
from tests.domain.cases_at import CITY, NOW, PROC, case_at, ctx

PROCURATOR = Actor(PROC, Role.PROCURATOR, "检察官")


def handled_administratively() -> CaseState:
    """Classified as administrative only, archived after a penalty, never referred."""
    s = case_at(Stage.EVIDENCE)
    return replace(
        s,
        stage=Stage.ARCHIVED,
        classification=Classification.ADMINISTRATIVE,
        closed_at=NOW - timedelta(days=30),
    )


def test_n2017_art_14_a_recommendation_reopens_an_archived_case_that_was_never_referred() -> None:
    s = handled_administratively()
    body = STEPS["recommend_referral"].read({"reasons": "涉嫌污染环境罪,建议移送"})
    decision, _ = rules.validate(
        s, STEPS["recommend_referral"], PROCURATOR, {"reasons": "x"}, ctx()
    )
    assert decision.allowed
    transition = STEPS["recommend_referral"].carry_out(s, PROCURATOR, body, ctx())
    assert (s.stage, s.closed_at) == (Stage.EVIDENCE, None)
    assert s.classification is Classification.CRIME  # the recommendation is of a crime
    (entry,) = transition.entries
    assert entry.details["reopened"] == "from archived"
    assert entry.stage_from is Stage.ARCHIVED


def test_only_the_reopening_steps_reach_an_archived_case() -> None:
    s = handled_administratively()
    allowed = {d.action for d in rules.decisions(s, PROCURATOR, ctx()) if d.allowed}
    assert allowed == {"recommend_referral"}
    superior = Actor(CITY, Role.APPROVER, "x")
    assert {d.action for d in rules.decisions(s, superior, ctx()) if d.allowed} == {
        "order_referral"
    }
    officer = Actor(s.owner_agency, Role.OFFICER, "x")
    refused = rules.check(s, STEPS["classify"], officer, ctx())
    assert refused.reason is Reason.CASE_CLOSED


def test_a_referred_case_is_not_recommended_again_once_archived() -> None:
    s = case_at(Stage.ARCHIVED)  # referred, filed, investigated, archived
    decision = rules.check(s, STEPS["recommend_referral"], PROCURATOR, ctx())
    assert decision.reason is Reason.ALREADY_DONE
