"""Evidence checklists per classification and referral checklists per mechanism.

Every item an agency records (evidence or a document of the referral package) has a kind from the
catalogue below. A checklist line is met when an item of an accepted kind is on the case: a certified
monitoring report, for instance, serves both as evidence of the discharge and as the test report the
referral package needs (D1-rules §五, §六).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema


@dataclass(frozen=True)
class ItemKind:
    key: str
    label_zh: str
    label_en: str
    source: str
    # Other kinds that also satisfy a checklist line asking for this one.
    also_met_by: tuple[str, ...] = ()


CATALOGUE: dict[str, ItemKind] = {
    k.key: k
    for k in [
        # Evidence (D1-rules §三(一), §六)
        ItemKind(
            "site_inspection_report",
            "现场勘验报告",
            "On-site inspection report",
            "D1-rules §三(一)1",
        ),
        ItemKind(
            "investigation_records",
            "调查记录和询问笔录",
            "Investigation and interview records",
            "D1-rules §六(一)",
            ("party_interviews",),
        ),
        ItemKind("sampling_records", "采样记录", "Sampling records", "D1-rules §六(一)"),
        ItemKind(
            "monitoring_report",
            "环境监测报告(具资质机构出具)",
            "Monitoring report by a certified body",
            "D1-rules §六(一)2",
        ),
        ItemKind(
            "site_audio_video",
            "现场检查音像资料",
            "Audio and video of the site inspection",
            "D1-rules §六(一)",
        ),
        ItemKind("physical_evidence", "实物证据", "Physical evidence", "D1-rules §六(一)"),
        ItemKind(
            "production_process",
            "生产工艺证据(污染物产生种类及数量)",
            "Production process evidence",
            "D1-rules §六(一)1",
        ),
        ItemKind(
            "party_interviews",
            "当事人、知情人、证人询问笔录(身份、住址、职务、报酬)",
            "Interviews of the party, informed persons and witnesses",
            "D1-rules §六(一)3",
        ),
        ItemKind(
            "related_materials",
            "台账、运行记录、水电使用情况",
            "Ledgers, operation records, water and power use",
            "D1-rules §六(一)4",
        ),
        ItemKind(
            "environmental_damage",
            "环境受破坏的直接证据(布点监测、损害鉴定评估报告)",
            "Environmental damage: monitoring around the site, damage appraisal",
            "D1-rules §六(二)1",
        ),
        ItemKind(
            "exclusivity",
            "污染排他性证据",
            "Exclusivity: other emitters nearby",
            "D1-rules §六(二)2",
        ),
        ItemKind(
            "appraisal_report", "检验鉴定报告", "Test or appraisal report", "D1-rules §三(一)4"
        ),
        ItemKind(
            "investigation_report",
            "案件调查报告",
            "Investigation report",
            "D1-rules §三(一)5; O310 Art. 6; P2014 Art. 11(三)",
        ),
        ItemKind(
            "perishable_fixed",
            "易腐烂变质物品的证据固定记录",
            "Record fixing perishable items by other means",
            "O310 Art. 4 ¶2; D4 §5 (only when there are such items)",
        ),
        ItemKind("complaint", "投诉举报材料", "Complaint or report", "D6 §一(三)"),
        ItemKind(
            "inspection_record",
            "现场检查记录",
            "Site inspection record",
            "D6 §一(三); N2017 Art. 6(三) 现场检查(勘察)笔录",
            ("site_inspection_report",),
        ),
        # Documents of a referral package
        ItemKind(
            "materials_list",
            "移送材料清单",
            "List of materials",
            "D1-rules §五; N2017 Art. 6(一); P2014 Art. 11(一)",
        ),
        ItemKind(
            "referral_letter",
            "案件移送书/移送函",
            "Referral letter",
            "D1-rules §五; O310 Art. 6; N2017 Art. 6(一); D6 §一(三); P2014 Art. 11(二)",
        ),
        ItemKind(
            "items_list",
            "涉案物品清单(附行政强制措施、现场笔录)",
            "List of items involved, with the coercive-measure records",
            "D1-rules §五; O310 Art. 6; N2017 Art. 6(四); P2014 Art. 11(五)",
        ),
        ItemKind(
            "site_sketch",
            "现场勘验图",
            "Site sketch (equipment, surroundings, sampling points, discharge route)",
            "N2017 Art. 6(三), Art. 37(一)",
        ),
        ItemKind(
            "photo_video_list",
            "现场照片或者录音录像资料及清单",
            "Site photos or audio-video with their list",
            "N2017 Art. 6(五)",
        ),
        ItemKind(
            "incident_report",
            "突发环境事件调查报告",
            "Environmental emergency incident report",
            "N2017 Art. 6(六)",
        ),
        ItemKind(
            "determination_opinion",
            "认定意见",
            "Determination opinion (e.g. hazardous waste, N2017 Art. 22)",
            "N2017 Art. 6(六), Art. 22",
        ),
        ItemKind(
            "penalty_decision",
            "行政处罚决定书",
            "The administrative penalty decision",
            "N2017 Art. 6: 已经作出行政处罚决定的,还应当附行政处罚决定书; P2014 Art. 11(六)",
        ),
        ItemKind(
            "handling_opinion",
            "处理意见或行政处罚相关材料",
            "The agency's handling opinion or penalty materials",
            "D1-rules §五",
        ),
        ItemKind(
            "other_materials", "其他有关涉案材料", "Other materials", "D1-rules §五; O310 Art. 6"
        ),
        ItemKind(
            "discharge_evidence",
            "违法排污的有关证据材料",
            "Evidence of the illegal discharge",
            "D1-rules §五",
            ("monitoring_report", "sampling_records"),
        ),
        ItemKind(
            "case_evidence",
            "涉案证据材料",
            "Evidence of the case",
            "P2014 Art. 11(四)",
            (
                "investigation_records",
                "party_interviews",
                "site_inspection_report",
                "inspection_record",
                "monitoring_report",
                "sampling_records",
                "site_audio_video",
                "physical_evidence",
            ),
        ),
        ItemKind(
            "test_reports",
            "监测报告或检验报告(鉴定结论)",
            "Monitoring or test reports (appraisal conclusions)",
            "D1-rules §五; O310 Art. 6; N2017 Art. 6(六)",
            ("monitoring_report", "appraisal_report"),
        ),
        ItemKind(
            "source_materials",
            "案件来源材料(现场检查记录、举报投诉材料)",
            "Source materials (inspection records, complaints)",
            "D6 §一(三)",
            ("complaint", "inspection_record", "site_inspection_report"),
        ),
        ItemKind(
            "basic_facts_evidence",
            "初步证明违法行为事实的证据材料",
            "Evidence of the basic facts",
            "D6 §一(三)",
            (
                "investigation_records",
                "party_interviews",
                "monitoring_report",
                "site_inspection_report",
                "physical_evidence",
                "site_audio_video",
            ),
        ),
        # Papers of what was sent after the referral, which the case makes itself (cases.papers)
        ItemKind(
            "not_filed_acknowledgement",
            "不予立案通知书回执",
            "Acknowledgement of the notice of not filing",
            "O310 Art. 8, 9 ¶1; N2017 Art. 11: the window to ask for reconsideration runs from "
            "the receipt",
        ),
        ItemKind(
            "handover_list",
            "涉案物品及案件材料移交清单",
            "List of the items and materials handed over",
            "O310 Art. 12; N2017 Art. 10: 办理交接手续",
        ),
    ]
}


def _known(kind: str) -> str:
    if kind not in CATALOGUE:
        raise ValueError(f"unknown item kind '{kind}' (one of: {', '.join(sorted(CATALOGUE))})")
    return kind


# An item kind from the catalogue, as a field type: refused when unknown, listed in OpenAPI.
KindKey = Annotated[
    str,
    AfterValidator(_known),
    WithJsonSchema({"type": "string", "enum": sorted(CATALOGUE)}),
]


@dataclass
class ChecklistLine:
    key: str
    label_zh: str
    label_en: str
    source: str
    required: bool
    met: bool
    met_by: list[int]  # sequence numbers of the items that meet it


def accepted_kinds(key: str) -> frozenset[str]:
    return frozenset({key, *CATALOGUE[key].also_met_by})


def checklist(
    required: Iterable[str], optional: Iterable[str], items: Iterable[tuple[int, str]]
) -> list[ChecklistLine]:
    """Lines of a checklist against recorded ``(seq, kind)`` items."""
    items = list(items)
    lines = []
    for key, is_required in [*((k, True) for k in required), *((k, False) for k in optional)]:
        kind = CATALOGUE[key]
        accepted = accepted_kinds(key)
        met_by = [seq for seq, item_kind in items if item_kind in accepted]
        lines.append(
            ChecklistLine(
                key, kind.label_zh, kind.label_en, kind.source, is_required, bool(met_by), met_by
            )
        )
    return lines


def missing(lines: Iterable[ChecklistLine]) -> list[str]:
    return [line.key for line in lines if line.required and not line.met]
