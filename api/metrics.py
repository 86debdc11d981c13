"""Prometheus metrics of the API: requests by route and status, cases opened, actions by outcome, and
the escalations open now."""

from __future__ import annotations

import time

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "linkage_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "linkage_http_request_seconds", "HTTP request duration", ["method", "route"], registry=REGISTRY
)
CASES_OPENED = Counter(
    "linkage_cases_opened_total", "Cases opened", ["mechanism"], registry=REGISTRY
)
ACTIONS = Counter(
    "linkage_actions_total",
    "Actions asked for, by outcome",
    ["action", "outcome"],
    registry=REGISTRY,
)

# Read from the read model at each scrape (every replica reports the same: take the max, not the sum).
ESCALATIONS = Gauge(
    "linkage_escalations_open",
    "Running clocks escalated past their deadline, by region and rung",
    ["region", "level"],
    registry=REGISTRY,
)


def count_escalations(found: dict[tuple[str, int], int]) -> None:
    ESCALATIONS.clear()
    for (region, level), n in found.items():
        ESCALATIONS.labels(region, str(level)).set(n)


class Metrics:
    """Counts every request under its route template (not its path: case ids would explode)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(method=scope["method"], path=scope["path"])
        start = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(time.perf_counter() - start)
