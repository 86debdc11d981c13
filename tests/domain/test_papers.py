"""The case's papers (issue 15) as data: what each says, counted and cited as the rules say."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from cases.calendar import CHINA_TZ, beijing_time, due_instant, end_of_day
from cases.checklists import CATALOGUE
from cases.model import CaseState, EvidenceItem
from cases.papers import (
    AgendaLine,
    AgreedMatter,
    KeyValues,
    MeetingRecord,
    Paper,
    Seal,
    Table,
    cited,
    handover_list,
    meeting_minutes,
    not_filed_acknowledgement,
    numeral,
    paper_text,
    referral_letter,
)
from cases.profiles import get_profile
from cases.vocabulary import DocumentKind, Stage
from tests.domain.cases_at import NOW, OFFICER, case_at, registry

O310 = "《行政执法机关移送涉嫌犯罪案件的规定》"
N2017 = "《环境保护行政执法与刑事司法衔接工作办法》"
P2014 = "《行政主管部门移送适用行政拘留环境违法案件暂行办法》"


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprinted(state: CaseState) -> CaseState:
    """Each item its own fingerprint; one corrected and one withdrawn, as a real case has."""
    items = [replace(i, sha256=fingerprint(i.kind), title=f"{i.kind}材料") for i in state.evidence]
    seq = len(items)
    wrong = EvidenceItem(
        seq + 1, "monitoring_report", "监测报告(错)", OFFICER, NOW, fingerprint("x")
    )
    right = replace(wrong, seq=seq + 2, title="监测报告", sha256=fingerprint("y"), corrects=seq + 1)
    gone = EvidenceItem(seq + 3, "complaint", "举报信", OFFICER, NOW, fingerprint("z"))
    withdrawal = replace(gone, seq=seq + 4, corrects=seq + 3, withdrawn=True)
    return replace(state, evidence=[*items, wrong, right, gone, withdrawal])


def tables(paper: Paper) -> list[Table]:
    return [b for b in paper.blocks if isinstance(b, Table)]


def lines(paper: Paper) -> dict[str, str]:
    return {k: v for b in paper.blocks if isinstance(b, KeyValues) for k, v in b.lines}


def test_the_letter_lists_every_current_item_by_its_catalogue_name_and_fingerprint() -> None:
    state = fingerprinted(case_at(Stage.REFERRAL_APPROVAL))
    paper = referral_letter(
        state, registry(), get_profile(state.mechanism), NOW, officers=["王执法", "张执法"]
    )
    (materials,) = tables(paper)
    listed = {row[3]: row for row in materials.rows}
    expected = [
        i for i in state.current_evidence() if i.kind not in ("referral_letter", "materials_list")
    ]
    assert [row[0] for row in materials.rows] == [str(n) for n in range(1, len(expected) + 1)]
    for item in expected:
        assert item.sha256 is not None
        assert listed[item.sha256][1:3] == [CATALOGUE[item.kind].label_zh, item.title]
    # The superseded and withdrawn items are not what was sent; the letter does not list itself.
    for gone in (fingerprint("x"), fingerprint("z"), fingerprint("referral_letter")):
        assert gone not in listed
    assert materials.fingerprints == 3
    assert (paper.title, paper.recipient, paper.issuer) == (
        "涉嫌犯罪案件移送书",
        "示范县公安局",
        "示范县生态环境分局",
    )
    said = lines(paper)
    assert said["案件主办人"] == "王执法、张执法"
    assert said["抄送"] == "示范县人民检察院"  # N2017 Art. 6: the letter is copied
    assert f"以上材料共{len(expected)}项" in paper_text(paper)


def test_the_letter_cites_the_package_articles_of_its_mechanism_and_track() -> None:
    env = case_at(Stage.REFERRAL_APPROVAL)
    paper = referral_letter(env, registry(), get_profile("env-police"), NOW)
    assert paper.basis == [f"{O310}第六条", f"{N2017}第六条"]
    assert f"依据：{O310}第六条；{N2017}第六条" in paper_text(paper)
    urban = case_at(Stage.REFERRAL_APPROVAL, "urban-police")
    paper = referral_letter(urban, registry(), get_profile("urban-police"), NOW)
    assert paper.basis == [f"{O310}第六条"]  # N2017 is the environmental departments' own
    assert "抄送" not in lines(paper)
    detention = case_at(Stage.DETENTION_REVIEW)
    paper = referral_letter(detention, registry(), get_profile("env-police"), NOW)
    assert paper.title == "案件移送书"
    assert paper.basis == [f"{P2014}第十一条", f"{P2014}第十二条"]
    assert "涉嫌犯罪的主要依据" not in lines(paper)


def test_the_acknowledgement_gives_the_receipt_and_the_reconsideration_deadline() -> None:
    state = case_at(Stage.NOT_FILED)
    notice = state.received(DocumentKind.NOT_FILED_NOTICE)
    assert notice is not None
    received = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)  # the eve of the National Day week
    notice.received_at = received
    profile = get_profile("env-police")
    paper = not_filed_acknowledgement(state, registry(), profile, NOW)
    window = profile.windows["reconsideration"]
    due = due_instant(received, window.period.length, window.period.unit)
    said = lines(paper)
    assert said["收到通知书时间"] == "2026-09-30 10:00"
    assert (
        said["提请复议期限"] == f"{beijing_time(due.at)}前" == "2026-10-10 24:00前"
    )  # 3 working days
    assert said["不予立案理由"] == "证据不足"
    assert "3个工作日内提请你局复议" in paper_text(paper)
    assert paper.recipient == "示范县公安局"
    assert paper.basis == [f"{O310}第八条", f"{N2017}第十一条", f"{O310}第九条第一款"]


def test_under_o310_alone_the_window_is_three_days() -> None:
    state = case_at(Stage.NOT_FILED, "urban-police")
    notice = state.received(DocumentKind.NOT_FILED_NOTICE)
    assert notice is not None
    assert notice.received_at is not None
    paper = not_filed_acknowledgement(state, registry(), get_profile("urban-police"), NOW)
    due = due_instant(notice.received_at, 3, "days")
    assert lines(paper)["提请复议期限"] == f"{beijing_time(due.at)}前"
    assert "3天内" in paper_text(paper)
    assert paper.basis == [f"{O310}第八条", f"{O310}第九条第一款"]


def test_no_acknowledgement_before_the_notice_is_received() -> None:
    state = case_at(Stage.FILING_DECISION)
    with pytest.raises(ValueError, match="not_filed_notice"):
        not_filed_acknowledgement(state, registry(), get_profile("env-police"), NOW)
    with pytest.raises(ValueError, match="filing_notice"):
        handover_list(state, registry(), get_profile("env-police"), NOW)


def test_the_handover_list_holds_the_items_and_every_material_with_its_fingerprint() -> None:
    state = fingerprinted(case_at(Stage.HANDOVER))
    notice = state.received(DocumentKind.FILING_NOTICE)
    assert notice is not None
    assert notice.received_at is not None
    notice.reasons = "示公立字〔2026〕118号"
    profile = get_profile("env-police")
    paper = handover_list(state, registry(), profile, NOW, ["水样3份", "暗管一段"])
    things, materials = tables(paper)
    assert [row[1] for row in things.rows] == ["水样3份", "暗管一段"]
    # After filing every material goes, the letter with it.
    assert [row[3] for row in materials.rows] == [i.sha256 for i in state.current_evidence()]
    clock = profile.clocks["handover"]
    due = due_instant(notice.received_at, clock.period.length, clock.period.unit)
    assert lines(paper)["移交期限"] == f"{beijing_time(due.at)}前"
    assert lines(paper)["立案决定书"] == "示公立字〔2026〕118号"
    seals = [b for b in paper.blocks if isinstance(b, Seal)]
    assert [(s.role, s.on) for s in seals] == [("移交机关", NOW.date()), ("接收机关", None)]
    assert paper.basis == [f"{O310}第十二条", f"{N2017}第十条"]


def test_the_minutes_name_each_decision_with_its_owner_and_due_instant() -> None:
    meeting = MeetingRecord(
        meeting_id="JLO-DEMO·联席〔2026〕4号",
        title="2026年第四季度执法联动联席会议纪要",
        held_at=NOW,
        convener="JLO-DEMO",
        attendees=["EPB-DEMO", "PSB-DEMO", "PROC-DEMO"],
        agenda=[AgendaLine("EPB-DEMO.INTAKE-1", "已超期")],
        decisions=[AgreedMatter("3日内作出立案决定", "PSB-DEMO", end_of_day(date(2026, 11, 26)))],
        carried_over=[AgreedMatter("补正采样记录", "EPB-DEMO", end_of_day(date(2026, 11, 20)))],
        summary="会议通报了本季度衔接工作情况。",
        place="县联动办会议室",
    )
    paper = meeting_minutes(meeting, registry(), NOW + timedelta(days=1))
    agenda, decisions, earlier = tables(paper)
    assert agenda.rows == [["1", "EPB-DEMO.INTAKE-1", "已超期"]]
    # A due date is said as the product says every deadline: 24:00 of that day, not 00:00 after.
    assert decisions.rows == [["1", "3日内作出立案决定", "示范县公安局", "2026-11-26 24:00"]]
    assert earlier.rows == [["1", "补正采样记录", "示范县生态环境分局", "2026-11-20 24:00"]]
    said = lines(paper)
    assert said["参会单位"] == "示范县生态环境分局、示范县公安局、示范县人民检察院"
    assert said["会议地点"] == "县联动办会议室"
    assert "会议通报了本季度衔接工作情况。" in paper_text(paper)
    assert paper.recipient == ""
    assert paper.number == meeting.meeting_id
    assert paper.basis == [f"{N2017}第二十三条"]


def test_a_paper_crosses_the_workflow_boundary_unchanged() -> None:
    """The workflow builds it and an activity renders it: it travels as JSON, blocks and all."""
    state = fingerprinted(case_at(Stage.HANDOVER))
    paper = handover_list(state, registry(), get_profile("env-police"), NOW, ["水样3份"])
    adapter = TypeAdapter(Paper)
    again = adapter.validate_json(adapter.dump_json(paper))
    assert again == paper
    assert paper_text(again) == paper_text(paper)


def test_case_text_is_kept_as_written() -> None:
    """A paper holds the case's words verbatim; escaping is each renderer's (HTML's, PDF's none)."""
    state = replace(case_at(Stage.REFERRAL_APPROVAL), subject="<b>某&化工</b>")
    paper = referral_letter(state, registry(), get_profile("env-police"), NOW)
    assert lines(paper)["当事人"] == "<b>某&化工</b>"


def test_articles_are_cited_in_chinese_numerals() -> None:
    assert [numeral(n) for n in (1, 6, 10, 11, 20, 23, 99, 100)] == [
        "一", "六", "十", "十一", "二十", "二十三", "九十九", "100",
    ]  # fmt: skip
    assert cited("D1-rules §五; O310 Art. 6", "O310 Art. 6", "N2017 Art. 11 (O310 Art. 9 ¶2)") == [
        f"{O310}第六条", f"{N2017}第十一条", f"{O310}第九条第二款",
    ]  # fmt: skip
