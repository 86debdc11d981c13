"""Lists and the dashboard at 1k, 10k and 100k cases in the caller's scope, on SQLite and PostgreSQL.

The large read models are seeded straight into the database, by copying the rows of the cases the
product itself made in this run (so every row is one the product writes) under new case ids; an API
of its own is then started on that database, against the same Temporal server, and asked over HTTP.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, MetaData, insert, select, text

from bench.harness import Bench, Measured, drive, settled
from devstack import wait_up
from store.db import make_engine, migrate, session_scope
from store.figures import resum
from tests.services import free_port

TABLES = ("cases", "case_agencies", "clocks", "timeline", "case_figures")
BATCH = 2000
FILTERS: list[dict[str, str]] = [
    {"stage": "evidence"},
    {"agency": "PSB-DEMO"},
    {"overdue": "true"},
    {"escalated": "true"},
    {"key_case": "true"},
]


def seed(source: Engine, target_url: str, size: int, templates: list[str]) -> Engine:
    """A read model of ``size`` cases, copies of the source's ``templates`` in turn, with the
    source's keys."""
    target = make_engine(target_url)
    migrate(target)
    meta = MetaData()
    meta.reflect(source)
    with source.connect() as read:
        rows = {
            name: [dict(r._mapping) for r in read.execute(select(meta.tables[name]))]
            for name in (*TABLES, "principals")
        }
    recorded = {r["case_id"] for r in rows["cases"]}
    templates = [t for t in templates if t in recorded]
    by_case: dict[str, dict[str, list[dict[str, Any]]]] = {
        c: {name: [] for name in TABLES} for c in templates
    }
    for name in TABLES:
        for row in rows[name]:
            if row["case_id"] in by_case:
                by_case[row["case_id"]][name].append(row)
    target_meta = MetaData()
    target_meta.reflect(target)
    with target.begin() as write:
        write.execute(insert(target_meta.tables["principals"]), rows["principals"])
        pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for n in range(size):
            template = templates[n % len(templates)]
            agency, ref = template.split(".", 1)
            new_id = f"{agency}.S{n}-{ref}"[:110]
            for name in TABLES:
                for row in by_case[template][name]:
                    pending[name].append({**row, "case_id": new_id})
                if len(pending[name]) >= BATCH:
                    write.execute(insert(target_meta.tables[name]), pending[name])
                    pending[name] = []
        for name in TABLES:
            if pending[name]:
                write.execute(insert(target_meta.tables[name]), pending[name])
    with session_scope(target) as session:
        resum(session)  # the writer keeps the sums as it goes; a bulk copy adds them up at the end
    # Statistics for the planner and (PostgreSQL) the visibility map for index-only scans, as a
    # database in service has them from autovacuum.
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(
            text("VACUUM ANALYZE" if target.dialect.name == "postgresql" else "ANALYZE")
        )
    return target


@dataclass
class Sized:
    backend: str
    size: int
    listing: Measured  # the filters, each alone
    search: Measured  # text search
    overview: Measured  # the dashboard's overview page


def api_on(bench: Bench, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """An API of its own on ``database_url``, against the bench's Temporal server."""
    port = free_port()
    process = bench.stack.start(
        f"api-{port}",
        [sys.executable, "-m", "api", "--port", str(port)],
        env={"LINKAGE_DATABASE_URL": database_url},
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/healthz", process, "the bench's API")
    return process, url


async def measure(bench: Bench, backend: str, url: str, size: int, count: int) -> Sized:
    process, api_url = api_on(bench, url)
    try:
        coordinator = bench.auth("JLO-DEMO", "coordinator")
        async with httpx.AsyncClient(base_url=api_url, timeout=120) as api:
            # Warm: each page once (the SQLite pages it reads come into memory).
            await api.get("/cases", headers=coordinator)
            for filters in FILTERS:
                await api.get("/cases", params=filters, headers=coordinator)
            # The stack's own cases (demo-fast ones escalate for minutes) share the two cores:
            # measured once the worker is quiet, the figures are the read model's.
            await settled(bench, most=60)

            async def listing(i: int) -> None:
                response = await api.get(
                    "/cases", params=FILTERS[i % len(FILTERS)], headers=coordinator
                )
                response.raise_for_status()

            listed = await drive(f"GET /cases {backend} {size}", count, 1, listing)

            async def search(i: int) -> None:
                response = await api.get(
                    "/cases", params={"q": f"S{i * 7 % size}-"}, headers=coordinator
                )
                response.raise_for_status()

            searched = await drive(f"search {backend} {size}", count, 1, search)
            signed = await api.post(
                "/login", data={"key": bench.keys[("JLO-DEMO", "coordinator")], "next": "/"}
            )
            session = re.search(r"linkage_session=([^;]+)", signed.headers.get("set-cookie", ""))
            cookie = {"Cookie": f"linkage_session={session.group(1)}"} if session else {}

            async def overview(i: int) -> None:
                response = await api.get("/", headers=cookie)
                response.raise_for_status()

            over = await drive(f"overview {backend} {size}", count, 1, overview)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return Sized(backend, size, listed, searched, over)
