"""The agency registry: who takes part in linkage, of what kind, in which region.

Agencies are data (``data/agencies.toml``) because every deployment has its own: a county names its
own bureaus, stations and offices. The registry answers the questions the rules ask: which police
agency serves this region, who is the joint office or leadership group a case escalates to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from cases.errors import ConfigError, read_toml
from cases.ids import AGENCY_CODE_RE, REGION_CODE_RE
from cases.phrases import Both

AGENCIES_FILE = Path(__file__).parent / "data" / "agencies.toml"


class AgencyKind(StrEnum):
    ENVIRONMENTAL_PROTECTION = "environmental_protection"  # 生态环境(环保)部门
    POLICE = "police"  # 公安机关 (bureau or local station 派出所)
    PROCURATORATE = "procuratorate"  # 检察院
    COURT = "court"  # 法院
    URBAN_MANAGEMENT = "urban_management"  # 城市管理行政执法
    ANIMAL_HEALTH = "animal_health"  # 动物卫生监督
    TOWNSHIP = "township"  # 乡镇综合行政执法
    COUNTY_DEPARTMENT = "county_department"  # 县直有关执法部门
    MONITORING_STATION = "monitoring_station"  # 环境监测站
    APPRAISAL_INSTITUTION = "appraisal_institution"  # 鉴定评估机构
    JOINT_OFFICE = "joint_office"  # 联动执法办公室
    LEADERSHIP_GROUP = "leadership_group"  # 联动执法工作领导小组
    COUNTY_GOVERNMENT = "county_government"  # 县政府
    # 市政府: the people's government of a region above the counties. It decides a jurisdiction
    # dispute between two of its counties, as their common superior (DOMAIN.md: "between regions to
    # their common superior"; D8 §一(三): 跨界污染 between regions of equal rank that no one of them can
    # settle). A kind of its own, not a county government: the registry says what each body is.
    CITY_GOVERNMENT = "city_government"
    SUPERVISORY_COMMISSION = (
        "supervisory_commission"  # 监察委员会: officials' duty crimes (O310 Art. 19)
    )

    @property
    def enforces(self) -> bool:
        """Administrative enforcement agencies: they discover, fix evidence and refer."""
        return self in _ENFORCING

    @property
    def governs(self) -> bool:
        """A region's people's government (县政府, 市政府): it settles disputes between the bodies
        below it (D6 §一(三))."""
        return self in GOVERNMENTS


_ENFORCING = frozenset(
    {
        AgencyKind.ENVIRONMENTAL_PROTECTION,
        AgencyKind.URBAN_MANAGEMENT,
        AgencyKind.ANIMAL_HEALTH,
        AgencyKind.TOWNSHIP,
        AgencyKind.COUNTY_DEPARTMENT,
    }
)
GOVERNMENTS = frozenset({AgencyKind.COUNTY_GOVERNMENT, AgencyKind.CITY_GOVERNMENT})


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str
    # The region above it (a county's city), whose government is the common superior of the regions
    # below it: a jurisdiction dispute between two of them goes there (D3 §3.2 区域联动; D8 §三(二)).
    # A registry a case carried from before the key names none, and its disputes stay with the
    # case's own county government, as they did.
    parent: str | None = None


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    name_en: str
    kind: AgencyKind
    region: str
    # The department above it that inspects its cases (稽查) and may order a transfer it failed to
    # make (P2014 Art. 17). A registry from before the key carries none.
    superior: str | None = None


class UnknownAgency(KeyError):
    """Raised for a code the registry does not hold."""


@dataclass
class RegistrySnapshot:
    """The registry as data, for a case to carry: a running case keeps the registry it started
    with, and a replay of its history never depends on the files on a worker's disk."""

    regions: list[Region] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)


class AgencyRegistry:
    """All agencies and regions, validated once at start-up."""

    def __init__(self, regions: Iterable[Region], agencies: Iterable[Agency]) -> None:
        self._regions = {r.code: r for r in regions}
        self._agencies = {a.code: a for a in agencies}

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._agencies.values())

    def __contains__(self, code: object) -> bool:
        return code in self._agencies

    def get(self, code: str) -> Agency:
        try:
            return self._agencies[code]
        except KeyError:
            raise UnknownAgency(code) from None

    def find(self, code: str | None) -> Agency | None:
        return self._agencies.get(code) if code else None

    def named(self, code: str | None) -> Both:
        """An agency by its two names, for a sentence to people (its code, if the registry lacks it)."""
        agency = self.find(code)
        if agency is None:
            return Both(code or "—", code or "—")
        return Both(agency.name, agency.name_en)

    def region(self, code: str) -> Region:
        return self._regions[code]

    def region_named(self, code: str | None) -> Both:
        """A region by its two names, for a sentence to people (its code, if the registry lacks it)."""
        region = self._regions.get(code) if code else None
        if region is None:
            return Both(code or "—", code or "—")
        return Both(region.name, region.name_en)

    def lineage(self, region: str) -> list[str]:
        """The region and those above it, nearest first (the loader refuses a cycle)."""
        found: list[str] = []
        at: str | None = region
        while at is not None and at not in found:
            found.append(at)
            above = self._regions.get(at)
            at = above.parent if above is not None else None
        return found

    def common_superior(self, region_a: str, region_b: str) -> str | None:
        """The nearest region that both are in, or are: where a dispute between them is settled
        (DOMAIN.md, Clocks and escalation: "between regions to their common superior"). The region
        itself for one region; None when the registry joins them under none (a registry without
        ``parent`` keys, as a case may carry from before them)."""
        above_b = set(self.lineage(region_b))
        return next((r for r in self.lineage(region_a) if r in above_b), None)

    def government_of(self, region: str) -> str | None:
        """The people's government of ``region``, in file order."""
        return next(
            (a.code for a in self._agencies.values() if a.region == region and a.kind.governs),
            None,
        )

    @property
    def regions(self) -> list[Region]:
        return list(self._regions.values())

    def in_region(self, kind: AgencyKind, region: str) -> list[Agency]:
        return [a for a in self._agencies.values() if a.kind is kind and a.region == region]

    def code_in_region(self, kind: AgencyKind, region: str) -> str | None:
        found = self.first_in_region(kind, region)
        return found.code if found else None

    def first_in_region(self, kind: AgencyKind, region: str) -> Agency | None:
        """The agency of ``kind`` that serves ``region``, in file order (the file lists the default first)."""
        found = self.in_region(kind, region)
        return found[0] if found else None

    def snapshot(self) -> RegistrySnapshot:
        return RegistrySnapshot(list(self._regions.values()), list(self._agencies.values()))


