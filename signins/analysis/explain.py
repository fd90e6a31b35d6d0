"""`signins explain`: what happened in one sign-in attempt, each cause with its evidence, and the fix; or,
for a user principal name, that user's recent failed sign-ins, each with its cause, fix and ids to quote."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import duckdb

from signins.errors import SigninsError
from signins.text import printable
from transforms.rules import load_rules


class NotFound(SigninsError):
    exit_code = 6


SELECT_ROWS = """
SELECT s.id, s.created_at, s.error_code, s.failure_reason, s.additional_details, s.user_principal_name,
       s.app_display_name, s.ip_address, s.city, s.country_or_region, s.client_app_used, s.device_operating_system,
       s.device_browser, s.correlation_id, t.primary_cause, t.causes, t.confidence, t.evidence::VARCHAR, t.fix,
       t.policies, t.requirement_providers, t.verdict, t.verdict_reason, t.password_failures_hour,
       t.password_failure_ips_hour, t.spray_users_hour, t.mfa_interrupts_hour, t.ca_blocks_hour,
       t.password_known_elsewhere, s.tenant_id
FROM signins s LEFT JOIN cause_tags t ON t.tenant_id = s.tenant_id AND t.signin_id = s.id
"""
ROWS = SELECT_ROWS + "WHERE s.id = ? OR s.correlation_id = ?\nORDER BY s.created_at, s.tenant_id, s.id\n"
# Asked only when no sign-in has the key as its id or correlation id, so that their output stays as it was.
ROWS_BY_REQUEST = SELECT_ROWS + "WHERE s.original_request_id = ?\nORDER BY s.created_at, s.tenant_id, s.id\n"
EVIDENCE = 17  # the position of t.evidence in ROWS

# A user's sign-ins per tenant (a sign-in is its tenant and its id): the spellings of the name, the failures.
USER_TENANTS = """
SELECT s.tenant_id, list(DISTINCT s.user_principal_name ORDER BY s.user_principal_name),
       count(*) FILTER (s.error_code <> 0), count(*) FILTER (s.error_code = 500121),
       min(s.created_at) FILTER (s.error_code <> 0), max(s.created_at) FILTER (s.error_code <> 0)
FROM signins s
WHERE lower(s.user_principal_name) = lower(?)
GROUP BY s.tenant_id
ORDER BY s.tenant_id
"""
# The findings about the user in each tenant: user_findings is keyed by the tenant and the cause engine's
# user key, so through the cause tags of the user's sign-ins in that tenant.
USER_FINDINGS = """
SELECT DISTINCT s.tenant_id, f.finding, f.detail
FROM signins s
JOIN cause_tags t ON t.tenant_id = s.tenant_id AND t.signin_id = s.id
JOIN user_findings f ON f.tenant_id = t.tenant_id AND f.user_key = t.user_key
WHERE lower(s.user_principal_name) = lower(?)
ORDER BY s.tenant_id, f.finding, f.detail
"""
# The findings about the user of an attempt's sign-ins.
ATTEMPT_FINDINGS = """
SELECT DISTINCT f.finding, f.detail
FROM cause_tags t JOIN user_findings f ON f.tenant_id = t.tenant_id AND f.user_key = t.user_key
WHERE list_contains(?, t.signin_id)
ORDER BY 1, 2
"""
# What to do for a privileged account locked out of MFA, most direct first (docs/fixes.md).
LOCKOUT_STEPS = (
    "locked-out administrator (docs/fixes.md): another administrator resets the MFA registration or issues a "
    "Temporary Access Pass; else a pass issued earlier, a registered backup method, a device or network that "
    "signed in before, the emergency access (break-glass) account; last, Microsoft support with the request "
    "id, correlation id and time"
)
# The user's newest failed sign-ins, at most $limit per tenant, newest first.
USER_FAILURES = """
SELECT s.tenant_id, s.created_at, s.app_display_name, s.ip_address, s.city, s.country_or_region, s.error_code,
       s.failure_reason, s.id, s.correlation_id, t.primary_cause, t.confidence, t.fix, t.verdict, t.verdict_reason
