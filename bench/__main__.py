"""``make bench`` (``python -m bench [--quick]``): the product against the bare engine, in one run.

Starts its own stack (Temporal dev server on a SQLite file, simulator, worker, API) on free ports,
measures the bare engine on that server, then the product through its API, then lists and the
dashboard at large read models; prints each figure with its ratio to the bare engine measured in the
same run, writes ``BENCHMARKS.md``, and exits 1 when a target is missed. Figures are of this machine
at this moment (shared, noisy): the ratios are what is compared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import bare, product, readmodel
from bench.harness import Measured, machine, profiled, rss_mib, start_stack, where_time_goes
from devstack import ROOT
from store.db import drop_everything, make_engine


@dataclass
class Target:
    what: str
    value: float
    limit: float
    at_least: bool  # True: value >= limit; False: value <= limit

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def line(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return f"| {self.what} | {self.value:.2f} | {sign} {self.limit:g} | {'met' if self.met else '**missed**'} |"


def row(m: Measured, against: Measured | None = None) -> str:
    ratio = f"{m.rate / against.rate:.2f}× {against.name}" if against and against.rate else ""
    return f"| {m.name} | {m.count} | {m.rate:.1f}/s | {m.p50:.1f} | {m.p95:.1f} | {ratio} |"


@contextlib.contextmanager
def postgres(wanted: bool) -> Iterator[str | None]:
    if not wanted:
        yield None
        return
    try:
        from tests.services import postgres_server
    except ImportError:
        yield None
        return
    try:
        with postgres_server() as url:
            yield url
    except (RuntimeError, OSError) as exc:
        print(f"PostgreSQL not measured: {exc}", file=sys.stderr)
        yield None


async def run(quick: bool, with_postgres: bool, profile: bool) -> tuple[str, list[str]]:
    """The report, and the targets it missed."""
    count = 100 if quick else 400
    concurrency = 8
    sizes = [1000] if quick else [1000, 10_000, 100_000]
    lines: list[str] = []
    targets: list[Target] = []
    bench = start_stack()
    try:
        print("bare engine…", flush=True)
        engine = await bare.measure(bench.temporal, count, concurrency)
        print("product…", flush=True)
        through = await product.measure(bench, count, concurrency)
        spied: dict[str, dict[str, Path]] = {}
        if profile:  # again, sampled: the figures above are measured without the sampler

            @contextlib.contextmanager
            def around(phase: str) -> Iterator[None]:
                name = phase.replace(" ", "-").replace("/", "").replace("{", "").replace("}", "")
                with profiled(bench, ("api", "worker"), name) as out:
                    yield
                spied[phase] = out

            print("product, profiled…", flush=True)
            await product.measure(bench, count // 2, concurrency, around)
        print("lifecycles…", flush=True)
        cycles = await product.lifecycles(bench, 3 if quick else 10, 3)
        print("cases left at each stage…", flush=True)
        left = await product.staged(bench, concurrency)
        templates = [*left, *cycles.case_ids, *through.case_ids[:10]]
        print("open cases and worker memory…", flush=True)
        # Open now: the intake phase's cases and those left at a stage (the lifecycles' are archived).
        still_open = count + len(left) + (count // 2 if profile else 0)
        memory: list[tuple[int, float]] = [(still_open, rss_mib(bench.pid("worker")))]
        for target_open in [200, 400] if quick else [1000, 10_000]:
            more = max(0, target_open - still_open)
            _, rss = await product.open_cases(bench, more, concurrency)
            still_open += more
            memory.append((still_open, rss))
        shard_timeouts = (bench.data / "logs" / "temporal.log").read_text().count("ShardIOTimeout")
        print("read models…", flush=True)
        sized: list[readmodel.Sized] = []
        source = make_engine(f"sqlite:///{(bench.data / 'linkage.db').as_posix()}")
        with postgres(with_postgres and not quick) as pg:
            for size in sizes:
                url = f"sqlite:///{(bench.data / f'seeded-{size}.db').as_posix()}"
                readmodel.seed(source, url, size, templates).dispose()
                sized.append(await readmodel.measure(bench, "sqlite", url, size, 100))
                if pg is not None:
                    seeded = readmodel.seed(source, pg, size, templates)
                    sized.append(await readmodel.measure(bench, "postgresql", pg, size, 100))
                    drop_everything(seeded)
                    seeded.dispose()
        source.dispose()
    finally:
        bench.stack.down()

    lines += [
        "# Benchmarks",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · Python {platform.python_version()}"
        f" · {'quick' if quick else 'full'} run · {concurrency} requests at a time · one Temporal dev"
        " server (SQLite file), the worker, the API and the simulator on the same machine.",
        "",
        "## The engine and the product, in the same run",
        "",
        "| what | n | rate | p50 ms | p95 ms | ratio |",
        "|---|---|---|---|---|---|",
        row(engine.start),
        row(engine.update),
        row(engine.update_with_start, engine.start),
        row(through.intake, engine.start),
        f"| (intake against a bare update-with-start) | | | | | {through.intake.rate / engine.update_with_start.rate:.2f}× |",
        row(through.action, engine.update),
        row(through.noticed, engine.update),
        row(engine.query),
        row(through.detail, engine.query),
        row(through.again, engine.query),
        row(through.asked, engine.query),
        row(through.listing),
        row(cycles.measured),
        "",
        "Intake is a start, with the case's opening written to the read model by the API. The action "
        "is a step with no outside call (`classify`); the action with a notice (`direct`) also calls "
        "the notifier, an activity whose answer the case takes in a second workflow task: twice a "
        "bare update's work for the engine. A read of a live case comes from its state as its last "
        "write stored it, decided with its own rules, while nothing can have moved it since (no "
        "clock due, no answer of an outside call awaited, no write failed). The cases are read "
        "just after the notice: the first read asks the engine how the notification goes and "
        "records that it is done, a read of the same case later does not. Asking the case is a "
        "workflow query instead (a second API with stored views off, on the same cases). At this "
        "concurrency a median is mostly the wait for the two cores, for the bare query as well.",
        "",
        f"A demo-fast lifecycle, intake to archive: {cycles.events:.0f} history events and "
        f"{cycles.tasks:.0f} workflow tasks for {cycles.entries:.0f} timeline entries (steps, what "
        f"the clocks did, answers taken in): {cycles.events / max(cycles.entries, 1):.1f} events "
        "per entry.",
        "",
        "Worker memory: "
        + ", ".join(f"{mib:.0f} MiB with {n} open cases" for n, mib in memory)
        + f"; `ShardIOTimeout` in the server's log: {shard_timeouts}.",
        "",
        "## Lists and the dashboard by read-model size (cases in the coordinator's scope)",
        "",
        "| backend | cases | GET /cases p50 / p95 ms | search p50 / p95 ms | overview p50 / p95 ms |",
        "|---|---|---|---|---|",
    ]
    for s in sized:
        lines.append(
            f"| {s.backend} | {s.size} | {s.listing.p50:.1f} / {s.listing.p95:.1f} | "
            f"{s.search.p50:.1f} / {s.search.p95:.1f} | {s.overview.p50:.0f} / {s.overview.p95:.0f} |"
        )
    targets += [
        Target("intake ÷ bare start", through.intake.rate / engine.start.rate, 0.6, True),
        Target(
            "intake ÷ bare update-with-start",
            through.intake.rate / engine.update_with_start.rate,
            1.0,
            True,
        ),
        Target("action ÷ bare update", through.action.rate / engine.update.rate, 0.85, True),
        Target("GET /cases/{id} p50 ms", min(through.detail.p50, through.asked.p50), 20, False),
        Target("ShardIOTimeout in the server log", shard_timeouts, 0, False),
    ]
    largest = max(s.size for s in sized)
    for s in sized:
        if s.size == largest:
            targets += [
                Target(f"GET /cases p95 ms, {s.backend} {s.size}", s.listing.p95, 20, False),
                Target(f"search p95 ms, {s.backend} {s.size}", s.search.p95, 50, False),
                Target(f"overview p95 ms, {s.backend} {s.size}", s.overview.p95, 100, False),
            ]
    if spied:
        lines += [
            "",
            "## Where the time goes (py-spy, `--profile`)",
            "",
            "The modules each process spent its time in during each phase (a second, sampled pass "
            "of the product's phases), by share of its busy samples. The Temporal server is Go: its "
            "share shows in the engine's own rates above.",
            "",
        ]
        for phase, outputs in spied.items():
            for name, raw in outputs.items():
                shares = ", ".join(f"{m} {pct:.0f}%" for m, pct in where_time_goes(raw, 8))
                lines.append(f"- **{phase}**, {name}: {shares}")
    lines += ["", "## Targets", "", "| target | measured | limit | |", "|---|---|---|---|"]
    lines += [t.line() for t in targets]
    return "\n".join(lines) + "\n", [t.what for t in targets if not t.met]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The product against the bare engine.")
    parser.add_argument("--quick", action="store_true", help="small counts, SQLite at 1k only")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite read models only")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--profile", action="store_true", help="sample the API and the worker with py-spy"
    )
    args = parser.parse_args(argv)
    text, missed = asyncio.run(run(args.quick, not args.no_postgres, args.profile))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    if missed:
        print(f"missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
