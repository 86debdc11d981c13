"""Mechanism profiles from their files: loading, ``extends``, and the copy a case carries.

A profile may ``extends`` another and override parts of it (``demo-fast`` is ``env-police`` with clocks
of seconds and minutes). Profiles are loaded and validated at start-up; a malformed profile stops
start-up with a message naming the file, the clock and the problem. A new case carries its profile as
data (``shipped``, made once per process; ``profile_data`` for a copy of one's own) and rebuilds it from that data (``profile_from_data``), so that a running case
keeps the rules it started under whatever the files say later.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cases.context import context_key
from cases.errors import ConfigError, read_toml
from cases.profile import DEFAULT_MECHANISM, MECHANISMS_DIR, NAME_PATTERN, Profile
from cases.profile_reader import MERGED_TABLES, Reader, check_clock_sources


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """A child profile overrides its base key by key; clocks and the named tables merge one level deeper."""
    merged = {k: v for k, v in base.items() if k not in ("extends", "removed_clocks", "base")}
    for key, value in child.items():
        if key == "clocks" and isinstance(value, dict) and isinstance(merged.get("clocks"), dict):
            clocks = dict(merged["clocks"])
            for name, table in value.items():
                if isinstance(table, dict) and isinstance(clocks.get(name), dict):
                    clocks[name] = {**clocks[name], **table}
                else:
                    clocks[name] = table
            merged["clocks"] = clocks
        elif key in MERGED_TABLES and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif key != "removed_clocks":
            merged[key] = value
    removed = child.get("removed_clocks", [])
    if isinstance(removed, list) and isinstance(merged.get("clocks"), dict):
        merged["clocks"] = {k: v for k, v in merged["clocks"].items() if k not in removed}
    return merged


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    raw = read_toml(path, "profile file")
    check_clock_sources(path, raw)
    base_name = raw.get("extends")
    if base_name is None:
        return raw
    if not isinstance(base_name, str) or not NAME_PATTERN.match(base_name):
        raise ConfigError(path, "extends", f"{base_name!r} is not a profile name")
    base_path = path.with_name(f"{base_name}.toml")
    if base_path in seen or base_path == path:
        raise ConfigError(
            path, "extends", f"profiles extend each other in a loop through '{base_name}'"
        )
    if not base_path.exists():
        raise ConfigError(path, "extends", f"no profile '{base_name}' next to this file")
    base = _resolve(base_path, (*seen, path))
    removed = raw.get("removed_clocks", [])
    if not isinstance(removed, list) or not all(isinstance(r, str) for r in removed):
        raise ConfigError(path, "removed_clocks", "must be a list of clock names")
    for name in removed:
        if name not in base.get("clocks", {}):
            raise ConfigError(
                path, f"clock '{name}'", f"cannot be removed: '{base_name}' has no such clock"
            )
    return _merge(base, raw)


def resolved_raw(path: Path) -> dict[str, Any]:
    """A profile with its base merged in, as plain data: what a case carries in its history."""
    raw = _resolve(path)
    raw.pop("extends", None)
    raw.pop("removed_clocks", None)
    return raw


def load_profile(path: Path) -> Profile:
    raw = _resolve(path)
    base_name = read_toml(path, "profile file").get("extends")
    if isinstance(base_name, str):
        # A problem in the base is reported against the base's file, not against each child.
        load_profile(path.with_name(f"{base_name}.toml"))
    demo = raw.get("demo", False)
    if not isinstance(demo, bool):
        raise ConfigError(path, "demo", "must be true or false")
    return Reader(path, raw, demo).profile()


def load_profiles(directory: Path = MECHANISMS_DIR) -> dict[str, Profile]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ConfigError(directory, "", "no mechanism profiles (*.toml) found")
    # A base profile (``base = true``) is checked like the others but offered to no case.
    profiles = {
        p.name: p
        for p, f in ((load_profile(f), f) for f in files)
        if read_toml(f, "profile file").get("base") is not True
    }
    if DEFAULT_MECHANISM not in profiles:
        raise ConfigError(directory, "", f"the default mechanism '{DEFAULT_MECHANISM}' is missing")
    return profiles


@cache
def default_profiles() -> dict[str, Profile]:
    return load_profiles()


def profile_data(name: str) -> dict[str, Any]:
    """The named shipped profile as plain data, for a new case to carry (see ``profile_from_data``)."""
    return copy.deepcopy(shipped(name).data)


@functools.cache
def _shipped_data(name: str) -> dict[str, Any]:
    """Read once: the shipped files are what ``get_profile`` validated, and do not change while the
    process runs."""
    return resolved_raw(MECHANISMS_DIR / f"{name}.toml")


@dataclass(frozen=True)
class Shipped:
    """A shipped profile as a new case starts with it: its data (shared: never changed, only sent
    with a case), the profile rebuilt from that data as the case will, and the data's key."""

    data: dict[str, Any]
    profile: Profile
    key: str


@functools.cache
def shipped(name: str) -> Shipped:
    """Made once per process: a new case's profile, without copying or rebuilding it per case."""
    get_profile(name)  # validated, or UnknownMechanism
    data = _shipped_data(name)
    return Shipped(data, profile_from_data(data), context_key(data))


_FROM_DATA: dict[str, Profile] = {}


def profile_from_data(data: dict[str, Any]) -> Profile:
    """Rebuild a profile from the data a case carries, so that a running case keeps the rules it
    started under even when the files change (and replays of its history stay deterministic)."""
    key = json.dumps(data, sort_keys=True, ensure_ascii=False)
    found = _FROM_DATA.get(key)
    if found is None:
        name = str(data.get("name", "profile"))
        demo = data.get("demo", False)
        found = Reader(Path(f"{name}.toml"), dict(data), demo is True, carried=True).profile()
        _FROM_DATA[key] = found
    return found


class UnknownMechanism(KeyError):
    pass


def get_profile(name: str) -> Profile:
    try:
        return default_profiles()[name]
    except KeyError:
        raise UnknownMechanism(name) from None
