"""Custom search attributes, so that the Temporal Web UI can filter cases. None holds personal data."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from cases.clocks import escalation_level, next_deadline
    from cases.model import CaseState

CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
CASE_MECHANISM = SearchAttributeKey.for_keyword("CaseMechanism")
OWNING_AGENCY = SearchAttributeKey.for_keyword("OwningAgency")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
KEY_CASE = SearchAttributeKey.for_bool("KeyCase")

_INDEXED: dict[SearchAttributeKey[Any], IndexedValueType.ValueType] = {
    CASE_STAGE: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    CASE_MECHANISM: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    OWNING_AGENCY: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    NEXT_DEADLINE: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    ESCALATION_LEVEL: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    KEY_CASE: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}


def upsert(case: CaseState, last: str) -> str:
    """Set the case's attributes when they changed since ``last`` (workflow code); returns what they
    are now, for the next call to compare with."""
    deadline, level = next_deadline(case), escalation_level(case)
    wanted = repr(
        (case.stage.value, case.mechanism, case.owner_agency, deadline, level, case.triage.key_case)
    )
    if wanted != last:
        workflow.upsert_search_attributes(
            [
                CASE_STAGE.value_set(case.stage.value),
                CASE_MECHANISM.value_set(case.mechanism),
                OWNING_AGENCY.value_set(case.owner_agency),
                NEXT_DEADLINE.value_set(deadline)
                if deadline is not None
                else NEXT_DEADLINE.value_unset(),
                ESCALATION_LEVEL.value_set(level),
                KEY_CASE.value_set(case.triage.key_case),
            ]
        )
    return wanted


# For `temporal server start-dev --search-attribute Name=Type`.
CLI_FLAGS = [
    f"{key.name}={kind}"
    for key, kind in zip(
        _INDEXED,
        ["Keyword", "Keyword", "Keyword", "Datetime", "Int", "Bool"],
        strict=True,
    )
]


async def register(client: Client) -> None:
    """Register the attributes on a server that lacks them (the test servers, a fresh cluster)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: kind for key, kind in _INDEXED.items()},
        )
    )
