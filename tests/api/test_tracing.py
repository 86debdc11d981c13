"""Traces (``telemetry``): one trace id from the API's request, through the Temporal client, the case's
workflow and its activity, to the HTTP call to the agency system; and nothing of it when off.

The stack is the route tests' in-process one (``tests.api.conftest``), traced: the API, a worker on
a client of its own with the tracing interceptor, the shared HTTP client instrumented, the agency
calls going to the real simulator, every span kept in memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from temporalio.testing import WorkflowEnvironment

from telemetry import Tracing, scrubbed, tracing_wanted
from tests.api.conftest import InProcess, in_process, stack_settings
from tests.api.helpers import open_case, to_sent
from tests.polling import eventually
from tests.services import ROOT
from workflows.engine import connect


@pytest.fixture(scope="module")
async def traced(
    dev_server: WorkflowEnvironment, simulator_url: str
) -> AsyncIterator[tuple[InProcess, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracing = Tracing(provider)
    # One traced client for the API and the worker, made as in production.
    settings = stack_settings(dev_server, simulator_url, "tracing")
    client = await connect(settings, tracing=tracing)
    async with in_process(dev_server, simulator_url, client=client, traced=tracing) as built:
        yield built, spans
    provider.shutdown()


def server_span(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    """The API's span of the one request ``name`` (method and route)."""
    (found,) = [s for s in spans if s.kind == SpanKind.SERVER and s.name == name]
    return found


def trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    found: int = span.context.trace_id
    return found


def trace_of(spans: Sequence[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if trace_id(s) == trace_id(root)]


def agency_call(spans: Sequence[ReadableSpan], path: str) -> ReadableSpan | None:
    """The HTTP client span of a call to the simulator under ``path``."""
    for span in spans:
        attributes = span.attributes or {}
        url = str(attributes.get("url.full") or attributes.get("http.url"))
        if span.kind == SpanKind.CLIENT and path in url:
            return span
    return None


async def test_a_step_is_one_trace_from_the_api_to_the_agency_system(
    traced: tuple[InProcess, InMemorySpanExporter],
) -> None:
    stack, exporter = traced
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as api:
        case_id = await open_case(api, stack)
        await to_sent(api, stack, case_id)  # its last request: send_referral
        listed = await api.get("/cases?q=某化工", headers=stack.auth("JLO-DEMO", "coordinator"))
        assert listed.status_code == 200, listed.text

    # Opening: the request, the workflow's start, the workflow and its read-model write.
    spans = exporter.get_finished_spans()
    opened = trace_of(spans, server_span(spans, "POST /cases"))
    names = {s.name for s in opened}
    assert {
        "StartWorkflow:CaseWorkflow",
        "RunWorkflow:CaseWorkflow",
        "StartActivity:record_case_events",
        "RunActivity:record_case_events",
    } <= names, sorted(names)

    # The referral: the request, the update, its handler, the delivery and its call to the police
    # system (which goes on after the request is answered: waited for).
    request = server_span(spans, "POST /cases/{case_id}/actions/send_referral")
    called: list[ReadableSpan] = []

    async def delivered() -> bool:
        """The call to the police system and the activity around it, both ended (a span is
        exported when it ends: the activity's a moment after its call's)."""
        step = trace_of(exporter.get_finished_spans(), request)
        found = agency_call(step, "/agencies/PSB-DEMO")
        called[:] = [found] if found else []
        return found is not None and any(s.name == "RunActivity:deliver_referral" for s in step)

    await eventually(delivered, "the referral's call was not traced", seconds=20)
    step = trace_of(exporter.get_finished_spans(), request)
    by_name = {s.name: s for s in step}
    assert {
        "StartWorkflowUpdate:send_referral",
        "HandleUpdate:send_referral",
        "StartActivity:deliver_referral",
        "RunActivity:deliver_referral",
    } <= set(by_name), sorted(by_name)
    (call,) = called
    run = by_name["RunActivity:deliver_referral"]
    assert call.parent is not None
    assert run.context is not None
    assert call.parent.span_id == run.context.span_id  # the HTTP call is the activity's
    # A search's words stay out of its trace, as out of the access log.
    (search,) = [s for s in exporter.get_finished_spans() if s.name == "GET /cases"]
    assert "某化工" not in str(dict(search.attributes or {})), search.attributes
    # Each request its own trace; the step's handler links to the case's (its opening's) trace.
    assert trace_id(request) != trace_id(opened[0])
    handler = by_name["HandleUpdate:send_referral"]
    assert [link.context.trace_id for link in handler.links] == [trace_id(opened[0])]


def test_tracing_is_off_unless_an_otlp_endpoint_is_named() -> None:
    assert not tracing_wanted({})
    assert not tracing_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": " "})
    assert tracing_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert not tracing_wanted(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    )


def test_off_the_processes_load_nothing_of_opentelemetry() -> None:
    """The bench compares the worker with a bare engine: off, nothing of tracing is even loaded."""
    script = (
        "import sys, telemetry, worker\n"
        "from api.app import create_app\n"
        "from settings import Settings\n"
        "create_app(Settings())\n"
        "assert telemetry.tracing(telemetry.WORKER_SERVICE) is None\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk',"
        " 'opentelemetry.instrumentation', 'temporalio.contrib.opentelemetry')))\n"
        "assert not loaded, loaded\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_what_an_error_said_is_not_exported() -> None:
    """An exception's message and a status's description may quote a case (an agency's answer, a
    database error): the exporter gets the error's type only."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(scrubbed(spans)))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("RunActivity:deliver_referral") as span:
        try:
            raise ValueError("某化工有限公司 王某 13800000000")
        except ValueError as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"ValueError: {exc}"))
    (exported,) = spans.get_finished_spans()
    assert exported.status.status_code == StatusCode.ERROR
    assert not exported.status.description
    (event,) = exported.events
    assert dict(event.attributes or {}) == {"exception.type": "ValueError"}
    assert "某化工" not in repr(exported.to_json())