FROM signins s LEFT JOIN cause_tags t ON t.tenant_id = s.tenant_id AND t.signin_id = s.id
WHERE lower(s.user_principal_name) = lower($upn) AND s.error_code <> 0
QUALIFY row_number() OVER (PARTITION BY s.tenant_id ORDER BY s.created_at DESC, s.id DESC) <= $limit
ORDER BY s.tenant_id, s.created_at DESC, s.id DESC
"""


def _row_line(row: tuple) -> str:
    (sid, at, code, reason, details, upn, app, ip, city, country, client, os_, browser, *_rest, tenant) = row
    where = ", ".join(p for p in (city, country) if p) or "unknown place"
    what = "success" if code == 0 else f"error {code}: {reason or 'no reason given'}"
    line = (
        f"{at:%Y-%m-%d %H:%M:%S} UTC  {upn or '?'} -> {app or '?'} from {ip or '?'} ({where}), "
        f"{client or '?'} on {os_ or '?'} / {browser or '?'}: {what}" + (f" [tenant {tenant}]" if tenant else "")
    )
    return line + (f"\n    {details}" if details else "")


def _causes(row: tuple, titles: dict[str, str]) -> list[str]:
    primary, causes, confidence, evidence, fix, policies, providers = row[14:21]
    if primary is None:
        return ["    not tagged yet: run `signins tag`"]
    verdict, reason = row[21:23]
    lines = [
        f"    likely cause: {primary} ({titles.get(primary, primary)}), confidence {confidence:.2f}",
        f"    verdict: {verdict} ({reason})",
    ]
    for cause, fields in json.loads(evidence).items():
        shown = ", ".join(f"{printable(k)}={printable(v)}" for k, v in fields.items())
        lines.append(f"      - {cause}: {titles.get(cause, cause)} [{shown}]")
    lines.append(hour_before(*row[23:29]))
    lines.append(f"    fix: {fix}")
    demanded = ", ".join(policies or []) or "no Conditional Access policy"
    lines.append(
        f"    MFA demanded by: {demanded}; requirement providers: {', '.join(providers or []) or 'none recorded'}"
    )
    return lines


def hour_before(
    wrong: int | None, ips: int | None, spray: int | None, interrupts: int | None, blocks: int | None, elsewhere
) -> str:
    """What happened in the hour before a 500121 failure (cause_tags), as one line."""
    if wrong is None:
        return "    the hour before: not recorded (tagged by an older version: run `signins tag --full`)"
    line = (
        f"    the hour before: {wrong} wrong password(s) from {ips} IP address(es); {spray} user(s) failed a "
        f"password from this IP address; {interrupts} other MFA interrupt(s); {blocks} Conditional Access block(s)"
    )
    return line + ("; the right password from a source the user never signed in from" if elsewhere else "")


def _shown(value: object) -> object:
    """A value from the logs as it may be printed: text (and each text of a list) with its control
    characters escaped; the evidence, JSON text, is escaped value by value once parsed."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def explain(con: duckdb.DuckDBPyConnection, key: str, limit: int = 20) -> str:
    """The explanation of a sign-in id, correlation id or request id (the original_request_id), else of a
    user principal name (that user's `limit` newest failures per tenant), as text: every value from the
    logs escaped."""
    rows = con.execute(ROWS, [key, key]).fetchall() or con.execute(ROWS_BY_REQUEST, [key]).fetchall()
    if rows:
        findings = con.execute(ATTEMPT_FINDINGS, [[row[0] for row in rows]]).fetchall()
        return _attempt(rows, key, findings)
    user = _user(con, key, limit)
    if user is None:
        raise NotFound(
            f"{printable(key)}: no sign-in with this id, correlation id or request id, "
            "and none by this user principal name, in the store"
        )
    return user


def _attempt(found: list[tuple], key: str, findings: list[tuple[str, str]]) -> str:
    """One sign-in attempt: its rows (the versions of the sign-in, the steps of the attempt), causes, and
    the findings about its user."""
    rows = [tuple(value if column == EVIDENCE else _shown(value) for column, value in enumerate(row)) for row in found]
    titles = {rule.id: rule.title for rule in load_rules()}
    lines = [f"Sign-in attempt {printable(key)}: {len(rows)} row(s)"]
    for row in rows:
        lines.append(_row_line(row))
        if row[2] == 500121:
            lines.extend(_causes(row, titles))
    if findings:
        lines.append("User findings: " + ", ".join(f"{printable(f)} ({printable(d)})" for f, d in findings))
    if any(finding == "privileged_lockout" for finding, _ in findings):
        lines.append("What to do: " + LOCKOUT_STEPS)
    failed = [row for row in rows if row[2] not in (0, None)] or rows
    quote = failed[-1]
    lines.append(
        f"To quote to support: Request ID {quote[0]}, Correlation ID {quote[13] or '-'}, "
        f"Timestamp {quote[1]:%Y-%m-%dT%H:%M:%SZ}"
    )
    return "\n".join(lines)


