"""What every measurement shares: the stack under test on free ports, keys, and a load driver that
keeps N requests in flight and reports rate and latency percentiles."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from devstack import Ports, Stack
from store.db import create_tables, make_engine
from store.principals import create_key
from tests.services import free_port

PEOPLE = [
    ("EPB-DEMO", "intake"),
    ("EPB-DEMO", "officer"),
    ("EPB-DEMO", "approver"),
    ("PSB-DEMO", "officer"),
    ("PROC-DEMO", "procurator"),
    ("JLO-DEMO", "coordinator"),
]


@dataclass
class Measured:
    """One figure: how many done, in how long, and each one's latency."""

    name: str
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        """A latency percentile in milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p95(self) -> float:
        return self.pct(0.95)


async def drive(
    name: str, count: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> Measured:
    """Run ``one(i)`` for i in range(count), ``concurrency`` at a time; time each and the whole."""
    latencies: list[float] = []
    errors = 0
    queue = iter(range(count))

    async def worker() -> None:
        nonlocal errors
        for i in queue:
            started = time.perf_counter()
            try:
                await one(i)
            except Exception:
                errors += 1
                raise
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Measured(name, count, time.perf_counter() - started, latencies, errors)


@dataclass
class Bench:
    """The stack as ``make run`` starts it, in a folder of its own, with one key per role."""

    stack: Stack
    api: str
    keys: dict[tuple[str, str], str]
    data: Path

    def auth(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[(agency, role)]}"}

    @property
    def temporal(self) -> str:
        return f"127.0.0.1:{self.stack.ports.temporal}"

    def pid(self, name: str) -> int:
        return self.stack.process(name).pid


def start_stack(env: dict[str, str] | None = None) -> Bench:
    data = Path(tempfile.mkdtemp(prefix="linkage-bench-"))
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    stack = Stack(data, ports)
    stack.env.update({"LINKAGE_LOG_JSON": "true", "LINKAGE_LOG_LEVEL": "WARNING", **(env or {})})
    engine = make_engine(f"sqlite:///{(data / 'linkage.db').as_posix()}")
    create_tables(engine)
    keys = {}
    for agency, role in PEOPLE:
        _, key = create_key(engine, name=f"{agency} {role}", agency=agency, role=role)
        keys[(agency, role)] = key
    engine.dispose()
    stack.up()
    return Bench(stack, f"http://127.0.0.1:{ports.api}", keys, data)


def rss_mib(pid: int) -> float:
    """A process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> str:
    cores = os.cpu_count() or 0
    memory = 0.0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) / 1024 / 1024
    return f"{cores} cores, {memory:.0f} GiB"
