"""The routine pages in a real browser: the joint office finds the quarter's meeting with its agenda,
records a decision, closes the meeting and marks the decision done (N2017 Art. 23); the monthly
bulletin is listed with its files (D4 §5); the procuratorate marks a case of its list (N2017 Art. 14).

The routines run for the animal-health mechanism in demo-county (the other tests of the session use
other mechanisms or regions: an occurrence's workflow id is its period's), each for an occurrence
already past, so that it runs at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Browser, Dialog, expect
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from cases.calendar import CHINA_TZ
from cases.projection import CaseProjection
from cases.routine_effects import RoutineStart, RoutineStarted
from cases.vocabulary import Classification, Stage
from store.tables import CaseRow
from tests.browser.conftest import shot, sign_in
from tests.stack import Stack

MECHANISM, REGION = "animal-health-police", "demo-county"
QUARTER = datetime(2026, 10, 1, 9, tzinfo=CHINA_TZ)  # moved to Oct 8 (National Day)
MONTH = datetime(2026, 11, 1, 9, tzinfo=CHINA_TZ)  # a Sunday: moved to Mon Nov 2
FRIDAY_SCAN = datetime(2026, 11, 27, 8, tzinfo=CHINA_TZ)


def add_case(stack: Stack, **fields: Any) -> str:
    case = CaseProjection(
        case_id=f"AHS-DEMO.BR-{uuid.uuid4().hex[:10]}",
        intake_ref="BR",
        mechanism=MECHANISM,
        region=REGION,
        stage=Stage.EVIDENCE,
        subject="某屠宰场",
        discovering_agency="AHS-DEMO",
        owner_agency="AHS-DEMO",
        suggested=Classification.ADMINISTRATIVE,
        opened_at=datetime(2026, 10, 20, tzinfo=UTC),
        updated_at=datetime.now(UTC),
    ).model_copy(update=fields)
    with Session(stack.engine) as session:
        session.add(CaseRow.model_validate(case.model_dump()))
        session.commit()
    return case.case_id


async def start(dev_server: WorkflowEnvironment, stack: Stack, routine: str, at: datetime) -> str:
    handle = await dev_server.client.start_workflow(
        "RoutineWorkflow",
        RoutineStart(MECHANISM, REGION, routine, at),
        id=f"routine-start-{uuid.uuid4().hex}",
        task_queue=stack.task_queue,
        result_type=RoutineStarted,
    )
    started: RoutineStarted = await handle.result()
    return started.workflow_id


async def test_the_joint_office_holds_the_quarters_meeting_and_the_procuratorate_marks_its_list(
    browser: Browser, stack: Stack, dev_server: WorkflowEnvironment
) -> None:
    key = add_case(stack, key_case=True)
    crime = add_case(stack, suggested=Classification.CRIME, stage=Stage.ADMIN_PENALTY)
    meeting_id = await start(dev_server, stack, "joint_meeting", QUARTER)
    bulletin_id = await start(dev_server, stack, "monthly_bulletin", MONTH)
    await start(dev_server, stack, "referral_scan", FRIDAY_SCAN)

    page = await sign_in(browser, stack, "JLO-DEMO", "coordinator")
    await page.click("#nav-routines")
    meeting_row = page.locator(f'#meetings [data-meeting="{meeting_id}"]')
    await expect(meeting_row).to_have_attribute("data-status", "open", timeout=30_000)
    bulletin_row = page.locator(f'#bulletins [data-bulletin="{bulletin_id}"]')
    await expect(bulletin_row.locator('[data-format="pdf"]')).to_be_visible(timeout=30_000)
    await expect(bulletin_row).to_contain_text("一般信息月通报")
    pdf = await page.request.get(f"{stack.api}/routines/bulletin/{bulletin_id}/pdf")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    await shot(page, "14-routines")

    await meeting_row.locator("a").click()
    await expect(page.locator("#meeting-status")).to_have_attribute("data-status", "open")
    agenda_line = page.locator(f'#agenda [data-case="{key}"]')
    await expect(agenda_line.locator('[data-reason="key"]')).to_contain_text("重点联动案件")
    due = (datetime.now(CHINA_TZ).date() + timedelta(days=14)).isoformat()
    await page.fill("#decision-title", "联合排查病死畜禽收购点")
    await page.select_option("#decision-owner", "AHS-DEMO")
    await page.fill("#decision-due", due)
    await page.click('[data-action="record_decision"] button')
    await expect(page.locator("#flash-done")).to_be_visible()
    decision = page.locator('#decisions tr[data-decision="d1"]')
    await expect(decision).to_have_attribute("data-state", "open")
    await expect(decision).to_contain_text("联合排查病死畜禽收购点")
    await shot(page, "15-meeting-decision")

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    await page.fill("#close-summary", "通报本季度案件,议定联合排查")
    await page.click('[data-action="close_meeting"] button')
    await expect(page.locator("#meeting-status")).to_have_attribute("data-status", "closed")
    await page.click('[data-action="decision_done"] button')
    await expect(page.locator("#meeting-status")).to_have_attribute("data-status", "done")
    await expect(page.locator("#minutes a")).to_have_count(2, timeout=30_000)

    procurator = await sign_in(browser, stack, "PROC-DEMO", "procurator")
    await procurator.click("#nav-routines")
    listed = procurator.locator(f'#referral-watch [data-case="{crime}"]')
    await expect(listed).to_contain_text("涉嫌犯罪而作行政处理", timeout=30_000)
    await listed.locator("select").select_option("reviewed")
    await listed.locator("button").click()
    await expect(procurator.locator("#flash-done")).to_be_visible()
    await expect(procurator.locator(f'#referral-watch [data-case="{crime}"]')).to_have_count(0)
    await shot(procurator, "16-referral-watch")


async def test_d4_a_typical_case_and_an_emergency_from_the_routines_page(
    browser: Browser, stack: Stack
) -> None:
    """D4 §5: the joint office names a case typical and issues its bulletin in time; it sends a
    zero-delay emergency notice; both are listed with their files."""
    case_id = add_case(stack, subject="某屠宰场(典型案件)")
    page = await sign_in(browser, stack, "JLO-DEMO", "coordinator")
    await page.click("#nav-routines")
    await page.fill("#typical-case-id", case_id)
    await page.fill("#typical-reason", "私屠滥宰并销售病死猪肉,具有警示意义")
    await page.click("#typical-case button")
    await expect(page.locator("#flash-done")).to_be_visible()
    pending = page.locator("[data-issue]").first
    await expect(pending).to_be_visible(timeout=30_000)
    bulletin_id = await pending.get_attribute("data-issue")
    assert bulletin_id is not None
    assert ".typical_case." in bulletin_id
    await pending.locator("textarea").fill("该案已移送公安机关,现予通报")
    await pending.locator("button").click()
    await expect(page.locator("#flash-done")).to_be_visible()
    row = page.locator(f'#bulletins [data-bulletin="{bulletin_id}"]')
    await expect(row.locator('[data-format="pdf"]')).to_be_visible(timeout=30_000)
    await expect(row.locator(f'[data-due="{bulletin_id}"]')).to_contain_text("按时通报")

    await page.fill("#emergency-what", "发现疑似非洲猪瘟疫情")
    await page.fill("#emergency-place", "示范县某养殖场")
    await page.fill("#emergency-at", datetime.now(CHINA_TZ).strftime("%Y-%m-%dT%H:%M"))
    await page.click("#emergency button")
    await expect(page.locator("#flash-done")).to_be_visible()
    emergency = page.locator('#bulletins tr[data-bulletin*=".emergency."]').first
    await expect(emergency.locator('[data-format="pdf"]')).to_be_visible(timeout=30_000)
    await shot(page, "17-d4-bulletins")
    # The police may send an emergency (a member agency) but not name a typical case.
    police = await sign_in(browser, stack, "PSB-DEMO", "officer")
    await police.click("#nav-routines")
    await expect(police.locator("#emergency")).to_be_visible()
    await expect(police.locator("#typical-case")).to_have_count(0)
    await police.context.close()
    await page.context.close()
