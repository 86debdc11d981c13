"""Crime triage: J2023 Art. 1(一)–(五), "严重污染环境", item by item, for the environmental mechanisms.

Triage suggests; the officer decides (``classify``). Each item is reported met or not, with the facts
and numbers that decided it and the item it implements. What the items read:

* (一) radioactive waste, pathogen-bearing waste or toxic substances, in a drinking-water protection
  zone, a nature-reserve core zone or another key protection area;
* (二) hazardous waste of 3 tonnes or more (the mechanism's number);
* (三) pollutants containing lead, mercury, cadmium, chromium, arsenic, thallium or antimony over the
  national or local discharge standard "三倍以上", and (四) nickel, copper, zinc, silver, vanadium,
  manganese or cobalt "十倍以上" (the lists and the arithmetic are the mechanism's data, and both numbers
  are shown);
* (五) the substances of (一) through concealed pipes, seepage wells or pits, fissures, caves, injection
  or an emergency vent opened outside an emergency. The key object "evasive discharge" (暗管、裂隙、渗井
  渗坑偷排, D1-rules §二) is such a means.

Toxic substances (有毒物质) include hazardous waste and substances containing heavy metals (法释〔2013〕15号
Art. 10(一)(三); reworded in 2016 and 2023: check the text), so a heavy-metal pollutant or hazardous
waste makes (一) and (五) apply without the officer ticking "toxic".
"""

from __future__ import annotations

from decimal import Decimal

from cases.elements import elements_in
from cases.model import CaseFacts, CriterionResult, Measurement
from cases.phrases import NONE_RECORDED, Both, word
from cases.profile import CrimeRules
from cases.vocabulary import (
    AREA_LABELS,
    LEVEL_LABELS,
    MEANS_LABELS,
    SUBSTANCE_LABELS,
    ExceedanceArithmetic,
    SubstanceClass,
    ViolationType,
)


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))


def _times(m: Measurement, arithmetic: ExceedanceArithmetic) -> tuple[Decimal, Decimal, Decimal]:
    """(C/C0, (C−C0)/C0, the one counted)."""
    ratio = _dec(m.measured) / _dec(m.standard)
    excess = ratio - 1
    return ratio, excess, ratio if arithmetic is ExceedanceArithmetic.RATIO else excess


def dangerous_substances(facts: CaseFacts) -> list[Both]:
    """What makes (一) and (五) apply: the classes stated, hazardous waste, heavy-metal pollutants."""
    found = [
        Both(f"{word(SUBSTANCE_LABELS, s).zh}（已记录）", f"{s.value} (stated)")
        for s in facts.substances
    ]
    if facts.hazardous_waste_tonnes:
        found.append(
            Both(
                "危险废物：有毒物质（法释〔2013〕15号 Art. 10(一)）",
                "hazardous waste: toxic (法释〔2013〕15号 Art. 10(一))",
            )
        )
    for m in facts.measurements:
        metals = [e for e in elements_in(m.pollutant, m.element) if e.heavy_metal]
        if metals and SubstanceClass.TOXIC not in facts.substances:
            names = "、".join(e.zh for e in metals)
            found.append(
                Both(
                    f"{m.pollutant}含{names}：有毒物质（法释〔2013〕15号 Art. 10(三)）",
                    f"{m.pollutant} contains {names}: toxic (法释〔2013〕15号 Art. 10(三))",
                )
            )
    return found


def _over(facts: CaseFacts, listed: frozenset[str], times: int, rules: CrimeRules) -> list[Both]:
    hits = []
    for m in facts.measurements:
        if m.total_control:
            continue  # J2023 counts discharge standards, national or local
        for element in elements_in(m.pollutant, m.element):
            if element.symbol not in listed:
                continue
            ratio, excess, counted = _times(m, rules.arithmetic)
            symbol = "C/C0" if rules.arithmetic is ExceedanceArithmetic.RATIO else "(C−C0)/C0"
            if counted >= times:
                numbers = (
                    f"C/C0 = {float(ratio):g}, (C−C0)/C0 = {float(excess):g}; "
                    f"{symbol} = {float(counted):g} ≥ {times}"
                )
                level = word(LEVEL_LABELS, m.level).zh
                hits.append(
                    Both(
                        f"{m.pollutant}（{element.zh}，{element.symbol}）对照{level}标准：{numbers}",
                        f"{m.pollutant} ({element.zh}, {element.symbol}) against the {m.level.value} "
                        f"standard: {numbers}",
                    )
                )
    return hits


def j2023(facts: CaseFacts, rules: CrimeRules) -> list[CriterionResult]:
    """Each item of J2023 Art. 1(一)–(五): met or not, and why."""
    source = rules.source
    dangerous = dangerous_substances(facts)
    substances = Both.join(dangerous, none=NONE_RECORDED)
    means = [Both(word(MEANS_LABELS, m).zh, m.value) for m in facts.means]
    if facts.violation_type is ViolationType.EVASIVE_DISCHARGE:
        means.append(
            Both("暗管、裂隙、渗井渗坑偷排", "evasive discharge (暗管、裂隙、渗井渗坑偷排)")
        )
    how = Both.join(means, none=NONE_RECORDED, zh="、", en=", ")
    area = (
        Both(word(AREA_LABELS, facts.protected_area).zh, facts.protected_area.value)
        if facts.protected_area
        else NONE_RECORDED
    )
    tonnes = facts.hazardous_waste_tonnes or 0.0
    limit = rules.hazardous_waste_tonnes
    three = _over(facts, rules.three_times, 3, rules)
    ten = _over(facts, rules.ten_times, 10, rules)
    return [
        CriterionResult.said(
            "j2023_1_1",
            bool(facts.protected_area and dangerous),
            Both(
                f"重点保护区域：{area.zh}；物质：{substances.zh}",
                f"key protection area: {area.en}; substances: {substances.en}",
            ),
            f"{source}(一)",
        ),
        CriterionResult.said(
            "j2023_1_2",
            tonnes >= limit,
            Both(
                f"危险废物：{tonnes:g}吨（阈值{limit:g}吨，含本数）",
                f"hazardous waste: {tonnes:g} t (threshold {limit:g} t, inclusive)",
            ),
            f"{source}(二)",
        ),
        CriterionResult.said(
            "j2023_1_3",
            bool(three),
            Both.join(
                three,
                none=Both(
                    "无含铅、汞、镉、铬、砷、铊、锑的污染物超过国家或者地方污染物排放标准三倍以上",
                    "no lead, mercury, cadmium, chromium, arsenic, thallium or antimony "
                    "pollutant three times over its standard",
                ),
            ),
            f"{source}(三)",
        ),
        CriterionResult.said(
            "j2023_1_4",
            bool(ten),
            Both.join(
                ten,
                none=Both(
                    "无含镍、铜、锌、银、钒、锰、钴的污染物超过国家或者地方污染物排放标准十倍以上",
                    "no nickel, copper, zinc, silver, vanadium, manganese or cobalt "
                    "pollutant ten times over its standard",
                ),
            ),
            f"{source}(四)",
        ),
        CriterionResult.said(
            "j2023_1_5",
            bool(means and dangerous),
            Both(
                f"方式：{how.zh}；物质：{substances.zh}",
                f"means: {how.en}; substances: {substances.en}",
            ),
            f"{source}(五)",
        ),
    ]
