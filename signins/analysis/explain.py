"""`signins explain`: what happened in one sign-in attempt, each cause with its evidence, and the fix."""

from __future__ import annotations

import json

import duckdb

from signins.errors import SigninsError
from signins.text import printable
from transforms.rules import load_rules


class NotFound(SigninsError):
    exit_code = 6


ROWS = """
SELECT s.id, s.created_at, s.error_code, s.failure_reason, s.additional_details, s.user_principal_name,
       s.app_display_name, s.ip_address, s.city, s.country_or_region, s.client_app_used, s.device_operating_system,
       s.device_browser, s.correlation_id, t.primary_cause, t.causes, t.confidence, t.evidence::VARCHAR, t.fix,
       t.policies, t.requirement_providers, s.tenant_id
FROM signins s LEFT JOIN cause_tags t ON t.tenant_id = s.tenant_id AND t.signin_id = s.id
WHERE s.id = ? OR s.correlation_id = ?
ORDER BY s.created_at, s.tenant_id, s.id
"""
EVIDENCE = 17  # the position of t.evidence in ROWS


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
    lines = [f"    likely cause: {primary} ({titles.get(primary, primary)}), confidence {confidence:.2f}"]
    for cause, fields in json.loads(evidence).items():
        shown = ", ".join(f"{printable(k)}={printable(v)}" for k, v in fields.items())
        lines.append(f"      - {cause}: {titles.get(cause, cause)} [{shown}]")
    lines.append(f"    fix: {fix}")
    demanded = ", ".join(policies or []) or "no Conditional Access policy"
    lines.append(
        f"    MFA demanded by: {demanded}; requirement providers: {', '.join(providers or []) or 'none recorded'}"
    )
    return lines


def _shown(value: object) -> object:
    """A value from the logs as it may be printed: text (and each text of a list) with its control
    characters escaped; the evidence, JSON text, is escaped value by value once parsed."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def explain(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """The explanation of a sign-in id or correlation id, as text: every value from the logs escaped."""
    rows = [
        tuple(value if column == EVIDENCE else _shown(value) for column, value in enumerate(row))
        for row in con.execute(ROWS, [key, key]).fetchall()
    ]
    if not rows:
        raise NotFound(f"{printable(key)}: no sign-in with this id or correlation id in the store")
    titles = {rule.id: rule.title for rule in load_rules()}
    lines = [f"Sign-in attempt {printable(key)}: {len(rows)} row(s)"]
    for row in rows:
        lines.append(_row_line(row))
        if row[2] == 500121:
            lines.extend(_causes(row, titles))
    failed = [row for row in rows if row[2] not in (0, None)] or rows
    quote = failed[-1]
    lines.append(
        f"To quote to support: Request ID {quote[0]}, Correlation ID {quote[13] or '-'}, "
        f"Timestamp {quote[1]:%Y-%m-%dT%H:%M:%SZ}"
    )
    return "\n".join(lines)
