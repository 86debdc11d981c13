"""A paper as data: a handful of blocks (headings, paragraphs, key/value lines, tables, seal
lines), because an agency's paper is exactly that, and a renderer that knows only these cannot
drift from what the law asks a paper to say. Papers cite their law in Chinese, as the agencies
write it; the profiles keep the product's short codes, from which the citations are made."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from cases.phrases import word
from cases.profile import Period
from cases.vocabulary import UNIT_LABELS


class PaperKind(StrEnum):
    REFERRAL_LETTER = "referral_letter"  # 涉嫌犯罪案件移送书 with its materials list
    NOT_FILED_ACKNOWLEDGEMENT = "not_filed_acknowledgement"  # 不予立案通知书回执
    HANDOVER_LIST = "handover_list"  # 移交清单
    MEETING_MINUTES = "meeting_minutes"  # 联席会议纪要
    BULLETIN = "bulletin"  # 周报告、月通报、执法行动月查处结果 (cases.routine_papers)


@dataclass
class Heading:
    text: str
    block: Literal["heading"] = "heading"


@dataclass
class Paragraph:
    text: str
    block: Literal["paragraph"] = "paragraph"


@dataclass
class KeyValues:
    """Lines of a form: what the law asks a paper to state, each under its name."""

    lines: list[tuple[str, str]]
    block: Literal["key_values"] = "key_values"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[int]  # relative widths of the columns
    # The column that holds SHA-256 fingerprints: a renderer keeps each on one line, to be compared
    # character by character with the file's own.
    fingerprints: int | None = None
    block: Literal["table"] = "table"


@dataclass
class Seal:
    """Where an agency seals and its officer signs; no date is a blank for the receiver to fill."""

    role: str  # 移送机关, 接收机关…
    agency: str
    on: date | None = None
    block: Literal["seal"] = "seal"


# The discriminator lets a paper cross the workflow boundary: Heading and Paragraph have one shape.
Block = Annotated[Heading | Paragraph | KeyValues | Table | Seal, Field(discriminator="block")]


@dataclass
class Paper:
    kind: PaperKind
    title: str
    number: str  # the paper's own reference (文号)
    issuer: str  # agency names, as the registry has them
    recipient: str  # empty: a paper to no one agency (minutes)
    issued_at: datetime
    blocks: list[Block] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)  # the articles it rests on, cited in Chinese
    case_id: str = ""


# --- Citations ----------------------------------------------------------------------------------

LAWS_ZH = {
    "O310": "《行政执法机关移送涉嫌犯罪案件的规定》",
    "N2017": "《环境保护行政执法与刑事司法衔接工作办法》",
    "P2014": "《行政主管部门移送适用行政拘留环境违法案件暂行办法》",
}
_ARTICLE = re.compile(r"\b(O310|N2017|P2014) Art\. (\d+)(?: ¶(\d+))?")
_DIGITS = "零一二三四五六七八九"


def numeral(n: int) -> str:
    """1–99 as Chinese numerals (第二十三条); larger numbers stay in digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if not tens:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def cited(*sources: str) -> list[str]:
    """The national articles ``sources`` name ("N2017 Art. 11", "O310 Art. 9 ¶1"), in order and
    once each, as 《…》第十一条; the local documents have no title here and are left out."""
    seen: list[str] = []
    for source in sources:
        for law, article, paragraph in _ARTICLE.findall(source):
            text = f"{LAWS_ZH[law]}第{numeral(int(article))}条"
            if paragraph:
                text += f"第{numeral(int(paragraph))}款"
            if text not in seen:
                seen.append(text)
    return seen


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(period: Period) -> str:
    return f"{period.length}{word(UNIT_LABELS, period.unit).zh}"


# --- The canonical text -------------------------------------------------------------------------


def paper_text(paper: Paper) -> str:
    """A paper as plain text in reading order, what a reader of its PDF reads: for a search index, a
    test or a copy to paste. The PDF's bytes, not this text, are its fingerprint."""
    out = [paper.title, paper.number]
    if paper.recipient:
        out.append(f"{paper.recipient}：")
    for block in paper.blocks:
        if isinstance(block, Heading | Paragraph):
            out.append(block.text)
        elif isinstance(block, KeyValues):
            out.extend(f"{key}：{value}" for key, value in block.lines)
        elif isinstance(block, Table):
            out.extend(" | ".join(row) for row in [block.header, *block.rows])
        else:
            out.append(f"{block.role}：{block.agency}（盖章）")
            out.append(zh_date(block.on) if block.on else "年　月　日")
    if paper.basis:
        out.append(f"依据：{'；'.join(paper.basis)}")
    return "\n".join(out) + "\n"
