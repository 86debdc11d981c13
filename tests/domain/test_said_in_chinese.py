"""What the domain says to people is said in Chinese too: every triage line, every reason and every
notice has a Chinese sentence with no English prose in it (only citations, formulas and the facts'
own names), next to the English one the API and the record keep."""

from __future__ import annotations

import re
from itertools import product

import pytest

from cases.model import CaseFacts, Measurement
from cases.profiles import load_profiles
from cases.triage import triage
from cases.vocabulary import (
    EvasiveMeans,
    ProtectedArea,
    Stage,
    StandardLevel,
    SubstanceClass,
    ViolationType,
)

PROFILES = load_profiles()

# A citation or a formula may stay as the sources write it.
ALLOWED = re.compile(
    r"D\d(-rules|-op)? §[^\s（）]*|J2023 Art\. 1|Art\. \d+(\([一二三四五六七八九十]+\))?"
    r"|C/C0|\(C−C0\)/C0|[A-Z][a-z]?(?=[，）])"
    r"|[A-Z]+-[A-Z]+(\.[A-Za-z0-9-]+)?"  # agency codes and case ids
)
PROSE = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_left_in(text: str) -> list[str]:
    return PROSE.findall(ALLOWED.sub("", text))


FACTS = [
    CaseFacts(),
    CaseFacts(
        violation_type=ViolationType.EVASIVE_DISCHARGE,
        hazardous_into_water=True,
        discharges_past_year=3,
        drinking_water_threat=True,
        drinking_water_polluted=True,
        sensitive_area=True,
        obvious_crime=True,
        violent_resistance=True,
        substances=list(SubstanceClass),
        hazardous_waste_tonnes=4.5,
        protected_area=ProtectedArea.DRINKING_WATER_ZONE,
        means=list(EvasiveMeans),
        measurements=[
            Measurement(pollutant="总铬", measured=2.0, standard=0.5, element="Cr"),
            Measurement(
                pollutant="总镍",
                measured=12.0,
                standard=1.0,
                element="Ni",
                level=StandardLevel.LOCAL,
            ),
            Measurement(pollutant="化学需氧量", measured=400, standard=100, total_control=True),
        ],
    ),
    CaseFacts(violation_type=ViolationType.WASTE_DUMPING, reported_multiple=4.0),
]


@pytest.mark.parametrize(("mechanism", "facts"), list(product(sorted(PROFILES), FACTS)))
def test_every_triage_line_and_reason_is_said_in_chinese(mechanism: str, facts: CaseFacts) -> None:
    result = triage(facts, PROFILES[mechanism].triage)
    lines = [*result.criteria, *result.crime_criteria]
    for line in lines:
        assert CJK.search(line.explanation_zh), line
        assert english_left_in(line.explanation_zh) == [], line.explanation_zh
    assert len(result.reasons_zh) == len(result.reasons)
    for reason in result.reasons_zh:
        assert CJK.search(reason), reason
        assert english_left_in(reason) == [], reason


def test_the_english_lines_are_kept_as_they_were() -> None:
    """The API's ``explanation`` and ``reasons`` did not change with the Chinese next to them."""
    result = triage(FACTS[1], PROFILES["env-police"].triage)
    repeat = next(c for c in result.criteria if c.code == "repeat")
    assert repeat.explanation == (
        "3 illegal discharge(s) into water within one year (threshold 3, inclusive)"
    )
    assert repeat.explanation_zh == "一年内违法向水体排放3次（阈值3次，含本数）"
    assert "key object of referral: evasive_discharge (D1-rules §二)" in result.reasons
    assert "移送重点对象：暗管、裂隙、渗井渗坑偷排（D1-rules §二）" in result.reasons_zh


def test_every_notice_a_clock_sends_is_in_chinese_with_its_english_beside() -> None:
    """Reminders, breaches and escalations: Chinese for the officials, the police by name, the due
    time in Beijing time (24:00 for the end of a day); the English kept as ``text_en``."""
    from datetime import UTC, datetime, timedelta

    from cases.clocks import Tick, TickKind
    from cases.effects import Notice
    from cases.system import record_ticks
    from tests.domain.cases_at import case_at, ctx
    from tests.domain.test_figures import clock

    state = case_at(Stage.FILING_DECISION)
    due = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 2026-12-01 00:00 in Beijing: 11-30 24:00
    late = clock(1, "PSB-DEMO", due_hours=72, closed_hours=None)
    late.due_at = due
    ticks = [
        Tick(TickKind.REMINDER, late, due - timedelta(hours=6)),
        Tick(TickKind.BREACH, late, due),
        Tick(TickKind.ESCALATION, late, due, level=1, to=["JLO-DEMO"]),
    ]
    sent = record_ticks(state, ticks, ctx()).effects
    texts = [(n.text, n.text_en) for n in sent if isinstance(n, Notice)]
    assert len(texts) == 3
    for zh, en in texts:
        assert CJK.search(zh), zh
        assert english_left_in(zh) == [], zh
        assert f"case {state.case_id}" in en, en
    assert "2026-11-30 24:00（北京时间）" in texts[0][0]
    assert texts[2][0].startswith("升级督办（第1级）：")
    assert "应由示范县公安局办理" in texts[2][0]
    assert texts[2][1].startswith("escalated (level 1): ")
