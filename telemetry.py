"""Traces and the worker's metrics: each off unless configured, and then at no cost at all.

**Traces** (OpenTelemetry) follow a request from the API through the Temporal client, the case's
workflow and its activities, to the HTTP call to the agency system, under one trace id. They are on
only when the environment names an OTLP endpoint, by the standard variables
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); the exporter reads the
rest of the standard ``OTEL_*`` variables itself (headers, timeout, certificates), and the sampler
reads ``OTEL_TRACES_SAMPLER``. Without them ``tracing()`` is None: no tracer provider is made, no
interceptor joins the Temporal client or the worker, neither the API nor the HTTP client is
instrumented, and OpenTelemetry's SDK is not even imported (the bench compares the worker with a bare
engine, so the path with tracing off must be exactly the path without this module).

Spans go out over OTLP/HTTP (protobuf): the specification's default transport, which needs no gRPC
stack in the process (the Temporal client is the SDK's Rust core: grpcio would come in for the traces
alone) and passes through ordinary HTTP proxies; every collector takes it (port 4318).

**The worker's metrics** are the Temporal SDK's own (task latencies, slots, failed activities,
requests to the server), served for Prometheus at ``LINKAGE_WORKER_METRICS_BIND`` by the SDK's core
through its ``Runtime``; without the setting, the SDK's default runtime, which serves none.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    from opentelemetry.trace import Span
    from temporalio.client import Interceptor
    from temporalio.runtime import Runtime

    from settings import Settings

API_SERVICE = "linkage-api"
WORKER_SERVICE = "linkage-worker"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# Scrapers' and probes' requests make no traces (regular expressions, searched in the URL).
UNTRACED_URLS = "/healthz$,/metrics$,/docs/assets/"


class Tracing:
    """Where the process's spans go: one tracer provider, handed to every piece that makes spans
    (none of them reads OpenTelemetry's global provider, so tests can trace into a provider of
    their own)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider

    def interceptor(self) -> Interceptor:
        """For the Temporal client: every call it makes carries its trace, and a worker made with the
        client traces its workflows and activities (the SDK hands a client's interceptors to its
        workers)."""
        return _step_tracing_interceptor(self.provider)

    def instrument_api(self, app: FastAPI) -> None:
        """A server span for every request (the probes' and the scrapers' aside), around every
        middleware, so that a refused or failed request is traced too."""
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls=UNTRACED_URLS,
            exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
            server_request_hook=_without_query,
        )

    def instrument_http(self, client: httpx.AsyncClient) -> None:
        """A client span for every call through this one client (the activities' calls to agency
        systems), with the trace handed on in the ``traceparent`` header; other clients in the
        process are left alone."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider)


def _without_query(span: Span, _scope: Mapping[str, Any]) -> None:
    """The request's span without its query string, as the access log (``logs.WithoutQuery``): a
    search for a company or a person's name (``/cases?q=…``) must not leave the process in a trace."""
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    for key in ("http.url", "url.full", "http.target"):
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    if attributes.get("url.query"):
        span.set_attribute("url.query", "REDACTED")


def tracing_wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment names an OTLP endpoint (and does not turn OpenTelemetry off)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def scrubbed(exporter: SpanExporter) -> SpanExporter:
    """``exporter``, given spans without what an error said: an exception's message and stack, a
    status's description (an agency's answer, a database error, may quote a case). Its type stays."""
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter as Base
    from opentelemetry.trace import Status

    def clean(span: ReadableSpan) -> ReadableSpan:
        events = [
            Event(
                e.name,
                {k: v for k, v in (e.attributes or {}).items() if k == "exception.type"},
                e.timestamp,
            )
            if e.name == "exception"
            else e
            for e in span.events
        ]
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=span.attributes,
            events=events,
            links=span.links,
            kind=span.kind,
            status=Status(span.status.status_code),
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    class Scrubbed(Base):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return exporter.export([clean(s) for s in spans])

        def shutdown(self) -> None:
            exporter.shutdown()

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return exporter.force_flush(timeout_millis)

    return Scrubbed()


