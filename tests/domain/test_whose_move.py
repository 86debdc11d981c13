"""Whose move a case waits for (``cases.clocks.whose_move``): the holder of its next due clock,
the same on the list, the case page, the inbox and the API's summary."""

from __future__ import annotations

from cases.clocks import whose_move
from cases.projection import projection
from cases.vocabulary import Role, Stage
from tests.domain.cases_at import EPB, NOW, PSB, fresh, walked_to


def test_a_case_waiting_for_the_police_is_the_polices_move_though_the_bureau_owns_it() -> None:
    state = walked_to(Stage.FILING_DECISION)
    assert state.owner_agency == EPB
    assert whose_move(state) == (PSB, Role.OFFICER)
    summary = projection(state, NOW)
    assert (summary.move_agency, summary.move_role) == (PSB, Role.OFFICER)


def test_an_approval_waits_for_the_bureaus_head() -> None:
    assert whose_move(walked_to(Stage.REFERRAL_APPROVAL)) == (EPB, Role.APPROVER)


def test_with_no_clock_running_the_owning_agency_carries_the_case() -> None:
    state = walked_to(Stage.EVIDENCE)
    assert not [c for c in state.open_clocks() if c.paused_at is None]
    assert whose_move(state) == (EPB, Role.OFFICER)


def test_the_next_due_clock_decides_among_several() -> None:
    state = walked_to(Stage.FILING_DECISION)
    running = [c for c in state.open_clocks() if c.paused_at is None]
    first = min(running, key=lambda c: c.due_at)
    assert whose_move(state) == (first.owner_agency, first.owner_role)
    first.paused_at = NOW  # a paused clock waits on someone else: the next one decides
    rest = [c for c in running if c is not first]
    expected = (
        (
            min(rest, key=lambda c: c.due_at).owner_agency,
            min(rest, key=lambda c: c.due_at).owner_role,
        )
        if rest
        else (EPB, Role.OFFICER)
    )
    assert whose_move(state) == expected


def test_a_closed_case_waits_for_nobody() -> None:
    state = fresh()
    state.stage = Stage.ARCHIVED
    assert whose_move(state) == (None, None)
    assert projection(state, NOW).move_agency is None
