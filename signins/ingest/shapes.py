"""Recognise what kind of record a JSON object is and bring it to the canonical (Graph beta) shape.

Every reader hands its records here. Graph records pass through; Azure Monitor diagnostic records
lose their envelope (keeping what it knows); Log Analytics rows and portal CSV rows are mapped
column by column (signins.ingest.log_analytics, signins.ingest.portal_csv); an Elastic document
is unwrapped from `event.original`. What is not a sign-in is rejected with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from signins.ingest import log_analytics
from signins.ingest.timestamps import parse_utc

EVENT_TYPES = ("interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity", "adfs")

# Azure Monitor categories and Log Analytics table names, lower-cased, to event types.
EVENT_TYPE_BY_SOURCE = {
    "signinlogs": "interactiveUser",
    "noninteractiveusersigninlogs": "nonInteractiveUser",
    "aadnoninteractiveusersigninlogs": "nonInteractiveUser",
    "serviceprincipalsigninlogs": "servicePrincipal",
    "microsoftserviceprincipalsigninlogs": "servicePrincipal",
    "aadserviceprincipalsigninlogs": "servicePrincipal",
    "managedidentitysigninlogs": "managedIdentity",
    "aadmanagedidentitysigninlogs": "managedIdentity",
    "adfssigninlogs": "adfs",
}
_EVENT_TYPE_BY_LOWER = {name.lower(): name for name in EVENT_TYPES}


# Keys that, when they hold a value, mark a record with createdDateTime as something other than a
# current Graph sign-in. sql/load/10_stage_batch.sql applies the same test to JSON lines.
_NOT_PLAIN_GRAPH = ("properties", "event", "conditionalAccessPolicies", "conditionalAccessApplied")


class NotASignin(Exception):
    """The record is readable but is not an Entra sign-in (or lacks what every sign-in has)."""


@dataclass
class Canonical:
    """A sign-in in Graph beta shape, with what its source said about it."""

    shape: str  # graph, graph-legacy, diag, log-analytics, elastic-diag, portal-csv
    signin: dict
    event_type: str
    tenant_id: str | None
    signin_id: str
    created_at: datetime
    notes: list[str] = field(default_factory=list)


def _graph_event_type(signin: dict) -> str:
    types = signin.get("signInEventTypes")
    if isinstance(types, list) and types and isinstance(types[0], str):
        return _EVENT_TYPE_BY_LOWER.get(types[0].lower(), types[0])
    if signin.get("isInteractive") is False:
        return "nonInteractiveUser"
    if not signin.get("userId") and signin.get("servicePrincipalId"):
        return "servicePrincipal"
    return "interactiveUser"  # the v1.0 endpoint returns interactive sign-ins only


def _legacy_graph(signin: dict) -> dict:
    """The 2018 beta shape (conditionalAccessPolicies, mfaDetail.mfaAuthMethod, riskLevel) to today's names."""
    out = dict(signin)
    policies = out.pop("conditionalAccessPolicies", None)
    if isinstance(policies, list) and "appliedConditionalAccessPolicies" not in out:
        out["appliedConditionalAccessPolicies"] = [
            {**p, "enforcedGrantControls": p.get("enforcedAccessControls")} if isinstance(p, dict) else p
            for p in policies
        ]
    mfa = out.get("mfaDetail")
    if isinstance(mfa, dict) and ("mfaAuthMethod" in mfa or "mfaAuthDetail" in mfa):
        out["mfaDetail"] = {"authMethod": mfa.get("mfaAuthMethod"), "authDetail": mfa.get("mfaAuthDetail")}
    if "riskLevel" in out and "riskLevelAggregated" not in out:
        out["riskLevelAggregated"] = out["riskLevel"]
    return out


