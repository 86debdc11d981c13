"""``make run`` (python -m devstack) comes up, answers /healthz, stops cleanly on Ctrl-C, and a second
run finds the case the first one left, with its clocks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.services import ROOT, free_port, wait_http


def start(data_dir: Path, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "devstack", "--data-dir", str(data_dir),
            "--temporal-port", str(ports["temporal"]), "--ui-port", str(ports["ui"]),
            "--simulator-port", str(ports["simulator"]), "--api-port", str(ports["api"]),
        ],
        cwd=ROOT,
        env={**os.environ, "LINKAGE_LOG_JSON": "true"},
        stdout=(data_dir / "devstack.out").open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=120)


def test_make_run_comes_up_keeps_its_cases_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("temporal", "ui", "simulator", "api")}
    api = f"http://127.0.0.1:{ports['api']}"
    first = start(tmp_path, ports)
    try:
        wait_http(f"{api}/healthz", first, timeout=120)
        deadline = time.monotonic() + 30
        while not (tmp_path / "demo-keys.json").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        keys = json.loads((tmp_path / "demo-keys.json").read_text())
        assert set(keys) >= {"intake", "officer", "approver", "coordinator", "leader", "procurator"}
        intake = {"Authorization": f"Bearer {keys['intake']}"}
        body = {
            "intake_ref": "SMOKE-1",
            "discovering_agency": "EPB-DEMO",
            "subject": "冒烟测试企业",
            "discovered_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        }
        created = httpx.post(f"{api}/cases", json=body, headers=intake, timeout=30)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        officer = {"Authorization": f"Bearer {keys['officer']}"}
        moved = httpx.post(
            f"{api}/cases/{case_id}/actions/request_test",
            json={"agency": "MON-DEMO", "subject": "COD"},
            headers=officer,
            timeout=30,
        )
        assert moved.status_code == 200, moved.text
        before = httpx.get(f"{api}/cases/{case_id}", headers=officer, timeout=30).json()
        assert [c["name"] for c in before["open_clocks"]] == ["test"]
        # The case page links to the Temporal UI on the port it was started with.
        with httpx.Client(base_url=api, timeout=30) as browser:
            signed = browser.post("/login", data={"key": keys["officer"], "next": "/"})
            assert signed.status_code == 303
            page = browser.get(f"/case/{case_id}")
            link = f"http://127.0.0.1:{ports['ui']}/namespaces/default/workflows/case-{case_id}"
            assert link in page.text
    finally:
        assert stop(first) == 0
    assert "Ctrl-C stops everything" in (tmp_path / "devstack.out").read_text()

    second = start(tmp_path, ports)
    try:
        wait_http(f"{api}/healthz", second, timeout=120)
        after = httpx.get(f"{api}/cases/{case_id}", headers=officer, timeout=30)
        assert after.status_code == 200, after.text
        case = after.json()
        assert (
            case["live"] is True
        )  # the workflow itself answers, from the history the first run left
        assert case["summary"]["stage"] == "discovery"
        assert [c["due_at"] for c in case["open_clocks"]] == [
            c["due_at"] for c in before["open_clocks"]
        ]
    finally:
        assert stop(second) == 0
