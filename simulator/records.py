"""Build one Graph beta ``signIn`` object from a ``Row`` (what happened on one request)."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime

from . import auth
from . import catalog as cat
from . import phrases as ph
from .ids import iso, request_id, stable_guid, token_id
from .policies import Context, evaluate
from .tenant import Device, User

# stage -> what Conditional Access saw of MFA (see policies.Context.mfa)
_CA_MFA = {
    "mfa_ok": "satisfied",
    "previous": "satisfied",
    "fido_ok": "satisfied",
    "mfa_failed": "failed",
    "tap_failed": "failed",
    "mfa_pending": "pending",
    "token_pending": "pending",
    "password_bad": "none",
    "no_auth": "none",
}
_CLIENT_APP = {"browser": "Browser", "rich": "Mobile Apps and Desktop clients"}


AS_DETAIL = "(as detail)"  # Mfa.step_detail / status_detail default: show ``detail`` unchanged


@dataclass
class Mfa:
    """The second-factor step of an interactive sign-in."""

    method: str
    succeeded: bool
    detail: str  # the result text (authenticationStepResultDetail)
    app_policy: list | None = None  # authenticationAppPolicyEvaluationDetails override
    app_version: str | None = None  # Authenticator version override (outdated apps)
    # Log noise (see noise.py): what the record shows when it is not what happened. ``None`` is a
    # null field (not yet aggregated); AS_DETAIL shows ``detail`` itself.
    step_detail: str | None = AS_DETAIL  # authenticationStepResultDetail as logged
    status_detail: str | None = AS_DETAIL  # status.additionalDetails as logged (500121 rows)
    app_device: bool = True  # False: authenticationAppDeviceDetails missing (null)

    def shown(self, field_value: str | None) -> str | None:
        """``field_value`` as logged: the detail itself unless overridden."""
        return self.detail if field_value == AS_DETAIL else field_value


@dataclass(frozen=True)
class Risk:
    """Identity Protection fields (P2 tenant, so never ``hidden``)."""

    during: str = "none"
    aggregated: str = "none"
    state: str = "none"
    detail: str = "none"
    events: tuple = ()


NO_RISK = Risk()


@dataclass
class Row:
    """One sign-in request, before it is rendered as Graph JSON."""

    user: User
    when: datetime
    app: cat.App
    device: Device
    place: cat.Place
    ip: str
    client: str = "browser"  # browser | rich | legacy
    stage: str = "previous"  # see _CA_MFA
    code: int = 0
    interactive: bool = True
    mfa: Mfa | None = None
    risk: Risk = NO_RISK
    correlation_id: str = ""
    session_id: str = ""
    trusted: bool = False
    details: str | None = None  # status.additionalDetails override
    legacy_client: str = "Authenticated SMTP"
    extra: dict = field(default_factory=dict)  # free-form tags for the generators (not rendered)


def build_record(row: Row, policies: list, rng: random.Random) -> dict:
    """Render ``row`` as a complete Graph beta signIn object (camelCase, every property present)."""
    user, app = row.user, row.app
    applied, ca_status = evaluate(policies, _context(row))
    auth_details = auth.auth_details(row)
    requirement, providers = auth.requirement(row, applied)
    return {
        "id": request_id(rng),
        "createdDateTime": iso(row.when),
        "userDisplayName": user.name,
        "userPrincipalName": user.upn,
        "userId": user.id,
        "appId": app.app_id,
        "appDisplayName": app.name,
        "ipAddress": row.ip,
        "ipAddressFromResourceProvider": None,
        "clientAppUsed": row.legacy_client if row.client == "legacy" else _CLIENT_APP[row.client],
        "userAgent": _user_agent(row),
        "correlationId": row.correlation_id,
        "conditionalAccessStatus": ca_status,
        "originalRequestId": request_id(rng),
        "authenticationProtocol": "ropc" if row.client == "legacy" else "oAuth2" if row.interactive else "none",
        "incomingTokenType": _incoming_token(row),
        "isInteractive": row.interactive,
        "homeTenantId": cat.FABRIKAM_TENANT if user.guest else cat.TENANT_ID,
        "homeTenantName": "",
        "isTenantRestricted": False,
        "tokenIssuerName": "",
        "tokenIssuerType": "AzureAD",
        "processingTimeInMilliseconds": rng.randint(38, 640),
        "riskDetail": row.risk.detail,
        "riskLevelAggregated": row.risk.aggregated,
        "riskLevelDuringSignIn": row.risk.during,
        "riskState": row.risk.state,
        "riskEventTypes_v2": list(row.risk.events),
        "resourceDisplayName": app.resource,
        "resourceId": app.resource_id,
        "resourceTenantId": cat.TENANT_ID,
        "resourceOwnerTenantId": cat.MICROSOFT_SERVICES_TENANT,
        "resourceServicePrincipalId": stable_guid("sp", app.resource_id),
        "appOwnerTenantId": cat.MICROSOFT_SERVICES_TENANT,
        "authenticationMethodsUsed": auth.methods_used(row),
        "authenticationRequirement": requirement,
        "uniqueTokenIdentifier": token_id(rng),
        "signInIdentifier": user.upn if row.interactive else "",
        "signInIdentifierType": "userPrincipalName" if row.interactive else None,
        "signInEventTypes": ["interactiveUser" if row.interactive else "nonInteractiveUser"],
        "servicePrincipalId": "",
        "servicePrincipalName": None,
        "servicePrincipalCredentialKeyId": None,
        "servicePrincipalCredentialThumbprint": "",
        "userType": "guest" if user.guest else "member",
        "flaggedForReview": False,
        "autonomousSystemNumber": _asn(row),
        "crossTenantAccessType": "b2bCollaboration" if user.guest else "none",
        "status": _status(row),
        "deviceDetail": _device_detail(row),
        "location": _location(row),
        "mfaDetail": auth.mfa_detail(row),
        "appliedConditionalAccessPolicies": applied,
        "appliedEventListeners": [],
        "authenticationProcessingDetails": _processing(row),
        "networkLocationDetails": _network(row),
        "authenticationDetails": auth_details,
        "authenticationRequirementPolicies": providers,
        "sessionLifetimePolicies": [],
        "authenticationAppDeviceDetails": auth.app_device(row),
        "authenticationAppPolicyEvaluationDetails": auth.app_policies(row),
        "authenticationContextClassReferences": [],
        "conditionalAccessAudiences": [app.resource_id],
        "sessionId": row.session_id,
        "originalTransferMethod": "none",
        "clientCredentialType": "none",
        "appTokenProtectionStatus": "none",
        "signInTokenProtectionStatus": "none",
        "tokenProtectionStatusDetails": {"signInSessionStatus": "none", "signInSessionStatusCode": None},
        "federatedCredentialId": None,
        "globalSecureAccessIpAddress": None,
        "isThroughGlobalSecureAccess": False,
        "azureResourceId": None,
        "managedServiceIdentity": {
            "msiType": "none",
            "associatedResourceId": None,
            "federatedTokenId": None,
            "federatedTokenIssuer": None,
        },
        "privateLinkDetails": None,
    }


def _context(row: Row) -> Context:
    u, d = row.user, row.device
    return Context(
        app=row.app.name,
        roles=u.roles,
        excluded=u.breakglass,
        per_user_mfa=u.per_user_mfa,
        location_group=u.location_group,
        guest=u.guest,
        client=row.client,
        platform=d.family,
        compliant=d.compliant,
        trusted=row.trusted,
        country=row.place.country,
        risk=row.risk.during,
        mfa=_CA_MFA[row.stage],
        strong=row.stage == "fido_ok",
    )


def _status(row: Row) -> dict:
    if row.code == 0:
        default = {"mfa_ok": ph.MFA_COMPLETED, "previous": ph.MFA_BY_CLAIM}.get(row.stage)
        return {"errorCode": 0, "failureReason": "Other.", "additionalDetails": row.details or default}
    if row.code == 500121:
        return {
            "errorCode": 500121,
            "failureReason": ph.FAILURE_500121,
            "additionalDetails": row.details or row.mfa.shown(row.mfa.status_detail),
        }
    reason, details = ph.OTHER_CODES[row.code]
    return {"errorCode": row.code, "failureReason": reason, "additionalDetails": row.details or details}


def _device_detail(row: Row) -> dict:
    d = row.device
    os_name, browser, _ = cat.PROFILES[d.profile]
    if row.client != "browser":
        browser = cat.RICH_CLIENT if row.client == "rich" else ""
    return {
        "deviceId": d.id,
        "displayName": d.name,
        "operatingSystem": os_name,
        "browser": browser,
        "browserId": d.browser_id if row.client == "browser" else "",
        "isCompliant": d.compliant,
        "isManaged": d.managed,
        "trustType": d.trust,
    }


def _user_agent(row: Row) -> str:
    family = row.device.family
    if row.client == "legacy":
        return "BAV2ROPC"
    if row.client == "rich":
        return cat.RICH_AGENT.get(family, cat.RICH_AGENT["win"])
    return cat.PROFILES[row.device.profile][2]


def _incoming_token(row: Row) -> str:
    if row.device.trust == "Azure AD joined" and row.client == "rich":
        return "primaryRefreshToken"
    return "none" if row.interactive else "refreshToken"


def _location(row: Row) -> dict:
    """City-level geolocation; the jitter is a function of the address, as IP geolocation is."""
    p = row.place
    h = hashlib.sha256(row.ip.encode()).digest()
    lat = round(p.lat + (h[0] - 128) / 5000, 5)
    lon = round(p.lon + (h[1] - 128) / 5000, 5)
    return {
        "city": p.city,
        "state": p.state,
        "countryOrRegion": p.country,
        "geoCoordinates": {"altitude": None, "latitude": lat, "longitude": lon},
    }


def _asn(row: Row) -> int:
    return 3598 if row.ip.startswith("131.107.") else row.place.asn


def _network(row: Row) -> list:
    if row.trusted:
        return [{"networkType": "trustedNamedLocation", "networkNames": ["Corporate offices"]}]
    if row.place.country in ("US", "GB", "DE", "NL", "IE", "CA"):
        return [{"networkType": "namedNetwork", "networkNames": ["Allowed countries"]}]
    return []


def _processing(row: Row) -> list:
    out = [
        {"key": "Legacy TLS (TLS 1.0, 1.1, 3DES)", "value": "False"},
        {"key": "Oauth Scope Info", "value": json.dumps(row.app.scopes.split(), separators=(",", ":"))},
    ]
    if row.client == "browser" and row.interactive:
        out.append({"key": "Login Hint Present", "value": "True"})
    if row.user.roles:
        wids = [cat.ROLE_IDS[r] for r in row.user.roles] + [cat.DEFAULT_USER_ROLE]
        out.append({"key": "wids", "value": json.dumps(wids, separators=(",", ":"))})
    if not row.interactive:
        out.append({"key": "Is CAE Token", "value": "True"})
    return out
