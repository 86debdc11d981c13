"""Real services started by tests: the simulator as its own process, PostgreSQL on a loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.polling import eventually_sync

ROOT = Path(__file__).resolve().parent.parent

# The payload keys of every process a test starts against the dev server (the test's own client, the
# worker, the API), so that each can read what the others wrote. Test-only: never used elsewhere.
TEST_PAYLOAD_KEY_ID = "test-1"
TEST_PAYLOAD_KEYS = {TEST_PAYLOAD_KEY_ID: "dGVzdC1vbmx5LWtleS1vZi0zMi1ieXRlcy0hISEhISE="}
PAYLOAD_ENV = {
    "LINKAGE_PAYLOAD_KEYS": json.dumps(TEST_PAYLOAD_KEYS),
    "LINKAGE_PAYLOAD_KEY_ID": TEST_PAYLOAD_KEY_ID,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(
    url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 30
) -> None:
    """Until ``url`` answers 200; a process that exits meanwhile fails at once, with its code."""

    def answers() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process behind {url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(url, timeout=1).status_code == 200
        return False

    eventually_sync(answers, f"{url} did not answer within {timeout}s", seconds=timeout)


@contextlib.contextmanager
def simulator_process(env: dict[str, str] | None = None) -> Iterator[str]:
    """``python -m simulator`` on a free loopback port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port)],
        cwd=ROOT,
        env={
            **os.environ,
            "LINKAGE_LOG_JSON": "true",
            "LINKAGE_LOG_LEVEL": "WARNING",
            **(env or {}),
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise RuntimeError(
        f"PostgreSQL's '{name}' is not installed; install Debian's postgresql package "
        "(.ci/run does)"
    )


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free loopback port; yields a SQLAlchemy URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="linkage-pg-"))
    data = root / "data"
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as its own user
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
            f"-p {port} -h 127.0.0.1 -k {root} -F", "start",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        subprocess.run(
            [
                *as_user,
                _pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "linkage",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/linkage"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
