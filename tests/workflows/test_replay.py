"""Recorded histories of every path replay against today's workflow code; a reordered workflow does not.

`make histories` records today's paths again (``tests/histories/*.json``). Histories recorded before a
behaviour change stay, under ``tests/histories/v<N>/``, and must keep replaying: the change goes behind
``workflow.patched``, or by a rule the case carries in its profile. ``v1`` is from before written
notices were delivered (``NOTICES_DELIVERED``); ``v2`` from before the referral team, the
consultation invitations, the late-record flag and prosecution tracking (profile keys its carried
profile lacks); ``v3`` from before the detention track (P2014), which a case has only when its carried
profile has a ``[detention]`` table and its clocks their ``tracks``; ``v4`` from before the API wrote
a case's opening itself (cases opened with the ``open`` update, which carry no ``opened_at``); ``v5``
from before a case wrote its stored state again when its last call ended (``CALLS_SETTLED``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.workflows.histories import CLUE_HISTORIES, HISTORIES, REPORT_HISTORIES, recording
from tests.workflows.reordered import ReorderedCaseWorkflow
from workflows.case import CaseWorkflow
from workflows.clue import ClueWorkflow
from workflows.engine import DATA_CONVERTER
from workflows.report import ReportWorkflow

PATHS = {
    "env_police_full",
    "supplements_env_police",
    "supplements_national_2017",
    "extension_national_2017",
    "not_filed_supervised",
    "reconsideration_reversed",
    "not_filed_penalty",
    "reverse_referral_at_filing",
    "reverse_referral_after_investigation",
    "administrative_only",
    "withdrawn",
    "withdrawn_after_filing",
    "not_prosecuted_penalty_resumed",
    "acquitted_then_penalty",
    "referral_refused",
    "delivery_refused_then_resent",
    "expert_requests",
    "early_intervention_consultation",
    "supervised",
    "jurisdiction_transfer",
    "jurisdiction_dispute",
    "detention_decided",
    "detention_returned_late",
    "detention_ordered_by_the_superior",
}


def histories() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


def earlier_histories() -> list[Path]:
    """Recorded by earlier versions of the workflow, kept as they were."""
    return sorted(HISTORIES.glob("v*/*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-{path.stem}", path.read_text(encoding="utf-8"))


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
def test_every_path_has_a_recorded_history() -> None:
    assert {p.stem for p in histories()} == PATHS


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
@pytest.mark.parametrize(
    "path", histories() + earlier_histories(), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
async def test_a_recorded_history_replays(path: Path) -> None:
    result = await Replayer(
        workflows=[CaseWorkflow], data_converter=DATA_CONVERTER
    ).replay_workflow(load(path))
    assert result.replay_failure is None


def test_earlier_histories_are_kept() -> None:
    assert {p.stem for p in HISTORIES.glob("v1/*.json")} >= PATHS - {
        "withdrawn_after_filing",
        "not_prosecuted_penalty_resumed",
        "acquitted_then_penalty",
        "detention_decided",
        "detention_returned_late",
        "detention_ordered_by_the_superior",
    }
    assert {p.stem for p in HISTORIES.glob("v5/*.json")} == PATHS
    assert {p.stem for p in HISTORIES.glob("v3/*.json")} == PATHS - {
        "detention_decided",
        "detention_returned_late",
        "detention_ordered_by_the_superior",
    }


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
@pytest.mark.parametrize(
    "path", sorted(CLUE_HISTORIES.glob("*.json")), ids=lambda p: f"clues/{p.stem}"
)
async def test_a_recorded_clue_replays(path: Path) -> None:
    result = await Replayer(
        workflows=[ClueWorkflow], data_converter=DATA_CONVERTER
    ).replay_workflow(load(path))
    assert result.replay_failure is None


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
def test_every_clue_path_has_a_recorded_history() -> None:
    assert {p.stem for p in CLUE_HISTORIES.glob("*.json")} == {
        "delivered_after_outages",
        "refused",
        "read_model_waited",
    }


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
@pytest.mark.parametrize(
    "path", sorted(REPORT_HISTORIES.glob("*.json")), ids=lambda p: f"reports/{p.stem}"
)
async def test_a_recorded_report_replays(path: Path) -> None:
    result = await Replayer(
        workflows=[ReportWorkflow], data_converter=DATA_CONVERTER
    ).replay_workflow(load(path))
    assert result.replay_failure is None


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
def test_every_report_path_has_a_recorded_history() -> None:
    assert {p.stem for p in REPORT_HISTORIES.glob("*.json")} == {
        "case_opened_and_rewarded",
        "about_an_agency",
    }


@pytest.mark.skipif(recording(), reason="histories are being recorded in this run")
async def test_a_reordered_workflow_fails_the_replay() -> None:
    replayer = Replayer(workflows=[ReorderedCaseWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(
        load(HISTORIES / "env_police_full.json"), raise_on_replay_failure=False
    )
    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower()
