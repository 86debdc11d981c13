"""The dashboard in Chinese (the default) and English: every word it writes itself is a gettext
message with a Chinese translation in ``api/ui/locale``; what the domain names carries its own two
names; a chosen language sticks."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.ui import i18n
from cases.payloads import fields_of
from cases.steps import STEPS
from tests.api.conftest import InProcess
from tests.api.test_first_hour import filing_decision
from tests.api.test_ui import browser_like, sign_in  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "api" / "ui" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def extracted() -> dict[str, list[str]]:
    """Every message the templates and the dashboard's Python mark, where it is."""
    found: dict[str, list[str]] = {}
    method_map = [("api/ui/**.py", "python"), ("api/ui/templates/**.html", "jinja2")]
    keywords = {"_": None, "N_": None, "gettext": None}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        text = message[0] if isinstance(message, tuple) else message
        found.setdefault(text, []).append(f"{filename}:{line}")
    return found


def test_every_word_of_the_dashboard_has_its_chinese() -> None:
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, locale="zh_CN")
    translated = {m.id: m for m in catalogue if m.id}
    found = extracted()
    assert len(found) > 100
    untranslated = [
        f"{text!r} ({', '.join(where)})"
        for text, where in found.items()
        if text not in translated or not translated[text].string or translated[text].fuzzy
    ]
    assert not untranslated, "no Chinese for (run `make messages`, then translate):\n" + "\n".join(
        untranslated
    )
    stale = sorted(set(translated) - set(found))
    assert not stale, f"in the catalogue but no longer used (run `make messages`): {stale}"
    # No template writes a word of its own outside a message.
    for template in (ROOT / "api" / "ui" / "templates").glob("*.html"):
        assert not re.search(r"<label[^>]*>[a-z]+</label>", template.read_text()), template


def test_every_field_and_every_entry_the_case_writes_itself_has_a_name() -> None:
    fields = {f.name for step in STEPS.values() for f in fields_of(step.payload)}
    assert fields <= set(i18n.FIELD_LABELS), fields - set(i18n.FIELD_LABELS)
    zh = i18n.gettext_for("zh")
    for name in fields:
        assert zh(i18n.FIELD_LABELS[name]) != i18n.FIELD_LABELS[name], name
    for action in i18n.SYSTEM_STEPS:
        assert re.search(r"[\u4e00-\u9fff]", i18n.action_label(action, "zh")), action


async def test_a_case_page_in_chinese_and_in_english_once_chosen(
    api: httpx.AsyncClient,
    browser_like: httpx.AsyncClient,  # noqa: F811
    stack: InProcess,
) -> None:
    case_id = await filing_decision(api, stack)
    await sign_in(browser_like, stack, "PSB-DEMO", "officer")
    page = (await browser_like.get(f"/case/{case_id}")).text
    assert '<html lang="zh-CN">' in page
    assert 'for="file_case-note">备注</label>' in page
    assert 'for="file_case-decided_on">决定日期</label>' in page
    assert "涉嫌犯罪" in page  # the classification, in words
    assert "环保—公安执法联动" in page  # the mechanism, by its title
    assert "公安系统签收" in page  # an entry the case wrote itself, in the timeline
    switched = await browser_like.get(f"/lang/en?next=/case/{case_id}")
    assert switched.status_code == 303
    for path in (f"/case/{case_id}", "/mine", "/"):  # it sticks
        shown = (await browser_like.get(path)).text
        assert '<html lang="en">' in shown, path
    english = (await browser_like.get(f"/case/{case_id}")).text
    assert 'for="file_case-note">Note</label>' in english
    assert "suspected crime" in english
    assert "Police system receipt" in english
