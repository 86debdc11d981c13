"""The activity that makes a case's papers (``activities.papers.PaperActivities``): rendered,
fingerprinted, kept with the case's evidence files; the same file on a retry; a worker without a
font that writes Chinese fails at once, naming the package, and is not retried."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

import activities.papers as papers
from activities.papers import PaperActivities
from cases.effects import PAPER_NOT_MADE
from cases.papers import Paper, referral_letter
from cases.profiles import get_profile
from cases.vocabulary import Stage
from settings import Settings
from tests.domain.cases_at import NOW, case_at, registry
from tests.domain.test_papers import fingerprinted


@pytest.fixture
def letter() -> Paper:
    state = fingerprinted(case_at(Stage.REFERRAL_APPROVAL))
    return referral_letter(state, registry(), get_profile("env-police"), NOW, officers=["王执法"])


def test_a_paper_is_kept_under_its_fingerprint_once_however_often_it_is_made(
    letter: Paper, tmp_path: Path
) -> None:
    make = PaperActivities(Settings(data_dir=tmp_path)).make_paper
    made = ActivityEnvironment().run(make, letter)
    again = ActivityEnvironment().run(make, letter)  # a retry, after a lost answer
    assert again == made
    assert made.reference == f"evidence/{letter.case_id}/{made.sha256}"
    content = (tmp_path / made.reference).read_bytes()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == made.sha256
    assert made.size == len(content)
    assert [p.name for p in (tmp_path / "evidence" / letter.case_id).iterdir()] == [made.sha256]
    assert list((tmp_path / "incoming").iterdir()) == []  # nothing left half-way


def test_without_a_chinese_font_it_fails_at_once_naming_the_package(
    letter: Paper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    debians = papers.font_path
    # A machine with none of Debian's CJK fonts installed.
    monkeypatch.setattr(papers, "font_path", lambda s: debians(s, (tmp_path / "absent.ttc",)))
    make = PaperActivities(Settings(data_dir=tmp_path)).make_paper
    with pytest.raises(ApplicationError) as failed:
        ActivityEnvironment().run(make, letter)
    assert failed.value.type == PAPER_NOT_MADE
    assert failed.value.non_retryable
    assert "apt-get install fonts-wqy-microhei" in failed.value.message
    assert not (tmp_path / "evidence").exists()


def test_a_configured_font_that_is_missing_is_not_retried_either(
    letter: Paper, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, pdf_font=tmp_path / "gone.ttf")
    with pytest.raises(ApplicationError) as failed:
        ActivityEnvironment().run(PaperActivities(settings).make_paper, letter)
    assert failed.value.non_retryable
    assert "LINKAGE_PDF_FONT" in failed.value.message
