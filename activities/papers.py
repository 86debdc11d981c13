"""A case's papers (``cases.papers``) rendered as PDF, and as HTML for the routines' reports.

The PDF is what the case keeps as evidence of what was sent, and its SHA-256 is the fingerprint
recorded on the case: so the same paper must give the same bytes on any worker and on any retry.
fpdf2 writes no random identifier (its file id is a digest of the content and the creation date),
and the creation date is the paper's own. Chinese needs a CJK font embedded, as a subset of the
glyphs used, so that the file reads the same on a machine without it; Debian ships several, and
``font_path`` finds one or says which package to install.
"""

from __future__ import annotations

import hashlib
import html
import tempfile
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, WrapMode, XPos, YPos
from temporalio import activity
from temporalio.exceptions import ApplicationError

from cases.effects import MAKE_PAPER, PAPER_NOT_MADE, PaperFile
from cases.papers import Block, Heading, KeyValues, Paper, Paragraph, Seal, Table, zh_date
from settings import Settings
from store.files import EvidenceFiles, evidence_files, reference

# Debian's CJK fonts, the one .ci/run installs first.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
)
FACE = "cjk"
FINGERPRINT_PT = 6.5  # Courier, a core font: 64 hex digits on a line
FINGERPRINT_FONT = FontFace(family="Courier", size_pt=FINGERPRINT_PT)
MARGIN = 18.0  # mm
BODY_PT, LINE = 11.0, 6.5  # points, mm
SEAL_HEIGHT, BASIS_HEIGHT = 35.0, 16.0  # mm: room for a stamp and three lines; two lines of basis


class FontNotFound(RuntimeError):
    """No font that renders Chinese: a paper would come out as empty boxes, so none is made."""


def font_path(settings: Settings, candidates: tuple[Path, ...] = FONT_CANDIDATES) -> Path:
    """The configured font (``LINKAGE_PDF_FONT``), else the first of Debian's CJK fonts present."""
    if settings.pdf_font is not None:
        if not settings.pdf_font.is_file():
            raise FontNotFound(f"LINKAGE_PDF_FONT names no file: {settings.pdf_font}")
        return settings.pdf_font
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FontNotFound(
        "no font that renders Chinese: install Debian's fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei), or set LINKAGE_PDF_FONT to a TrueType or "
        "OpenType CJK font"
    )


@cache
def _face_index(font: Path) -> int:
    """In a collection, the Simplified Chinese face where there is one (Noto CJK lists Japanese
    first), else the first."""
    if font.suffix.lower() not in (".ttc", ".otc"):
        return 0
    faces = TTCollection(str(font), lazy=True).fonts
    for n, face in enumerate(faces):
        if str(face["name"].getDebugName(1) or "").endswith(" SC"):
            return n
    return 0


class _Sheet(FPDF):
    def __init__(self, paper: Paper) -> None:
        super().__init__(format="A4")
        self.paper = paper

    def footer(self) -> None:
        """The paper's number on every page, so that a loose page is known; and the count, so
        that a missing one is."""
        self.set_y(-12)
        self.set_font(FACE, size=8)
        self.cell(0, 5, f"{self.paper.number}　第{self.page_no()}页 共{{nb}}页", align=Align.C)


