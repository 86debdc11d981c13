"""The dashboard's words in Chinese (the default) and English."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from markupsafe import Markup, escape

from cases.agencies import AgencyRegistry
from cases.steps import STEPS
from cases.vocabulary import (
    DOCUMENT_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    DocumentKind,
    Role,
    Stage,
)

LANGUAGES = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    "title": ("执法联动案件协同", "Joint enforcement linkage"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "api_key": ("API 密钥", "API key"),
    "bad_key": ("密钥无效或已吊销", "The key is not valid or was revoked"),
    "overview": ("总览", "Overview"),
    "cases": ("案件", "Cases"),
    "inbox": ("督办收件箱", "Escalation inbox"),
    "by_stage": ("各阶段案件", "Cases by stage"),
    "due_today": ("今日到期", "Due today"),
    "overdue": ("已超期", "Overdue"),
    "escalations": ("升级督办", "Escalations"),
    "level": ("级别", "Level"),
    "key_cases": ("重点联动案件", "Key linkage cases"),
    "not_referred": ("应移未移风险(以罚代刑)", "Looks as if it should have been referred"),
    "agencies": ("各单位指标", "Per agency"),
    "agency": ("单位", "Agency"),
    "accept_median": ("受理用时中位数(小时)", "Median hours to accept"),
    "filing_rate": ("立案率", "Filing rate"),
    "feedback_rate": ("反馈率", "Feedback rate"),
    "overdue_count": ("超期数", "Overdue"),
    "on_time_rate": ("按时率", "On-time rate"),
    "case": ("案件", "Case"),
    "subject": ("当事人", "Subject"),
    "stage": ("阶段", "Stage"),
    "clock": ("时限", "Clock"),
    "owner": ("主办单位", "Owning agency"),
    "whose_move": ("待谁办理", "Whose move"),
    "due": ("期限", "Due"),
    "left": ("剩余", "Left"),
    "late_by": ("超期", "Late by"),
    "since": ("升级时间", "Since"),
    "facts": ("案情", "Facts"),
    "triage": ("研判", "Triage"),
    "suggested": ("建议定性", "Suggested"),
    "classification": ("确认定性", "Classification"),
    "key_case": ("重点案件", "Key case"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "open_clocks": ("进行中的时限", "Open clocks"),
    "call_failing": (
        "对方系统暂时无法送达,正在重试",
        "An agency system cannot be reached; retrying",
    ),
    "attempts": ("已尝试次数", "attempts"),
    "next_attempt": ("下次尝试", "next attempt"),
    "actions": ("可办理事项", "What you can do"),
    "no_actions": ("当前无可办理事项", "Nothing for you to do now"),
    "rules": ("时限规则", "Clock rules"),
    "rules_intro": (
        "各联动机制的全部时限:由谁办理、自何事件起算、期限、依据,以及期限是否由条文规定。",
        "Every mechanism's clocks: who owes the move, from which event, how long, on which source, "
        "and whether the text itself sets the period.",
    ),
    "starts_on": ("起算", "Starts on"),
    "period": ("期限", "Period"),
    "source": ("依据", "Source"),
    "ended": ("案件流程已中止, 未归档", "The case's workflow ended without archiving"),
    "timeline": ("办理记录", "Timeline"),
    "evidence": ("证据", "Evidence"),
    "checklist": ("移送材料清单", "Referral package"),
    "notices": ("文书送达", "Written notices"),
    "notice_received": ("已签收", "Received"),
    "notice_refused": ("送达失败", "Not delivered"),
    "notice_on_its_way": ("送达中", "On its way"),
    "fingerprint": ("指纹(SHA-256)", "Fingerprint (SHA-256)"),
    "temporal_link": ("在 Temporal 中查看流程", "The workflow in Temporal"),
    "filters": ("筛选", "Filters"),
    "search": ("搜索", "Search"),
    "all": ("全部", "All"),
    "escalated": ("已升级", "Escalated"),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "done": ("已办理", "Done"),
    "refused": ("未能办理", "Refused"),
    "nothing": ("无", "None"),
    "shown_of": ("显示前 {shown} 条，共 {total} 条", "The first {shown} of {total}"),
    "see_all": ("查看全部", "See all"),
    "live_updates": ("页面自动更新", "This page updates by itself"),
    "met": ("已齐", "met"),
    "missing": ("缺", "missing"),
    "statutory": ("法定", "statutory"),
    "track_criminal": ("刑事移送程序", "criminal track"),
    "track_detention": ("治安拘留移送程序(P2014)", "detention track (P2014)"),
    "track": ("移送程序", "Track"),
    "not_statutory": ("非法定(督办值)", "not statutory"),
    "paused": ("已中止(待补正)", "paused (supplements)"),
    "who": ("办理人", "Who"),
    "system": ("系统", "system"),
    "awaited": ("待您办理", "Awaited from you"),
    "final": ("不可撤回", "Cannot be undone"),
    "confirm_final": (
        "“{action}”办理后不可撤回。确定提交吗?",
        "“{action}” cannot be undone. Send it?",
    ),
    "my_moves": ("待我办理", "My move"),
    "my_moves_intro": (
        "本单位、本岗位应当办理的案件, 按期限先后排列。",
        "Cases waiting for your agency and role, the earliest due first.",
    ),
    "my_moves_empty": ("目前没有等待您办理的案件", "Nothing is waiting for you"),
    "when": ("时间", "When"),
    "what": ("事项", "What"),
    "submit": ("提交", "Submit"),
    "inbox_empty": ("没有升级到本单位的案件", "Nothing has escalated to you"),
    "reached_you": ("升级至本单位", "Reached you"),
    "mechanism": ("联动机制", "Mechanism"),
    "on_time_chart": ("各单位按时办结率", "On-time rate per agency"),
}

SYSTEM_STEPS: dict[str, tuple[str, str]] = {
    "open": ("立案登记", "Case opened"),
    "referral_delivered": ("公安系统签收", "Police system receipt"),
    "delivery_failed": ("送达失败", "Delivery failed"),
    "document_received": ("文书签收", "Notice received"),
    "document_failed": ("文书送达失败", "Notice not delivered"),
    "request_failed": ("委托被拒", "Request refused"),
    "reminder": ("到期提醒", "Reminder"),
    "breach": ("超期", "Overdue"),
    "escalation": ("升级督办", "Escalated"),
    "calendar_published": ("节假日安排更新", "Holiday calendar published"),
    "registry_published": ("机构名录更新", "Agency registry published"),
}


def t(key: str, lang: str) -> str:
    zh, en = WORDS.get(key, (key, key))
    return en if lang == "en" else zh


def _label(labels: Mapping[Any, tuple[str, str]], kind: type[StrEnum], key: str, lang: str) -> str:
    try:
        zh, en = labels[kind(key)]
    except ValueError:
        return key
    return en if lang == "en" else zh


def stage_label(stage: str, lang: str) -> str:
    return _label(STAGE_LABELS, Stage, stage, lang)


def role_label(role: str | None, lang: str) -> str:
    return _label(ROLE_LABELS, Role, role, lang) if role else ""


def agency_name(registry: AgencyRegistry, code: str | None, lang: str) -> Markup:
    """An agency by its name from the registry, its code on hover; a code the registry does not
    hold, as it is."""
    if not code:
        return Markup("—")
    found = registry.find(code)
    if found is None:
        return escape(code)
    name = found.name_en if lang == "en" and found.name_en else found.name
    return Markup('<span class="agency" title="{}">{}</span>').format(code, name)


def whose_move(registry: AgencyRegistry, agency: str | None, role: str | None, lang: str) -> Markup:
    """The agency (and role, when a clock names it) the case waits for."""
    if not agency:
        return Markup("—")
    named = agency_name(registry, agency, lang)
    shown = role_label(role, lang)
    return Markup("{} · {}").format(named, shown) if shown else named


def document_label(kind: str, lang: str) -> str:
    return _label(DOCUMENT_LABELS, DocumentKind, kind, lang)


def action_label(action: str, lang: str) -> str:
    step = STEPS.get(action)
    if step is not None:
        return step.label_en if lang == "en" else step.label_zh
    zh, en = SYSTEM_STEPS.get(action, (action, action))
    return en if lang == "en" else zh
