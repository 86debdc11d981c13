"""The papers of what a case sends (issue 15), made by the case as it sends: the referral letter with
its materials list before the package goes, the acknowledgement of a notice of not filing on its
receipt, the handover list at the handover. Each is a PDF kept with the case's evidence files and
attached to the case as an item whose SHA-256 is the file's; one that cannot be made is recorded as
such, and the case goes on.

The first tests run the real activity (``activities.papers.PaperActivities``) against a folder
store, and read the kept file back with pdftotext; the others the fakes' renderer.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.papers import PaperActivities
from cases.calendar import beijing_time, calendar_for, due_instant
from cases.effects import NoticeKind, PackageItem
from cases.model import Actor, CaseState, EvidenceItem
from cases.profiles import get_profile
from cases.system import SYSTEM_PERSON
from cases.vocabulary import DocumentKind, Role, Stage
from settings import Settings
from tests.workflows.driver import (
    EPB_HEAD,
    EPB_OFFICER,
    PSB_OFFICER,
    Case,
    classified,
    delivered,
    paper,
    running_case,
    settled,
    to_acceptance,
    to_filing,
    to_investigation,
    to_not_filed,
    to_sending,
)
from tests.workflows.fakes import FakeAgencies
from workflows.case import CaseWorkflow

# The letter and its list are the paper itself: it lists every other item (cases.papers.referral).
THE_LETTER = {"referral_letter", "materials_list"}


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def pdf_text(pdf: bytes, folder: Path) -> str:
    """What a reader of the PDF reads, whitespace removed (a table cell may wrap)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is not installed: install Debian's poppler-utils")
    source = folder / "read.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        [tool, "-enc", "UTF-8", source, "-"], check=True, capture_output=True, timeout=30
    )
    return "".join(done.stdout.decode().split())


@asynccontextmanager
async def case_with_papers(env: WorkflowEnvironment, folder: Path) -> AsyncIterator[Case]:
    """A case whose papers are made by the real activity, kept under ``folder``'s evidence/."""
    fakes = FakeAgencies()
    papers = PaperActivities(Settings(data_dir=folder))
    with ThreadPoolExecutor(max_workers=2) as executor:

        def worker(queue: str) -> Worker:
            outside = [a for a in fakes.activities if a != fakes.make_paper]
            return Worker(
                env.client,
                task_queue=queue,
                workflows=[CaseWorkflow],
                activities=[*outside, papers.make_paper],
                activity_executor=executor,
            )

        async with running_case(env, fakes=fakes, worker=worker) as case:
            yield case


def item(state: CaseState, seq: int | None) -> EvidenceItem:
    found = next((i for i in state.evidence if i.seq == seq), None)
    assert found is not None, f"no item {seq} on the case"
    return found


def kept(folder: Path, case: Case, attached: EvidenceItem) -> bytes:
    """The file the item names, as the evidence store keeps it, checked against the item."""
    assert attached.sha256 is not None
    assert attached.reference == f"evidence/{case.case_id}/{attached.sha256}"
    content = (folder / attached.reference).read_bytes()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == attached.sha256
    assert attached.size == len(content)
    return content


