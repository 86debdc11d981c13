"""The papers as PDF (issue 15): rendered to images by poppler, so that a page that came out blank
or in empty boxes fails here, not at the police station.

poppler-utils and a CJK font are installed by .ci/run: a missing tool fails these tests, with the
package to install; it never skips them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from activities.papers import FontNotFound, font_path, render_html, render_pdf
from cases.calendar import end_of_day
from cases.model import CaseState
from cases.papers import (
    AgendaLine,
    AgreedMatter,
    MeetingRecord,
    Paper,
    handover_list,
    meeting_minutes,
    not_filed_acknowledgement,
    referral_letter,
)
from cases.profiles import get_profile
from cases.vocabulary import Stage
from settings import Settings
from tests.domain.cases_at import NOW, case_at, registry, with_items
from tests.domain.test_papers import fingerprint, fingerprinted


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed: install Debian's poppler-utils (apt-get install poppler-utils)"
        )
    return found


@pytest.fixture(scope="module")
def font() -> Path:
    try:
        return font_path(Settings())
    except FontNotFound as missing:
        pytest.fail(str(missing))


def letter(state: CaseState) -> Paper:
    return referral_letter(state, registry(), get_profile("env-police"), NOW, officers=["王执法"])


def acknowledgement(state: CaseState) -> Paper:
    return not_filed_acknowledgement(state, registry(), get_profile("env-police"), NOW)


def handover(state: CaseState) -> Paper:
    return handover_list(state, registry(), get_profile("env-police"), NOW, ["水样3份"])


def minutes(state: CaseState) -> Paper:
    meeting = MeetingRecord(
        meeting_id="JLO-DEMO·联席〔2026〕4号",
        title="执法联动联席会议纪要",
        held_at=NOW,
        convener="JLO-DEMO",
        attendees=["EPB-DEMO", "PSB-DEMO", "PROC-DEMO"],
        agenda=[AgendaLine(state.case_id, "立案审查逾期")],
        decisions=[AgreedMatter("3日内移交涉案物品", "EPB-DEMO", end_of_day(date(2026, 11, 26)))],
    )
    return meeting_minutes(meeting, registry(), NOW)


# Each paper: the stage its case stands in, and what its text must give back besides its title: a
# fingerprint (in the core Courier font), the acknowledgement's deadline, the minutes' case.
PAPERS: dict[str, tuple[Stage, Callable[[CaseState], Paper], str]] = {
    "referral_letter": (Stage.REFERRAL_APPROVAL, letter, fingerprint("investigation_report")),
    "not_filed_acknowledgement": (Stage.NOT_FILED, acknowledgement, "2026-11-26 24:00前"),
    "handover_list": (Stage.HANDOVER, handover, fingerprint("investigation_report")),
    "meeting_minutes": (Stage.HANDOVER, minutes, "EPB-DEMO.INTAKE-1"),
}


def pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary PGM (P5) with 8-bit samples, as pdftoppm -gray writes."""
    data = path.read_bytes()
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:
        while data[at : at + 1].isspace():
            at += 1
        if data[at : at + 1] == b"#":
            at = data.index(b"\n", at)
            continue
        end = at
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[at:end])
        at = end
    magic, width, height, maxval = fields
    assert (magic, maxval) == (b"P5", b"255")
    return int(width), int(height), data[at + 1 : at + 1 + int(width) * int(height)]


def pages(pdf: bytes, folder: Path) -> list[float]:
    """Each page's share of dark pixels, at 50 dpi."""
    source = folder / "paper.pdf"
    source.write_bytes(pdf)
    subprocess.run([tool("pdftoppm"), "-r", "50", "-gray", source, folder / "page"], check=True)
    shares = []
    for image in sorted(folder.glob("page-*.pgm")):
        width, height, pixels = pgm(image)
        assert len(pixels) == width * height
        shares.append(sum(1 for p in pixels if p < 128) / (width * height))
    return shares