def _text(entry: dict[str, Any], key: str, file: Path, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(file, where, f"'{key}' is missing or empty")
    return value.strip()


def load_registry(path: Path = AGENCIES_FILE) -> AgencyRegistry:
    """Load and validate the registry; a malformed entry stops start-up with its file and position."""
    raw = read_toml(path, "agency registry")

    regions: dict[str, Region] = {}
    for i, entry in enumerate(raw.get("region", []), start=1):
        where = f"region #{i}"
        if not isinstance(entry, dict):
            raise ConfigError(path, where, "must be a [[region]] table")
        code = _text(entry, "code", path, where)
        where = f"region #{i} ({code})"
        if not REGION_CODE_RE.match(code):
            raise ConfigError(path, where, "code must be lower-case letters, digits and '-'")
        if code in regions:
            raise ConfigError(path, where, "duplicate region code")
        extra = set(entry) - {"code", "name", "name_en", "parent"}
        if extra:
            raise ConfigError(path, where, f"unknown keys {sorted(extra)}")
        parent = entry.get("parent")
        if parent is not None and (not isinstance(parent, str) or not parent.strip()):
            raise ConfigError(path, where, "'parent' must be a region code")
        regions[code] = Region(
            code,
            _text(entry, "name", path, where),
            _text(entry, "name_en", path, where),
            parent=parent.strip() if parent is not None else None,
        )
    if not regions:
        raise ConfigError(path, "", "no [[region]] entries")
    _check_hierarchy(regions, path)

    agencies: dict[str, Agency] = {}
    allowed_keys = {"code", "name", "name_en", "kind", "region", "superior"}
    for i, entry in enumerate(raw.get("agency", []), start=1):
        where = f"agency #{i}"
        if not isinstance(entry, dict):
            raise ConfigError(path, where, "must be an [[agency]] table")
        code = _text(entry, "code", path, where)
        where = f"agency #{i} ({code})"
        extra = set(entry) - allowed_keys
        if extra:
            raise ConfigError(path, where, f"unknown keys {sorted(extra)}")
        if not AGENCY_CODE_RE.match(code):
            raise ConfigError(
                path,
                where,
                "code must be 2-40 upper-case letters, digits and '-', starting with a letter",
            )
        if code in agencies:
            raise ConfigError(path, where, "duplicate agency code")
        kind_text = _text(entry, "kind", path, where)
        try:
            kind = AgencyKind(kind_text)
        except ValueError:
            known = ", ".join(k.value for k in AgencyKind)
            raise ConfigError(
                path, where, f"unknown kind '{kind_text}' (one of: {known})"
            ) from None
        region = _text(entry, "region", path, where)
        if region not in regions:
            raise ConfigError(
                path, where, f"region '{region}' is not declared in a [[region]] table"
            )
        agencies[code] = Agency(
            code=code,
            name=_text(entry, "name", path, where),
            name_en=_text(entry, "name_en", path, where),
            kind=kind,
            region=region,
            superior=entry.get("superior"),
        )
    if not agencies:
        raise ConfigError(path, "", "no [[agency]] entries")
    for i, agency in enumerate(agencies.values(), start=1):
        if agency.superior is None:
            continue
        superior = agencies.get(str(agency.superior))
        if superior is None or superior.code == agency.code or superior.kind is not agency.kind:
            raise ConfigError(
                path,
                f"agency #{i} ({agency.code})",
                f"superior {agency.superior!r} must be another listed agency of kind '{agency.kind}'",
            )
    return AgencyRegistry(regions.values(), agencies.values())


def _check_hierarchy(regions: dict[str, Region], path: Path) -> None:
    """Each region's ``parent`` is a declared region, and no region is above itself."""
    for i, region in enumerate(regions.values(), start=1):
        where = f"region #{i} ({region.code})"
        if region.parent is None:
            continue
        if region.parent not in regions:
            raise ConfigError(
                path, where, f"parent '{region.parent}' is not declared in a [[region]] table"
            )
        seen = [region.code]
        at: str | None = region.parent
        while at is not None:
            if at in seen:
                chain = " → ".join([*seen, at])
                raise ConfigError(path, where, f"the regions' parents go round in a cycle: {chain}")
            seen.append(at)
            at = regions[at].parent


@cache
def default_registry() -> AgencyRegistry:
    return load_registry()
