"""Entra admin-center "Download -> CSV" rows to Graph shape.

The portal's headers are undocumented and quirky: trailing spaces (`Application ID `), a double
space (`Autonomous system  number`), a repeated column (`Incoming token type`) and localised names
in non-English portals. Headers are matched after normalising case and whitespace; the first
non-empty value of a repeated column wins. The CSV carries no nested arrays (no CA policies, no
authentication steps): Microsoft leaves them out of this download.
"""

from __future__ import annotations

import re

# Normalised header -> Graph property (dots for nesting). English names as the portal writes them.
HEADERS = {
    "date (utc)": "createdDateTime",
    "date": "createdDateTime",
    "request id": "id",
    "correlation id": "correlationId",
    "user id": "userId",
    "user": "userDisplayName",
    "username": "userPrincipalName",
    "user type": "userType",
    "cross tenant access type": "crossTenantAccessType",
    "incoming token type": "incomingTokenType",
    "authentication protocol": "authenticationProtocol",
    "unique token identifier": "uniqueTokenIdentifier",
    "application": "appDisplayName",
    "application id": "appId",
    "resource": "resourceDisplayName",
    "resource id": "resourceId",
    "resource tenant id": "resourceTenantId",
    "home tenant id": "homeTenantId",
    "ip address": "ipAddress",
    "ip address (seen by resource)": "ipAddressFromResourceProvider",
    "sign-in error code": "status.errorCode",
    "failure reason": "status.failureReason",
    "client app": "clientAppUsed",
    "device id": "deviceDetail.deviceId",
    "browser": "deviceDetail.browser",
    "operating system": "deviceDetail.operatingSystem",
    "compliant": "deviceDetail.isCompliant",
    "managed": "deviceDetail.isManaged",
    "join type": "deviceDetail.trustType",
    "multifactor authentication result": "status.additionalDetails",
    "multifactor authentication auth method": "mfaDetail.authMethod",
    "multifactor authentication auth detail": "mfaDetail.authDetail",
    "authentication requirement": "authenticationRequirement",
    "session id": "sessionId",
    "autonomous system number": "autonomousSystemNumber",
    "flagged for review": "flaggedForReview",
    "token issuer type": "tokenIssuerType",
    "token issuer name": "tokenIssuerName",
    "latency": "processingTimeInMilliseconds",
    "conditional access": "conditionalAccessStatus",
    "user agent": "userAgent",
    "service principal id": "servicePrincipalId",
    "service principal name": "servicePrincipalName",
    "managed identity type": "managedServiceIdentity.msiType",
}
_BOOLEAN = {"deviceDetail.isCompliant", "deviceDetail.isManaged", "flaggedForReview"}
_CA_STATUS = {"success": "success", "failure": "failure", "not applied": "notApplied"}
# File names the portal uses, to event types (InteractiveSignIns_2024-06-01_2024-06-02.csv, ...).
EVENT_TYPE_BY_FILE_PREFIX = {
    "interactivesignins": "interactiveUser",
    "noninteractivesignins": "nonInteractiveUser",
    "applicationsignins": "servicePrincipal",
    "msisignins": "managedIdentity",
}


def normalise_header(header: str) -> str:
    return re.sub(r"\s+", " ", header.replace("\ufeff", "")).strip().lower()


def is_portal_header(headers: list[str]) -> bool:
    names = {normalise_header(h) for h in headers}
    return "request id" in names and ("date (utc)" in names or "date" in names)


def unknown_columns(headers: list[str]) -> list[str]:
    return sorted({h.strip() for h in headers if normalise_header(h) not in HEADERS and h.strip()})


def _set_once(target: dict, dotted: str, value: object) -> None:
    """Set a nested property unless it is set already (a repeated column: the first value wins)."""
    *parents, leaf = dotted.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target.setdefault(leaf, value)


def _location(text: str) -> dict:
    """ "Redmond, Washington, US" -> city/state/countryOrRegion (the last part is the country)."""
    parts = [p.strip() for p in text.split(",")][-3:]
    return dict(zip(("city", "state", "countryOrRegion")[-len(parts) :], parts, strict=False))


def to_graph(headers: list[str], cells: list[str]) -> dict:
    """One CSV row as a Graph-shaped sign-in."""
    signin: dict = {}
    for header, value in zip(headers, cells, strict=False):
        name, value = normalise_header(header), value.strip()
        if value == "":
            continue
        if name == "location":
            signin.setdefault("location", _location(value))
        elif (target := HEADERS.get(name)) in _BOOLEAN:
            _set_once(signin, target, {"true": True, "false": False, "yes": True, "no": False}.get(value.lower()))
        elif target == "conditionalAccessStatus":
            _set_once(signin, target, _CA_STATUS.get(value.lower(), value))
        elif target is not None:
            _set_once(signin, target, value)
    return signin
