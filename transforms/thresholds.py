"""Thresholds for cause features and rules, read from transforms/thresholds.toml (defaults + presets)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType

DEFAULT_PATH = Path(__file__).with_name("thresholds.toml")
# The settings a tenant's baseline can raise (signins.analysis.baselines): what counts as fatigue, and as
# recurring, in that tenant.
LEARNED_SETTINGS = ("fatigue_min_attempts", "recurring_min_days")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


@dataclass(frozen=True)
class Thresholds:
    """Every threshold, with no defaults here: thresholds.toml is the one source of them."""

    fatigue_min_attempts: int
    fatigue_window_minutes: int
    success_after_fatigue_minutes: int
    recurring_min_days: int
    recurring_window_days: int
    spray_min_users: int
    password_guesses_min: int
    travel_min_km: float
    travel_min_kmh: float
    privileged_lockout_hours: float
    privileged_accounts: tuple[str, ...]
    baseline_days: int
    baseline_sigmas: float
    baseline_min_sample: int
    baseline_refresh_days: int
    # Read-only mapping; left out of the hash because mappings are not hashable.
    min_authenticator_version: Mapping[str, str] = field(hash=False)
    # Values learned per tenant (tenant id -> {setting: value}), set by the tagging run from the store's
    # baselines, never by the settings file.
    per_tenant: Mapping[str, Mapping[str, int]] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def with_learned(self, learned: Mapping[str, Mapping[str, int]]) -> Thresholds:
        """These thresholds with the values learned per tenant."""
        frozen = {tenant: MappingProxyType(dict(values)) for tenant, values in learned.items()}
        return replace(self, per_tenant=MappingProxyType(frozen))

    def by_tenant(self, setting: str) -> list[dict]:
        """[{k: tenant id, v: value}] of the tenants whose value of `setting` was learned (for SQL)."""
        return [{"k": t, "v": values[setting]} for t, values in sorted(self.per_tenant.items()) if setting in values]


def _as_int(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError("a whole number >= 0")
    return value


def _as_float(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise TypeError("a number >= 0")
    return float(value)


def _as_accounts(value):
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError("a list of user principal names")
    return tuple(sorted({v.strip().lower() for v in value}))  # UPNs compare case-insensitively


def _as_versions(value):
    if not isinstance(value, Mapping) or not all(isinstance(v, str) and _VERSION.match(v) for v in value.values()):
        raise TypeError('a table of platform = "dotted.version"')
    return MappingProxyType({k.lower(): v for k, v in value.items()})


# Field annotation (a string, see `from __future__ import annotations`) -> checker/converter.
_COERCE = {"int": _as_int, "float": _as_float, "tuple[str, ...]": _as_accounts, "Mapping[str, str]": _as_versions}
_KINDS = {f.name: _COERCE[f.type] for f in fields(Thresholds) if f.name != "per_tenant"}


def _merge(values: dict, changes: Mapping, origin: str, problems: list[str]) -> None:
    """Apply changes over values in place, noting unknown keys; version tables merge per platform."""
    for key, value in changes.items():
        if key not in _KINDS:
            problems.append(f"unknown setting {key!r} ({origin})")
        elif key == "min_authenticator_version" and isinstance(value, Mapping):
            values[key] = {**values.get(key, {}), **{str(k).lower(): v for k, v in value.items()}}
        else:
            values[key] = value


def _build(values: dict, problems: list[str]) -> Thresholds | None:
    """A Thresholds from merged raw values, noting missing keys and values of the wrong kind."""
    checked = {}
    for key, coerce in _KINDS.items():
        if key not in values:
            problems.append(f"missing setting {key!r}")
            continue
        try:
            checked[key] = coerce(values[key])
        except TypeError as error:
            problems.append(f"setting {key!r} must be {error}, got {values[key]!r}")
    return None if problems else Thresholds(**checked)


def load_thresholds(preset: str | None = None, overrides: dict | None = None, path=None) -> Thresholds:
    """The defaults of the TOML file, then the named preset, then the overrides."""
    path = Path(path) if path is not None else DEFAULT_PATH
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    presets = document.pop("presets", {})
    problems: list[str] = []
    values: dict = {}
    _merge(values, document, "defaults", problems)
    if preset is not None and preset not in presets:
        problems.append(f"unknown preset {preset!r}; known: {sorted(presets)}")
    elif preset is not None:
        _merge(values, presets[preset], f"preset {preset!r}", problems)
    _merge(values, overrides or {}, "overrides", problems)
    thresholds = _build(values, problems)
    if problems:
        raise ValueError("\n".join(f"{path}: {problem}" for problem in problems))
    return thresholds
