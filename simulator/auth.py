"""The authentication parts of a signIn: steps, methods, MFA requirement, Authenticator details."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import phrases as ph
from .ids import iso

if TYPE_CHECKING:
    from .records import Row


def requirement(row: Row, applied: list) -> tuple[str, list]:
    """authenticationRequirement and the providers that demanded MFA."""
    if row.stage in ("password_bad", "no_auth"):
        return "singleFactorAuthentication", []
    providers = []
    if any("Mfa" in a["enforcedGrantControls"] and a["result"] in ("success", "failure") for a in applied):
        providers.append({"requirementProvider": "multiConditionalAccess", "detail": "Conditional Access"})
    if row.user.per_user_mfa:
        providers.append({"requirementProvider": "user", "detail": "Per-user MFA"})
    if row.risk.during in ("medium", "high") and row.interactive:
        providers.append({"requirementProvider": "riskBasedPolicy", "detail": "Risk-based policy"})
    return ("multiFactorAuthentication" if providers else "singleFactorAuthentication"), providers


def _step(when: datetime, method: str, method_detail, ok: bool, result: str, step: str) -> dict:
    return {
        "authenticationStepDateTime": iso(when),
        "authenticationMethod": method,
        "authenticationMethodDetail": method_detail,
        "succeeded": ok,
        "authenticationStepResultDetail": result,
        "authenticationStepRequirement": step,
    }


def auth_details(row: Row) -> list:
    """The authenticationDetails steps for the row's stage."""
    t, s = row.when, row.stage
    first = t - timedelta(seconds=9 if row.mfa else 1)
    if s in ("no_auth", "token_pending"):
        return []
    if s == "previous":
        return [
            _step(t, ph.PREVIOUS, None, True, ph.FIRST_FACTOR_BY_CLAIM, "Primary authentication"),
            _step(t, ph.PREVIOUS, None, True, ph.MFA_BY_CLAIM, "Multi-factor authentication"),
        ]
    if s == "fido_ok":
        return [_step(t, ph.FIDO, "YubiKey 5 NFC", True, ph.MFA_OK, "Primary authentication")]
    if s == "tap_failed":
        return [_step(t, ph.TAP, None, False, row.mfa.detail, "Multi-factor authentication")]
    if s == "password_bad":
        return [_step(t, ph.PASSWORD, "Password in the cloud", False, ph.WRONG_PASSWORD_STEP, "Primary authentication")]
    steps = [_step(first, ph.PASSWORD, "Password in the cloud", True, "Correct password", "Primary authentication")]
    if row.mfa and s in ("mfa_ok", "mfa_failed"):
        steps.append(
            _step(
                t,
                row.mfa.method,
                _method_detail(row),
                row.mfa.succeeded,
                row.mfa.shown(row.mfa.step_detail),
                "Multi-factor authentication",
            )
        )
    return steps


def _method_detail(row: Row):
    phone = row.user.phone
    if row.mfa.method == ph.PUSH:
        return phone.model
    if row.mfa.method in (ph.SMS, ph.VOICE):
        return f"+X XXXXXXXX{phone.number_tail}"
    return None


def methods_used(row: Row) -> list:
    """authenticationMethodsUsed (coarse labels)."""
    if row.stage == "fido_ok":
        return ["FIDO"]
    if row.stage not in ("mfa_ok", "mfa_failed", "mfa_pending"):
        return []
    used = ["Password"]
    if row.mfa and row.stage != "mfa_pending":
        used.append(ph.METHODS_USED[row.mfa.method])
    return used


def mfa_detail(row: Row) -> dict:
    """The deprecated mfaDetail object."""
    if row.mfa and row.stage in ("mfa_ok", "mfa_failed"):
        detail = f"+X XXXXXXXX{row.user.phone.number_tail}" if row.mfa.method in (ph.SMS, ph.VOICE) else None
        return {"authMethod": row.mfa.method, "authDetail": detail}
    return {"authMethod": None, "authDetail": None}


def _is_push(row: Row) -> bool:
    return bool(row.mfa) and row.mfa.method == ph.PUSH and row.stage in ("mfa_ok", "mfa_failed")


def app_device(row: Row):
    """authenticationAppDeviceDetails for push rows, else null."""
    if not _is_push(row) or not row.mfa.app_device:
        return None
    phone = row.user.phone
    return {
        "appVersion": row.mfa.app_version or phone.app_version,
        "clientApp": "Authenticator",
        "deviceId": phone.device_id,
        "operatingSystem": "Ios" if phone.family == "ios" else "Android",
    }


def app_policies(row: Row) -> list:
    """authenticationAppPolicyEvaluationDetails for push rows, else empty."""
    if not _is_push(row):
        return []
    if row.mfa.app_policy is not None:
        return row.mfa.app_policy
    return [
        app_policy("Number matching", "numberMatchCorrectNumberEntered", "success"),
        app_policy("Application name", "appContextShown", "success"),
    ]


def app_policy(name: str, status: str, evaluation: str, admin: str = "enabled") -> dict:
    """One authenticationAppPolicyEvaluationDetails entry."""
    return {"adminConfiguration": admin, "authenticationEvaluation": evaluation, "policyName": name, "status": status}
