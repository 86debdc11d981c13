"""Who may see what. Whether an action is allowed is not decided here: ``cases.allowed`` decides it."""

from __future__ import annotations

from cases.agencies import AgencyKind, AgencyRegistry
from cases.model import Role
from store.principals import Principal
from store.queries import Scope

# The agency kinds a role may belong to (checked when a key is made).
ROLE_KINDS: dict[Role, frozenset[AgencyKind] | None] = {
    Role.PROCURATOR: frozenset({AgencyKind.PROCURATORATE}),
    Role.COORDINATOR: frozenset({AgencyKind.JOINT_OFFICE}),
    Role.LEADER: frozenset({AgencyKind.LEADERSHIP_GROUP}),
    Role.INTAKE: None,
    Role.OFFICER: None,
    Role.APPROVER: None,
}
OPENERS = frozenset({Role.INTAKE, Role.OFFICER})


def scope_for(principal: Principal, registry: AgencyRegistry) -> Scope:
    """Procurators read all; coordinators and leaders see their region; others their agency's part."""
    role = Role(principal.role)
    if role is Role.PROCURATOR:
        return Scope(everything=True)
    if role in (Role.COORDINATOR, Role.LEADER):
        agency = registry.find(principal.agency)
        return Scope(region=agency.region if agency else "-")
    return Scope(agency=principal.agency)


def role_fits(role: Role, kind: AgencyKind) -> bool:
    kinds = ROLE_KINDS[role]
    if kinds is None:
        return kind not in (
            AgencyKind.JOINT_OFFICE,
            AgencyKind.LEADERSHIP_GROUP,
            AgencyKind.PROCURATORATE,
        )
    return kind in kinds
