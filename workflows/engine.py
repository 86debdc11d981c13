"""How every process reaches Temporal: one data converter, one way to connect.

Payloads are JSON through pydantic, so that the limits declared on the domain's types hold when the
workflow reads an update's body, exactly as they hold at the API.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from settings import Settings

DATA_CONVERTER: DataConverter = pydantic_data_converter


async def connect(settings: Settings) -> Client:
    """The one client of a process (the API, the worker, the operator commands)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
    )