def _from_diag(record: dict) -> tuple[dict, str, str | None, list[str]]:
    """An Azure Monitor diagnostic record: `properties` is the sign-in, the envelope fills gaps."""
    props = record.get("properties")
    if not isinstance(props, dict):
        raise NotASignin("Azure Monitor record without a properties object: no sign-in in it")
    signin, notes = dict(props), []
    if not signin.get("createdDateTime") and record.get("time"):
        signin["createdDateTime"] = record["time"]
        notes.append("createdDateTime missing: the envelope time was used")
    fallbacks = {"correlationId": "correlationId", "ipAddress": "callerIpAddress", "userDisplayName": "identity"}
    for key, envelope_key in fallbacks.items():
        if not signin.get(key) and record.get(envelope_key):
            signin[key] = record[envelope_key]
    if not isinstance(signin.get("status"), dict) and record.get("resultType") not in (None, ""):
        signin["status"] = {"errorCode": record.get("resultType"), "failureReason": record.get("resultDescription")}
    category = str(record.get("category") or record.get("Category") or "").lower()
    event_type = EVENT_TYPE_BY_SOURCE.get(category) or _graph_event_type(signin)
    return signin, event_type, record.get("tenantId"), notes


def classify(record: dict) -> str:
    """The record's shape, or NotASignin with what it looks like instead."""
    if "createdDateTime" in record and all(record.get(key) is None for key in _NOT_PLAIN_GRAPH):  # the common case
        return "graph"
    if "properties" in record and ("category" in record or "operationName" in record or "resourceId" in record):
        return "diag"
    event = record.get("event")
    if isinstance(event, dict) and isinstance(event.get("original"), str):
        return "elastic"
    if "RecordType" in record and "Operation" in record:
        raise NotASignin(
            f"an Office 365 audit record ({record.get('Operation')}, RecordType {record.get('RecordType')}), "
            "not an Entra sign-in log: export sign-ins from Entra ID instead"
        )
    if log_analytics.looks_like_row(record):
        return "log-analytics"
    if "category" in record and "time" in record:
        raise NotASignin("Azure Monitor record without a properties object: no sign-in in it")
    if "conditionalAccessPolicies" in record or "conditionalAccessApplied" in record:
        return "graph-legacy"
    if any(key in record for key in ("createdDateTime", "userPrincipalName", "appId", "status", "correlationId")):
        return "graph"
    keys = ", ".join(sorted(record)[:6]) or "none"
    raise NotASignin(f"not a sign-in record (keys: {keys})")


def canonicalise(record: object, tenant_override: str | None = None) -> Canonical:
    """A record of any known shape as a canonical sign-in; NotASignin when it cannot be one."""
    if not isinstance(record, dict):
        raise NotASignin(f"a JSON {type(record).__name__}, not an object")
    shape = classify(record)
    notes: list[str] = []
    if shape == "elastic":
        try:
            inner = orjson.loads(record["event"]["original"])
        except orjson.JSONDecodeError as exc:
            raise NotASignin(f"Elastic document whose event.original is not JSON: {exc}") from None
        result = canonicalise(inner, tenant_override)
        result.shape = "elastic-" + result.shape
        return result
    if shape == "diag":
        signin, event_type, tenant, notes = _from_diag(record)
    elif shape == "log-analytics":
        signin, source, tenant, notes = log_analytics.to_graph(record)
        event_type = EVENT_TYPE_BY_SOURCE.get(str(source or "").lower()) or _graph_event_type(signin)
    else:
        signin = _legacy_graph(record) if shape == "graph-legacy" else record
        event_type, tenant = _graph_event_type(signin), None
    return checked(shape, signin, event_type, tenant_override or tenant or signin.get("resourceTenantId"), notes)


def checked(shape: str, signin: dict, event_type: str, tenant: str | None, notes: list[str]) -> Canonical:
    """Every sign-in needs an id and a readable time; say which is missing."""
    signin_id = signin.get("id")
    if not isinstance(signin_id, str) or not signin_id.strip():
        raise NotASignin("no sign-in id (id / Id / Request ID is missing or empty)")
    raw_time = signin.get("createdDateTime")
    created = parse_utc(raw_time)
    if created is None:
        what = "missing" if raw_time in (None, "") else f"unreadable or outside 1970-2200 ({str(raw_time)[:40]!r})"
        raise NotASignin(f"createdDateTime is {what} (sign-in {signin_id})")
    return Canonical(
        shape, signin, event_type, tenant if isinstance(tenant, str) else None, signin_id.strip(), created, notes
    )
