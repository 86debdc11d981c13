"""The papers a case sends, as data: the referral letter with its materials list, the acknowledgement
of a notice of not filing, the handover list and a joint meeting's minutes.

A paper is evidence of what was sent, so it is built from the case alone, the same on every replay:
the workflow builds it, an activity renders it (``activities.papers``) and the rendered file's
SHA-256 is its fingerprint on the case. ``model`` is the paper itself (blocks, citations, its plain
text), ``referral`` the papers of a referral, ``meetings`` a joint meeting's minutes.
"""

from __future__ import annotations

from cases.papers.meetings import AgendaLine, AgreedMatter, MeetingRecord, meeting_minutes
from cases.papers.model import (
    Block,
    Heading,
    KeyValues,
    Paper,
    PaperKind,
    Paragraph,
    Seal,
    Table,
    cited,
    numeral,
    paper_text,
    zh_date,
)
from cases.papers.referral import (
    handover_list,
    materials_table,
    not_filed_acknowledgement,
    referral_letter,
)

__all__ = [
    "AgendaLine",
    "AgreedMatter",
    "Block",
    "Heading",
    "KeyValues",
    "MeetingRecord",
    "Paper",
    "PaperKind",
    "Paragraph",
    "Seal",
    "Table",
    "cited",
    "handover_list",
    "materials_table",
    "meeting_minutes",
    "not_filed_acknowledgement",
    "numeral",
    "paper_text",
    "referral_letter",
    "zh_date",
]
