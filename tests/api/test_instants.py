"""Issue 11 (item 7): instants have one format everywhere. The API writes every instant in UTC, ISO
8601, to the microsecond, with ``Z``, whichever offset the case or the read model holds it in (a
deadline is computed in Beijing time, a receipt arrives in UTC); the dashboard shows Beijing time to
the minute, on every page alike."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

import httpx

from api import schemas as api_schemas
from api.schemas import INSTANT, Plain
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, act, ok, open_case, to_sent
from tests.polling import eventually

DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")


def texts(value: Any, at: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a JSON value that begins like a date, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from texts(item, f"{at}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from texts(item, f"{at}[{i}]")
    elif isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\d", value):
        yield re.sub(r"\[\d+\]", "[]", at), value


async def test_every_instant_of_the_api_has_one_format(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    evidence = await ok(
        api.post(
            f"/cases/{case_id}/evidence",
            data={"kind": "complaint", "title": "举报材料"},
            files={"file": ("c.txt", b"complaint")},
            headers=stack.auth(*OFFICER),
        )
    )
    await to_sent(api, stack, case_id)  # clocks in Beijing time, a receipt in UTC
    outcome = await ok(act(api, stack, case_id, "direct", ("JLO-DEMO", "coordinator"), note="x"))
    clue = {"to": "PROC-DEMO", "conduct": ["shielding"], "account": "时间格式"}
    sent = await ok(api.post(f"/cases/{case_id}/clues", json=clue, headers=stack.auth(*OFFICER)))

    async def delivered() -> bool:
        found = await api.get(f"/cases/{case_id}/clues", headers=stack.auth(*OFFICER))
        return any(c["delivered_at"] for c in found.json())

    await eventually(delivered, "the clue was never delivered", seconds=30)
    answers = {
        "list": await ok(api.get("/cases", headers=stack.auth(*OFFICER))),
        "detail": await ok(api.get(f"/cases/{case_id}", headers=stack.auth(*OFFICER))),
        "timeline": await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER))),
        "action": outcome,
        "evidence": evidence,
        "clue": sent,
        "case clues": await ok(api.get(f"/cases/{case_id}/clues", headers=stack.auth(*OFFICER))),
        "clues": await ok(api.get("/clues", headers=stack.auth(*OFFICER))),
    }
    found: dict[str, set[str]] = {}
    for name, answer in answers.items():
        for at, text in texts(answer):
            found.setdefault(name, set()).add(at)
            if LOOKS_LIKE_TIME.match(text):
                assert re.match(INSTANT, text), f"{name}{at}: {text}"
            else:
                assert DATE.match(text), f"{name}{at}: {text}"  # a date (decided_on) is a date
    # The instants looked at include those of every kind of answer, and those that came in another
    # offset: deadlines and clocks (Beijing time), a receipt noted on the timeline (UTC).
    assert {".items[].next_deadline", ".items[].opened_at"} <= found["list"]
    assert {
        ".summary.next_deadline",
        ".open_clocks[].due_at",
        ".state.clocks[].due_at",
        ".state.referral.receipt.received_at",
        ".state.timeline[].details.received_at",
    } <= found["detail"]
    assert {"[].at", "[].details.received_at"} <= found["timeline"]
    assert {".at"} <= found["action"]
    assert {".recorded_at"} <= found["evidence"]
    assert {".sent_at"} <= found["clue"]
    assert {"[].sent_at", "[].delivered_at"} <= found["case clues"]
    # One instant reads the same wherever it is shown.
    listed = next(c for c in answers["list"]["items"] if c["case_id"] == case_id)
    assert listed["opened_at"] == answers["detail"]["summary"]["opened_at"]
    assert answers["timeline"][0]["at"] == listed["opened_at"]


async def test_the_dashboard_shows_beijing_time_to_the_minute(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    await to_sent(api, stack, case_id)
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dash") as dash:
        signed = await dash.post("/login", data={"key": stack.key(*OFFICER), "next": "/"})
        assert signed.status_code == 303
        for path in ("/", "/list", "/inbox", f"/case/{case_id}"):
            page = await dash.get(path)
            assert page.status_code == 200, path
            assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", page.text), path  # no ISO instants
            assert re.search(r">\d{4}-\d\d-\d\d \d\d:\d\d<", page.text), path


def test_a_plain_schema_holds_no_instant() -> None:
    """``Plain`` schemas are written without the walk that puts instants in the one format: each of
    their fields is text, a number, a flag, or a list of those or of other plain schemas."""
    allowed = {str, int, bool, float}

    def plain(annotation: Any) -> bool:
        if annotation in allowed:
            return True
        if isinstance(annotation, type) and issubclass(annotation, Plain):
            return True
        origin = typing.get_origin(annotation)
        if origin in (list, tuple):
            return all(plain(a) for a in typing.get_args(annotation) if a is not Ellipsis)
        return False

    schemas = [
        c for c in vars(api_schemas).values() if isinstance(c, type) and issubclass(c, Plain)
    ]
    assert len(schemas) > 1
    for schema in schemas:
        for name, field in schema.model_fields.items():
            assert plain(field.annotation), f"{schema.__name__}.{name}: {field.annotation}"
