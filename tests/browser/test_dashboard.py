"""The coordinator dashboard in a real browser: sign in, the overview by stage, a case, a police
officer filing it, and an escalation reaching the leader's inbox without a reload."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.api.helpers import HEAD, OFFICER, act, ok, open_case, record_package, to_sent
from tests.browser.conftest import shot, sign_in
from tests.polling import eventually
from tests.stack import Stack


async def test_a_coordinator_sees_cases_by_stage_and_opens_one(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    discovered = await open_case(api, stack, subject="浏览器测试:发现阶段")
    classified = await open_case(api, stack, subject="浏览器测试:固定证据")
    await ok(
        act(api, stack, classified, "classify", OFFICER, classification="crime", reasons="暗管")
    )
    page = await sign_in(browser, stack, "JLO-DEMO", "coordinator")
    await expect(page.locator('#by-stage [data-stage="discovery"]')).to_be_visible()
    await expect(page.locator('#by-stage [data-stage="evidence"]')).to_be_visible()
    await expect(page.locator("#key-cases")).to_contain_text("浏览器测试:固定证据")
    await shot(page, "01-coordinator-overview")

    await page.click('#by-stage [data-stage="evidence"]')
    await expect(page.locator(f'#case-list [data-case="{classified}"]')).to_be_visible()
    await expect(page.locator(f'#case-list [data-case="{discovered}"]')).to_have_count(0)
    await page.click(f'#case-list [data-case="{classified}"] a')
    await expect(page.locator("h1")).to_contain_text("浏览器测试:固定证据")
    await expect(page.locator("#progress .now")).to_have_attribute("data-stage", "evidence")
    await expect(page.locator("#timeline")).to_contain_text("确认定性")
    await expect(page.locator("#temporal-link")).to_have_attribute(
        "href", f"http://127.0.0.1:8233/namespaces/default/workflows/case-{classified}"
    )
    await expect(
        page.locator('form[data-action="direct"]')
    ).to_be_visible()  # a coordinator's buttons
    await expect(page.locator('form[data-action="classify"]')).to_have_count(0)
    await shot(page, "02-case-detail")

    await page.click("#switch-language")
    await expect(page.locator("header")).to_contain_text("Overview")
    await expect(page.locator("#progress .now")).to_contain_text("Evidence fixing")
    await shot(page, "03-case-detail-english")
    await page.context.close()


async def test_a_police_officer_files_a_case(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    """The police system's receipt is the acceptance (N2017 Art. 7): the officer finds the filing
    decision's clock running and files; the filing notice reaches the bureau, whose handover clock
    then shows without a reload."""
    case_id = await open_case(api, stack, subject="浏览器测试:待立案")
    await to_sent(api, stack, case_id)

    async def delivered() -> bool:
        case = await ok(api.get(f"/cases/{case_id}", headers=stack.auth("PSB-DEMO", "officer")))
        return any(c["name"] == "filing_decision" for c in case["open_clocks"])

    await eventually(delivered, "the referral was never delivered")
    page = await sign_in(browser, stack, "PSB-DEMO", "officer")
    await page.goto(f"{stack.api}/case/{case_id}")
    await expect(page.locator('#clocks [data-clock="filing_decision"]')).to_be_visible()
    await expect(page.locator('form[data-action="accept"]')).to_have_count(0)
    rows_before = await page.locator("#timeline tr[data-seq]").count()
    await shot(page, "04-police-before-filing")
    await page.fill("#file_case-note", "经审查,符合立案条件")
    await page.click('form[data-action="file_case"] button')
    await expect(page.locator("#flash-done")).to_be_visible()
    await expect(page.locator('#clocks [data-clock="filing_decision"]')).to_have_count(0)
    await expect(page.locator("#progress .now")).to_have_attribute("data-stage", "handover")
    await expect(page.locator('#clocks [data-clock="handover"]')).to_be_visible(timeout=30_000)
    notice = page.locator('#notices [data-kind="filing_notice"]')
    await expect(notice).to_contain_text("已签收")  # the bureau's system acknowledged it
    await expect(notice).to_contain_text("PSB-DEMO → EPB-DEMO (PROC-DEMO)")
    assert await page.locator("#timeline tr[data-seq]").count() >= rows_before + 1
    await expect(page.locator("#timeline")).to_contain_text("PSB-DEMO officer")
    await shot(page, "05-police-filed")
    refused = await act(api, stack, case_id, "file_case", ("PSB-DEMO", "officer"))
    assert refused.status_code == 409  # and the API agrees: filed once
    await page.context.close()


async def test_an_escalation_reaches_the_leaders_inbox_without_a_reload(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    case_id = await open_case(api, stack, mechanism="demo-fast", subject="浏览器测试:快速升级")
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    await record_package(api, stack, case_id, "demo-fast")
    page = await sign_in(browser, stack, "LG-DEMO", "leader")
    await page.goto(f"{stack.api}/inbox")
    await expect(page.locator(f'#inbox [data-case="{case_id}"]')).to_have_count(0)
    await page.evaluate("window.__sameDocument = true")
    await ok(
        act(api, stack, case_id, "request_approval", OFFICER, officers=["王执法", "张执法"])
    )  # approval: 60 s, leaders at +30 s
    row = page.locator(f'#inbox [data-case="{case_id}"]')
    await expect(row).to_be_visible(timeout=240_000)  # two shared cores: wait generously
    assert await page.evaluate("window.__sameDocument === true")  # it arrived without a reload
    await expect(row).to_contain_text("负责人审批移送")  # the approval clock, by its title
    await expect(row).to_contain_text("EPB-DEMO")  # who holds the move
    await shot(page, "06-leader-inbox")
    await ok(act(api, stack, case_id, "approve_referral", HEAD))
    await expect(row).to_have_count(0, timeout=60_000)  # the owner acted: the escalation stops
    await page.context.close()


async def test_the_overview_fits_a_phone(browser: Browser, stack: Stack) -> None:
    page = await sign_in(
        browser,
        stack,
        "JLO-DEMO",
        "coordinator",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
    )
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2
    await shot(page, "07-phone-overview")
    await page.goto(f"{stack.api}/inbox")
    await expect(page.locator("#inbox")).to_be_visible()
    await page.goto(f"{stack.api}/rules")
    await expect(page.locator("#rules-env-police")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390 + 2
    await shot(page, "08-phone-rules")
    await page.context.close()


async def test_signing_in_needs_a_valid_key(browser: Browser, stack: Stack) -> None:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.api}/inbox")
    await expect(page.locator("#key")).to_be_visible()  # sent to sign in first
    await page.fill("#key", "lk_00000000_not-a-key")
    await page.click("#sign-in")
    await expect(page.locator("#login-failed")).to_be_visible()
    await page.context.close()
