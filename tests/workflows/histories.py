"""Recorded histories of finished cases, for replay tests. `make histories` records them again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from tests.workflows.driver import Case

HISTORIES = Path(__file__).parent.parent / "histories"
CLUE_HISTORIES = HISTORIES / "clues"  # ClueWorkflow's, replayed against it
REPORT_HISTORIES = HISTORIES / "reports"  # ReportWorkflow's


def recording() -> bool:
    return os.environ.get("RECORD_HISTORIES") == "1"


async def keep_history(case: Case, name: str) -> None:
    """Save the finished case's history when recording; always check it is finished."""
    await keep(case.handle, HISTORIES, name)


async def keep(handle: WorkflowHandle[Any, Any], folder: Path, name: str) -> None:
    """Save a finished workflow's history under ``folder`` when recording."""
    history = await handle.fetch_history()
    assert history.events[-1].HasField("workflow_execution_completed_event_attributes"), name
    if recording():
        _write(folder / f"{name}.json", history.to_json())


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
