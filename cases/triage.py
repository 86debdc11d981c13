"""Triage: a suggested classification, the key-linkage criteria and the early-intervention triggers.

Triage suggests; an officer decides (the ``classify`` action confirms or overrides, with reasons).
The key-linkage criteria are those of D1-rules §二: discharging or dumping hazardous substances into
water that amounts to a public-security violation, and (1) 3 or more times within one year; (2) exceeding
the national discharge standard or the total-control standard "3倍(含3倍)以上"; (3) a serious threat to,
or pollution of, a drinking-water source or sensitive area. Which arithmetic "3倍以上" means is the
mechanism's (see ``ExceedanceArithmetic``); both numbers are kept next to the result.

Suggested classification (this product's design, on the sources):
* suspected crime when an item of J2023 Art. 1(一)–(五) is met (the environmental mechanisms: see
  ``cases.crime``), the officer marks the case as obviously criminal (D1-rules §三(二)3), or a
  drinking-water source has been polluted with hazardous substances (the gravest case of §二(3));
* public-security violation when the case is a key linkage case, one of the key objects of referral
  (D1-rules §二), or violent resistance to enforcement (D5 §三.5);
* administrative otherwise.
"""

from __future__ import annotations

from decimal import Decimal

from cases.crime import j2023
from cases.model import CaseFacts, CriterionResult, ExceedanceResult, TriageResult
from cases.profile import TriageRules
from cases.vocabulary import Classification, ExceedanceArithmetic

EARLY_INTERVENTION_TRIGGERS: dict[str, str] = {
    "obvious_crime": "D1-rules §三(二)3",
    "violent_resistance": "D1-rules §三(二)3; D5 §三.5",
    "stability_threat": "D1-rules §三(二)3",
    "major_or_difficult": "D4 §5",
}


def _dec(value: float) -> Decimal:
    # repr gives the shortest string that round-trips, so 0.3 is Decimal("0.3"), not 0.2999…
    return Decimal(repr(value))


def _result(
    pollutant: str, standard_kind: str, ratio: Decimal, rules: TriageRules
) -> ExceedanceResult:
    excess = ratio - 1
    counted = ratio if rules.arithmetic is ExceedanceArithmetic.RATIO else excess
    threshold = _dec(rules.exceedance_threshold)
    return ExceedanceResult(
        pollutant=pollutant,
        standard_kind=standard_kind,
        ratio=float(ratio),
        excess=float(excess),
        counted=float(counted),
        arithmetic=rules.arithmetic,
        threshold=float(threshold),
        met=counted >= threshold,
    )


def exceedances(facts: CaseFacts, rules: TriageRules) -> list[ExceedanceResult]:
    """Every recorded value against its standard, counted in the mechanism's arithmetic."""
    results = [
        _result(
            m.pollutant,
            "total_control" if m.total_control else "national",
            _dec(m.measured) / _dec(m.standard),
            rules,
        )
        for m in facts.measurements
        if m.standard > 0
    ]
    if not results and facts.reported_multiple is not None:
        reported = _dec(facts.reported_multiple)
        ratio = (
            reported if facts.reported_arithmetic is ExceedanceArithmetic.RATIO else reported + 1
        )
        results.append(_result("(reported)", "reported", ratio, rules))
    return results


def triage(facts: CaseFacts, rules: TriageRules) -> TriageResult:
    found = exceedances(facts, rules)
    worst = max(found, key=lambda e: e.counted, default=None)
    symbol = "C/C0" if rules.arithmetic is ExceedanceArithmetic.RATIO else "(C−C0)/C0"
    if worst is None:
        exceed_text = "no measured or reported value against a standard"
    else:
        exceed_text = (
            f"{worst.pollutant}: C/C0 = {worst.ratio:g}, (C−C0)/C0 = {worst.excess:g}; "
            f"the mechanism counts {symbol} = {worst.counted:g} against {rules.exceedance_threshold:g}"
        )
    criteria = [
        CriterionResult(
            "repeat",
            facts.discharges_past_year >= rules.repeat_threshold,
            f"{facts.discharges_past_year} illegal discharge(s) into water within one year "
            f"(threshold {rules.repeat_threshold}, inclusive)",
            "D1-rules §二(1)",
        ),
        CriterionResult("exceedance", any(e.met for e in found), exceed_text, "D1-rules §二(2)"),
        CriterionResult(
            "drinking_water",
            facts.drinking_water_threat or facts.drinking_water_polluted or facts.sensitive_area,
            "drinking-water source or sensitive area: "
            + (
                ", ".join(
                    label
                    for flag, label in [
                        (facts.drinking_water_threat, "seriously threatened"),
                        (facts.drinking_water_polluted, "polluted"),
                        (facts.sensitive_area, "sensitive area affected"),
                    ]
                    if flag
                )
                or "not affected"
            ),
            "D1-rules §二(3)",
        ),
    ]
    key_case = facts.hazardous_into_water and any(c.met for c in criteria)

    crime_criteria = j2023(facts, rules.crime) if rules.crime is not None else []
    crime: list[str] = [
        f"suspected crime, {c.source}: {c.explanation}" for c in crime_criteria if c.met
    ]
    if facts.obvious_crime:
        crime.append("marked as obviously criminal (D1-rules §三(二)3)")
    if facts.hazardous_into_water and facts.drinking_water_polluted:
        crime.append("hazardous substances polluted a drinking-water source (D1-rules §二(3))")
    referable: list[str] = []
    if key_case:
        met = ", ".join(c.code for c in criteria if c.met)
        referable.append(
            f"key linkage case: hazardous substances into water and {met} (D1-rules §二)"
        )
    if facts.violation_type.key_object:
        referable.append(f"key object of referral: {facts.violation_type} (D1-rules §二)")
    if facts.violent_resistance:
        referable.append("violent resistance to enforcement (D5 §三.5)")
    if crime:
        suggested = Classification.CRIME
    elif referable:
        suggested = Classification.PUBLIC_SECURITY
    else:
        suggested = Classification.ADMINISTRATIVE
    reasons = crime + referable or ["no key-object, key-case or crime indicator recorded"]

    triggers = [code for code in EARLY_INTERVENTION_TRIGGERS if getattr(facts, code)]
    return TriageResult(
        suggested=suggested,
        key_case=key_case,
        criteria=criteria,
        exceedances=found,
        early_intervention=triggers,
        call_police_now=facts.violent_resistance,
        arithmetic=rules.arithmetic,
        reasons=reasons,
        crime_criteria=crime_criteria,
    )
