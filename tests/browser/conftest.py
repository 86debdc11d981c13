"""Debian's Chromium driven by Playwright against the running stack. A missing browser fails these
tests (with what to install); it never skips them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
INSTALLED = CHROMIUM.exists()
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
SHOTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not INSTALLED:
        pytest.fail(
            "Debian's Chromium is not installed at /usr/bin/chromium: `apt-get install -y chromium` "
            "(.ci/run does it)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()


async def sign_in(
    browser: Browser, stack: Stack, agency: str, role: str, **context: object
) -> Page:
    page = await (await browser.new_context(**context)).new_page()  # type: ignore[arg-type]
    await page.goto(f"{stack.api}/")
    await page.wait_for_selector("#key")
    await page.fill("#key", stack.key(agency, role))
    await page.click("#sign-in")
    await page.wait_for_selector("#by-stage")
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
