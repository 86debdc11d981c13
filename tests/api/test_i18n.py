"""The dashboard in Chinese (the default) and English: every word it writes itself is a gettext
message with a Chinese translation in ``api/ui/locale``; what the domain names carries its own two
names; a chosen language sticks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.ui import i18n
from cases.calendar import Unit
from cases.payloads import fields_of
from cases.steps import STEPS
from cases.vocabulary import EVENT_LABELS, PARTY_LABELS, UNIT_LABELS, Event, Party
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
    assert "N2017 第9条: 应当自接受案件之日起3日内" in page  # the open clock's source, in Chinese
    assert "N2017 Art. 9" not in page
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
    assert "N2017 Art. 9: 应当自接受案件之日起3日内" in english


@pytest.mark.parametrize(
    ("labels", "kind"),
    [(PARTY_LABELS, Party), (EVENT_LABELS, Event), (UNIT_LABELS, Unit)],
    ids=["party", "event", "unit"],
)
def test_every_party_event_and_unit_has_its_words(
    labels: Mapping[Any, tuple[str, str]], kind: type[StrEnum]
) -> None:
    """The rules page names who owes a clock, the events that start it and its unit in words."""
    assert set(labels) == set(kind), set(kind) - set(labels)
    for member, (zh, en) in labels.items():
        assert re.search(r"[\u4e00-\u9fff]", zh), member
        assert en, member
        assert "_" not in en, member


def rule(page: str, mechanism: str, clock: str) -> str:
    """One clock's row of the rules page, its tags dropped."""
    card = re.search(rf'id="rules-{mechanism}".*?</table>', page, re.S)
    assert card, mechanism
    row = re.search(rf'<tr data-clock="{clock}">(.*?)</tr>', card.group(0), re.S)
    assert row, (mechanism, clock)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))


async def test_the_clock_rules_in_chinese_and_in_english(
    browser_like: httpx.AsyncClient,  # noqa: F811
    stack: InProcess,
) -> None:
    """In Chinese the rules page has no English code or developer note left: the holder, the events,
    the period and the source in words; in English, the English words."""
    await sign_in(browser_like, stack, "JLO-DEMO", "coordinator")
    zh = (await browser_like.get("/rules")).text
    for english in (
        "supervision value",
        "no time given",
        "check the text",
        "working_days",
        "(officer)",
        "(approver)",
        "referral_requested",
        "when urgent",
        "Art. ",
        "¶",
    ):
        assert english not in zh, english
    approval = rule(zh, "env-police", "approval")
    assert "移送机关 · 负责人" in approval
    assert "提请移送审批" in approval
    assert "3天" in approval
    assert "刑事移送程序" in approval  # its track
    assert "O310 第5条第2款;N2017 第5条第2款: 本机关负责人应当自接到报告之日起3日内" in approval
    assert "5个工作日(紧急时24小时)" in rule(zh, "env-police", "jurisdiction_transfer")
    assert "自发现之日起计算" in rule(zh, "township-county", "jurisdiction_transfer")
    assert "仅限案件处于移交涉案物品阶段时" in rule(zh, "env-police", "handover")
    test = rule(zh, "env-police", "test")
    assert "监测机构 · 承办人员" in test
    assert "未规定时限;5个工作日为本产品的督办值" in test
    assert "(以原文为准)" in rule(zh, "env-police", "penalty")
    assert "1个工作日" in rule(zh, "env-police", "detention_acceptance")
    assert "60秒" in rule(zh, "demo-fast", "approval")

    await browser_like.get("/lang/en?next=/rules")
    en = (await browser_like.get("/rules")).text
    for code in ("working_days", "(officer)", "(approver)", "referral_requested"):
        assert code not in en, code
    approval = rule(en, "env-police", "approval")
    assert "referring agency · approver" in approval
    assert "referral put to the head" in approval
    assert "3 days" in approval
    assert "O310 Art. 5 ¶2; N2017 Art. 5 ¶2" in approval
    assert "5 working days (24 hours when urgent)" in rule(
        en, "env-police", "jurisdiction_transfer"
    )
    assert "counted from the discovery" in rule(en, "township-county", "jurisdiction_transfer")
    assert "1 working day " in rule(en, "env-police", "detention_acceptance")
    assert "supervision value" in rule(en, "env-police", "test")