@functools.cache
def tracing(service: str) -> Tracing | None:
    """The process's tracing, exporting to the OTLP endpoint the environment names, as ``service``
    (``OTEL_SERVICE_NAME`` overrides it); None, and nothing imported, when it names none."""
    if not tracing_wanted():
        return None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME", "").strip() or service
    # Spans are exported in batches, off the request's path; the provider flushes at exit.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(scrubbed(OTLPSpanExporter())))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)  # for code that asks OpenTelemetry for a tracer
    return Tracing(provider)


def worker_runtime(settings: Settings) -> Runtime | None:
    """The worker's SDK runtime, serving its metrics for Prometheus on ``worker_metrics_bind``
    (``host:port``, the path ``/metrics``); None (the SDK's default runtime) when it is empty."""
    if not settings.worker_metrics_bind:
        return None
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=settings.worker_metrics_bind)
        )
    )


# --------------------------------------------------------------------------------------------------
# A case's steps on their own requests' traces
#
# The SDK's interceptor runs every update handler in the context of the workflow's start: every step
# of a case, and the agency calls it makes, would hang on the trace of the request that opened the
# case, months before, and the request that took the step would end at its client span. Here an
# update's validator and handler run in the context of the update's own request instead (linked to
# the case's opening), so that ``send_referral`` is one trace from the API to the police system.
# This leans on the interceptor's inner methods; should a later SDK not have them, the SDK's own
# interceptor is used (``tests/api/test_tracing.py`` then fails, so that the loss is seen).

_INNER = ("_completed_span", "_load_workflow_context_carrier", "_set_on_context")


def _step_tracing_interceptor(provider: TracerProvider) -> Interceptor:
    import opentelemetry.context
    import opentelemetry.trace
    from opentelemetry.context import Context
    from temporalio.contrib.opentelemetry import (
        TracingInterceptor,
        TracingWorkflowInboundInterceptor,
    )
    from temporalio.worker import HandleUpdateInput, WorkflowInterceptorClassInput

    tracer = provider.get_tracer("temporalio")
    if not all(hasattr(TracingWorkflowInboundInterceptor, name) for name in _INNER):
        return TracingInterceptor(tracer)

    class StepTracingWorkflowInterceptor(TracingWorkflowInboundInterceptor):
        def _update_context(self, input: HandleUpdateInput) -> Context | None:
            """The context of the request that sent the update; None when it carries no trace."""
            header = input.headers.get(self.header_key)
            carrier: Any = self.payload_converter.from_payloads([header])[0] if header else None
            if not carrier:
                return None
            return self._set_on_context(self.text_map_propagator.extract(carrier))

        @contextmanager
        def _in(self, context: Context, span: str) -> Iterator[None]:
            """Run in ``context``, under a completed span linked to the workflow's own context."""
            token = opentelemetry.context.attach(context)
            try:
                self._completed_span(
                    span,
                    link_context_carrier=self._load_workflow_context_carrier(),
                    kind=opentelemetry.trace.SpanKind.SERVER,
                )
                yield
            finally:
                opentelemetry.context.detach(token)

        def handle_update_validator(self, input: HandleUpdateInput) -> None:
            context = self._update_context(input)
            if context is None:
                super().handle_update_validator(input)
                return
            with self._in(context, f"ValidateUpdate:{input.update}"):
                self.next.handle_update_validator(input)

        async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
            context = self._update_context(input)
            if context is None:
                return await super().handle_update_handler(input)
            with self._in(context, f"HandleUpdate:{input.update}"):
                return await self.next.handle_update_handler(input)

    class StepTracingInterceptor(TracingInterceptor):
        def workflow_interceptor_class(
            self, input: WorkflowInterceptorClassInput
        ) -> type[TracingWorkflowInboundInterceptor]:
            super().workflow_interceptor_class(input)  # registers the span-making extern function
            return StepTracingWorkflowInterceptor

    return StepTracingInterceptor(tracer)
