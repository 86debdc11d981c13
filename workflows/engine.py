"""How every process reaches Temporal: one data converter, one way to connect.

Payloads are JSON through pydantic, so that the limits declared on the domain's types hold when the
workflow reads an update's body, exactly as they hold at the API. Processes that talk to a server
encrypt every payload (``workflows.codec``); ``DATA_CONVERTER`` is the same without the encryption,
for the replay of recorded histories.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
)

from cases.agencies import default_registry
from settings import Settings
from workflows.codec import EncryptionCodec, Keys, encrypted

if TYPE_CHECKING:
    from temporalio.runtime import Runtime

    from telemetry import Tracing

# One cache of pydantic type adapters for the whole process. The worker makes a payload converter of
# its own for every workflow it loads, and with it a cache of its own: each case loaded (opened, or
# brought back into the worker's cache) built the adapter of its input again, 20-30 ms of schema
# generation that was a quarter of the worker's time under load. The types are the same objects in
# every workflow (the sandbox passes them through), so their adapters are too.
_ADAPTERS: functools._lru_cache_wrapper[TypeAdapter[Any]] = functools.lru_cache(maxsize=1024)(
    TypeAdapter
)


@functools.cache
def _shared_converters() -> tuple[EncodingPayloadConverter, ...]:
    """Pydantic's converters, made once: they keep no state but the adapters' cache."""
    made = PydanticPayloadConverter()
    for converter in made.converters.values():
        if isinstance(converter, PydanticJSONPlainPayloadConverter):
            converter._type_adapter = _ADAPTERS
    return tuple(made.converters.values())


class PayloadConverter(PydanticPayloadConverter):
    """Pydantic's JSON payload converter, with the process's one cache of type adapters.

    The SDK makes a new one for every payload it converts in a context of its own (each activity a
    case schedules, each workflow): a new set of converters each time was 5% of the worker's time
    under load, so they are shared."""

    def __init__(self) -> None:
        CompositePayloadConverter.__init__(self, *_shared_converters())


DATA_CONVERTER: DataConverter = DataConverter(payload_converter_class=PayloadConverter)


def payload_keys(settings: Settings) -> Keys:
    """The configured keys, else the development key of the data folder."""
    if settings.payload_keys:
        current = settings.payload_key_id or next(iter(settings.payload_keys))
        return Keys.parse(current, settings.payload_keys)
    return Keys.development(settings.data_dir)


def _region(agency: str) -> str | None:
    found = default_registry().find(agency)
    return found.region if found else None


def converter_for(settings: Settings) -> DataConverter:
    """The converter of a process: every payload encrypted with the settings' keys."""
    return encrypted(DATA_CONVERTER, EncryptionCodec(payload_keys(settings), _region))


async def connect(
    settings: Settings, *, tracing: Tracing | None = None, runtime: Runtime | None = None
) -> Client:
    """The one client of a process (the API, the worker, the operator commands). With ``tracing``,
    its calls carry their trace and a worker made with it traces its workflows and activities; with
    ``runtime``, the SDK's metrics go where that runtime sends them (``telemetry``). Without them,
    the client has no interceptor and the SDK's default runtime."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=converter_for(settings),
        interceptors=[tracing.interceptor()] if tracing is not None else [],
        runtime=runtime,
    )
