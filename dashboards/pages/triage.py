"""The landing page: is the data fresh and whole, and who needs a person today, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dashboards.pages import Inputs, Page, Table, count, user_cell, when


@dataclass(frozen=True)
class FindingKind:
    title: str
    action: str  # what the analyst does about it today


# The kinds of finding the landing page lists, most urgent first (sql/report/20_findings.sql makes the
# rows). A finding the engine learns to make is one more entry here and one more query there.
FINDING_KINDS = {
    "privileged_lockout": FindingKind(
        "Privileged account locked out",
        "Call the administrator on a known number, then the locked-out administrator steps (docs/fixes.md): "
        "another administrator resets MFA or issues a Temporary Access Pass; else a backup method, a known "
        "device, the emergency access account, Microsoft support with the ids.",
    ),
    "fatigue_then_success": FindingKind(
        "MFA fatigue followed by a success",
        "Treat the account as compromised: revoke its sessions, reset its password, review what it accessed.",
    ),
    "fatigue_burst": FindingKind(
        "MFA fatigue burst",
        "Someone holds the password and pushes prompts: block sign-in, reset the password, revoke the sessions; "
        "tell the user never to approve a prompt they did not start.",
    ),
    "fraud_reported": FindingKind(
        "MFA prompt reported as fraud",
        "The password is likely known: call the user, reset the password, check the sign-ins around the report.",
    ),
    "password_known_elsewhere": FindingKind(
        "Right password from a source the user never used",
        "Ask the user whether the sign-in was theirs; if not, reset the password and revoke the sessions.",
    ),
    "newly_recurring": FindingKind(
        "Newly recurring MFA failures",
        "Contact the user with the fix for the dominant cause before the failures turn into tickets.",
    ),
}
STALE_AFTER = timedelta(days=1)


# What a run's state (sql/schema/005_runs.sql) says about its validation gates.
RUN_OUTCOMES = {
    "kept": "kept: its data passed the validation gates",
    "undone": "undone: the validation gates failed, or it stopped and the next writer undid it",
    "landing": "still landing, or stopped mid-way (the next run completes the work)",
}


def warnings(health: dict, now: datetime) -> list[str]:
    """What makes the report's numbers stale or partial, in one sentence each."""
    lines = []
    newest = health["newest_signin"]
    if newest is None:
        lines.append("The store holds no sign-in.")
    elif now - newest > STALE_AFTER:
        lines.append(
            f"The newest sign-in is from {when(newest)} UTC, {(now - newest).days} day(s) before this report: "
            "check that the nightly pull or ingest still runs."
        )
    if untagged := health["untagged"]:
        lines.append(
            f"{count(untagged, 'sign-in')} loaded since the last tagging {'is' if untagged == 1 else 'are'} not "
            "counted here: run `signins tag`, then `signins report`."
        )
    state = health["last_run_state"]
    if state in ("landing", "undone"):
        what = "is still landing or stopped mid-way" if state == "landing" else "failed and was undone"
        lines.append(
            f"The last run ({when(health['last_run_at'])} UTC) {what}: see its log; the next run completes the work."
        )
    return lines


def build(inputs: Inputs) -> Page:
    findings = inputs.fetch("triage_findings")
    health = inputs.fetch("triage_health").row(0, named=True)
    now = datetime.now(UTC)
    order = list(FINDING_KINDS)
    rows = sorted(findings.iter_rows(named=True), key=lambda r: (order.index(r["kind"]), -r["last_at"].timestamp()))
    table = Table(
        "Who needs a person today",
        "Most urgent first. Open a user for each failure's cause, evidence, fix and ids; "
        "`signins explain <user>` prints the same in a terminal.",
        (
            "finding",
            "user",
            "verdict",
            "since (UTC)",
            "last failure (UTC)",
            "cause",
            "what to do",
            "fix for the user",
            "detail",
        ),
        [
            (
                FINDING_KINDS[r["kind"]].title,
                user_cell(inputs, r),
                r["verdict"],
                r["since"],
                r["last_at"],
                inputs.title(r["cause"]),
                FINDING_KINDS[r["kind"]].action,
                inputs.fix(r["cause"]),
                r["detail"],
            )
            for r in rows
        ],
    )
    health_table = Table(
        "Data and runs",
        "Quarantined records are kept in the store's quarantine table with their file, place and reason.",
        (
            "newest sign-in (UTC)",
            "last loaded (UTC)",
            "tagged up to (UTC)",
            "stored sign-ins",
            "quarantined records",
            "last run",
            "started (UTC)",
            "outcome",
            "quarantined in that run",
        ),
        [
            (
                health["newest_signin"],
                health["last_loaded"],
                health["tagged_until"],
                health["signins_stored"],
                health["quarantined"],
                health["last_run"],
                health["last_run_at"],
                RUN_OUTCOMES.get(health["last_run_state"], health["last_run_state"]),
                health["last_run_quarantined"] if health["last_run"] else None,
            )
        ],
    )
    by_kind = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in FINDING_KINDS}
    summary = [
        "Needs a person: "
        + ("; ".join(f"{FINDING_KINDS[k].title}: {n:,}" for k, n in by_kind.items() if n) or "nobody")
        + "."
    ]
    return Page(
        "index",
        "Today",
        "Who needs a person today, and whether the data is fresh",
        summary,
        [table, health_table],
        warnings=warnings(health, now),
    )
