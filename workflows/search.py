"""Custom search attributes, so that the Temporal Web UI can filter cases. None holds personal data."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

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
