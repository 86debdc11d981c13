"""Issue 13, a person's first hour, in a real browser against the running stack: the overview's
stalled cases, corrections on the case page, and every page's words in the language chosen (the
escalation inbox's acknowledgement is in test_dashboard.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect
from sqlmodel import Session

from cases.checklists import CATALOGUE
from cases.profiles import default_profiles, get_profile
from store.tables import CaseRow
from tests.api.helpers import HEAD, OFFICER, POLICE, SHA, act, detail, ok, open_case
from tests.browser.conftest import shot, sign_in
from tests.stack import Stack

COORDINATOR = ("JLO-DEMO", "coordinator")
SUPERIOR = ("EPB-CITY", "officer")  # EPB-DEMO's superior department: sees its cases
STALLED_AT = "stalled_at"  # the read model's "stalls at" instant, where the case writes one


def chinese_items(*kinds: str) -> list[dict[str, str]]:
    """Evidence items titled as a Chinese officer would title them (a title is the case's data)."""
    return [
        {
            "kind": k,
            "title": CATALOGUE[k].label_zh,
            "reference": f"https://files.example/{k}.pdf",
            "sha256": SHA,
        }
        for k in kinds
    ]


async def classified(api: httpx.AsyncClient, stack: Stack, subject: str, mechanism: str) -> str:
    """A case gathering evidence: no clock runs in that stage."""
    case_id = await open_case(api, stack, mechanism=mechanism, subject=subject)
    await ok(act(api, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"))
    return case_id


def _shift(stack: Stack, case_id: str, spell: timedelta) -> None:
    with Session(stack.engine) as session:
        row = session.get(CaseRow, case_id)
        assert row is not None, case_id
        row.updated_at -= spell
        if STALLED_AT in CaseRow.model_fields and getattr(row, STALLED_AT) is not None:
            setattr(row, STALLED_AT, getattr(row, STALLED_AT) - spell)
        session.add(row)
        session.commit()


async def quiet_for(stack: Stack, case_id: str, spell: timedelta) -> None:
    """As if ``spell`` had passed since the case's last step: its read-model row's instants move back
    by it (the stack's clock is real, and nobody waits minutes). Nothing else of the case changes:
    a clock that runs keeps running."""
    await asyncio.to_thread(_shift, stack, case_id, spell)


# --- the language of a page ----------------------------------------------------------------------

# The text of the body without the domain's keys where a page shows them as keys, in the muted
# style: a clock's, a mechanism's and an evidence kind's.
READ = """(keys) => {
  const muted = [...document.querySelectorAll('.muted')]
    .filter(el => keys.includes(el.innerText.trim().replace(/^\\((.*)\\)$/, '$1')));
  muted.forEach(el => { el.dataset.display = el.style.display; el.style.display = 'none'; });
  const text = document.body.innerText;
  muted.forEach(el => { el.style.display = el.dataset.display; });
  return text;
}"""
KEYS = sorted(
    {*default_profiles()}
    | {clock for p in default_profiles().values() for clock in p.clocks}
    | set(CATALOGUE)
)
# What a Chinese page may show in Latin letters: codes, ids and citations, not words.
ALLOWED = re.compile(
    "|".join(
        [
            r"https?://\S+",  # URLs
            r"\b[A-Z][A-Z0-9]*-[A-Z0-9]+\.[A-Za-z0-9-]+",  # case ids: EPB-DEMO.T-6004c09c7be4
            r"\b[A-Z]{2,}(?:-[A-Z]{2,})+\b",  # agency codes: EPB-DEMO
            r"\b[0-9a-f]{64}\b",  # SHA-256 fingerprints
            r"\b[\w.-]+\.(?:pdf|docx?|xlsx?|jpe?g|png|zip|txt|csv|json)\b",  # file names
            r"\b(?:[A-Z]\d{3,4}|D\d+-(?:rules|op))\b",  # the sources' names: O310, J2023, D1-rules
            r"\bArts?\.\s*\d+(?:\s*¶\s*\d+)?",  # articles: Art. 5 ¶2
            r"\bAPI\b",
        ]
    )
)
# Two or more Latin words in a row (each of 2+ letters, one at least of 3+: "was not", "due at"),
# within one line or table cell; an underscore joins words too (an untranslated code).
WORDS = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?:[ \u00a0,;:()/'’&._-]+[A-Za-z]{2,})+(?![A-Za-z])")


def english_runs(text: str) -> list[str]:
    found = []
    for cell in re.split(r"[\t\n]", ALLOWED.sub(" ", text)):
        for run in WORDS.findall(cell):
            if any(len(w) >= 3 for w in re.findall(r"[A-Za-z]+", run)):
                found.append(run)
    return found


async def english_on(page: Page) -> list[str]:
    """The runs of English words on the page."""
    text: str = await page.evaluate(READ, KEYS)
    return english_runs(text)


# Chrome an English page labels in English: navigation, headings, table heads, form labels and
# buttons, pills, the stage strip, choices, notes. (Data stays as entered: subjects, reasons; a
# crime criterion's heading is its article, 1(三), in either language.)
CHROME = """(subjects) => [...document.querySelectorAll(
    'header a:not(#switch-language), header .who, h1, h2, th, label, button, .pill, '
    + '#progress span, #by-stage a, option, p.muted, .live-note')]
  .filter(el => !el.closest('#facts tr[data-crime]'))
  .map(el => subjects.reduce((t, s) => t.split(s).join(''), el.innerText))
  .filter(t => /[\\u3400-\\u9fff]/.test(t))"""


async def read_page(
    page: Page, url: str, lang: str, subjects: list[str], found: dict[str, Any]
) -> None:
    """Visit ``url`` and note, by page, what is in the other language."""
    await page.goto(url)
    await page.wait_for_selector("main")
    assert await page.get_attribute("html", "lang") == ("en" if lang == "en" else "zh-CN")
    name = f"{lang} {url.split('/', 3)[-1] or '/'}"
    if lang == "zh":
        runs = await english_on(page)
        if runs:
            found["english"][name] = runs
    else:
        chinese: list[str] = await page.evaluate(CHROME, subjects)
        if chinese:
            found["chinese"][name] = chinese


# --- tests ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
async def escalating(api_session: httpx.AsyncClient, stack: Stack) -> str:
    """A demonstration case waiting for the head's approval, opened before this module's first
    test: its 60-second clock reaches the joint office's inbox by the time the language test
    reads it."""
    case_id = await open_case(
        api_session, stack, mechanism="demo-fast", subject="浏览器测试:语言检查企业"
    )
    await ok(
        act(
            api_session, stack, case_id, "classify", OFFICER, classification="crime", reasons="暗管"
        )
    )
    kinds = get_profile("demo-fast").referral_required
    await ok(
        act(api_session, stack, case_id, "record_evidence", OFFICER, items=chinese_items(*kinds))
    )
    await ok(
        act(api_session, stack, case_id, "request_approval", OFFICER, officers=["王执法", "张执法"])
    )
    return case_id


@pytest.fixture(scope="module")
async def api_session(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api, timeout=60) as client:
        yield client


async def test_a_case_quiet_for_longer_than_its_mechanism_allows_is_listed_as_stalled(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    """demo-fast flags a case after 3 minutes with no clock running and no step: one quiet for 10
    is listed, with its link; a fresh one is not, nor an env-police one as quiet (its mechanism
    allows 15 days), nor one whose clock runs, however long ago its last step."""
    stalled = await classified(api, stack, "浏览器测试:久无进展", "demo-fast")
    fresh = await classified(api, stack, "浏览器测试:刚刚取证", "demo-fast")
    patient = await classified(api, stack, "浏览器测试:十五日内", "env-police")
    timed = await classified(api, stack, "浏览器测试:审批计时中", "env-police")
    kinds = get_profile("env-police").referral_required
    await ok(act(api, stack, timed, "record_evidence", OFFICER, items=chinese_items(*kinds)))
    await ok(act(api, stack, timed, "request_approval", OFFICER, officers=["王执法", "张执法"]))
    for case_id in (stalled, patient):
        await quiet_for(stack, case_id, timedelta(minutes=10))
    await quiet_for(stack, timed, timedelta(days=30))

    page = await sign_in(browser, stack, *COORDINATOR)
    card = page.locator(".card", has=page.locator("#stalled"))
    await expect(card.locator("h2")).to_have_text("久无进展")
    row = page.locator(f'#stalled tr[data-case="{stalled}"]')
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("浏览器测试:久无进展")
    await expect(row).to_contain_text("固定证据")  # the stage it stands in
    await expect(row).to_contain_text("示范县生态环境分局 · 承办人员")  # whose move
    await expect(row).to_contain_text("已停滞")
    await expect(row.locator("a")).to_have_attribute("href", f"/case/{stalled}")
    for quiet_enough in (fresh, patient, timed):
        await expect(page.locator(f'#stalled tr[data-case="{quiet_enough}"]')).to_have_count(0)
    await shot(page, "09-stalled-overview")
    await row.locator("a").click()
    await expect(page.locator("h1")).to_contain_text("浏览器测试:久无进展")
    await page.context.close()


async def test_corrections_on_the_case_page_keep_what_they_correct(
    browser: Browser, api: httpx.AsyncClient, stack: Stack
) -> None:
    """The officer of the agency that recorded them corrects one item and withdraws another from
    the case page's forms: both stay, struck through, beside what corrects them and why; the
    timeline keeps the recording and each correction. Other agencies' officers see it all and get
    no such form. The facts, corrected (through the API: the form is not on the page), are
    triaged again, and the timeline's entry keeps what they were."""
    case_id = await classified(api, stack, "浏览器测试:更正证据", "env-police")
    await ok(
        act(
            api,
            stack,
            case_id,
            "record_evidence",
            OFFICER,
            items=chinese_items("site_sketch", "items_list"),
        )
    )  # items 1 and 2
    page = await sign_in(browser, stack, *OFFICER)
    await page.goto(f"{stack.api}/case/{case_id}")
    correct = page.locator('form[data-action="correct_evidence"]')
    await correct.locator('[name="item"]').fill("1")
    await correct.locator('[name="reasons"]').fill("指纹抄录错误")
    await correct.locator('[name="sha256"]').fill("b" * 64)
    await correct.locator("button").click()
    await expect(page.locator("#flash-done")).to_contain_text("更正证据")
    withdraw = page.locator('form[data-action="withdraw_evidence"]')
    await withdraw.locator('[name="item"]').fill("2")
    await withdraw.locator('[name="reasons"]').fill("误登记了其他案件的材料")
    await withdraw.locator("button").click()
    await expect(page.locator("#flash-done")).to_contain_text("撤回证据")

    evidence = page.locator("#evidence")
    first, second = evidence.locator('tr[data-item="1"]'), evidence.locator('tr[data-item="2"]')
    await expect(first).to_have_class("replaced")
    await expect(first).to_have_attribute("data-replaced-by", "3")
    await expect(first.locator(".struck")).to_have_text("现场勘验图")
    await expect(first.locator(".struck")).to_have_css("text-decoration-line", "line-through")
    await expect(first).to_contain_text("已更正,见 #3")
    correction = evidence.locator('tr[data-item="3"]')
    await expect(correction).to_contain_text("更正 #1: 指纹抄录错误")
    await expect(correction.locator("code.sha")).to_have_text("b" * 64)
    await expect(correction.locator(".struck")).to_have_count(0)  # the item as it stands
    await expect(second).to_have_attribute("data-replaced-by", "4")
    await expect(second.locator(".struck")).to_have_css("text-decoration-line", "line-through")
    await expect(second).to_contain_text("已撤回 (#4)")
    await expect(evidence.locator('tr[data-item="4"]')).to_contain_text(
        "撤回 #2: 误登记了其他案件的材料"
    )
    checklist = page.locator("#checklist")
    await expect(checklist.locator("tr", has_text="现场勘验图")).to_contain_text("已齐")
    await expect(checklist.locator("tr", has_text="涉案物品清单")).to_contain_text("缺")
    timeline = page.locator("#timeline")
    recorded = timeline.locator("tr[data-seq]", has_text="登记证据")
    await expect(recorded).to_have_count(1)  # the recording stays, as recorded
    await expect(timeline.locator("tr[data-seq]", has_text="更正证据")).to_contain_text(
        "指纹抄录错误"
    )
    await expect(timeline.locator("tr[data-seq]", has_text="撤回证据")).to_contain_text(
        "误登记了其他案件的材料"
    )
    runs = await english_on(page)
    assert not runs, runs  # the corrections' words are Chinese too
    await shot(page, "10-corrected-evidence")

    # The facts: their correction is a step the officer may take, but its form is not on the page.
    allowed = {a["action"] for a in (await detail(api, stack, case_id))["allowed_actions"]}
    assert "correct_facts" in allowed
    await expect(page.locator('form[data-action="correct_facts"]')).to_have_count(0)
    crime_3 = page.locator('#facts tr[data-crime="j2023_1_3"]')  # 3x the standard, J2023 Art. 1(三)
    await expect(crime_3).to_contain_text("✔")
    facts = {
        "violation_type": "other",
        "measurements": [{"pollutant": "总铬", "measured": 2.0, "standard": 1.5}],
    }
    await ok(
        act(api, stack, case_id, "correct_facts", OFFICER, facts=facts, reasons="监测数据录入错误")
    )
    await page.reload()
    await expect(crime_3).to_contain_text("✘")  # triaged again
    await expect(page.locator("#facts tr", has_text="建议定性")).to_contain_text("一般行政违法")
    await expect(timeline.locator("tr[data-seq]", has_text="更正案情")).to_contain_text(
        "监测数据录入错误"
    )
    entries = await ok(api.get(f"/cases/{case_id}/timeline", headers=stack.auth(*OFFICER)))
    entry = next(e for e in entries if e["action"] == "correct_facts")
    assert '"evasive_discharge"' in entry["details"]["facts_before"]
    assert '"measured": 6.0' in entry["details"]["facts_before"]
    await page.context.close()

    for who in (POLICE, SUPERIOR):
        other = await sign_in(browser, stack, *who)
        await other.goto(f"{stack.api}/case/{case_id}")
        await expect(other.locator('#evidence tr[data-item="1"] .struck')).to_be_visible()
        await expect(other.locator('#evidence tr[data-item="3"]')).to_contain_text("指纹抄录错误")
        for form in ("correct_evidence", "withdraw_evidence", "correct_facts"):
            await expect(other.locator(f'form[data-action="{form}"]')).to_have_count(0)
        if who == POLICE:
            await shot(other, "10-police-sees-the-corrections")
        await other.context.close()
    refused = await act(api, stack, case_id, "correct_evidence", POLICE, item=3, reasons="试图更正")
    assert refused.status_code in (403, 409), refused.text


async def test_every_page_speaks_the_language_chosen(
    browser: Browser, api: httpx.AsyncClient, stack: Stack, escalating: str
) -> None:
    """In Chinese (the default), no page shows two English words in a row but in codes, ids and
    citations (triage lines and clock sources included); switched to English with the page's own
    link, no label, heading or choice is left in Chinese."""
    case_id = escalating
    subjects = ["浏览器测试:语言检查企业"]
    found: dict[str, Any] = {"english": {}, "chinese": {}}
    people = [
        (HEAD, ["/mine", f"/case/{case_id}"]),
        (OFFICER, ["/mine", f"/case/{case_id}"]),
        (COORDINATOR, ["/inbox", "/", "/list", "/rules", f"/case/{case_id}"]),
    ]
    for who, paths in people:
        page = await sign_in(browser, stack, *who)
        if who == COORDINATOR:
            # The clock has escalated to the joint office: its inbox, overview and case page show
            # the escalation (two shared cores: wait generously).
            await page.goto(f"{stack.api}/inbox")
            row = page.locator(f'#inbox [data-case="{case_id}"][data-clock="approval"]')
            await expect(row).to_be_visible(timeout=240_000)
        for path in paths:
            await read_page(page, f"{stack.api}{path}", "zh", subjects, found)
        if who == COORDINATOR:
            await shot(page, "11-zh-case")
        await page.click("#switch-language")
        await expect(page.locator("#switch-language")).to_have_text("中文")
        for path in paths:
            await read_page(page, f"{stack.api}{path}", "en", subjects, found)
        if who == COORDINATOR:
            await shot(page, "11-en-case")
            await page.goto(f"{stack.api}/lang/zh?next=/inbox")
            await shot(page, "11-zh-inbox")
        await page.context.close()
    assert not found["english"], f"English on Chinese pages: {found['english']}"
    assert not found["chinese"], f"Chinese chrome on English pages: {found['chinese']}"


async def test_an_open_overdue_clock_lowers_its_agencys_on_time_rate(
    browser: Browser, stack: Stack, escalating: str
) -> None:
    """The overview's per-agency figures count a clock still open past its deadline as missed: the
    bureau's on-time rate is under 100% while its head has not approved (issue 13)."""
    page = await sign_in(browser, stack, *COORDINATOR)
    await page.goto(f"{stack.api}/inbox")
    late = page.locator(f'#inbox [data-case="{escalating}"][data-clock="approval"]')
    await expect(late).to_be_visible(timeout=240_000)
    await page.goto(f"{stack.api}/")
    bureau = page.locator("#agencies tr", has=page.locator('span.agency[title="EPB-DEMO"]'))
    cells = bureau.locator("td")
    overdue = int((await cells.nth(4).inner_text()).strip())
    rate = (await cells.nth(5).inner_text()).strip()
    assert overdue >= 1, overdue
    assert rate not in ("100%", "—"), rate
    await shot(page, "12-on-time-rate")
    await page.context.close()


async def test_the_api_docs_work_without_internet_and_authorize_with_a_key(
    browser: Browser, stack: Stack
) -> None:
    """/docs on an intranet: every request leaving the host is refused, and Swagger UI still renders
    from the package's assets; "Authorize" takes a key as a Bearer token."""
    context = await browser.new_context()
    page = await context.new_page()
    outside: list[str] = []

    async def local_only(route: Route) -> None:
        host = re.sub(r"^https?://([^/:]+).*$", r"\1", route.request.url)
        if host in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", local_only)
    await page.goto(f"{stack.api}/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    await expect(page.locator(".opblock-tag-section").first).to_be_visible()
    await page.click(".swagger-ui .btn.authorize")
    modal = page.locator(".swagger-ui .modal-ux")
    await expect(modal).to_contain_text("api_key")
    await expect(modal).to_contain_text("Bearer")
    await shot(page, "13-docs-offline")
    assert outside == [], outside
    await context.close()
