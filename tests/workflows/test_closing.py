"""The run that closes an archived case down takes no step, the reopening ones included: an archived
case reopens only in a new run started on its record (``api.engine._reopen``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from temporalio.exceptions import ApplicationError

from cases.steps import STEPS
from cases.vocabulary import Stage
from tests.domain.cases_at import case_at
from workflows.steps import refuse_when_closing


def test_a_run_closing_down_refuses_even_a_reopening_step() -> None:
    archived = replace(case_at(Stage.EVIDENCE), stage=Stage.ARCHIVED)
    step = STEPS["recommend_referral"]
    assert step.reopens
    with pytest.raises(ApplicationError) as raised:
        refuse_when_closing(archived, step, reopenable=False)
    assert raised.value.details[0]["reason"] == "case_closed"
    refuse_when_closing(archived, step, reopenable=True)  # a run started on the record: allowed
    refuse_when_closing(case_at(Stage.EVIDENCE), step, reopenable=False)  # an open case: allowed
