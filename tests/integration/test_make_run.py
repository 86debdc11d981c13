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
        assert set(keys) >= {"INTAKE", "OFFICER", "HEAD", "POLICE", "COORD", "LEADER", "PROCURATOR"}
        intake = {"Authorization": f"Bearer {keys['INTAKE']}"}
        body = {
            "intake_ref": "SMOKE-1",
            "discovering_agency": "EPB-DEMO",
            "subject": "冒烟测试企业",
            "discovered_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        }
        created = httpx.post(f"{api}/cases", json=body, headers=intake, timeout=30)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        officer = {"Authorization": f"Bearer {keys['OFFICER']}"}
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
            signed = browser.post("/login", data={"key": keys["OFFICER"], "next": "/"})
            assert signed.status_code == 303
            page = browser.get(f"/case/{case_id}")
            link = f"http://127.0.0.1:{ports['ui']}/namespaces/default/workflows/case-{case_id}"
            assert link in page.text
        tour(tmp_path, api, keys)
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


def tour(data_dir: Path, api: str, keys: dict[str, str]) -> None:
    """The README's five-minute tour, pasted as it is written (only the API's port is this stack's),
    from the repository's folder: every command succeeds and the case ends where the tour says."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A five-minute tour", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "API=http://127.0.0.1:8000" in script
    script = script.replace("API=http://127.0.0.1:8000", f"API={api}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env={**os.environ, "LINKAGE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert '"code":"package_incomplete"' in done.stdout  # the refusal the tour shows
    case = httpx.get(
        f"{api}/cases/EPB-DEMO.2026-1127-0001",
        headers={"Authorization": f"Bearer {keys['OFFICER']}"},
        timeout=30,
    ).json()
    assert case["summary"]["stage"] == "handover", case["summary"]  # filed: the items go next
    assert any(i["kind"] == "monitoring_report" for i in case["state"]["evidence"])
