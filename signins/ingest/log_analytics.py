"""Log Analytics / Sentinel rows (SigninLogs, AADNonInteractiveUserSignInLogs, ...) to Graph shape.

Rows come as JSON (query API, exports) or CSV (portal export). Dynamic columns may arrive parsed or
as JSON text (always text in the non-interactive table); the CSV export splits them into
`<Column>_dynamic` / `<Column>_string` pairs and names the time column `CreatedDateTime [UTC]`.
"""

from __future__ import annotations

import re

import orjson

# Log Analytics column -> (top-level) Graph property.
COLUMNS = {
    "Id": "id",
    "CreatedDateTime": "createdDateTime",
    "CorrelationId": "correlationId",
    "OriginalRequestId": "originalRequestId",
    "SessionId": "sessionId",
    "UniqueTokenIdentifier": "uniqueTokenIdentifier",
    "UserPrincipalName": "userPrincipalName",
    "UserId": "userId",
    "UserDisplayName": "userDisplayName",
    "UserType": "userType",
    "AppId": "appId",
    "AppDisplayName": "appDisplayName",
    "ResourceDisplayName": "resourceDisplayName",
    "ResourceIdentity": "resourceId",
    "ResourceTenantId": "resourceTenantId",
    "HomeTenantId": "homeTenantId",
    "ServicePrincipalId": "servicePrincipalId",
    "ServicePrincipalName": "servicePrincipalName",
    "IPAddress": "ipAddress",
    "IPAddressFromResourceProvider": "ipAddressFromResourceProvider",
    "AutonomousSystemNumber": "autonomousSystemNumber",
    "ClientAppUsed": "clientAppUsed",
    "UserAgent": "userAgent",
    "IsInteractive": "isInteractive",
    "SignInEventTypes": "signInEventTypes",
    "Status": "status",
    "AuthenticationDetails": "authenticationDetails",
    "AuthenticationMethodsUsed": "authenticationMethodsUsed",
    "AuthenticationRequirement": "authenticationRequirement",
    "AuthenticationRequirementPolicies": "authenticationRequirementPolicies",
    "AuthenticationProcessingDetails": "authenticationProcessingDetails",
    "AuthenticationProtocol": "authenticationProtocol",
    "ConditionalAccessPolicies": "appliedConditionalAccessPolicies",
    "ConditionalAccessStatus": "conditionalAccessStatus",
    "DeviceDetail": "deviceDetail",
    "LocationDetails": "location",
    "MfaDetail": "mfaDetail",
    "NetworkLocationDetails": "networkLocationDetails",
    "RiskDetail": "riskDetail",
    "RiskLevelAggregated": "riskLevelAggregated",
    "RiskLevelDuringSignIn": "riskLevelDuringSignIn",
    "RiskState": "riskState",
    "RiskEventTypes_V2": "riskEventTypes_v2",
    "RiskEventTypes": "riskEventTypes",
    "TokenIssuerType": "tokenIssuerType",
    "TokenIssuerName": "tokenIssuerName",
    "IncomingTokenType": "incomingTokenType",
    "CrossTenantAccessType": "crossTenantAccessType",
    "FlaggedForReview": "flaggedForReview",
    "ProcessingTimeInMilliseconds": "processingTimeInMilliseconds",
    "ProcessingTimeInMs": "processingTimeInMilliseconds",
    "AuthenticationAppDeviceDetails": "authenticationAppDeviceDetails",
    "AuthenticationAppPolicyEvaluationDetails": "authenticationAppPolicyEvaluationDetails",
}
# Columns whose value is an object or array (dynamic), possibly delivered as JSON text.
DYNAMIC = {
    "Status",
    "AuthenticationDetails",
    "AuthenticationMethodsUsed",
    "AuthenticationRequirementPolicies",
    "AuthenticationProcessingDetails",
    "ConditionalAccessPolicies",
    "DeviceDetail",
    "LocationDetails",
    "MfaDetail",
    "NetworkLocationDetails",
    "RiskEventTypes_V2",
    "RiskEventTypes",
    "SignInEventTypes",
    "AuthenticationAppDeviceDetails",
    "AuthenticationAppPolicyEvaluationDetails",
}
BOOLEAN = {"IsInteractive", "FlaggedForReview"}
_SIGNATURE = {"ResultType", "UserPrincipalName", "CorrelationId", "AppDisplayName", "Category", "OperationName"}
_SUFFIX = re.compile(r"^(?P<name>.+?)(?:_dynamic|_string)$")
_UNIT = re.compile(r"\s*\[[^\]]*\]\s*$")  # "CreatedDateTime [UTC]" -> "CreatedDateTime"


def looks_like_row(record: dict) -> bool:
    """A flat PascalCase Log Analytics row (at least two well-known columns)."""
    return len(_SIGNATURE.intersection(record)) >= 2 or ("Id" in record and "CreatedDateTime" in record)


def merge_csv_columns(row: dict) -> dict:
    """Fold `X_dynamic`/`X_string` pairs into `X` and strip units from names like `CreatedDateTime [UTC]`."""
    merged: dict = {}
    for key, value in row.items():
        name = _UNIT.sub("", key.strip())
        match = _SUFFIX.match(name)
        if match and match.group("name") in DYNAMIC:
            name = match.group("name")
        if merged.get(name) in (None, ""):
            merged[name] = value
    return merged


def _value(column: str, value: object, notes: list[str]) -> object:
    if value == "":
        return None
    if column in DYNAMIC and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            notes.append(f"{column} is not valid JSON text: kept as null")
            return None
    if column in BOOLEAN and isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return value


def to_graph(row: dict) -> tuple[dict, str | None, str | None, list[str]]:
    """(Graph-shaped sign-in, table or category name, Entra tenant id, notes) for one row."""
    row, notes, signin = merge_csv_columns(row), [], {}
    for column, prop in COLUMNS.items():
        if column in row and prop not in signin:
            value = _value(column, row[column], notes)
            if value is not None:
                signin[prop] = value
    status = signin.get("status") if isinstance(signin.get("status"), dict) else {}
    if status.get("errorCode") in (None, "") and row.get("ResultType") not in (None, ""):
        status["errorCode"] = row["ResultType"]
    if not status.get("failureReason") and row.get("ResultDescription"):
        status["failureReason"] = row["ResultDescription"]
    if status:
        signin["status"] = status
    source = row.get("Type") or row.get("Category")
    tenant = row.get("AADTenantId") or row.get("ResourceTenantId") or None
    return signin, source, tenant, notes
