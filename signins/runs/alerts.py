"""Alerts after a run, through apprise (Teams, Slack, email, a webhook: one URL in SIGNINS_NOTIFY_URL).

What deserves waking someone: a fatigue burst followed by a success (an attacker may be in), a
privileged account locked out of MFA, and a failed run. The URL carries a token: it is never logged.
"""

from __future__ import annotations

from dataclasses import dataclass

import apprise

from signins.text import printable

ALERTING_FINDINGS = {
    "fatigue_then_success": "MFA fatigue burst followed by a success",
    "privileged_lockout": "privileged account failing MFA",
}


@dataclass(frozen=True)
class Alert:
    title: str
    body: str


def finding_alerts(new_findings: list[dict]) -> list[Alert]:
    """One alert per new finding that deserves one."""
    return [
        Alert(
            f"signin-analytics: {ALERTING_FINDINGS[f['finding']]}: "
            + printable(f["user_principal_name"] or f["user_key"]),
            printable(f["detail"]),
        )
        for f in new_findings
        if f["finding"] in ALERTING_FINDINGS
    ]


def send(url: str | None, alerts: list[Alert]) -> int:
    """Send the alerts to the apprise URL; returns how many were delivered (0 without a URL)."""
    if not url or not alerts:
        return 0
    target = apprise.Apprise()
    if not target.add(url):
        return 0
    return sum(bool(target.notify(title=alert.title, body=alert.body)) for alert in alerts)