def render_pdf(paper: Paper, font: Path) -> bytes:
    """The paper as an A4 PDF, the same bytes for the same paper and font file."""
    pdf = _Sheet(paper)
    pdf.set_creation_date(paper.issued_at)
    pdf.set_title(paper.title)
    pdf.set_author(paper.issuer)
    pdf.set_subject(paper.number)
    pdf.set_lang("zh-CN")
    pdf.add_font(FACE, fname=font, collection_font_number=_face_index(font))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.add_page()

    pdf.set_font(FACE, size=18)
    pdf.multi_cell(0, 10, paper.title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FACE, size=10)
    pdf.cell(0, 6, paper.number, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    if paper.recipient:
        _text(pdf, f"{paper.recipient}：", BODY_PT + 1)
    body, seals = _closing(paper.blocks)
    for block in body:
        if isinstance(block, Heading):
            pdf.ln(2)
            _text(pdf, block.text, BODY_PT + 1)
        elif isinstance(block, Paragraph):
            _text(pdf, f"　　{block.text}", BODY_PT)
        elif isinstance(block, KeyValues):
            _key_values(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
        else:
            _seal(pdf, block)
    # The seals and the basis close the paper together: neither is left alone on a page.
    if pdf.will_page_break(SEAL_HEIGHT * len(seals) + (BASIS_HEIGHT if paper.basis else 0)):
        pdf.add_page()
    for seal in seals:
        _seal(pdf, seal)
    if paper.basis:
        pdf.ln(4)
        _text(pdf, f"依据：{'；'.join(paper.basis)}", 9)
    return bytes(pdf.output())


def _closing(blocks: list[Block]) -> tuple[list[Block], list[Seal]]:
    """The blocks, and the seals that end them."""
    body = list(blocks)
    seals: list[Seal] = []
    while body and isinstance(last := body[-1], Seal):
        seals.insert(0, last)
        body.pop()
    return body, seals


def _text(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FACE, size=size)
    pdf.multi_cell(
        0,
        LINE * size / BODY_PT,
        text,
        align=Align.L,  # justified, a line's one space would stretch across it
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _key_values(pdf: FPDF, block: KeyValues) -> None:
    pdf.set_font(FACE, size=BODY_PT - 1)
    with pdf.table(
        col_widths=(1, 3),
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.NONE,
        text_align=Align.L,
        wrapmode=WrapMode.CHAR,
        line_height=LINE - 1,
    ) as table:
        for key, value in block.lines:
            row = table.row()
            row.cell(f"{key}：")
            row.cell(value)
    pdf.ln(2)


def _table(pdf: FPDF, block: Table) -> None:
    """A table that breaks across pages with its header repeated; the fingerprint column is as wide
    as a fingerprint, the others share the rest."""
    pdf.set_font(FACE, size=BODY_PT - 2)
    widths = [float(w) for w in block.widths]
    if block.fingerprints is not None:
        pdf.set_font("Courier", size=FINGERPRINT_PT)
        needed = pdf.get_string_width("0" * 64) + 2 * pdf.c_margin + 1
        pdf.set_font(FACE, size=BODY_PT - 2)
        rest = sum(w for n, w in enumerate(widths) if n != block.fingerprints)
        share = (pdf.epw - needed) / rest
        widths = [needed if n == block.fingerprints else w * share for n, w in enumerate(widths)]
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        headings_style=FontFace(emphasis="", fill_color=(230, 230, 230)),
        text_align=Align.L,
        wrapmode=WrapMode.CHAR,
        line_height=LINE - 1.5,
        repeat_headings=1,
    ) as table:
        table.row(block.header)
        for cells in block.rows:
            row = table.row()
            for n, text in enumerate(cells):
                # Courier has no Chinese: a line saying there is no fingerprint keeps the CJK font.
                mono = n == block.fingerprints and text.isascii()
                row.cell(text, style=FINGERPRINT_FONT if mono else None)
    pdf.ln(2)


def _seal(pdf: FPDF, block: Seal) -> None:
    """Kept on one page, with room above it for the stamp."""
    if pdf.will_page_break(SEAL_HEIGHT):
        pdf.add_page()
    pdf.ln(12)
    pdf.set_font(FACE, size=BODY_PT)
    for line in (
        f"{block.role}：{block.agency}（盖章）",
        "经办人（签名）：＿＿＿＿＿＿",
        zh_date(block.on) if block.on else "　　年　　月　　日",
    ):
        pdf.cell(0, LINE + 1, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


# --- HTML ---------------------------------------------------------------------------------------

_STYLE = """
@page { size: A4; margin: 18mm; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 11pt; }
h1 { text-align: center; font-size: 18pt; margin-bottom: 0; }
.number { text-align: center; margin-top: 4pt; }
h2 { font-size: 13pt; margin: 10pt 0 4pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; }
th, td { border: 1px solid #888; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #e6e6e6; font-weight: normal; }
table.lines td { border: none; }
td.fingerprint { font-family: monospace; font-size: 7pt; white-space: nowrap; }
.seal { text-align: right; margin-top: 24pt; }
.basis { font-size: 9pt; margin-top: 16pt; }
"""


def render_html(paper: Paper) -> str:
    """The same paper as a printable page: every text escaped, for it is the case's own data."""
    e = html.escape
    out = [
        f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(paper.title)}'
        f"</title><style>{_STYLE}</style></head><body><article>",
        f'<h1>{e(paper.title)}</h1><p class="number">{e(paper.number)}</p>',
    ]
    if paper.recipient:
        out.append(f"<p>{e(paper.recipient)}：</p>")
    for block in paper.blocks:
        if isinstance(block, Heading):
            out.append(f"<h2>{e(block.text)}</h2>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>　　{e(block.text)}</p>")
        elif isinstance(block, KeyValues):
            rows = "".join(f"<tr><td>{e(k)}：</td><td>{e(v)}</td></tr>" for k, v in block.lines)
            out.append(f'<table class="lines">{rows}</table>')
        elif isinstance(block, Table):
            head = "".join(f"<th>{e(h)}</th>" for h in block.header)
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td class="fingerprint">{e(c)}</td>'
                    if n == block.fingerprints
                    else f"<td>{e(c)}</td>"
                    for n, c in enumerate(row)
                )
                + "</tr>"
                for row in block.rows
            )
            total = sum(block.widths) or 1
            cols = "".join(f'<col style="width: {100 * w / total:.0f}%">' for w in block.widths)
            out.append(
                f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>"
            )
        else:
            day = zh_date(block.on) if block.on else "　　年　　月　　日"
            out.append(
                f'<p class="seal">{e(block.role)}：{e(block.agency)}（盖章）<br>'
                f"经办人（签名）：＿＿＿＿＿＿<br>{e(day)}</p>"
            )
    if paper.basis:
        out.append(f'<p class="basis">依据：{e("；".join(paper.basis))}</p>')
    out.append("</article></body></html>\n")
    return "\n".join(out)


