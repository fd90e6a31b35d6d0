"""Conditional Access policies of the sample tenant and their per-sign-in evaluation.

A policy is data: the conditions it tests (in Graph's flag order), its grant and
session controls and its state. ``evaluate`` turns a sign-in context into the
``appliedConditionalAccessPolicies`` array, so the per-policy results always follow
from the sign-in itself (device, location, risk, MFA outcome) rather than being forced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from .ids import stable_guid

# Graph's conditionalAccessConditions flag order; conditionsSatisfied lists follow it.
ORDER = ["application", "users", "devicePlatform", "location", "clientType", "signInRisk", "userRisk", "deviceState"]
BLOCKED_COUNTRIES = ["KP", "IR", "SY", "CU", "RU", "BY"]


@dataclass
class Context:
    """What Conditional Access sees about one sign-in."""

    app: str
    roles: tuple = ()
    excluded: bool = False  # break-glass accounts: excluded from every policy
    per_user_mfa: bool = False  # legacy per-user MFA group: excluded from CA001 only
    location_group: bool = False  # member of "Finance & HR" (CA012 scope)
    guest: bool = False
    client: str = "browser"  # browser | rich | legacy
    platform: str = "win"  # profile family: win, mac, ios, android, linux
    compliant: bool = True
    trusted: bool = False
    country: str = "US"
    risk: str = "none"
    mfa: str = "satisfied"  # satisfied | failed | pending | none (primary auth failed)
    strong: bool = False  # phishing-resistant method used
    device_code: bool = False


Test = Callable[[Context], bool]


@dataclass
class Policy:
    """One CA policy: conditions as (name, test) pairs, then controls."""

    number: int
    name: str
    conditions: list = field(default_factory=list)
    grants: tuple = ()
    session: tuple = ()
    state: str = "enabled"  # enabled | disabled | reportOnly

    @functools.cached_property
    def id(self) -> str:
        return stable_guid("ca-policy", self.number)

    @functools.cached_property
    def display_name(self) -> str:
        return f"CA{self.number:03d}: {self.name}"

    @functools.cached_property
    def ordered(self) -> list:
        """Conditions in Graph's flag order (the order conditionsSatisfied lists them)."""
        return sorted(self.conditions, key=lambda c: ORDER.index(c[0]))


# Condition tests: each answers "does this condition hold for the sign-in?".
def _all_apps(c):
    return True


def _apps(*names):
    return lambda c: c.app in names


def _all_users(c):
    return not c.excluded


def _mfa_users(c):
    return not (c.excluded or c.per_user_mfa)


def _roles(c):
    return bool(c.roles) and not c.excluded


def _guests(c):
    return c.guest


def _group(c):
    return c.location_group


def _platforms(*families):
    return lambda c: c.platform in families


def _untrusted(c):
    return not c.trusted


def _blocked_country(c):
    return c.country in BLOCKED_COUNTRIES


def _legacy(c):
    return c.client == "legacy"


def _risky(c):
    return c.risk in ("medium", "high")


def _user_risk_high(c):
    return False


def _unmanaged(c):
    return not c.compliant


def _device_code(c):
    return c.device_code


