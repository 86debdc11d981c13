"""The region hierarchy of the registry, and a jurisdiction dispute between regions going to their
common superior's government (DOMAIN.md "Clocks and escalation"; D3 §3.2; D8 §一(三)), decided in
the registry the case carries."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from cases.agencies import AGENCIES_FILE, AgencyKind, AgencyRegistry, load_registry
from cases.calendar import Unit, due_instant
from cases.change import AskExpert
from cases.clocks import TickKind, fire
from cases.context import Context, Reason
from cases.decide import check, validate
from cases.errors import ConfigError
from cases.model import Actor, CaseState, DeliveryReceipt, TransferState
from cases.parties import dispute_region, holders, parties_of
from cases.profiles import get_profile
from cases.steps import STEPS
from cases.system import answered, expert_call, refused
from cases.vocabulary import (
    AssistanceKind,
    Branch,
    LinkRelation,
    Party,
    RequestKind,
    Role,
    Stage,
)
from tests.domain.cases_at import NOW, OFFICER, case_at, registry

CITY_GOV = Actor("GOV-CITY", Role.APPROVER, "市政府法制办")
DEMO_GOV = Actor("GOV-DEMO", Role.APPROVER, "县政府")
EAST_GOV = Actor("GOV-EAST", Role.APPROVER, "东邻县政府")


def test_the_two_counties_sit_under_the_city() -> None:
    reg = registry()
    assert reg.region("demo-county").parent == "demo-city"
    assert reg.region("east-county").parent == "demo-city"
    assert reg.region("demo-city").parent is None
    assert reg.lineage("east-county") == ["east-county", "demo-city"]
    assert reg.common_superior("demo-county", "east-county") == "demo-city"
    assert reg.common_superior("east-county", "demo-county") == "demo-city"
    assert reg.common_superior("demo-county", "demo-county") == "demo-county"
    assert reg.common_superior("demo-city", "east-county") == "demo-city"
    assert reg.government_of("demo-city") == "GOV-CITY"
    assert reg.get("GOV-CITY").kind is AgencyKind.CITY_GOVERNMENT
    assert reg.region_named("east-county").zh == "东邻县"


def without_hierarchy(reg: AgencyRegistry) -> AgencyRegistry:
    """The registry as a case carries it from before regions named their parent."""
    snapshot = reg.snapshot()
    return AgencyRegistry([replace(r, parent=None) for r in snapshot.regions], snapshot.agencies)


def test_a_registry_without_parents_joins_no_regions() -> None:
    old = without_hierarchy(registry())
    assert old.common_superior("demo-county", "east-county") is None
    assert old.common_superior("demo-county", "demo-county") == "demo-county"


def test_a_snapshot_from_before_parent_reads_as_none() -> None:
    """A registry snapshot carried by an old case has no ``parent`` key: it reads as None."""
    from pydantic import TypeAdapter

    from cases.agencies import RegistrySnapshot

    data = TypeAdapter(RegistrySnapshot).dump_python(registry().snapshot(), mode="json")
    for region in data["regions"]:
        del region["parent"]
    snapshot = TypeAdapter(RegistrySnapshot).validate_python(data)
    assert all(r.parent is None for r in snapshot.regions)


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


EAST = 'code = "east-county"\nname = "东邻县"\nname_en = "East County"\nparent = "demo-city"'
CITY = 'code = "demo-city"\nname = "示范市"\nname_en = "Demo City"'


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (EAST, EAST.replace('"demo-city"', '"atlantis"'), "parent 'atlantis' is not declared"),
        (CITY, CITY + '\nparent = "east-county"', "go round in a cycle"),
        (CITY, CITY + '\nparent = "demo-city"', "go round in a cycle"),
        (CITY, CITY + "\nparent = 3", "'parent' must be a region code"),
        (CITY, CITY + '\nmayor = "x"', "unknown keys ['mayor']"),
    ],
)
def test_a_broken_hierarchy_names_its_region_and_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    broken = tmp_path / "agencies.toml"
    shutil.copy(AGENCIES_FILE, broken)
    edit(broken, old, new)
    with pytest.raises(ConfigError) as raised:
        load_registry(broken)
    assert "region #" in str(raised.value)
    assert problem in str(raised.value)


# --- A dispute between regions ------------------------------------------------------------------------


def transferred(target: str, *, disputed: bool) -> CaseState:
    state = case_at(Stage.EVIDENCE)
    state.transfer = TransferState(target, NOW - timedelta(hours=3), "排污口位于东邻县")
    if disputed:
        state.transfer.disputed_at = NOW - timedelta(hours=1)
    return state


def context(reg: AgencyRegistry | None = None) -> Context:
    return Context(get_profile("env-police"), reg or registry(), NOW)


def test_a_dispute_between_two_counties_goes_to_the_citys_government() -> None:
    state = transferred("EPB-EAST", disputed=True)
    ctx = context()
    assert dispute_region(state, ctx.registry) == "demo-city"
    assert holders(state, Party.COUNTY_GOVERNMENT, ctx.registry) == ["GOV-CITY"]
    assert Party.COUNTY_GOVERNMENT in parties_of(state, "GOV-CITY", ctx.registry)
    assert Party.COUNTY_GOVERNMENT not in parties_of(state, "GOV-DEMO", ctx.registry)
    decide = STEPS["decide_jurisdiction"]
    assert check(state, decide, CITY_GOV, ctx).allowed
    # Neither side's own county government judges the dispute.
    for side in (DEMO_GOV, EAST_GOV):
        assert check(state, decide, side, ctx).reason is Reason.NOT_YOUR_MOVE
    body = {"agency": "EPB-EAST", "reasons": "排污口在东邻县,由东邻县管辖"}
    decision, payload = validate(state, decide, CITY_GOV, body, ctx)
    assert decision.allowed
    transition = decide.carry_out(state, CITY_GOV, payload, ctx)
    assert state.owner_agency == "EPB-EAST"
    assert state.region == "east-county"
    assert transition.entries[0].actor == CITY_GOV


def test_the_dispute_is_recorded_with_the_government_it_went_to() -> None:
    state = transferred("EPB-EAST", disputed=False)
    ctx = context()
    target = Actor("EPB-EAST", Role.APPROVER, "东邻局长")
    dispute = STEPS["dispute_jurisdiction"]
    decision, payload = validate(state, dispute, target, {"reasons": "源头在示范县"}, ctx)
    assert decision.allowed
    transition = dispute.carry_out(state, target, payload, ctx)
    assert transition.entries[0].details["decided_by"] == "GOV-CITY"
    assert transition.entries[0].details["decided_in"] == "demo-city"
    (clock,) = [c for c in state.open_clocks() if c.name == "jurisdiction_decision"]
    assert clock.owner_agency == "GOV-CITY"
    assert clock.owner_party is Party.COUNTY_GOVERNMENT


def test_a_dispute_within_the_county_stays_with_its_government() -> None:
    state = transferred("NRB-DEMO", disputed=True)
    ctx = context()
    assert holders(state, Party.COUNTY_GOVERNMENT, ctx.registry) == ["GOV-DEMO"]
    decide = STEPS["decide_jurisdiction"]
    assert check(state, decide, DEMO_GOV, ctx).allowed
    assert check(state, decide, CITY_GOV, ctx).reason is Reason.NOT_YOUR_MOVE


def test_a_case_carrying_a_registry_without_the_hierarchy_keeps_its_county_government() -> None:
    """What an old case carries decides it: its disputes between regions stay where they went."""
    state = transferred("EPB-EAST", disputed=True)
    ctx = context(without_hierarchy(registry()))
    assert holders(state, Party.COUNTY_GOVERNMENT, ctx.registry) == ["GOV-DEMO"]
    decide = STEPS["decide_jurisdiction"]
    assert check(state, decide, DEMO_GOV, ctx).allowed
    assert check(state, decide, CITY_GOV, ctx).reason is Reason.NOT_YOUR_MOVE
    target = Actor("EPB-EAST", Role.APPROVER, "东邻局长")
    fresh_state = transferred("EPB-EAST", disputed=False)
    dispute = STEPS["dispute_jurisdiction"]
    _, payload = validate(fresh_state, dispute, target, {"reasons": "x"}, ctx)
    entry = dispute.carry_out(fresh_state, target, payload, ctx).entries[0]
    assert "decided_by" not in entry.details


# --- Assistance from another region (D3 §3.2; D8 §三(二)) ---------------------------------------------

EAST_OFFICER = Actor("EPB-EAST", Role.OFFICER, "东邻执法")
ASK = {"agency": "EPB-EAST", "assistance": "evidence", "subject": "核查危险废物转移联单"}


def asked(state: CaseState, ctx: Context, body: dict[str, str] | None = None) -> str:
    request = STEPS["request_assistance"]
    decision, payload = validate(state, request, OFFICER, body or ASK, ctx)
    assert decision.allowed, decision.message
    transition = request.carry_out(state, OFFICER, payload, ctx)
    assert [type(e).__name__ for e in transition.effects] == ["AskExpert"]
    return transition.result.refs["request_id"]


def test_assistance_is_asked_of_an_agency_of_another_region_only() -> None:
    state = case_at(Stage.EVIDENCE)
    ctx = context()
    request = STEPS["request_assistance"]
    choices = request.choices
    assert choices is not None
    offered = choices(state, ctx)["agency"]
    assert {"EPB-EAST", "MON-EAST", "PSB-EAST"} <= set(offered)
    assert not {"EPB-DEMO", "MON-DEMO", "JLO-EAST", "GOV-CITY", "PROC-EAST"} & set(offered)
    for agency, problem in (
        ("MON-DEMO", "of this case's own region"),
        ("JLO-EAST", "does not assist"),
        ("XYZ-NONE", "not in the registry"),
    ):
        decision, _ = validate(state, request, OFFICER, {**ASK, "agency": agency}, ctx)
        assert decision.reason is Reason.INVALID_PAYLOAD
        assert problem in decision.message, decision.message
    # The police of the case do not ask: the agency that owns it does.
    police = Actor("PSB-DEMO", Role.OFFICER, "x")
    assert check(state, request, police, ctx).reason is Reason.NOT_YOUR_MOVE


def test_a_case_carrying_a_mechanism_without_regional_linkage_asks_no_region() -> None:
    profile = get_profile("env-police")
    old = replace(profile, branches=profile.branches - {Branch.REGIONAL_LINKAGE})
    ctx = Context(old, registry(), NOW)
    state = case_at(Stage.EVIDENCE)
    for action in ("request_assistance", "link_case"):
        assert check(state, STEPS[action], OFFICER, ctx).reason is Reason.NOT_IN_MECHANISM


def test_an_assistance_runs_its_clock_from_the_receipt_and_escalates_to_both_regions() -> None:
    """Its period (not statutory) runs from the assisting system's receipt; overdue, it reaches the
    case's joint office, a day later the assisting region's own, then the case's leadership group."""
    state = case_at(Stage.EVIDENCE)
    ctx = context()
    request_id = asked(state, ctx)
    (request,) = state.open_requests(RequestKind.ASSISTANCE)
    assert (request.agency, request.assistance) == ("EPB-EAST", AssistanceKind.EVIDENCE)
    assert not [c for c in state.open_clocks() if c.name == "assistance"]  # not before the receipt
    call = expert_call(state, request_id)
    assert (call.kind, call.assistance, call.agency) == ("assistance", "evidence", "EPB-EAST")
    received = NOW + timedelta(minutes=5)
    at_receipt = Context(ctx.profile, ctx.registry, received)
    effect = AskExpert(request_id)
    transition = answered(state, effect, DeliveryReceipt("R-1", received), at_receipt)
    assert transition is not None
    assert transition.entries[0].action == "assistance_received"
    (clock,) = [c for c in state.open_clocks() if c.name == "assistance"]
    spec = ctx.profile.clocks["assistance"]
    assert not spec.statutory
    assert "D3 §3.2" in spec.source
    assert "D8 §三(二)" in spec.source
    assert clock.key == f"assistance:{request_id}"
    assert (clock.owner_agency, clock.owner_party) == ("EPB-EAST", Party.ASSISTING)
    assert clock.due_at == due_instant(received, 10, Unit.WORKING_DAYS).at
    ladder = [
        (clock.due_at, ["JLO-DEMO"]),
        (clock.due_at + timedelta(days=1), ["JLO-EAST"]),
        (clock.due_at + timedelta(days=3), ["LG-DEMO"]),
    ]
    for at, to in ladder:
        ticks = fire(state, Context(ctx.profile, ctx.registry, at))
        escalations = [t for t in ticks if t.kind is TickKind.ESCALATION]
        assert [(t.at, t.to) for t in escalations] == [(at, to)]
    assert list(clock.escalated_to) == ["JLO-DEMO", "JLO-EAST", "LG-DEMO"]
    # The assisting agency answers: the clock stops.
    answer = STEPS["answer_assistance"]
    later = Context(ctx.profile, ctx.registry, clock.due_at + timedelta(days=4))
    wrong = Actor("PSB-EAST", Role.OFFICER, "x")
    assert check(state, answer, wrong, later).reason is Reason.NOT_YOUR_MOVE
    body = {"request_id": request_id, "conclusion": "该批危废由东邻县某化工厂转出"}
    decision, payload = validate(state, answer, EAST_OFFICER, body, later)
    assert decision.allowed, decision.message
    answer.carry_out(state, EAST_OFFICER, payload, later)
    assert clock.closed_by == "assistance_answered"
    assert not state.open_requests(RequestKind.ASSISTANCE)


