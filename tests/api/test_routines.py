"""The routines' routes (``api.routes.routines``) in process, over the session's dev server with the
worker of ``build_worker`` (its notices to the simulator's notifier): who sees a meeting, a bulletin
and the procuratorate's list, the meeting's decisions through the API, the files of a bulletin.

The routines run in east-county here (the Schedules' test uses demo-county: an occurrence's workflow
id is its period's, the same on the session's server for every test that would start it), each for
an occurrence already past, so that it runs at once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.calendar import CHINA_TZ
from cases.projection import CaseProjection
from cases.routine_effects import RoutineStart, RoutineStarted
from cases.vocabulary import Classification, Stage
from store.tables import CaseRow
from tests.api.conftest import InProcess
from tests.polling import eventually

COORD = ("JLO-EAST", "coordinator")
LEADER = ("LG-EAST", "leader")
OFFICER = ("EPB-EAST", "officer")
POLICE = ("PSB-EAST", "officer")
PROCURATOR = ("PROC-EAST", "procurator")
OTHER_COORD = ("JLO-DEMO", "coordinator")
# Occurrences already past: a working Friday's report and scan, the fourth quarter's meeting.
FRIDAY = datetime(2026, 11, 27, 16, tzinfo=CHINA_TZ)
FRIDAY_SCAN = datetime(2026, 11, 27, 8, tzinfo=CHINA_TZ)
QUARTER = datetime(2026, 10, 1, 9, tzinfo=CHINA_TZ)


def add_case(stack: InProcess, **fields: Any) -> str:
    now = datetime.now(UTC)
    case = CaseProjection(
        case_id=f"EPB-EAST.RT-{uuid.uuid4().hex[:10]}",
        intake_ref="RT",
        mechanism="env-police",
        region="east-county",
        stage=Stage.EVIDENCE,
        subject="某厂",
        discovering_agency="EPB-EAST",
        owner_agency="EPB-EAST",
        suggested=Classification.ADMINISTRATIVE,
        opened_at=FRIDAY - timedelta(days=2),
        updated_at=now,
    ).model_copy(update=fields)
    with Session(stack.engine) as session:
        session.add(CaseRow.model_validate(case.model_dump()))
        session.commit()
    return case.case_id


async def run_routine(client: Client, stack: InProcess, routine: str, nominal: datetime) -> str:
    handle = await client.start_workflow(
        "RoutineWorkflow",
        RoutineStart("env-police", "east-county", routine, nominal),
        id=f"routine-start-{uuid.uuid4().hex}",
        task_queue=stack.settings.task_queue,
        result_type=RoutineStarted,
    )
    started: RoutineStarted = await handle.result()
    return started.workflow_id


async def ok(response: Any) -> Any:
    answered: httpx.Response = await response
    assert answered.status_code == 200, answered.text
    return answered.json()


async def test_a_bulletin_is_listed_for_its_recipients_with_its_four_files(
    api: httpx.AsyncClient, stack: InProcess, dev_server: WorkflowEnvironment
) -> None:
    add_case(stack, referred=True, stage=Stage.INVESTIGATION)
    bulletin_id = await run_routine(dev_server.client, stack, "weekly_report", FRIDAY)

    async def delivered() -> bool:
        found = await api.get(f"/bulletins/{bulletin_id}", headers=stack.auth(*COORD))
        return found.status_code == 200 and found.json()["delivered_at"] is not None

    await eventually(delivered, "the weekly report was not delivered", seconds=60)
    listed = await ok(api.get("/bulletins", headers=stack.auth(*COORD)))
    assert bulletin_id in [b["bulletin_id"] for b in listed]
    bulletin = await ok(api.get(f"/bulletins/{bulletin_id}", headers=stack.auth(*LEADER)))
    assert bulletin["formats"] == ["csv", "html", "pdf", "xlsx"]
    figures = {f["key"]: f["value"] for f in bulletin["figures"]}
    assert (figures["opened"], figures["referred"]) == (1, 1)
    assert bulletin["recipients"] == ["JLO-EAST", "LG-EAST"]
    pdf = await api.get(f"/bulletins/{bulletin_id}/pdf", headers=stack.auth(*COORD))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    csv = await api.get(f"/bulletins/{bulletin_id}/csv", headers=stack.auth(*COORD))
    assert "本期新发现案件,1" in csv.content.decode("utf-8-sig")
    # The bureau is not among the weekly report's recipients; another region's office sees none.
    assert bulletin_id not in [
        b["bulletin_id"] for b in await ok(api.get("/bulletins", headers=stack.auth(*OFFICER)))
    ]
    hidden = await api.get(f"/bulletins/{bulletin_id}", headers=stack.auth(*OTHER_COORD))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "bulletin_not_found")
    # Procurators read all.
    await ok(api.get(f"/bulletins/{bulletin_id}", headers=stack.auth("PROC-DEMO", "procurator")))


async def test_n2017_art_23_a_meetings_decisions_through_the_api(
    api: httpx.AsyncClient, stack: InProcess, dev_server: WorkflowEnvironment
) -> None:
    key = add_case(stack, key_case=True)
    meeting_id = await run_routine(dev_server.client, stack, "joint_meeting", QUARTER)

    async def opened() -> bool:
        found = await api.get(f"/meetings/{meeting_id}", headers=stack.auth(*COORD))
        return found.status_code == 200 and found.json()["status"] == "open"

    await eventually(opened, "the meeting did not open", seconds=60)
    meeting = await ok(api.get(f"/meetings/{meeting_id}", headers=stack.auth(*COORD)))
    assert {"case_id": key, "reasons": ["key"]}.items() <= next(
        line for line in meeting["agenda"] if line["case_id"] == key
    ).items()
    assert meeting_id in [
        m["meeting_id"] for m in await ok(api.get("/meetings", headers=stack.auth(*COORD)))
    ]
    hidden = await api.get(f"/meetings/{meeting_id}", headers=stack.auth(*OTHER_COORD))
    assert hidden.status_code == 404

    due = (datetime.now(CHINA_TZ).date() + timedelta(days=10)).isoformat()
    decision = {"title": "排查辖区涉重金属企业", "owner": "EPB-EAST", "due_on": due}
    police = await api.post(
        f"/meetings/{meeting_id}/actions/record_decision",
        json=decision,
        headers=stack.auth(*POLICE),
    )
    assert (police.status_code, police.json()["code"]) == (403, "role_not_permitted")
    past = await api.post(
        f"/meetings/{meeting_id}/actions/record_decision",
        json={**decision, "due_on": date(2026, 1, 1).isoformat()},
        headers=stack.auth(*COORD),
    )
    assert past.status_code == 422
    recorded = await ok(
        api.post(
            f"/meetings/{meeting_id}/actions/record_decision",
            json=decision,
            headers=stack.auth(*COORD),
        )
    )
    assert [d["title"] for d in recorded["decisions"]] == ["排查辖区涉重金属企业"]
    assert recorded["decisions"][0]["due_at"].endswith("Z")
    closed = await ok(
        api.post(
            f"/meetings/{meeting_id}/actions/close_meeting",
            json={"summary": "会议纪要"},
            headers=stack.auth(*LEADER),
        )
    )
    assert closed["status"] == "closed"

    async def minutes() -> bool:
        found = await ok(api.get(f"/meetings/{meeting_id}", headers=stack.auth(*COORD)))
        return bool(found["minutes"] == ["html", "pdf"])

    await eventually(minutes, "the minutes were not made", seconds=60)
    html = await api.get(f"/meetings/{meeting_id}/papers/html", headers=stack.auth(*OFFICER))
    assert "排查辖区涉重金属企业" in html.text  # the bureau owns a decision: it sees the meeting
    done = await ok(
        api.post(
            f"/meetings/{meeting_id}/actions/decision_done",
            json={"decision_id": "d1", "note": "已完成"},
            headers=stack.auth(*OFFICER),
        )
    )
    assert done["status"] == "done"


async def test_n2017_art_14_the_procuratorates_list_through_the_api(
    api: httpx.AsyncClient, stack: InProcess, dev_server: WorkflowEnvironment
) -> None:
    crime = add_case(stack, suggested=Classification.CRIME, stage=Stage.ADMIN_PENALTY)
    await run_routine(dev_server.client, stack, "referral_scan", FRIDAY_SCAN)

    async def listed() -> bool:
        found = await ok(api.get("/referral-watch", headers=stack.auth(*PROCURATOR)))
        return crime in [w["case_id"] for w in found]

    await eventually(listed, "the case was not listed", seconds=60)
    officer = await api.get("/referral-watch", headers=stack.auth(*OFFICER))
    assert officer.status_code == 403
    office = await api.post(
        f"/referral-watch/{crime}/mark",
        json={"outcome": "reviewed"},
        headers=stack.auth(*COORD),
    )
    assert (office.status_code, office.json()["code"]) == (403, "role_not_permitted")
    after = await ok(
        api.post(
            f"/referral-watch/{crime}/mark",
            json={"outcome": "recommended", "note": "已发检察意见"},
            headers=stack.auth(*PROCURATOR),
        )
    )
    assert crime not in [w["case_id"] for w in after]
    everything = await ok(api.get("/referral-watch?all=true", headers=stack.auth(*PROCURATOR)))
    marked = next(w for w in everything if w["case_id"] == crime)
    assert (marked["cleared"], marked["outcome"]) == ("marked", "recommended")
