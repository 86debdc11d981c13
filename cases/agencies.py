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
    SUPERVISORY_COMMISSION = (
        "supervisory_commission"  # 监察委员会: officials' duty crimes (O310 Art. 19)
    )

    @property
    def enforces(self) -> bool:
        """Administrative enforcement agencies: they discover, fix evidence and refer."""
        return self in _ENFORCING


_ENFORCING = frozenset(
    {
        AgencyKind.ENVIRONMENTAL_PROTECTION,
        AgencyKind.URBAN_MANAGEMENT,
        AgencyKind.ANIMAL_HEALTH,
        AgencyKind.TOWNSHIP,
        AgencyKind.COUNTY_DEPARTMENT,
    }
)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str


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
        regions[code] = Region(
            code, _text(entry, "name", path, where), _text(entry, "name_en", path, where)
        )
    if not regions:
        raise ConfigError(path, "", "no [[region]] entries")

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


@cache
def default_registry() -> AgencyRegistry:
    return load_registry()
