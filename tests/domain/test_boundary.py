"""The types that cross the workflow boundary survive the project's data converter."""

from __future__ import annotations

from datetime import timedelta

from cases.calendar import Unit
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    ClockState,
    ExpertRequest,
    Measurement,
    TimelineEntry,
)
from cases.steps import STEPS
from cases.steps.discovery import UpdateFacts
from cases.vocabulary import Party, RequestKind, Role, Stage
from tests.domain.cases_at import EPB, MON, NOW, OFFICER, case_at
from workflows.engine import DATA_CONVERTER
from workflows.messages import ActionRequest


async def roundtrip(value: object, as_type: type) -> object:
    converter = DATA_CONVERTER
    payloads = await converter.encode([value])
    (decoded,) = await converter.decode(payloads, [as_type])
    return decoded


async def test_a_full_case_state_roundtrips() -> None:
    state = case_at(Stage.FILING_DECISION)
    state.requests.append(ExpertRequest("T1", RequestKind.TEST, MON, NOW, OFFICER, "COD"))
    state.clocks.append(
        ClockState(
            ordinal=0,
            key="filing_decision",
            name="filing_decision",
            title_zh="立案审查",
            title_en="Filing decision",
            owner_party=Party.RECEIVING,
            owner_agency="PSB-DEMO",
            owner_role=Role.OFFICER,
            started_at=NOW,
            length=3,
            unit=Unit.DAYS,
            due_at=NOW + timedelta(days=3),
            source="D4 §5",
            statutory=True,
            escalated_to={"JLO-DEMO": NOW + timedelta(days=3)},
        )
    )
    state.timeline.append(
        TimelineEntry(
            1, NOW, "accept", OFFICER, Stage.ACCEPTANCE, Stage.FILING_DECISION, {"ref": "x"}
        )
    )
    decoded = await roundtrip(state, CaseState)
    assert decoded == state
    assert isinstance(decoded, CaseState)
    assert decoded.stage is Stage.FILING_DECISION
    assert decoded.clocks[0].unit is Unit.DAYS
    assert decoded.opened_at.tzinfo is not None


async def test_an_action_request_roundtrips_and_its_body_reads_as_the_step_type() -> None:
    body = UpdateFacts(
        facts=CaseFacts(
            measurements=[Measurement(pollutant="COD", measured=0.4, standard=0.1)],
            hazardous_into_water=True,
        )
    )
    request = ActionRequest(Actor(EPB, Role.OFFICER, "王"), body)
    decoded = await roundtrip(request, ActionRequest)
    assert isinstance(decoded, ActionRequest)
    assert decoded.actor == request.actor
    assert STEPS["update_facts"].read(decoded.body) == body