POLICIES = [
    Policy(1, "Require MFA for all users", [("application", _all_apps), ("users", _mfa_users)], ("Mfa",)),
    Policy(2, "Require MFA for administrators", [("application", _all_apps), ("users", _roles)], ("Mfa",)),
    Policy(
        3,
        "Require MFA for Azure management",
        [("application", _apps("Azure Portal", "Microsoft Azure CLI")), ("users", _all_users)],
        ("Mfa",),
    ),
    Policy(
        4,
        "Require compliant device for admins",
        [("application", _all_apps), ("users", _roles)],
        ("RequireCompliantDevice",),
    ),
    Policy(
        5,
        "Require compliant device for all users (pilot)",
        [("application", _all_apps), ("users", _all_users)],
        ("RequireCompliantDevice",),
        state="disabled",
    ),
    Policy(
        6,
        "Require MFA on unmanaged mobile devices",
        [
            ("application", _all_apps),
            ("users", _all_users),
            ("devicePlatform", _platforms("ios", "android")),
            ("deviceState", _unmanaged),
        ],
        ("Mfa",),
        ("SignInFrequency",),
    ),
    Policy(
        7,
        "Require MFA on unsupported device platforms",
        [("application", _all_apps), ("users", _all_users), ("devicePlatform", _platforms("linux"))],
        ("Mfa",),
    ),
    Policy(
        8,
        "Require MFA for risky sign-ins",
        [("application", _all_apps), ("users", _all_users), ("signInRisk", _risky)],
        ("Mfa",),
    ),
    Policy(
        9,
        "Block sign-ins from unsupported countries",
        [("application", _all_apps), ("users", _all_users), ("location", _blocked_country)],
        ("Block",),
    ),
    Policy(
        10,
        "Block legacy authentication",
        [("application", _all_apps), ("users", _all_users), ("clientType", _legacy)],
        ("Block",),
    ),
    Policy(
        11,
        "Require phishing-resistant MFA for admins (report-only)",
        [("application", _all_apps), ("users", _roles)],
        ("Mfa",),
        state="reportOnly",
    ),
    Policy(
        12,
        "MFA outside trusted locations",
        [("application", _all_apps), ("users", _group), ("location", _untrusted)],
        ("Mfa",),
    ),
    # Beyond the sample's twelve: used by generate_bulk_records(ca_policies=20).
    Policy(
        13,
        "Sign-in frequency 12 hours on unmanaged devices",
        [("application", _all_apps), ("users", _all_users), ("deviceState", _unmanaged)],
        (),
        ("SignInFrequency",),
    ),
    Policy(14, "Require terms of use for guests", [("application", _all_apps), ("users", _guests)], ("TermsOfUse",)),
    Policy(
        15,
        "Block device code flow (report-only)",
        [("application", _all_apps), ("users", _all_users), ("clientType", _device_code)],
        ("Block",),
        state="reportOnly",
    ),
    Policy(
        16,
        "Require app protection policy on mobile",
        [
            ("application", _apps("Outlook Mobile")),
            ("users", _all_users),
            ("devicePlatform", _platforms("ios", "android")),
        ],
        ("RequireCompliantApp",),
    ),
    Policy(
        17,
        "Require password change for high user risk",
        [("application", _all_apps), ("users", _all_users), ("userRisk", _user_risk_high)],
        ("Mfa", "PasswordChange"),
    ),
    Policy(18, "Require MFA for guests", [("application", _all_apps), ("users", _guests)], ("Mfa",)),
    Policy(
        19,
        "Block high user risk (report-only)",
        [("application", _all_apps), ("users", _all_users), ("userRisk", _user_risk_high)],
        ("Block",),
        state="reportOnly",
    ),
    Policy(
        20,
        "Legacy: Exchange ActiveSync allow list",
        [("application", _apps("Office 365 Exchange Online")), ("users", _all_users), ("clientType", _legacy)],
        ("Block",),
        state="disabled",
    ),
    Policy(
        21,
        "No persistent browser session on unmanaged devices",
        [("application", _all_apps), ("users", _all_users), ("deviceState", _unmanaged)],
        (),
        ("PersistentBrowserSessionMode",),
        state="disabled",
    ),
    Policy(
        22,
        "Require MFA for Microsoft Graph PowerShell",
        [("application", _apps("Microsoft Graph PowerShell")), ("users", _all_users)],
        ("Mfa",),
    ),
]
SAMPLE_POLICY_COUNT = 12


def policies_for(count: int) -> list[Policy]:
    """The first ``count`` policies; beyond the catalogue, disabled pilot policies pad the list."""
    extra = [
        Policy(
            n,
            f"Pilot policy {n} (disabled)",
            [("application", _all_apps), ("users", _all_users)],
            ("Mfa",),
            state="disabled",
        )
        for n in range(len(POLICIES) + 1, count + 1)
    ]
    return (POLICIES + extra)[:count]


def evaluate(policies: list[Policy], ctx: Context) -> tuple[list[dict], str]:
    """The ``appliedConditionalAccessPolicies`` array and ``conditionalAccessStatus``."""
    applied = [_evaluate_one(p, ctx) for p in policies]
    enforced = [a["result"] for a in applied if not a["result"].startswith("reportOnly")]
    status = "failure" if "failure" in enforced else "success" if "success" in enforced else "notApplied"
    return applied, status


def _evaluate_one(policy: Policy, ctx: Context) -> dict:
    if policy.state == "disabled":
        return _entry(policy, "notEnabled", [], ["none"], [])
    if ctx.mfa == "none":
        # Primary authentication failed: Conditional Access never ran.
        return _entry(policy, _mode(policy, "notApplied"), [], ["none"], list(policy.grants))
    satisfied, missing = _walk(policy, ctx)
    if missing:
        return _entry(policy, _mode(policy, "notApplied"), satisfied, [missing], list(policy.grants))
    result = "success" if _grants_met(policy, ctx) else "failure"
    return _entry(policy, _mode(policy, result), satisfied, ["none"], list(policy.grants))


def _walk(policy: Policy, ctx: Context):
    """Test conditions in flag order, stopping at the first that does not hold."""
    satisfied = []
    for name, test in policy.ordered:
        if not test(ctx):
            return satisfied, name
        satisfied.append(name)
    return satisfied, None


def _grants_met(policy: Policy, ctx: Context) -> bool:
    checks = {
        "Mfa": ctx.mfa == "satisfied" and (ctx.strong or policy.number != 11),
        "Block": False,
        "RequireCompliantDevice": ctx.compliant,
        "RequireCompliantApp": True,
        "TermsOfUse": True,
        "PasswordChange": True,
    }
    return all(checks[g] for g in policy.grants)


def _mode(policy: Policy, result: str) -> str:
    if policy.state != "reportOnly":
        return result
    return "reportOnly" + result[0].upper() + result[1:]


def _entry(policy, result, satisfied, missing, grants) -> dict:
    """One entry in Graph beta's shape (the list endpoint's seven properties)."""
    applied = result not in ("notApplied", "notEnabled", "reportOnlyNotApplied")
    return {
        "id": policy.id,
        "displayName": policy.display_name,
        "enforcedGrantControls": grants,
        "enforcedSessionControls": list(policy.session) if applied else [],
        "result": result,
        "conditionsSatisfied": ",".join(satisfied) or "none",
        "conditionsNotSatisfied": ",".join(missing),
    }