class Failure(NamedTuple):
    """One failed sign-in of a user, as USER_FAILURES reads it (text from the logs already escaped)."""

    created_at: datetime
    app: str | None
    ip: str | None
    city: str | None
    country: str | None
    error_code: int
    reason: str | None
    signin_id: str
    correlation_id: str | None
    primary_cause: str | None
    confidence: float | None
    fix: str | None
    verdict: str | None
    verdict_reason: str | None


def _user(con: duckdb.DuckDBPyConnection, upn: str, limit: int) -> str | None:
    """A user's failed sign-ins, newest first, grouped per tenant; None when no sign-in has this user
    principal name (compared without case)."""
    tenants = [tuple(_shown(value) for value in row) for row in con.execute(USER_TENANTS, [upn]).fetchall()]
    if not tenants:
        return None
    findings: dict[str, list[str]] = {}
    for tenant, finding, detail in con.execute(USER_FINDINGS, [upn]).fetchall():
        findings.setdefault(printable(tenant), []).append(f"{printable(finding)} ({printable(detail)})")
    failures: dict[str, list[Failure]] = {}
    for tenant, *values in con.execute(USER_FAILURES, {"upn": upn, "limit": limit}).fetchall():
        failures.setdefault(printable(tenant), []).append(Failure(*(_shown(value) for value in values)))
    titles = {rule.id: rule.title for rule in load_rules()}

    names = sorted({name for _tenant, spellings, *_counts in tenants for name in spellings})
    firsts = [row[4] for row in tenants if row[4] is not None]
    lasts = [row[5] for row in tenants if row[5] is not None]
    everywhere = sorted({item for items in findings.values() for item in items})
    lines = [
        f"User {', '.join(names)} in {_tenant_names([row[0] for row in tenants])}: "
        + _summary(
            sum(row[2] for row in tenants),
            sum(row[3] for row in tenants),
            min(firsts, default=None),
            max(lasts, default=None),
            everywhere,
        )
    ]
    if any(item.startswith("privileged_lockout ") for item in everywhere):
        lines.append("What to do: " + LOCKOUT_STEPS)
    for tenant, _spellings, failed, mfa, first, last in tenants:
        if len(tenants) > 1:
            lines.append(f"Tenant {_tenant_name(tenant)}: {_summary(failed, mfa, first, last, findings.get(tenant))}")
        shown = failures.get(tenant, [])
        for failure in shown:
            lines.append(_failure_line(failure))
            lines.extend(_failure_cause_lines(failure, titles))
            lines.append(
                f"    to quote: sign-in (Request) ID {failure.signin_id}, "
                f"Correlation ID {failure.correlation_id or '-'}, Tenant {_tenant_name(tenant)}"
            )
        if len(shown) < failed:
            lines.append(f"showing the {len(shown)} newest of {failed} failures; --limit {failed} for all")
    return "\n".join(lines)


def _tenant_name(tenant: str) -> str:
    return tenant or "(none recorded)"


def _tenant_names(tenants: list[str]) -> str:
    if len(tenants) == 1:
        return f"tenant {_tenant_name(tenants[0])}"
    return f"{len(tenants)} tenants ({', '.join(_tenant_name(t) for t in tenants)})"


def _summary(failed: int, mfa: int, first: datetime | None, last: datetime | None, findings: list[str] | None) -> str:
    """The failures' count, how many are 500121, their span and the findings, as one line's text."""
    span = f", first {first:%Y-%m-%d %H:%M:%S} UTC, last {last:%Y-%m-%d %H:%M:%S} UTC" if first else ""
    found = f"; findings: {', '.join(findings)}" if findings else "; no user findings"
    return f"{failed} failed sign-in(s) in the store, {mfa} of them 500121{span}{found}"


def _failure_line(failure: Failure) -> str:
    where = ", ".join(p for p in (failure.city, failure.country) if p) or "unknown place"
    return (
        f"{failure.created_at:%Y-%m-%d %H:%M:%S} UTC  {failure.app or '?'} from {failure.ip or '?'} ({where}): "
        f"error {failure.error_code}: {failure.reason or 'no reason given'}"
    )


def _failure_cause_lines(failure: Failure, titles: dict[str, str]) -> list[str]:
    """What the engine says about one failed sign-in: its primary cause, its verdict and the fix."""
    if failure.primary_cause is not None:
        cause = failure.primary_cause
        return [
            f"    likely cause: {cause} ({titles.get(cause, cause)}), confidence {failure.confidence:.2f}",
            f"    verdict: {failure.verdict} ({failure.verdict_reason})",
            f"    fix: {failure.fix}",
        ]
    if failure.error_code == 500121:
        return ["    not tagged yet: run `signins tag`"]
    return ["    no cause tag: only error 500121 is tagged"]
