"""What every measurement shares: the stack under test on free ports, keys, and a load driver that
keeps N requests in flight and reports rate and latency percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devstack import Ports, Stack, wait_up
from store.db import make_engine, migrate
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
    # A second API on the same stack whose case pages always ask the case's workflow (stored
    # views off): the two ways of reading a case, measured side by side.
    asking: str = ""

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
    migrate(engine)
    keys = {}
    for agency, role in PEOPLE:
        _, key = create_key(engine, name=f"{agency} {role}", agency=agency, role=role)
        keys[(agency, role)] = key
    engine.dispose()
    stack.up()
    asking = free_port()
    process = stack.start(
        "api-asking",
        [sys.executable, "-m", "api", "--port", str(asking)],
        env={"LINKAGE_STORED_VIEWS": "false"},
    )
    wait_up(f"http://127.0.0.1:{asking}/healthz", process, "api-asking")
    return Bench(stack, f"http://127.0.0.1:{ports.api}", keys, data, f"http://127.0.0.1:{asking}")


def cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settled(bench: Bench, name: str = "worker", most: float = 120.0) -> None:
    """Wait until a process has caught up (busy less than a tenth of a core for a second): the
    engine answers a start before the worker has taken the case's first task, and the next phase
    should not pay for the last one's backlog."""
    pid = bench.pid(name)
    deadline = time.monotonic() + most
    quiet = 0
    last = cpu_seconds(pid)
    while time.monotonic() < deadline and quiet < 2:
        await asyncio.sleep(0.5)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now


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


# --------------------------------------------------------------------------------------------------
# Where a process spends its time: py-spy samples it from outside while a phase runs (``--profile``)


@contextlib.contextmanager
def profiled(bench: Bench, names: tuple[str, ...], phase: str) -> Iterator[dict[str, Path]]:
    """Sample the named processes of the stack with py-spy while the block runs; the raw stacks go
    to the bench's folder, one file per process (read them with ``where_time_goes``)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    outputs = {name: bench.data / f"profile-{phase}-{name}.txt" for name in names}
    running = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(bench.pid(name)),
                "--output",
                str(out),
                "--format",
                "raw",
                "--rate",
                "100",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, out in outputs.items()
    ]
    time.sleep(1)  # attached
    try:
        yield outputs
    finally:
        for process in running:
            process.send_signal(signal.SIGINT)
        for process in running:
            process.wait(timeout=60)


# Where a waiting thread stands: a pool's worker waiting for work, an event loop waiting in its
# selector (uvloop's, in C, shows as the ``run`` that started it).
IDLE = (
    "_worker (concurrent/futures/thread.py",
    "select (selectors.py",
    "wait (threading.py",
    "run (asyncio/runners.py",
)


def where_time_goes(raw: Path, top: int = 8) -> list[tuple[str, float]]:
    """The modules a process spent its time in, by share of its busy samples: each sample counts
    for the module of the frame that was running (waiting threads of a pool are left out)."""
    busy = 0
    shares: Counter[str] = Counter()
    if not raw.exists():
        return []
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if any(frames[-1].startswith(i) for i in IDLE):
            continue
        busy += int(count)
        running = next((m for m in map(_module, reversed(frames)) if m), "(interpreter)")
        shares[running] += int(count)
    return [(m, 100 * n / busy) for m, n in shares.most_common(top)] if busy else []


def _module(frame: str) -> str:
    """``name (path/to/module.py:12)`` → the package and module it ran in (``sqlalchemy.orm``)."""
    if " (" not in frame:
        return ""
    path = frame.rsplit(" (", 1)[1].split(":")[0]
    if path.startswith("<") or "/" not in path:
        return ""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] in {"__init__", "__main__"}:
        parts = parts[:-1]
    keep = 3 if parts[0] in {"temporalio", "sqlalchemy", "pydantic"} else 2
    return ".".join(parts[:keep])
