"""The tenants file (`--tenants FILE` or SIGNINS_TENANTS_FILE): the tenants an MSSP pulls, one [[tenant]] each.

Each tenant has a name (what the command prints), a tenant id (its watermark and the store's
`tenant_id`), its own credentials and optional overrides of the event types, the Graph base URL and
the authority host (national clouds). Secrets appear only as references (`env:NAME`,
`prefect-secret:NAME`); every other setting comes from SIGNINS_*. docs/tenants.example.toml shows one.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from signins.graph import secrets
from signins.graph.errors import GraphSettingsError
from signins.graph.settings import GraphSettings, parse_authority, parse_base_url, parse_event_types

TEXT_FIELDS = ("name", "tenant_id", "client_id", "certificate_path", "base_url", "authority_host")
SECRET_FIELDS = ("token", "client_secret")
REQUIRED = ("name", "tenant_id")


class TenantsFileError(GraphSettingsError):
    """The tenants file is missing or invalid (every problem, with its place, in one line)."""


@dataclass(frozen=True)
class Tenant:
    name: str
    tenant_id: str
    client_id: str | None = None
    certificate_path: str | None = None
    token: str | None = None  # references, e.g. env:CONTOSO_GRAPH_TOKEN ...
    client_secret: str | None = None  # ... or prefect-secret:contoso-client-secret
    base_url: str | None = None
    authority_host: str | None = None
    event_types: tuple[str, ...] | None = None

    def settings(self, base: GraphSettings) -> GraphSettings:
        """`base` with this tenant's id, overrides and credentials (secrets resolved now); never another's."""
        try:
            return dataclasses.replace(
                base,
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                certificate_path=self.certificate_path,
                token=secrets.resolve(self.token) if self.token else None,
                client_secret=secrets.resolve(self.client_secret) if self.client_secret else None,
                base_url=self.base_url or base.base_url,
                authority_host=self.authority_host or base.authority_host,
                event_types=self.event_types or base.event_types,
            )
        except GraphSettingsError as exc:
            raise GraphSettingsError(f"tenant {self.name}: {exc}") from None


def _error(check, *args) -> str | None:
    try:
        check(*args)
    except GraphSettingsError as exc:
        return str(exc)
    return None


def _problems(table: dict) -> list[str]:
    """Everything wrong with one [[tenant]] table."""
    unknown = sorted(set(table) - set(TEXT_FIELDS) - set(SECRET_FIELDS) - {"event_types"})
    found = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
    found += [f"{key} is required" for key in REQUIRED if not table.get(key)]
    found += [f"{key} must be text" for key in TEXT_FIELDS if key in table and not isinstance(table[key], str)]
    found += [
        f"{key} {why}"
        for key in SECRET_FIELDS
        if key in table
        for why in [secrets.reference_problem(table[key])]
        if why
    ]
    if isinstance(table.get("base_url"), str):
        found += filter(None, [_error(parse_base_url, table["base_url"], "base_url")])
    if "event_types" in table and not isinstance(table["event_types"], list):
        found.append("event_types must be a list")
    elif "event_types" in table:
        found += filter(None, [_error(parse_event_types, table["event_types"], "event_types")])
    return found


def _tenant(table: dict) -> Tenant:
    """A [[tenant]] table without problems as a Tenant."""
    values = {k: table[k] for k in (*TEXT_FIELDS, *SECRET_FIELDS) if k in table}
    if "base_url" in values:
        values["base_url"] = parse_base_url(values["base_url"], "base_url")
    if "authority_host" in values:
        values["authority_host"] = parse_authority(values["authority_host"])
    if "event_types" in table:
        values["event_types"] = parse_event_types(table["event_types"], "event_types")
    return Tenant(**values)


def _duplicates(tenants: list[Tenant], key: str) -> list[str]:
    seen: set[str] = set()
    repeated = [v for v in (getattr(t, key) for t in tenants) if v in seen or seen.add(v)]
    return [f"{key} {v!r} appears more than once" for v in dict.fromkeys(repeated)]


def load_tenants(path: Path) -> list[Tenant]:
    """Every tenant of the file; raises TenantsFileError listing every problem at once."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TenantsFileError(f"{path}: cannot read the tenants file ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TenantsFileError(f"{path}: not valid TOML: {exc}") from None
    problems: list[str] = [
        f"unknown top-level key {key!r} (expected [[tenant]] tables)" for key in document if key != "tenant"
    ]
    tables = document.get("tenant")
    if not isinstance(tables, list) or not tables:
        problems.append("no [[tenant]] tables")
        tables = []
    tenants = []
    for number, table in enumerate(tables, 1):
        found = _problems(table) if isinstance(table, dict) else ["expected a table"]
        problems += [f"{_place(table, number)}: {problem}" for problem in found]
        if not found:
            tenants.append(_tenant(table))
    problems += _duplicates(tenants, "name") + _duplicates(tenants, "tenant_id")
    if problems:
        raise TenantsFileError(f"{path}: {len(problems)} problem(s): " + "; ".join(problems))
    return tenants


def _place(table: object, number: int) -> str:
    name = table.get("name") if isinstance(table, dict) else None
    return f"[[tenant]] #{number}" + (f" ({name})" if isinstance(name, str) and name else "")


def select(tenants: list[Tenant], name: str | None) -> list[Tenant]:
    """All tenants, or the one called `name`."""
    if name is None:
        return tenants
    chosen = [t for t in tenants if t.name == name]
    if not chosen:
        raise GraphSettingsError(
            f"--tenant {name!r}: no such tenant in the tenants file (there are: {', '.join(t.name for t in tenants)})"
        )
    return chosen
