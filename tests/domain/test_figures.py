"""One case's part in each agency's figures (``cases.figures.parts``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases.calendar import Unit
from cases.figures import AgencyFigures, Part, Step, parts
from cases.model import ClockState
from cases.vocabulary import Party, Role

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def clock(
    ordinal: int, agency: str, due_hours: int, closed_hours: int | None, by: str = "accept"
) -> ClockState:
    return ClockState(
        ordinal=ordinal,
        key=f"c{ordinal}",
        name=f"c{ordinal}",
        title_zh="时限",
        title_en="clock",
        owner_party=Party.RECEIVING,
        owner_agency=agency,
        owner_role=Role.OFFICER,
        started_at=T0,
        length=due_hours,
        unit=Unit.HOURS,
        due_at=T0 + timedelta(hours=due_hours),
        source="test",
        statutory=True,
        closed_at=None if closed_hours is None else T0 + timedelta(hours=closed_hours),
        closed_by=None if closed_hours is None else by,
    )


def step(action: str, agency: str | None, hours: float, stage_from: str = "acceptance") -> Step:
    return Step(action, agency, stage_from, T0 + timedelta(hours=hours))


def test_clocks_count_for_their_owner_kept_or_missed_but_not_when_the_archive_closed_them() -> None:
    found = parts(
        [
            clock(1, "PSB", 24, 10),  # kept
            clock(2, "PSB", 24, 30),  # missed
            clock(3, "PSB", 24, None),  # still running: counted when read, not here
            clock(4, "EPB", 24, 40, by="archived"),  # stopped with the case
        ],
        [],
    )
    assert found == {"PSB": Part(closed=2, on_time=1)}


def test_decisions_feedback_and_the_wait_from_delivery_to_acceptance() -> None:
    found = parts(
        [],
        [
            step("referral_delivered", None, 1),
            step("accept", "PSB", 7),  # 6 hours after the delivery
            step("file_case", "PSB", 30, "filing_decision"),
            step("feed_back", "PSB", 90, "investigation"),
        ],
    )
    assert found == {
        "PSB": Part(decided=1, filed=1, fed_back=1, accepted=1, accept_hours=6.0),
    }


def test_a_referral_sent_again_is_waited_for_again_and_a_return_at_filing_is_a_decision() -> None:
    found = parts(
        [],
        [
            step("referral_delivered", None, 0),
            step("accept", "PSB", 2),
            step("reverse_refer", "PSB", 5, "filing_decision"),  # P2014 Art. 8: not a crime
            step("referral_delivered", None, 50),
            step("accept", "PSB", 53),
            step("decline_filing", "PSB", 60, "filing_decision"),
            step("reverse_refer", "PSB", 70, "investigation"),  # later on: not a filing decision
        ],
    )
    assert found == {"PSB": Part(decided=2, accepted=2, accept_hours=3.0)}


def test_an_acceptance_without_a_delivery_before_it_has_no_wait() -> None:
    assert parts([], [step("accept", "PSB", 3)]) == {}


def test_parts_add_and_subtract_field_by_field() -> None:
    a = Part(closed=2, on_time=1, decided=1, accept_hours=4.0)
    b = Part(closed=1, filed=1)
    assert a + b == Part(closed=3, on_time=1, decided=1, filed=1)
    assert (a + -a).empty
    assert not a.empty


def test_an_open_overdue_clock_counts_against_the_on_time_rate() -> None:
    # One clock kept and one still open past its due instant: 50%, not the 100% of the closed ones.
    figures = AgencyFigures(agency="PSB", closed=1, on_time=1, overdue=1)
    assert figures.on_time_rate == 0.5
    assert AgencyFigures(agency="PSB", overdue=2).on_time_rate == 0.0
    assert AgencyFigures(agency="PSB").on_time_rate is None
