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
    StandardLevel,
    SubstanceClass,
    ViolationType,
)

PROFILES = load_profiles()

# A citation or a formula may stay as the sources write it.
ALLOWED = re.compile(
    r"D\d(-rules|-op)? §[^\s（）]*|J2023 Art\. 1|Art\. \d+(\([一二三四五六七八九十]+\))?"
    r"|C/C0|\(C−C0\)/C0|[A-Z][a-z]?(?=[，）])"
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
