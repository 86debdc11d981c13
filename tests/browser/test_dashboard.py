"""The coordinator dashboard in a real browser: sign in, the overview by stage, a case, a police
officer filing it, and an escalation reaching the leader's inbox without a reload."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Dialog, Page, expect

from tests.api.helpers import HEAD, OFFICER, POLICE, act, ok, open_case, record_package, to_sent
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
    # 待我办理: the case waits for the police, though it is the bureau's.
    await page.click("#nav-mine")
    await expect(page.locator(f'#mine [data-case="{case_id}"]')).to_be_visible()
    await shot(page, "04-police-my-move")
    await page.click(f'#mine [data-case="{case_id}"] a')
    await expect(page.locator('#clocks [data-clock="filing_decision"]')).to_be_visible()
    await expect(page.locator("#whose-move")).to_contain_text("示范县公安局 · 承办人员")
    await expect(page.locator('form[data-action="accept"]')).to_have_count(0)
    # The steps the case waits for come first, highlighted.
    first = page.locator("form.action").first
    await expect(first).to_have_class("action awaited")
    await expect(page.locator('form.awaited[data-action="file_case"]')).to_be_visible()
    await expect(page.locator('form.awaited[data-action="decline_filing"]')).to_be_visible()
    await expect(page.locator('form.awaited[data-action="request_supplements"]')).to_have_count(0)
    rows_before = await page.locator("#timeline tr[data-seq]").count()
    await shot(page, "04-police-before-filing")
    # Declining cannot be undone: it asks first, and a "no" sends nothing.
    asked: list[str] = []

    async def say_no(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", say_no)
    await page.fill("#decline_filing-reasons", "不构成犯罪")
    await page.click('form[data-action="decline_filing"] button')
    await eventually(lambda: _true(bool(asked)), "no confirmation was asked")
    assert "不可撤回" in asked[0]
    page.remove_listener("dialog", say_no)
    await expect(page.locator("#progress .now")).to_have_attribute("data-stage", "filing_decision")
    await page.fill("#file_case-note", "经审查,符合立案条件")
    await page.click('form[data-action="file_case"] button')
    await expect(page.locator("#flash-done")).to_be_visible()
    await expect(page.locator('#clocks [data-clock="filing_decision"]')).to_have_count(0)
    await expect(page.locator("#progress .now")).to_have_attribute("data-stage", "handover")
    await expect(page.locator('#clocks [data-clock="handover"]')).to_be_visible(timeout=30_000)
    notice = page.locator('#notices [data-kind="filing_notice"]')
    await expect(notice).to_contain_text("已签收")  # the bureau's system acknowledged it
    await expect(notice).to_contain_text("示范县公安局 → 示范县生态环境分局 (示范县人民检察院)")
    await expect(notice.locator('span.agency[title="PROC-DEMO"]')).to_be_visible()
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
    row = page.locator(f'#inbox [data-case="{case_id}"][data-clock="approval"]')
    await expect(row).to_be_visible(timeout=240_000)  # two shared cores: wait generously
    assert await page.evaluate("window.__sameDocument === true")  # it arrived without a reload
    await expect(row).to_contain_text("负责人审批移送")  # the approval clock, by its title
    await expect(row).to_contain_text("示范县生态环境分局 · 负责人")  # whose move: agency and role
    await expect(row.locator('span.agency[title="EPB-DEMO"]')).to_be_visible()
    await shot(page, "06-leader-inbox")
    # The leader acknowledges it with a note: kept on the case's timeline and in the inbox.
    await page.reload()
    form = page.locator(f'#acknowledge form[data-case="{case_id}"]')
    await form.locator("textarea").fill("已要求局长今日内审批")
    await form.locator("button").click()
    await expect(page.locator("#flash-done")).to_be_visible()
    await expect(page.locator("#timeline")).to_contain_text("已要求局长今日内审批")
    await expect(page.locator("#timeline")).to_contain_text("签收督办")
    await page.goto(f"{stack.api}/inbox")
    await expect(row).to_have_attribute("data-state", "acknowledged")
    await expect(row).to_contain_text(
        re.compile(r"已签收 \d{4}-\d{2}-\d{2} \d{2}:\d{2}")
    )  # and when
    await expect(page.locator(f'#acknowledge form[data-case="{case_id}"]')).to_have_count(0)
    await ok(act(api, stack, case_id, "approve_referral", HEAD))
    # The owner acted: the escalation stops, and the inbox keeps what reached the leader and what
    # was done, instead of the line vanishing.
    await expect(row).to_have_attribute("data-state", "closed", timeout=60_000)
    await expect(row).to_contain_text("已办理")
    await expect(row).to_contain_text("已签收")
    await shot(page, "06-leader-inbox-history")
    await page.context.close()


async def _true(value: bool) -> bool:
    return value


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


async def fits(page: Page, url: str, name: str) -> None:
    """The page at ``url`` scrolls only down: nothing is wider than the phone's screen."""
    await page.goto(url)
    await page.wait_for_selector("main")
    wide = await page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert max(wide[:2]) <= wide[2], (url, wide)
    await shot(page, name)


async def test_every_page_fits_a_phone_in_both_languages(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    """390 px wide, in Chinese and in English: the overview, lists, inbox, my move, the rules and a
    case with its clocks, notices and timeline; wide tables scroll inside their cards."""
    case_id = await open_case(
        api, stack, subject="浏览器测试:手机上的一件案件,名称较长的化工有限公司"
    )
    await to_sent(api, stack, case_id)

    async def delivered() -> bool:
        case = await ok(api.get(f"/cases/{case_id}", headers=stack.auth("PSB-DEMO", "officer")))
        return bool(case["summary"]["stage"] == "filing_decision")

    await eventually(delivered, "the referral was never delivered")
    people = [
        (("JLO-DEMO", "coordinator"), ["/", "/list", "/inbox", "/rules"]),
        (POLICE, ["/mine"]),
    ]
    for (agency, role), paths in people:
        page = await sign_in(browser, stack, agency, role, **PHONE)
        for lang in ("zh", "en"):
            await page.goto(f"{stack.api}/lang/{lang}?next=/")
            for path in [*paths, f"/case/{case_id}"]:
                name = f"phone-{role}-{lang}-{path.strip('/').split('/')[0] or 'overview'}"
                await fits(page, f"{stack.api}{path}", name)
        await page.context.close()


async def test_signing_in_needs_a_valid_key(browser: Browser, stack: Stack) -> None:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.api}/inbox")
    await expect(page.locator("#key")).to_be_visible()  # sent to sign in first
    await page.fill("#key", "lk_00000000_not-a-key")
    await page.click("#sign-in")
    await expect(page.locator("#login-failed")).to_be_visible()
    await page.context.close()