# --- The activity -------------------------------------------------------------------------------


class PaperActivities:
    """Makes a case's papers as PDF and keeps them with its evidence files (``store.files``), for
    the case to attach as evidence of what it sent (``workflows.case``)."""

    def __init__(
        self, settings: Settings, files: EvidenceFiles | None = None, font: Path | None = None
    ) -> None:
        self._settings = settings
        self._files = files or evidence_files(settings)
        self._font = font

    @activity.defn(name=MAKE_PAPER)
    def make_paper(self, paper: Paper) -> PaperFile:
        """Render, fingerprint, keep. The bytes are the paper's own, so a retry keeps the same file
        under the same fingerprint (and the store keeps it once). No font that writes Chinese is a
        fault of this worker that no retry mends: it fails at once, naming the package to install."""
        if not paper.case_id:
            raise ApplicationError(
                f"paper {paper.number} belongs to no case", type=PAPER_NOT_MADE, non_retryable=True
            )
        try:
            font = self._font or font_path(self._settings)
        except FontNotFound as exc:
            raise ApplicationError(str(exc), type=PAPER_NOT_MADE, non_retryable=True) from None
        content = render_pdf(paper, font)
        sha = hashlib.sha256(content).hexdigest()
        incoming = self._settings.data_dir / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=incoming, suffix=".pdf", delete=False) as out:
            out.write(content)
        written = Path(out.name)
        try:
            self._files.keep(paper.case_id, sha, written)
        finally:
            written.unlink(missing_ok=True)
        return PaperFile(sha, len(content), reference(paper.case_id, sha))
