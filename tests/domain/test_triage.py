"""Triage on each key-linkage criterion and its boundary, under both exceedance arithmetics."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cases.model import CaseFacts, Measurement, TriageResult
from cases.profile import TriageRules
from cases.profiles import load_profiles
from cases.triage import triage
from cases.vocabulary import Classification, ExceedanceArithmetic, ViolationType

RATIO = load_profiles()["env-police"].triage
EXCESS = load_profiles()["national-2017"].triage
assert RATIO.arithmetic is ExceedanceArithmetic.RATIO
assert EXCESS.arithmetic is ExceedanceArithmetic.EXCESS


def water(**facts: object) -> CaseFacts:
    """Hazardous substances into water: the precondition of a key linkage case."""
    return replace(CaseFacts(hazardous_into_water=True), **facts)  # type: ignore[arg-type]


def criterion(result: TriageResult, code: str) -> bool:
    return next(c.met for c in result.criteria if c.code == code)


# --- (1) three or more times within one year --------------------------------------------------------


@pytest.mark.parametrize(("times", "met"), [(1, False), (2, False), (3, True), (4, True)])
@pytest.mark.parametrize("rules", [RATIO, EXCESS], ids=["ratio", "excess"])
def test_repeat_criterion_counts_three_inclusive(times: int, met: bool, rules: TriageRules) -> None:
    result = triage(water(discharges_past_year=times), rules)
    assert criterion(result, "repeat") is met
    assert result.key_case is met
    assert result.suggested is (
        Classification.PUBLIC_SECURITY if met else Classification.ADMINISTRATIVE
    )


# --- (2) three times the standard, in each arithmetic -----------------------------------------------


@pytest.mark.parametrize(
    ("measured", "standard", "met_ratio", "met_excess"),
    [
        (0.29, 0.1, False, False),  # 2.9 times the standard
        (0.3, 0.1, True, False),  # exactly 3 times: C = 3·C0 (含3倍), but only 2 times *over* it
        (0.39, 0.1, True, False),
        (0.4, 0.1, True, True),  # (C−C0)/C0 = 3 exactly
        (1.5, 0.5, True, False),
        (2.0, 0.5, True, True),
    ],
)
def test_exceedance_boundary_in_both_arithmetics(
    measured: float, standard: float, met_ratio: bool, met_excess: bool
) -> None:
    facts = water(measurements=[Measurement("COD", measured, standard)])
    by_ratio = triage(facts, RATIO)
    by_excess = triage(facts, EXCESS)
    assert criterion(by_ratio, "exceedance") is met_ratio
    assert criterion(by_excess, "exceedance") is met_excess
    # Both numbers are shown next to the result, whichever the mechanism counts.
    e = by_ratio.exceedances[0]
    assert e.ratio == pytest.approx(measured / standard)
    assert e.excess == pytest.approx(measured / standard - 1)
    assert e.counted == pytest.approx(e.ratio)
    assert by_excess.exceedances[0].counted == pytest.approx(e.excess)
    assert by_ratio.arithmetic is ExceedanceArithmetic.RATIO
    assert by_excess.arithmetic is ExceedanceArithmetic.EXCESS


def test_exactly_three_times_is_exact_not_floating_point() -> None:
    # 0.3 / 0.1 is 2.9999999999999996 in binary floating point; the rule's "含3倍" must hold.
    facts = water(measurements=[Measurement("Cr6+", 0.3, 0.1)])
    assert criterion(triage(facts, RATIO), "exceedance")


def test_the_total_control_standard_counts_as_well() -> None:
    facts = water(
        measurements=[
            Measurement("COD", 0.12, 0.1),
            Measurement("COD total", 36.0, 9.0, unit="t/a", total_control=True),
        ]
    )
    result = triage(facts, EXCESS)  # 36/9 = 4, (36−9)/9 = 3: met under both
    assert criterion(result, "exceedance")
    kinds = {e.standard_kind: e.met for e in result.exceedances}
    assert kinds == {"national": False, "total_control": True}


@pytest.mark.parametrize(
    ("reported", "reported_in", "met_ratio", "met_excess"),
    [
        (2.0, ExceedanceArithmetic.EXCESS, True, False),  # 2 times over = 3 times the standard
        (3.0, ExceedanceArithmetic.EXCESS, True, True),
        (3.0, ExceedanceArithmetic.RATIO, True, False),
        (2.9, ExceedanceArithmetic.RATIO, False, False),
    ],
)
def test_a_reported_multiple_is_converted_to_the_mechanism_arithmetic(
    reported: float, reported_in: ExceedanceArithmetic, met_ratio: bool, met_excess: bool
) -> None:
    facts = water(reported_multiple=reported, reported_arithmetic=reported_in)
    assert criterion(triage(facts, RATIO), "exceedance") is met_ratio
    assert criterion(triage(facts, EXCESS), "exceedance") is met_excess


def test_measured_values_take_precedence_over_a_reported_multiple() -> None:
    facts = water(measurements=[Measurement("COD", 0.1, 0.1)], reported_multiple=9.0)
    assert not criterion(triage(facts, RATIO), "exceedance")


def test_a_threshold_set_by_the_mechanism_is_used() -> None:
    strict = replace(RATIO, exceedance_threshold=5.0)
    facts = water(measurements=[Measurement("COD", 0.4, 0.1)])
    assert criterion(triage(facts, RATIO), "exceedance")
    assert not criterion(triage(facts, strict), "exceedance")


# --- (3) drinking water and sensitive areas ---------------------------------------------------------


@pytest.mark.parametrize(
    "flag", ["drinking_water_threat", "drinking_water_polluted", "sensitive_area"]
)
def test_drinking_water_criterion(flag: str) -> None:
    result = triage(water(**{flag: True}), RATIO)
    assert criterion(result, "drinking_water")
    assert result.key_case
    assert not triage(water(), RATIO).key_case


def test_no_key_case_without_hazardous_substances_into_water() -> None:
    facts = CaseFacts(discharges_past_year=5, measurements=[Measurement("COD", 9.0, 0.1)])
    result = triage(facts, RATIO)
    assert criterion(result, "repeat")
    assert criterion(result, "exceedance")
    assert not result.key_case
    assert result.suggested is Classification.ADMINISTRATIVE


# --- Suggested classification and triggers ----------------------------------------------------------


def test_an_obviously_criminal_case_is_suggested_as_a_crime() -> None:
    result = triage(CaseFacts(obvious_crime=True), RATIO)
    assert result.suggested is Classification.CRIME
    assert "obvious_crime" in result.early_intervention


def test_a_polluted_drinking_water_source_is_suggested_as_a_crime() -> None:
    assert triage(water(drinking_water_polluted=True), RATIO).suggested is Classification.CRIME
    # A threat alone is a key linkage case of public-security weight.
    assert (
        triage(water(drinking_water_threat=True), RATIO).suggested is Classification.PUBLIC_SECURITY
    )


@pytest.mark.parametrize("kind", [v for v in ViolationType if v is not ViolationType.OTHER])
def test_a_key_object_of_referral_is_suggested_for_referral(kind: ViolationType) -> None:
    assert triage(CaseFacts(violation_type=kind), RATIO).suggested is Classification.PUBLIC_SECURITY


def test_an_ordinary_violation_is_administrative() -> None:
    result = triage(CaseFacts(), RATIO)
    assert result.suggested is Classification.ADMINISTRATIVE
    assert not result.key_case
    assert result.early_intervention == []
    assert result.reasons


@pytest.mark.parametrize(
    "trigger", ["obvious_crime", "violent_resistance", "stability_threat", "major_or_difficult"]
)
def test_each_early_intervention_trigger(trigger: str) -> None:
    result = triage(replace(CaseFacts(), **{trigger: True}), RATIO)  # type: ignore[arg-type]
    assert result.early_intervention == [trigger]
    assert result.call_police_now is (trigger == "violent_resistance")


def test_violent_resistance_calls_the_police_at_once() -> None:
    result = triage(CaseFacts(violent_resistance=True), RATIO)
    assert result.call_police_now
    assert result.suggested is Classification.PUBLIC_SECURITY