def text(pdf: bytes, folder: Path, *pages: str) -> str:
    source = folder / "text.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        [tool("pdftotext"), *pages, "-enc", "UTF-8", source, "-"], check=True, capture_output=True
    )
    return done.stdout.decode()


def squeezed(value: str) -> str:
    return "".join(value.split())


@pytest.mark.parametrize("kind", sorted(PAPERS))
def test_each_paper_renders_in_chinese_with_its_fingerprints(
    kind: str, font: Path, tmp_path: Path
) -> None:
    stage, build, expected = PAPERS[kind]
    paper = build(fingerprinted(case_at(stage)))
    pdf = render_pdf(paper, font)
    assert pdf.startswith(b"%PDF-")
    shares = pages(pdf, tmp_path)
    assert shares
    assert all(0.003 < s < 0.25 for s in shares), shares  # text on white: neither blank nor black
    read = squeezed(text(pdf, tmp_path))
    # The glyphs map back to their characters: the CJK font is embedded, not boxes.
    assert squeezed(paper.title) in read
    assert squeezed(paper.issuer) in read
    assert f"依据：{paper.basis[0]}" in read
    assert squeezed(expected) in read


def test_an_item_known_by_its_address_alone_says_so(font: Path, tmp_path: Path) -> None:
    state = fingerprinted(case_at(Stage.REFERRAL_APPROVAL))
    state.evidence[2].sha256, state.evidence[2].reference = None, "https://files.example/a"
    read = squeezed(text(render_pdf(letter(state), font), tmp_path))
    assert "（未登记指纹）" in read


def test_the_same_paper_gives_the_same_bytes(font: Path) -> None:
    """The file's SHA-256 is its fingerprint on the case: a retried render must not change it."""
    paper = letter(fingerprinted(case_at(Stage.REFERRAL_APPROVAL)))
    assert render_pdf(paper, font) == render_pdf(paper, font)
    later = replace(paper, issued_at=NOW.replace(minute=1))
    assert render_pdf(later, font) != render_pdf(paper, font)


def test_a_long_materials_list_flows_onto_the_next_page(font: Path, tmp_path: Path) -> None:
    state = case_at(Stage.REFERRAL_APPROVAL)
    state = with_items(state, *["monitoring_report"] * 45)
    state.evidence[-1].sha256 = fingerprint("the last")
    pdf = render_pdf(letter(state), font)
    shares = pages(pdf, tmp_path)
    assert len(shares) >= 2
    assert all(s > 0.003 for s in shares), shares
    last_page = text(pdf, tmp_path, "-f", str(len(shares)), "-l", str(len(shares)))
    assert fingerprint("the last") in last_page
    assert "SHA-256指纹" in squeezed(last_page)  # the header repeats on each page
    assert f"第{len(shares)}页共{len(shares)}页" in squeezed(last_page)


def test_html_escapes_the_case_text() -> None:
    state = replace(case_at(Stage.REFERRAL_APPROVAL), subject="<script>某&化工</script>")
    page = render_html(letter(state))
    assert "<script>" not in page
    assert "&lt;script&gt;某&amp;化工&lt;/script&gt;" in page
    assert page.startswith("<!doctype html>")
    assert '<html lang="zh-CN">' in page


def test_the_font_is_the_setting_else_debians_else_an_error_naming_the_package(
    tmp_path: Path,
) -> None:
    mine = tmp_path / "mine.ttf"
    mine.write_bytes(b"")
    assert font_path(Settings(pdf_font=mine)) == mine
    with pytest.raises(FontNotFound, match="LINKAGE_PDF_FONT"):
        font_path(Settings(pdf_font=tmp_path / "absent.ttf"))
    assert font_path(Settings(), (tmp_path / "absent.ttc", mine)) == mine
    with pytest.raises(FontNotFound, match="fonts-wqy-microhei"):
        font_path(Settings(), (tmp_path / "absent.ttc",))
