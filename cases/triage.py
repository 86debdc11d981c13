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
from cases.phrases import Both, word
from cases.profile import TriageRules
from cases.vocabulary import VIOLATION_LABELS, Classification, ExceedanceArithmetic

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


CRITERION_WORDS: dict[str, Both] = {
    "repeat": Both("一年内多次违法排放", "repeat"),
    "exceedance": Both("超标", "exceedance"),
    "drinking_water": Both("饮用水水源或敏感区域", "drinking_water"),
}


def _exceedance_said(worst: ExceedanceResult | None, rules: TriageRules) -> Both:
    if worst is None:
        return Both(
            "无对照标准的实测值或报告值", "no measured or reported value against a standard"
        )
    symbol = "C/C0" if rules.arithmetic is ExceedanceArithmetic.RATIO else "(C−C0)/C0"
    numbers = f"C/C0 = {worst.ratio:g}, (C−C0)/C0 = {worst.excess:g}"
    counted = f"{symbol} = {worst.counted:g}"
    name = Both("（报告值）", worst.pollutant) if worst.standard_kind == "reported" else None
    zh_name = name.zh if name else worst.pollutant
    return Both(
        f"{zh_name}：{numbers}；本机制以 {counted} 与阈值 {rules.exceedance_threshold:g} 比较",
        f"{worst.pollutant}: {numbers}; the mechanism counts {counted} against "
        f"{rules.exceedance_threshold:g}",
    )


def _water_said(facts: CaseFacts) -> Both:
    found = [
        label
        for flag, label in [
            (facts.drinking_water_threat, Both("受到严重威胁", "seriously threatened")),
            (facts.drinking_water_polluted, Both("受到污染", "polluted")),
            (facts.sensitive_area, Both("敏感区域受到影响", "sensitive area affected")),
        ]
        if flag
    ]
    listed = Both.join(found, none=Both("未受影响", "not affected"), zh="、", en=", ")
    return Both(
        f"饮用水水源或敏感区域：{listed.zh}",
        f"drinking-water source or sensitive area: {listed.en}",
    )


def triage(facts: CaseFacts, rules: TriageRules) -> TriageResult:
    found = exceedances(facts, rules)
    worst = max(found, key=lambda e: e.counted, default=None)
    times, limit = facts.discharges_past_year, rules.repeat_threshold
    criteria = [
        CriterionResult.said(
            "repeat",
            times >= limit,
            Both(
                f"一年内违法向水体排放{times}次（阈值{limit}次，含本数）",
                f"{times} illegal discharge(s) into water within one year "
                f"(threshold {limit}, inclusive)",
            ),
            "D1-rules §二(1)",
        ),
        CriterionResult.said(
            "exceedance",
            any(e.met for e in found),
            _exceedance_said(worst, rules),
            "D1-rules §二(2)",
        ),
        CriterionResult.said(
            "drinking_water",
            facts.drinking_water_threat or facts.drinking_water_polluted or facts.sensitive_area,
            _water_said(facts),
            "D1-rules §二(3)",
        ),
    ]
    key_case = facts.hazardous_into_water and any(c.met for c in criteria)

    crime_criteria = j2023(facts, rules.crime) if rules.crime is not None else []
    crime: list[Both] = [
        Both(
            f"涉嫌犯罪，{c.source}：{c.explanation_zh}",
            f"suspected crime, {c.source}: {c.explanation}",
        )
        for c in crime_criteria
        if c.met
    ]
    if facts.obvious_crime:
        crime.append(
            Both(
                "已标记为明显涉嫌犯罪（D1-rules §三(二)3）",
                "marked as obviously criminal (D1-rules §三(二)3)",
            )
        )
    if facts.hazardous_into_water and facts.drinking_water_polluted:
        crime.append(
            Both(
                "危险物质污染了饮用水水源（D1-rules §二(3)）",
                "hazardous substances polluted a drinking-water source (D1-rules §二(3))",
            )
        )
    referable: list[Both] = []
    if key_case:
        met = [CRITERION_WORDS[c.code] for c in criteria if c.met]
        joined = Both.join(met, none=Both("", ""), zh="、", en=", ")
        referable.append(
            Both(
                f"重点联动案件：向水体排放危险物质，且{joined.zh}（D1-rules §二）",
                f"key linkage case: hazardous substances into water and {joined.en} (D1-rules §二)",
            )
        )
    if facts.violation_type.key_object:
        kind = word(VIOLATION_LABELS, facts.violation_type)
        referable.append(
            Both(
                f"移送重点对象：{kind.zh}（D1-rules §二）",
                f"key object of referral: {facts.violation_type} (D1-rules §二)",
            )
        )
    if facts.violent_resistance:
        referable.append(
            Both("暴力抗法（D5 §三.5）", "violent resistance to enforcement (D5 §三.5)")
        )
    if crime:
        suggested = Classification.CRIME
    elif referable:
        suggested = Classification.PUBLIC_SECURITY
    else:
        suggested = Classification.ADMINISTRATIVE
    reasons = crime + referable or [
        Both(
            "未记录重点对象、重点案件或犯罪情形",
            "no key-object, key-case or crime indicator recorded",
        )
    ]

    triggers = [code for code in EARLY_INTERVENTION_TRIGGERS if getattr(facts, code)]
    return TriageResult(
        suggested=suggested,
        key_case=key_case,
        criteria=criteria,
        exceedances=found,
        early_intervention=triggers,
        call_police_now=facts.violent_resistance,
        arithmetic=rules.arithmetic,
        reasons=[r.en for r in reasons],
        crime_criteria=crime_criteria,
        reasons_zh=[r.zh for r in reasons],
    )
