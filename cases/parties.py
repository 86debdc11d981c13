"""Who plays which part in a case, and which roles a person of an agency may hold.

A part (``Party``) is a relation between an agency and one case: the owner refers, the police receive,
a monitoring station holds an open request, the region's joint office oversees. Steps name the parts
that may take them; these functions say which agencies play a part now.
"""

from __future__ import annotations

from cases.agencies import AgencyKind, AgencyRegistry
from cases.model import CaseState
from cases.vocabulary import Party, RequestKind, Role

# The agencies that play these parts are found by kind in the case's region. The government that
# decides a jurisdiction dispute is the case region's, or the common superior's (``dispute_region``).
REGIONAL: dict[Party, AgencyKind] = {
    Party.JOINT_OFFICE: AgencyKind.JOINT_OFFICE,
    Party.LEADERSHIP_GROUP: AgencyKind.LEADERSHIP_GROUP,
}

# The part an agency of this kind plays when an escalation reaches it.
ESCALATION_PARTY: dict[AgencyKind, Party] = {
    **{kind: party for party, kind in REGIONAL.items()},
    AgencyKind.COUNTY_GOVERNMENT: Party.COUNTY_GOVERNMENT,
    AgencyKind.CITY_GOVERNMENT: Party.COUNTY_GOVERNMENT,
    AgencyKind.PROCURATORATE: Party.PROCURATORATE,
}

# The agency kinds a role may belong to; ``None``: any agency that is not an oversight body.
_ROLE_KINDS: dict[Role, frozenset[AgencyKind] | None] = {
    Role.PROCURATOR: frozenset({AgencyKind.PROCURATORATE}),
    Role.COORDINATOR: frozenset({AgencyKind.JOINT_OFFICE}),
    Role.LEADER: frozenset({AgencyKind.LEADERSHIP_GROUP}),
    Role.INTAKE: None,
    Role.OFFICER: None,
    Role.APPROVER: None,
}
_OVERSIGHT = frozenset(
    {AgencyKind.JOINT_OFFICE, AgencyKind.LEADERSHIP_GROUP, AgencyKind.PROCURATORATE}
)


# The part an agency plays while it holds an open request of each kind.
REQUEST_PARTY = {
    RequestKind.TEST: Party.MONITORING,
    RequestKind.APPRAISAL: Party.APPRAISAL,
    RequestKind.CONSULTATION: Party.CONSULTED,
    RequestKind.ASSISTANCE: Party.ASSISTING,
}
REQUEST_KIND = {party: kind for kind, party in REQUEST_PARTY.items()}


def role_fits(role: Role, kind: AgencyKind) -> bool:
    """May a person of an agency of ``kind`` act in ``role``? (Checked when a key is made.)"""
    kinds = _ROLE_KINDS[role]
    return kind not in _OVERSIGHT if kinds is None else kind in kinds


def parties_of(state: CaseState, agency: str, registry: AgencyRegistry) -> set[Party]:
    """The parts ``agency`` plays in this case (an empty set: it has no part)."""
    parties: set[Party] = set()
    if agency == state.owner_agency:
        parties.add(Party.REFERRING)
    if agency == state.police_agency:
        parties.add(Party.RECEIVING)
    if agency == state.procuratorate:
        parties.add(Party.PROCURATORATE)
    if state.transfer is not None and agency == state.transfer.target:
        parties.add(Party.TRANSFER_TARGET)
    if agency == superior_of(state, registry):
        parties.add(Party.SUPERIOR)
    for request in state.open_requests():
        if request.agency == agency:
            parties.add(REQUEST_PARTY[request.kind])
    known = registry.find(agency)
    if known is not None and known.region == state.region:
        for party, kind in REGIONAL.items():
            if known.kind is kind:
                parties.add(party)
    if known is not None and known.kind.governs and agency in _governments(state, registry):
        parties.add(Party.COUNTY_GOVERNMENT)
    return parties


