"""Alerts after a run, through apprise (Teams, Slack, email, a webhook: one URL in SIGNINS_NOTIFY_URL).

What deserves waking someone: a new finding whose verdict is hostile (a fatigue burst, a fraud report, a
password spray that hit: the failures behind it, sql/causes/20_user_findings.sql), a privileged account
locked out of MFA whatever the verdict, and a failed run. The URL carries a token: it is never logged.
"""

from __future__ import annotations

from dataclasses import dataclass

import apprise

from signins.text import printable

# What each kind of user finding is, as an alert names it.
FINDING_TITLES = {
    "fatigue_then_success": "MFA fatigue burst followed by a success",
    "fatigue_burst": "MFA fatigue burst",
    "fraud_reported": "MFA prompt reported as fraud",
    "password_known_elsewhere": "the right password from a source the user never used",
    "privileged_lockout": "privileged account failing MFA",
    "recurring": "recurring MFA failures",
    "became_recurring": "newly recurring MFA failures",
}
ALWAYS_ALERTING = {"privileged_lockout"}  # an administrator locked out needs help, attack or not


@dataclass(frozen=True)
class Alert:
    title: str
    body: str


def deserves_alert(finding: dict) -> bool:
    return finding["finding"] in ALWAYS_ALERTING or finding["verdict"] == "hostile"


def finding_alerts(new_findings: list[dict]) -> list[Alert]:
    """One alert per new finding that deserves one."""
    return [
        Alert(
            f"signin-analytics: {FINDING_TITLES.get(f['finding'], f['finding'])} ({f['verdict']}): "
            + printable(f["user_principal_name"] or f["user_key"]),
            printable(f["detail"]),
        )
        for f in new_findings
        if deserves_alert(f)
    ]


def send(url: str | None, alerts: list[Alert]) -> int:
    """Send the alerts to the apprise URL; returns how many were delivered (0 without a URL)."""
    if not url or not alerts:
        return 0
    target = apprise.Apprise()
    if not target.add(url):
        return 0
    return sum(bool(target.notify(title=alert.title, body=alert.body)) for alert in alerts)