async def test_the_referral_letter_lists_what_was_sent_and_the_package_names_it(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with case_with_papers(time_skipping, tmp_path) as case:
        await classified(case)
        required = get_profile("env-police").referral_required
        titles = {k: f"材料{n:02d}" for n, k in enumerate(required, start=1)}
        package = [{"kind": k, "title": titles[k], "sha256": fingerprint(k)} for k in required]
        await case.act("record_evidence", EPB_OFFICER, items=package)
        await case.act("request_approval", EPB_OFFICER, officers=["王执法", "张执法"])
        await case.act("approve_referral", EPB_HEAD)
        await case.act("send_referral", EPB_OFFICER)
        await delivered(case)

        state = (await case.view()).state
        made = state.paper("referral-1")
        assert made is not None
        assert made.error is None
        letter = item(state, made.evidence)
        assert (letter.kind, letter.title) == ("referral_letter", "涉嫌犯罪案件移送书")
        assert letter.recorded_by == EPB_OFFICER  # the officer who sent it
        pdf = kept(tmp_path, case, letter)
        # The package went after its letter, and names it: the receiver checks the files by it.
        (delivery,) = case.fakes.deliveries
        named = PackageItem(letter.kind, letter.title, letter.sha256, letter.reference)
        assert delivery.letter == named
        assert named in delivery.items
        sent = [e.action for e in case.fakes.entries()]
        assert sent[-3:] == ["send_referral", "paper_made", "referral_delivered"]
        # The read model has the item with its fingerprint.
        recorded = [i for r in case.fakes.records for i in r.evidence if i.seq == letter.seq]
        assert [i.sha256 for i in recorded] == [letter.sha256]

        # The letter lists every other item it went with, each with its fingerprint (N2017 Art.
        # 6(一)), names the team in charge, and is addressed to the police it went to.
        read = pdf_text(pdf, tmp_path)
        assert "涉嫌犯罪案件移送书" in read
        assert "示范县公安局" in read
        assert "王执法、张执法" in read
        listed = [k for k in required if k not in THE_LETTER]
        for kind in listed:
            assert fingerprint(kind) in read, kind
            assert titles[kind] in read, kind
        assert f"以上材料共{len(listed)}项" in read


async def test_the_acknowledgement_of_not_filing_states_the_receipt_and_the_window(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with case_with_papers(time_skipping, tmp_path) as case:
        await to_not_filed(case)  # waits for the acknowledgement
        state = (await case.view()).state
        notice = state.received(DocumentKind.NOT_FILED_NOTICE)
        assert notice is not None
        assert notice.received_at is not None
        made = state.paper(notice.doc_id)
        assert made is not None
        assert made.error is None
        ack = item(state, made.evidence)
        assert (ack.kind, ack.title) == ("not_filed_acknowledgement", "不予立案通知书回执")
        # Made by the case on the notice's receipt, in the name of the agency that received it.
        assert ack.recorded_by == Actor("EPB-DEMO", Role.OFFICER, SYSTEM_PERSON)
        entry = next(e for e in case.fakes.entries() if e.details.get("key") == notice.doc_id)
        assert entry.action == "paper_made"
        assert entry.details["sha256"] == ack.sha256

        read = pdf_text(kept(tmp_path, case, ack), tmp_path)
        assert "不予立案通知书回执" in read
        assert "证据不足,不构成犯罪" in read  # the police's reasons
        assert "".join(beijing_time(notice.received_at).split()) in read
        # The window to ask for reconsideration, counted from the receipt on the case's calendar.
        window = get_profile("env-police").windows["reconsideration"]
        due = due_instant(
            notice.received_at,
            window.period.length,
            window.period.unit,
            calendar_for(notice.received_at).calendar(),
        )
        assert "".join(f"{beijing_time(due.at)}前".split()) in read


async def test_the_handover_list_names_the_items_handed_over(
    time_skipping: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_case(time_skipping) as case:
        await to_investigation(case)  # hands over 水样3份 and 暗管照片, and waits for the list
        state = (await case.view()).state
        made = state.paper("handover")
        assert made is not None
        assert made.error is None
        handed = item(state, made.evidence)
        assert (handed.kind, handed.recorded_by) == ("handover_list", EPB_OFFICER)
        assert handed.sha256 is not None
        read = pdf_text(case.fakes.files[handed.sha256], tmp_path)
        assert "涉案物品及案件材料移交清单" in read
        assert "水样3份" in read
        assert "暗管照片" in read
        assert state.stage is Stage.INVESTIGATION


async def test_without_a_chinese_font_the_case_says_so_and_the_referral_still_goes(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The law asks for the letter, and the package has the one the agency recorded (its checklist
    requires it before approval); a worker that cannot render one must not hold the 24 hours of
    the delivery (O310 Art. 5), nor retry what no retry mends."""
    fakes = FakeAgencies(no_font=True)
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_acceptance(case)
        state = (await case.view()).state
        assert state.referral.receipt is not None  # delivered
        made = state.paper("referral-1")
        assert made is not None
        assert made.evidence is None
        assert made.error is not None
        assert "fonts-wqy-microhei" in made.error
        assert len(fakes.papers) == 1  # tried once: not retryable
        (delivery,) = fakes.deliveries
        assert delivery.letter is None
        assert "paper_not_made" in [e.action for e in fakes.entries()]
        (told,) = fakes.notices_of(NoticeKind.PAPER_FAILED)
        assert told.to == ["EPB-DEMO"]
        assert "案件移送书" in told.text
        assert "fonts-wqy-microhei" in told.text


async def test_a_resent_referral_goes_with_a_letter_of_its_own(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeAgencies(refuse_deliveries=1)
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_sending(case)
        await case.act("send_referral", EPB_OFFICER)
        await delivered(case)  # refused
        await case.act("resend_referral", EPB_OFFICER)
        second = await paper(case, "referral-2")
        await delivered(case)
        state = (await case.view()).state
        assert state.referral.receipt is not None
        first = state.paper("referral-1")
        assert first is not None
        assert second.evidence is not None
        # The new letter replaces the one of the refused attempt, which stays on the record.
        resent = item(state, second.evidence)
        assert resent.corrects == first.evidence
        current = {i.seq for i in state.current_evidence()}
        assert second.evidence in current
        assert first.evidence not in current
        assert [d.letter.sha256 if d.letter else None for d in fakes.deliveries] == [
            item(state, first.evidence).sha256,
            resent.sha256,
        ]


async def test_a_handover_before_the_filing_notice_arrived_has_no_list_but_goes_on(
    time_skipping: WorkflowEnvironment,
) -> None:
    """The list states the notice's receipt and the days that run from it (O310 Art. 12): with no
    receipt on the case it cannot be made; the handover itself is not held for it."""
    fakes = FakeAgencies(refuse_documents=1)
    async with running_case(time_skipping, fakes=fakes) as case:
        await to_filing(case)
        await case.act("file_case", PSB_OFFICER, reference="立案-001")
        notice = await settled(case, DocumentKind.FILING_NOTICE)
        assert notice.error is not None
        await case.act("hand_over", EPB_OFFICER, items=["水样3份"])
        made = await paper(case, "handover")
        assert made.evidence is None
        assert made.error is not None
        assert "filing_notice" in made.error
        assert [p.kind for p in fakes.papers] == ["referral_letter"]  # no list to render
        assert (await case.view()).state.stage is Stage.INVESTIGATION