def test_a_refused_request_starts_no_clock_and_the_owner_is_told() -> None:
    state = case_at(Stage.EVIDENCE)
    ctx = context()
    request_id = asked(state, ctx)
    transition = refused(state, AskExpert(request_id), "400 unknown request type", ctx)
    assert transition is not None
    assert not [c for c in state.open_clocks() if c.name == "assistance"]
    assert transition.effects[0].to == ["EPB-DEMO"]  # type: ignore[union-attr]


# --- Links to cases of other regions (D3 §3.2: 一查到底) -----------------------------------------------

COORDINATOR = Actor("JLO-DEMO", Role.COORDINATOR, "周协调")
EAST_CASE = "EPB-EAST.2026-1120-0007"


def test_a_case_is_linked_to_a_case_of_another_region_by_its_owner_or_coordinator() -> None:
    state = case_at(Stage.FILING_DECISION)
    ctx = context()
    link = STEPS["link_case"]
    for who in (OFFICER, COORDINATOR):
        assert check(state, link, who, ctx).allowed, who
    for who in (Actor("PSB-DEMO", Role.OFFICER, "x"), Actor("JLO-EAST", Role.COORDINATOR, "x")):
        assert check(state, link, who, ctx).reason is Reason.NOT_YOUR_MOVE, who
    body = {"case_id": EAST_CASE, "relation": "source", "note": "危废来自东邻县"}
    decision, payload = validate(state, link, COORDINATOR, body, ctx)
    assert decision.allowed, decision.message
    transition = link.carry_out(state, COORDINATOR, payload, ctx)
    (kept,) = state.links
    assert (kept.case_id, kept.region, kept.relation, kept.note) == (
        EAST_CASE,
        "east-county",
        LinkRelation.SOURCE,
        "危废来自东邻县",
    )
    assert kept.linked_by == COORDINATOR
    (told,) = transition.effects
    assert told.to == ["JLO-EAST"]  # type: ignore[union-attr]
    assert "贵区域案件为其源头案件" in told.text  # type: ignore[union-attr]
    assert LinkRelation.SOURCE.seen_from_the_other is LinkRelation.DOWNSTREAM
    again, _ = validate(state, link, OFFICER, body, ctx)
    assert "already linked" in again.message


@pytest.mark.parametrize(
    ("case_id", "problem"),
    [
        ("EPB-DEMO.OTHER-1", "of this case's own region"),
        ("NOBODY.X-1", "not the id of a case of an agency in the registry"),
        ("not a case id", "String should match pattern"),
    ],
)
def test_a_link_names_a_case_of_another_region(case_id: str, problem: str) -> None:
    state = case_at(Stage.EVIDENCE)
    decision, _ = validate(
        state, STEPS["link_case"], OFFICER, {"case_id": case_id, "relation": "related"}, context()
    )
    assert decision.reason is Reason.INVALID_PAYLOAD
    assert problem in decision.message, decision.message


def test_a_case_links_to_itself_never() -> None:
    state = case_at(Stage.EVIDENCE)
    ctx = context(without_hierarchy(registry()))
    body = {"case_id": state.case_id, "relation": "related"}
    decision, _ = validate(state, STEPS["link_case"], OFFICER, body, ctx)
    assert "not linked to itself" in decision.message
