"""Who may see what. Whether a step is allowed is not decided here: the case decides it."""

from __future__ import annotations

from cases.agencies import AgencyRegistry
from cases.vocabulary import Role
from store.principals import Principal
from store.queries import Scope


def scope_for(principal: Principal, registry: AgencyRegistry) -> Scope:
    """Procurators read all; coordinators and leaders see their region; others their agency's part."""
    role = Role(principal.role)
    if role is Role.PROCURATOR:
        return Scope(everything=True)
    if role in (Role.COORDINATOR, Role.LEADER):
        agency = registry.find(principal.agency)
        return Scope(region=agency.region if agency else "-")
    return Scope(agency=principal.agency)
