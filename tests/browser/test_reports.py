"""Public reports in a real browser against the running stack: the bureau's officer finds a 12369
report, opens a case from it; the head looks at who reported, with a purpose, and the look is in the
trail; a coordinator sees the report but never the reporter; both pages speak the language chosen."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, expect

from tests.api.helpers import HEAD, INTAKE, OFFICER
from tests.browser.conftest import shot, sign_in
from tests.browser.test_first_hour import read_page
from tests.stack import Stack

NAME, PHONE = "浏览器举报人", "13600009999"
COORDINATOR = ("JLO-DEMO", "coordinator")


async def test_a_report_from_the_list_to_a_case_with_the_reporter_kept_sealed(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    place = f"浏览器测试河段{uuid.uuid4().hex[:4]}"
    taken = await api.post(
        "/reports",
        json={
            "intake_ref": f"12369-b-{uuid.uuid4().hex[:8]}",
            "channel": "12369",
            "received_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
            "place": place,
            "seen": "河面漂浮大量油污",
            "urgent": True,
            "reporter": {"name": NAME, "phone": PHONE},
        },
        headers=stack.auth(*INTAKE),
    )
    assert taken.status_code == 201, taken.text
    rid = taken.json()["report_id"]

    page = await sign_in(browser, stack, *OFFICER)
    await page.click("#nav-reports")
    row = page.locator(f'#reports [data-report="{rid}"]')
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("紧急")
    await shot(page, "12-reports-list")
    await row.locator("a").click()
    await expect(page.locator("#report-stage")).to_have_attribute("data-stage", "received")
    await expect(page.locator("#reporter")).to_have_text("保密")
    assert NAME not in await page.content()
    await expect(page.locator("#look")).to_have_count(0)  # an officer may not look
    form = page.locator('form[data-action="open_case"]')
    await expect(form).to_be_visible(timeout=30_000)
    await form.locator("#open-subject").fill("某油品储运公司")
    await form.locator("#open-type").select_option("direct_discharge")
    await form.locator("button").click()
    await expect(page.locator("#flash-done")).to_contain_text("据此立案")
    await expect(page.locator("#report-stage")).to_have_attribute("data-stage", "handled")
    case_link = page.locator("#report-facts a[href^='/case/']")
    await expect(case_link).to_be_visible()
    await shot(page, "12-report-opened-a-case")
    await page.context.close()

    head = await sign_in(browser, stack, *HEAD)
    await head.goto(f"{stack.api}/report/{rid}")
    await head.fill("#purpose", "联系举报人核实现场")
    await head.locator("#look button").click()
    await expect(head.locator("#reporter")).to_contain_text(NAME)
    await expect(head.locator("#reporter")).to_contain_text(PHONE)
    assert NAME not in head.url
    assert PHONE not in head.url
    await head.context.close()
    trail = await api.get(f"/reports/{rid}/reporter-views", headers=stack.auth("LG-DEMO", "leader"))
    assert [v["purpose"] for v in trail.json()] == ["联系举报人核实现场"]

    coordinator = await sign_in(browser, stack, *COORDINATOR)
    await coordinator.goto(f"{stack.api}/report/{rid}")
    await expect(coordinator.locator("#reporter")).to_have_text("保密")
    await expect(coordinator.locator("#look")).to_have_count(0)
    found: dict[str, Any] = {"english": {}, "chinese": {}}
    for path in ("/report-list", f"/report/{rid}"):
        await read_page(coordinator, f"{stack.api}{path}", "zh", [place], found)
    await coordinator.click("#switch-language")
    for path in ("/report-list", f"/report/{rid}"):
        await read_page(coordinator, f"{stack.api}{path}", "en", [place, "河面漂浮大量油污"], found)
    await shot(coordinator, "12-en-report")
    await coordinator.context.close()
    assert not found["english"], f"English on Chinese pages: {found['english']}"
    assert not found["chinese"], f"Chinese chrome on English pages: {found['chinese']}"
