"""Recorded histories of finished cases, for replay tests. `make histories` records them again."""

from __future__ import annotations

import os
from pathlib import Path

from tests.workflows.driver import Case

HISTORIES = Path(__file__).parent.parent / "histories"


def recording() -> bool:
    return os.environ.get("RECORD_HISTORIES") == "1"


async def keep_history(case: Case, name: str) -> None:
    """Save the finished case's history when recording; always check it is finished."""
    history = await case.handle.fetch_history()
    assert history.events[-1].HasField("workflow_execution_completed_event_attributes"), name
    if recording():
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
