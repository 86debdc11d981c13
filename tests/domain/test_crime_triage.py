"""Crime triage by J2023 Art. 1(一)–(五), item by item, in the environmental mechanisms only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cases.elements import ELEMENTS, elements_in
from cases.model import CaseFacts, Measurement, TriageResult
from cases.profile import TriageRules
from cases.profiles import load_profiles
from cases.triage import triage
from cases.vocabulary import (
    Classification,
    EvasiveMeans,
    ExceedanceArithmetic,
    ProtectedArea,
    StandardLevel,
    SubstanceClass,
    ViolationType,
)

PROFILES = load_profiles()
ENV = PROFILES["env-police"].triage
THREE_TIMES = ["Pb", "Hg", "Cd", "Cr", "As", "Tl", "Sb"]
TEN_TIMES = ["Ni", "Cu", "Zn", "Ag", "V", "Mn", "Co"]


def item(result: TriageResult, n: int) -> bool:
    return next(c.met for c in result.crime_criteria if c.code == f"j2023_1_{n}")


def met_items(facts: CaseFacts, rules: TriageRules = ENV) -> list[int]:
    result = triage(facts, rules)
    return [n for n in range(1, 6) if item(result, n)]


def test_the_lists_are_the_mechanisms_data_as_the_text_names_them() -> None:
    crime = ENV.crime
    assert crime is not None
    assert crime.three_times == frozenset(THREE_TIMES)
    assert crime.ten_times == frozenset(TEN_TIMES)
    assert [ELEMENTS[s].zh for s in THREE_TIMES] == list("铅汞镉铬砷铊锑")
    assert [ELEMENTS[s].zh for s in TEN_TIMES] == list("镍铜锌银钒锰钴")
    assert crime.hazardous_waste_tonnes == 3


# --- (一) in a key protection area --------------------------------------------------------------------


@pytest.mark.parametrize("area", list(ProtectedArea))
@pytest.mark.parametrize("substance", list(SubstanceClass))
def test_j2023_art_1_1_dangerous_substances_in_a_key_protection_area(
    area: ProtectedArea, substance: SubstanceClass
) -> None:
    assert 1 in met_items(CaseFacts(protected_area=area, substances=[substance]))
    assert 1 not in met_items(CaseFacts(protected_area=area))
    assert 1 not in met_items(CaseFacts(substances=[substance]))


def test_j2023_art_1_1_a_heavy_metal_pollutant_is_a_toxic_substance() -> None:
    facts = CaseFacts(
        protected_area=ProtectedArea.DRINKING_WATER_ZONE,
        measurements=[Measurement("总镉", 0.011, 0.01)],  # barely over: no exceedance item needed
    )
    result = triage(facts, ENV)
    assert item(result, 1)
    assert result.suggested is Classification.CRIME
    assert "J2023) Art. 1(一)" in result.reasons[0]


# --- (二) three tonnes of hazardous waste -------------------------------------------------------------


@pytest.mark.parametrize(("tonnes", "met"), [(2.99, False), (3, True), (12.5, True)])
def test_j2023_art_1_2_three_tonnes_of_hazardous_waste_inclusive(tonnes: float, met: bool) -> None:
    assert (2 in met_items(CaseFacts(hazardous_waste_tonnes=tonnes))) is met


# --- (三) and (四) times the standard -----------------------------------------------------------------


@pytest.mark.parametrize("symbol", THREE_TIMES)
def test_j2023_art_1_3_three_times_the_standard(symbol: str) -> None:
    name = f"总{ELEMENTS[symbol].zh}"
    assert 3 in met_items(CaseFacts(measurements=[Measurement(name, 0.3, 0.1)]))
    assert 3 not in met_items(CaseFacts(measurements=[Measurement(name, 0.29, 0.1)]))
    ten = CaseFacts(measurements=[Measurement(name, 0.3, 0.1)])
    assert 4 not in met_items(ten)  # a 3× metal is not counted under (四)


@pytest.mark.parametrize("symbol", TEN_TIMES)
def test_j2023_art_1_4_ten_times_the_standard(symbol: str) -> None:
    name = f"总{ELEMENTS[symbol].zh}"
    assert 4 in met_items(CaseFacts(measurements=[Measurement(name, 1.0, 0.1)]))
    assert 4 not in met_items(CaseFacts(measurements=[Measurement(name, 0.99, 0.1)]))
    assert 3 not in met_items(CaseFacts(measurements=[Measurement(name, 0.9, 0.1)]))


def test_j2023_art_1_3_a_local_standard_counts_and_a_total_control_quota_does_not() -> None:
    local = Measurement("六价铬", 0.2, 0.05, level=StandardLevel.LOCAL)
    assert 3 in met_items(CaseFacts(measurements=[local]))
    quota = Measurement("总铬排放总量", 40.0, 10.0, unit="t/a", total_control=True)
    assert 3 not in met_items(CaseFacts(measurements=[quota]))


def test_j2023_art_1_3_the_arithmetic_is_a_visible_parameter() -> None:
    assert ENV.crime is not None
    assert ENV.crime.arithmetic is ExceedanceArithmetic.RATIO
    strict = replace(ENV, crime=replace(ENV.crime, arithmetic=ExceedanceArithmetic.EXCESS))
    exactly_three = CaseFacts(measurements=[Measurement("总铅", 0.3, 0.1)])
    assert 3 in met_items(exactly_three, ENV)
    assert 3 not in met_items(exactly_three, strict)  # only 2 times *over* it
    four = CaseFacts(measurements=[Measurement("总铅", 0.4, 0.1)])
    assert 3 in met_items(four, strict)
    explanation = next(c.explanation for c in triage(four, ENV).crime_criteria if c.met)
    assert "C/C0 = 4" in explanation
    assert "(C−C0)/C0 = 3" in explanation


@pytest.mark.parametrize(
    ("pollutant", "element", "found"),
    [
        ("总铬", None, ["Cr"]),
        ("Cr6+", None, ["Cr"]),
        ("总Pb", None, ["Pb"]),
        ("含铅铜废液", None, ["Pb", "Cu"]),
        ("Cumene", None, []),  # "Cu" inside a word names no copper
        ("COD", None, []),
        ("电镀废液", "Ni", ["Ni"]),  # the element stated where the name does not say
    ],
)
def test_a_pollutants_elements(pollutant: str, element: str | None, found: list[str]) -> None:
    assert [e.symbol for e in elements_in(pollutant, element)] == found


# --- (五) by evading supervision ----------------------------------------------------------------------


@pytest.mark.parametrize("means", list(EvasiveMeans))
def test_j2023_art_1_5_dangerous_substances_by_evasive_means(means: EvasiveMeans) -> None:
    assert 5 in met_items(CaseFacts(means=[means], substances=[SubstanceClass.RADIOACTIVE]))
    assert 5 not in met_items(CaseFacts(means=[means]))  # COD through a pipe: not this item


def test_j2023_art_1_5_an_evasive_discharge_of_a_heavy_metal() -> None:
    facts = CaseFacts(
        violation_type=ViolationType.EVASIVE_DISCHARGE,
        measurements=[Measurement("总镍", 0.2, 0.1)],  # twice the standard: (四) not met
    )
    assert met_items(facts) == [5]
    waste = CaseFacts(means=[EvasiveMeans.SEEPAGE_WELL_OR_PIT], hazardous_waste_tonnes=0.5)
    assert met_items(waste) == [5]  # hazardous waste is toxic, whatever its weight


# --- The whole suggestion, and the mechanisms J2023 governs --------------------------------------------


def test_the_readme_demo_is_a_suspected_crime_under_items_three_and_five() -> None:
    facts = CaseFacts(
        violation_type=ViolationType.EVASIVE_DISCHARGE,
        hazardous_into_water=True,
        measurements=[Measurement("总铬", 6.2, 1.5)],
    )
    result = triage(facts, ENV)
    assert result.suggested is Classification.CRIME
    assert [c.source for c in result.crime_criteria if c.met] == [
        "法释〔2023〕7号 (J2023) Art. 1(三)",
        "法释〔2023〕7号 (J2023) Art. 1(五)",
    ]
    assert result.key_case  # D1's key linkage case as before
    assert result.reasons[0].startswith("suspected crime, 法释〔2023〕7号 (J2023) Art. 1(三)")


@pytest.mark.parametrize("mechanism", ["env-police", "national-2017", "demo-fast"])
def test_the_environmental_mechanisms_count_j2023(mechanism: str) -> None:
    assert PROFILES[mechanism].triage.crime is not None


@pytest.mark.parametrize("mechanism", ["urban-police", "animal-health-police", "township-county"])
def test_nothing_of_j2023_leaks_into_the_other_mechanisms(mechanism: str) -> None:
    rules = PROFILES[mechanism].triage
    assert rules.crime is None
    facts = CaseFacts(
        hazardous_waste_tonnes=10,
        means=[EvasiveMeans.CONCEALED_PIPE],
        measurements=[Measurement("总铬", 6.2, 1.5)],
    )
    result = triage(facts, rules)
    assert result.crime_criteria == []
    assert result.suggested is not Classification.CRIME
