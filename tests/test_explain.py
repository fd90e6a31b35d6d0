"""`signins explain KEY` through the real CLI: a sign-in by its request id, and a user by user principal name
(that user's failed sign-ins, newest first, per tenant, with cause, fix and ids to quote; --limit says what it
left out); nothing found is one line and exit 6; what the logs say is shown escaped, never obeyed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from signins.analysis.tagging import tag
from tests.conftest import FIXTURES, Store
from tests.conftest import rows_of as query
from transforms.thresholds import load_thresholds

BASE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
# Retitle the terminal, move up a line and erase it, reverse the text that follows, forge a line.
HOSTILE = "evil\x1b]0;pwned\x07\x1b[1A\x1b[2K\u202e\nOK   forged"
HOSTILE_SHOWN = "evil\\x1b]0;pwned\\x07\\x1b[1A\\x1b[2K\\u202e\\nOK   forged"
HOSTILE_UPN = f"{HOSTILE}@fabrikam.com"
CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + ["\u2028", "\u2029", "\u202e", "\u2066"]
FAILURE_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC  .* error (\d+): ")
QUOTE_LINE = re.compile(r"^    to quote: sign-in \(Request\) ID (\S+), Correlation ID (\S+), Tenant (\S+)$")


def signins(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=300)


def explain(db: Path, *args: str) -> subprocess.CompletedProcess:
    return signins("explain", *args, "--db", str(db))


def failures_shown(stdout: str) -> list[tuple]:
    """Each failure the output lists: (time, error code, primary cause, fix, sign-in id, correlation id,
    tenant), in the order shown."""
    shown, current = [], None
    for line in stdout.split("\n"):
        if start := FAILURE_LINE.match(line):
            current = {"at": start[1], "code": int(start[2]), "cause": None, "fix": None}
        elif current is not None and line.startswith("    likely cause: "):
            current["cause"] = line.removeprefix("    likely cause: ").split(" ", 1)[0]
        elif current is not None and line.startswith("    fix: "):
            current["fix"] = line.removeprefix("    fix: ")
        elif current is not None and (ids := QUOTE_LINE.match(line)):
            shown.append((current["at"], current["code"], current["cause"], current["fix"], *ids.groups()))
            current = None
    return shown


def failures_stored(db: Path, upn: str) -> list[tuple]:
    """The same, read from the store: every sign-in of the user (exactly so spelled) that failed, newest first."""
    rows = query(
        db,
        "SELECT s.created_at, s.error_code, t.primary_cause, t.fix, s.id, s.correlation_id, s.tenant_id "
        "FROM signins s LEFT JOIN cause_tags t ON t.tenant_id = s.tenant_id AND t.signin_id = s.id "
        "WHERE s.user_principal_name = ?",
        [upn],
    )
    failed = sorted((row for row in rows if row[1] != 0), key=lambda row: (row[0], row[4]), reverse=True)
    return [(f"{at:%Y-%m-%d %H:%M:%S}", *rest) for at, *rest in failed]


def lines_without_controls(text: str) -> list[str]:
    lines = text.split("\n")
    assert not [line for line in lines if any(c in line for c in CONTROLS)], text
    return lines


def sample_user(db: Path, with_finding: bool) -> tuple[str, int]:
    """The sample user (user principal name, stored in lower case) with the most failures, of those with a
    user finding or of all; and that number."""
    return query(
        db,
        "SELECT user_principal_name, count(*) FROM signins "
        "WHERE error_code <> 0 AND user_principal_name = lower(user_principal_name) "
        "AND (NOT ? OR user_principal_name IN (SELECT user_principal_name FROM user_findings)) "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        [with_finding],
    )[0]


def test_a_user_s_failures_are_listed_newest_first_as_the_store_has_them(tagged_sample: Path):
    upn, failed = sample_user(tagged_sample, with_finding=True)
    expected = failures_stored(tagged_sample, upn)
    assert len(expected) == failed and {code for _at, code, *_ in expected} > {500121}
    ((tenant, mfa, first, last),) = query(
        tagged_sample,
        "SELECT tenant_id, count(*) FILTER (error_code = 500121), min(created_at), max(created_at) FROM signins "
        "WHERE user_principal_name = ? AND error_code <> 0 GROUP BY 1",
        [upn],
    )
    findings = query(tagged_sample, "SELECT finding, detail FROM user_findings WHERE user_principal_name = ?", [upn])
    done = explain(tagged_sample, upn, "--limit", str(failed))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip("\n").split("\n")
    assert lines[0] == (
        f"User {upn} in tenant {tenant}: {failed} failed sign-in(s) in the store, {mfa} of them 500121, "
        f"first {first:%Y-%m-%d %H:%M:%S} UTC, last {last:%Y-%m-%d %H:%M:%S} UTC; findings: "
        + ", ".join(f"{finding} ({detail})" for finding, detail in sorted(findings))
    )
    assert failures_shown(done.stdout) == expected
    # every 500121 comes with its cause's title; every other failure says it has no cause tag
    assert done.stdout.count("    likely cause: ") == mfa
    verdicts = query(
        tagged_sample,
        "SELECT t.verdict, t.verdict_reason FROM cause_tags t JOIN signins s ON s.tenant_id = t.tenant_id "
        "AND s.id = t.signin_id WHERE s.user_principal_name = ? ORDER BY s.created_at DESC, s.id DESC",
        [upn],
    )
    assert re.findall(r"^    verdict: (\w+) \((.*)\)$", done.stdout, re.M) == verdicts
    assert done.stdout.count("    no cause tag: only error 500121 is tagged") == failed - mfa
    assert "showing the" not in done.stdout


def test_the_user_principal_name_is_matched_in_any_case(tagged_sample: Path):
    upn, _failed = sample_user(tagged_sample, with_finding=False)
    lower = explain(tagged_sample, upn)
    mixed = explain(tagged_sample, upn[:3].upper() + upn[3:].replace("contoso", "CONTOSO"))
    assert lower.returncode == mixed.returncode == 0, mixed.stderr
    assert mixed.stdout == lower.stdout and lower.stdout.startswith(f"User {upn} in tenant ")


def test_limit_shows_the_newest_and_says_how_many_it_left_out(tagged_sample: Path):
    upn, failed = sample_user(tagged_sample, with_finding=False)
    assert failed > 20  # the default limit must cut
    expected = failures_stored(tagged_sample, upn)
    default = explain(tagged_sample, upn)
    assert default.returncode == 0, default.stderr
    assert failures_shown(default.stdout) == expected[:20]
    assert default.stdout.rstrip("\n").split("\n")[-1] == (
        f"showing the 20 newest of {failed} failures; --limit {failed} for all"
    )
    three = explain(tagged_sample, upn, "--limit", "3")
    assert failures_shown(three.stdout) == expected[:3]
    assert (
        three.stdout.rstrip("\n").split("\n")[-1]
        == f"showing the 3 newest of {failed} failures; --limit {failed} for all"
    )
    everything = explain(tagged_sample, upn, "--limit", str(failed))
    assert failures_shown(everything.stdout) == expected and "showing the" not in everything.stdout
    assert explain(tagged_sample, upn, "--limit", "0").returncode == 2


def test_an_unknown_user_is_one_line_and_exit_6(tagged_sample: Path):
    done = explain(tagged_sample, "Nobody.Here@contoso-sample.com")
    assert done.returncode == 6 and done.stdout == ""
    assert done.stderr == (
        "error: Nobody.Here@contoso-sample.com: no sign-in with this id, correlation id or request id, "
        "and none by this user principal name, in the store\n"
    )


def test_a_sign_in_is_found_by_its_request_id(tagged_sample: Path):
    ((signin_id, request_id),) = query(
        tagged_sample,
        "SELECT id, original_request_id FROM signins WHERE error_code = 500121 AND original_request_id <> id "
        "ORDER BY created_at, id LIMIT 1",
    )
    by_request = explain(tagged_sample, request_id)
    by_id = explain(tagged_sample, signin_id)
    assert by_request.returncode == by_id.returncode == 0, by_request.stderr
    assert by_request.stdout.split("\n", 1)[0] == f"Sign-in attempt {request_id}: 1 row(s)"
    # the same sign-in, shown as its id shows it: the same lines after the header, the same ids to quote
    assert by_request.stdout.split("\n", 1)[1] == by_id.stdout.split("\n", 1)[1]
    assert f"To quote to support: Request ID {signin_id}, " in by_request.stdout


def record(signin_id: str, upn: str, at: str, code: int, **fields) -> dict:
    return {
        **BASE,
        "id": signin_id,
        "originalRequestId": signin_id,
        "correlationId": f"corr-{signin_id}",
        "userPrincipalName": upn,
        "createdDateTime": at,
        "status": {"errorCode": code, "failureReason": f"reason {code}", "additionalDetails": None},
        **fields,
    }


# Dana signs in to two tenants (her name spelled differently in each, stored in lower case); one sign-in id
# occurs in both. In tenant-a she fails MFA on three days (a recurring finding), in tenant-b on one.
TENANT_A = [
    record("a-1", "Dana.Scully@Fabrikam.com", "2026-11-03T08:00:00Z", 500121),
    record("a-2", "Dana.Scully@Fabrikam.com", "2026-11-03T09:00:00Z", 50074),
    record("a-3", "Dana.Scully@Fabrikam.com", "2026-11-03T10:00:00Z", 0),
    record("shared-1", "Dana.Scully@Fabrikam.com", "2026-11-04T08:00:00Z", 500121),
    record("a-6", "Dana.Scully@Fabrikam.com", "2026-11-05T09:00:00Z", 500121),
    # a later sign-in of the same authentication sequence as a-1: its original request id is a-1's id
    record("a-4", "walter.skinner@fabrikam.com", "2026-11-03T08:01:00Z", 500121, originalRequestId="a-1"),
    record("a-5", "walter.skinner@fabrikam.com", "2026-11-03T11:00:00Z", 50074, originalRequestId="req-only-5"),
    record(
        "hostile-1",
        HOSTILE_UPN,
        "2026-11-03T12:00:00Z",
        500121,
        appDisplayName=HOSTILE,
        status={"errorCode": 500121, "failureReason": HOSTILE, "additionalDetails": HOSTILE},
    ),
]
TENANT_B = [
    record("shared-1", "dana.scully@fabrikam.com", "2026-11-05T08:00:00Z", 50126),
    record("b-2", "dana.scully@fabrikam.com", "2026-11-06T08:00:00Z", 500121),
]


@pytest.fixture(scope="module")
def tenants(tmp_path_factory) -> Path:
    """A small tagged store: the records above, loaded for tenant-a and tenant-b."""
    folder = tmp_path_factory.mktemp("tenants")
    store = Store(folder / "s.duckdb")
    for tenant, records in (("tenant-a", TENANT_A), ("tenant-b", TENANT_B)):
        path = folder / f"{tenant}.json"
        # a user's object id is the tenant's own
        users = [{**r, "userId": f"{tenant}/{r['userPrincipalName'].lower()}"} for r in records]
        path.write_text(json.dumps({"value": users}))
        store.ingest(path, tenant=tenant)
    tag(store.con, load_thresholds())
    assert store.scalar("SELECT count(*) FROM cause_tags") == 6
    store.con.close()
    return store.db_path


def test_the_same_user_in_two_tenants_is_shown_per_tenant(tenants: Path):
    done = explain(tenants, "DANA.scully@fabrikam.COM")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip("\n").split("\n")
    found = query(
        tenants,
        "SELECT finding, detail FROM user_findings WHERE user_key = 'tenant-a/dana.scully@fabrikam.com' ORDER BY ALL",
    )
    # a first tagging run: the user became recurring with it
    assert [finding for finding, _ in found] == ["became_recurring", "recurring"]
    findings = ", ".join(f"{finding} ({detail})" for finding, detail in found)
    assert lines[0] == (
        "User dana.scully@fabrikam.com in 2 tenants (tenant-a, tenant-b): 6 failed sign-in(s) in the store, "
        "4 of them 500121, first 2026-11-03 08:00:00 UTC, last 2026-11-06 08:00:00 UTC; "
        f"findings: {findings}"
    )
    headers = [n for n, line in enumerate(lines) if line.startswith("Tenant ")]
    assert [lines[n] for n in headers] == [
        "Tenant tenant-a: 4 failed sign-in(s) in the store, 3 of them 500121, first 2026-11-03 08:00:00 UTC, "
        f"last 2026-11-05 09:00:00 UTC; findings: {findings}",
        "Tenant tenant-b: 2 failed sign-in(s) in the store, 1 of them 500121, first 2026-11-05 08:00:00 UTC, "
        "last 2026-11-06 08:00:00 UTC; no user findings",
    ]
    section_a = "\n".join(lines[headers[0] : headers[1]])
    section_b = "\n".join(lines[headers[1] :])
    shown_a = [
        (at, code, cause is not None, sid, tenant)
        for at, code, cause, _fix, sid, _c, tenant in failures_shown(section_a)
    ]
    shown_b = [
        (at, code, cause is not None, sid, tenant)
        for at, code, cause, _fix, sid, _c, tenant in failures_shown(section_b)
    ]
    # shared-1 is two sign-ins: a tagged 500121 in tenant-a, an untagged 50126 in tenant-b
    assert shown_a == [
        ("2026-11-05 09:00:00", 500121, True, "a-6", "tenant-a"),
        ("2026-11-04 08:00:00", 500121, True, "shared-1", "tenant-a"),
        ("2026-11-03 09:00:00", 50074, False, "a-2", "tenant-a"),
        ("2026-11-03 08:00:00", 500121, True, "a-1", "tenant-a"),
    ]
    assert shown_b == [
        ("2026-11-06 08:00:00", 500121, True, "b-2", "tenant-b"),
        ("2026-11-05 08:00:00", 50126, False, "shared-1", "tenant-b"),
    ]
    # the limit applies per tenant, and each tenant says what it left out
    one = explain(tenants, "dana.scully@fabrikam.com", "--limit", "1")
    assert [sid for *_, sid, _c, _t in failures_shown(one.stdout)] == ["a-6", "b-2"]
    assert one.stdout.count("showing the 1 newest of ") == 2


def test_a_request_id_never_changes_what_an_id_shows(tenants: Path):
    # a-4's original request id is a-1's id: `explain a-1` shows a-1 only, as before request ids were looked up
    by_id = explain(tenants, "a-1")
    assert by_id.returncode == 0, by_id.stderr
    assert by_id.stdout.startswith("Sign-in attempt a-1: 1 row(s)\n") and "a-4" not in by_id.stdout
    by_request = explain(tenants, "req-only-5")
    assert by_request.returncode == 0, by_request.stderr
    assert by_request.stdout.startswith("Sign-in attempt req-only-5: 1 row(s)\n")
    assert "To quote to support: Request ID a-5, Correlation ID corr-a-5, " in by_request.stdout


def test_a_user_s_failures_show_what_the_logs_say_escaped(tenants: Path):
    done = explain(tenants, HOSTILE_UPN.upper())
    assert done.returncode == 0, done.stderr
    lines = lines_without_controls(done.stdout.rstrip("\n"))
    # the store keeps user principal names in lower case
    assert lines[0].startswith(f"User {HOSTILE_SHOWN.lower()}@fabrikam.com in tenant tenant-a: 1 failed sign-in(s) ")
    assert (
        lines[1]
        == f"2026-11-03 12:00:00 UTC  {HOSTILE_SHOWN} from 203.0.113.45 (Lyon, FR): error 500121: {HOSTILE_SHOWN}"
    )
    assert not [line for line in lines if line.startswith("OK")]
    assert failures_shown(done.stdout)[0][4:] == ("hostile-1", "corr-hostile-1", "tenant-a")


def test_a_locked_out_administrator_is_named_with_the_lockout_steps(tagged_sample: Path):
    ((upn,),) = query(
        tagged_sample, "SELECT user_principal_name FROM user_findings WHERE finding = 'privileged_lockout'"
    )
    (signin_id,) = query(
        tagged_sample, "SELECT signin_id FROM cause_tags WHERE user_principal_name = ? LIMIT 1", [upn]
    )[0]
    for key in (signin_id, upn):
        done = explain(tagged_sample, key)
        assert done.returncode == 0, done.stderr
        assert "privileged_lockout (no successful sign-in for" in done.stdout
        (steps,) = [line for line in done.stdout.split("\n") if line.startswith("What to do: ")]
        assert "Temporary Access Pass" in steps and "break-glass" in steps and "docs/fixes.md" in steps
    other = query(tagged_sample, "SELECT signin_id FROM cause_tags WHERE user_principal_name <> ? LIMIT 1", [upn])
    assert "What to do: " not in explain(tagged_sample, other[0][0]).stdout
