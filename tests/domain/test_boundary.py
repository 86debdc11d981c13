"""The dataclasses that cross the workflow boundary survive Temporal's default data converter."""

from __future__ import annotations

from datetime import timedelta

from temporalio.converter import DataConverter

from cases.actions import ActionPayload, ActionRequest
from cases.calendar import Unit
from cases.model import (
    Actor,
    CaseFacts,
    CaseState,
    Classification,
    ClockState,
    ExpertRequest,
    Measurement,
    Party,
    RequestKind,
    Role,
    Stage,
    TimelineEntry,
)
from tests.domain.cases_at import EPB, MON, NOW, OFFICER, case_at


async def roundtrip(value: object, as_type: type) -> object:
    converter = DataConverter.default
    payloads = await converter.encode([value])
    (decoded,) = await converter.decode(payloads, [as_type])
    return decoded


async def test_a_full_case_state_roundtrips() -> None:
    state = case_at(Stage.FILING_DECISION)
    state.requests.append(ExpertRequest("T1", RequestKind.TEST, MON, NOW, OFFICER, "COD"))
    state.clocks.append(
        ClockState(
            key="filing_decision",
            name="filing_decision",
            owner_party=Party.RECEIVING,
            owner_agency="PSB-DEMO",
            owner_role=Role.OFFICER,
            started_at=NOW,
            length=3,
            unit=Unit.DAYS,
            due_at=NOW + timedelta(days=3),
            source="D4 §5",
            statutory=True,
            escalated_to=["JLO-DEMO"],
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


async def test_an_action_request_roundtrips() -> None:
    request = ActionRequest(
        Actor(EPB, Role.OFFICER, "王"),
        ActionPayload(
            classification=Classification.CRIME,
            facts=CaseFacts(measurements=[Measurement("COD", 0.4, 0.1)], hazardous_into_water=True),
            items=["monitoring_report"],
        ),
    )
    assert await roundtrip(request, ActionRequest) == request