def holders(
    state: CaseState, party: Party, registry: AgencyRegistry, ref: str | None = None
) -> list[str]:
    """The agencies that play ``party`` in this case; ``ref``: for the request of a clock that runs
    once per request (whose assisting region's joint office an overdue assistance reaches)."""
    if party is Party.REFERRING:
        return [state.owner_agency]
    if party is Party.RECEIVING:
        return [state.police_agency] if state.police_agency else []
    if party is Party.PROCURATORATE:
        return [state.procuratorate] if state.procuratorate else []
    if party is Party.TRANSFER_TARGET:
        return [state.transfer.target] if state.transfer else []
    if party is Party.SUPERIOR:
        superior = superior_of(state, registry)
        return [superior] if superior else []
    if party in REQUEST_KIND:
        kind = REQUEST_KIND[party]
        return list(dict.fromkeys(r.agency for r in state.open_requests(kind)))
    if party is Party.COUNTY_GOVERNMENT:
        return _governments(state, registry)
    if party is Party.ASSISTING_OFFICE:
        return _assisting_offices(state, registry, ref)
    return [a.code for a in registry.in_region(REGIONAL[party], state.region)]


def dispute_region(state: CaseState, registry: AgencyRegistry) -> str:
    """Where a jurisdiction dispute of this case is settled: the county government decides one
    between its departments (D6 §一(三): 协商未果的,提请县政府决定); one between agencies of two
    regions goes to the government of their common superior (DOMAIN.md; D3 §3.2 区域联动: 不管案发
    何处…一查到底; D8 §一(三): regions of equal rank cannot settle 跨界污染 between themselves). A
    registry that joins the regions under none (one a case carries from before ``parent``) keeps
    the dispute in the case's own region, as before."""
    target = registry.find(state.transfer.target) if state.transfer is not None else None
    if target is None or target.region == state.region:
        return state.region
    return registry.common_superior(state.region, target.region) or state.region


def _assisting_offices(state: CaseState, registry: AgencyRegistry, ref: str | None) -> list[str]:
    """The joint offices of the regions whose agencies hold the case's open requests for assistance
    (that of ``ref`` alone, when given): each supervises its own region's agencies (D5 §二), as the
    case's own joint office cannot. None for a region that is the case's own (its office is on the
    ladder already)."""
    regions = []
    for request in state.open_requests(RequestKind.ASSISTANCE):
        agency = registry.find(request.agency)
        if agency is not None and (ref is None or request.request_id == ref):
            regions.append(agency.region)
    return [
        a.code
        for region in dict.fromkeys(regions)
        if region != state.region
        for a in registry.in_region(AgencyKind.JOINT_OFFICE, region)
    ]


def _governments(state: CaseState, registry: AgencyRegistry) -> list[str]:
    """The people's government that decides this case's jurisdiction dispute: of the case's own
    region (its county government), or of the regions' common superior (``dispute_region``)."""
    region = dispute_region(state, registry)
    return [a.code for a in registry if a.region == region and a.kind.governs]


def superior_of(state: CaseState, registry: AgencyRegistry) -> str | None:
    """The owner's superior department, where the registry names one (P2014 Art. 17)."""
    owner = registry.find(state.owner_agency)
    return owner.superior if owner is not None else None


def participants(state: CaseState, registry: AgencyRegistry | None = None) -> list[str]:
    """Every agency that has had a part in the case, now or before, in a stable order: the API shows
    a case to these agencies. The owner's superior department sees its cases, since it inspects them
    (稽查, P2014 Art. 17)."""
    found = [
        state.discovering_agency,
        superior_of(state, registry) if registry is not None else None,
        state.owner_agency,
        state.police_agency,
        state.procuratorate,
        state.transfer.target if state.transfer else None,
        *(r.agency for r in state.requests),
        *state.acted,
    ]
    return sorted({a for a in found if a})
