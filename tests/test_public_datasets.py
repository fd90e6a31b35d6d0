"""Every real public file ingests as it is; what lands where, and why, is pinned per file."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PUBLIC, Store, public_files

# file: (records found, rows in `signins`, records quarantined, quarantine reason or note)
EXPECTED = {
    "azure-sentinel/sign-in_adelete.csv": (56, 56, 0, None),
    "elastic-beats/signin_log.json": (1, 1, 0, None),
    "elastic-beats/signinlogs_ipv6.log": (1, 1, 0, None),
    "elastic-integrations/sample_event.json": (1, 1, 0, None),
    "elastic-integrations/test-adfs-signin.log": (1, 1, 0, None),
    "elastic-integrations/test-alternative-time-and-duration-as-string.log": (1, 1, 0, None),
    "elastic-integrations/test-created-datetime-timestamp.log": (2, 2, 0, None),
    "elastic-integrations/test-invalid-time.log": (1, 0, 1, "no sign-in id"),
    "elastic-integrations/test-managed-identity-sample.log": (33, 33, 0, None),
    "elastic-integrations/test-non-interactive-user-sample.log": (15, 15, 0, None),
    "elastic-integrations/test-non-interactive-user-signin.log": (1, 1, 0, None),
    "elastic-integrations/test-non-interactive-user.log": (1, 1, 0, None),
    "elastic-integrations/test-service-principal-signinlogs-sample.log": (7, 7, 0, None),
    "elastic-integrations/test-service-principal.log": (1, 1, 0, None),
    # Elastic's test file reuses one sign-in id for all five categories: one sign-in, five raw records.
    "elastic-integrations/test-signinlogs-raw.log": (5, 1, 0, None),
    "elastic-integrations/test-signinlogs-sample.log": (2, 2, 0, None),
    "elastic-integrations/test-signinlogs.log": (2, 1, 0, None),
    "elastic-integrations/test-time-formats-corner-cases.log": (11, 0, 11, "without a properties object"),
    "elastic-integrations/test-time-formats-corner-cases.log-expected.json": (11, 0, 11, "without a properties object"),
    "msgraph-docs/signin-get_beta_legacy_response.json": (1, 1, 0, None),
    "msgraph-docs/signin-list_beta_example1_response.json": (1, 1, 0, "duplicate keys"),
    "msgraph-docs/signin-list_v1.0_example1_response.json": (1, 1, 0, "trailing comma"),
    # Log Analytics returned 41 rows twice (Microsoft documents duplicate rows): 45 distinct sign-ins.
    "msticpy/aad_logons.jsonl": (86, 45, 0, None),
}


def test_every_public_file_is_pinned():
    assert {p.relative_to(PUBLIC).as_posix() for p in public_files()} == set(EXPECTED)


def test_every_public_file_has_its_provenance():
    """Each vendored file is listed, with its source commit, in PROVENANCE.md; each source folder in NOTICE."""
    provenance = (PUBLIC / "PROVENANCE.md").read_text(encoding="utf-8")
    notice = (PUBLIC / "NOTICE").read_text(encoding="utf-8")
    for path in public_files():
        row = next((line for line in provenance.splitlines() if line.startswith(f"| {path.name} |")), None)
        assert row is not None, f"{path.name} is not in PROVENANCE.md"
        assert re.search(r"\b[0-9a-f]{40}\b", row), f"{path.name}: no source commit in PROVENANCE.md"
        assert f"{path.parent.name}/" in notice, f"{path.parent.name}: no licence in NOTICE"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_public_file_outcome(store: Store, name):
    records, signins, quarantined, why = EXPECTED[name]
    outcome = store.ingest(PUBLIC / name)
    assert (outcome.records, store.scalar("SELECT count(*) FROM signins"), outcome.quarantined) == (
        records,
        signins,
        quarantined,
    )
    assert store.scalar("SELECT count(*) FROM raw_records") == records - quarantined
    assert store.scalar("SELECT count(*) FROM quarantine") == quarantined
    if why:
        said = " ".join(outcome.notes) + " " + " ".join(r for (r,) in store.rows("SELECT reason FROM quarantine"))
        assert why in said


def test_all_public_files_together(store: Store):
    for name in sorted(EXPECTED):
        store.ingest(PUBLIC / name)
    assert store.scalar("SELECT count(*) FROM signins") == 171
    assert store.scalar("SELECT count(DISTINCT signin_id) FROM raw_records") == 171
    by_type = dict(store.rows("SELECT event_type, count(*) FROM signins GROUP BY 1"))
    assert set(by_type) == {"interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity", "adfs"}
    assert by_type["managedIdentity"] == 33


def test_fields_from_each_shape(store: Store):
    """Spot checks that each shape's fields reach their typed columns."""
    store.ingest(PUBLIC / "azure-sentinel/sign-in_adelete.csv")
    store.ingest(PUBLIC / "msgraph-docs/signin-list_beta_example1_response.json")
    store.ingest(PUBLIC / "elastic-integrations/test-non-interactive-user-signin.log")
    store.ingest(PUBLIC / "msgraph-docs/signin-get_beta_legacy_response.json")
    csv_row = store.rows(
        "SELECT created_at, error_code, user_principal_name, device_browser, country_or_region, is_interactive "
        "FROM signins WHERE id = 'cfb68155-70f5-4e28-b046-0a3a7086c401'"
    )[0]
    assert str(csv_row[0]) == "2021-04-28 14:08:45.221000+00:00"
    assert csv_row[1:] == (0, "adelev@m365x816222.onmicrosoft.com", "Edge 90.0.818", "IL", True)
    assert store.scalar("SELECT error_code FROM signins WHERE source_format = 'graph/document'") == 50126
    # Azure Monitor writes CA conditions as integer flags, Graph beta as names: both are stored as flags.
    flags = store.rows(
        "SELECT DISTINCT ca_condition_names(conditions_satisfied) FROM signin_ca_policies p "
        "JOIN signins s ON s.id = p.signin_id WHERE s.event_type = 'nonInteractiveUser'"
    )
    assert ["application", "users"] in [f for (f,) in flags]
    # The 2018 beta shape: conditionalAccessPolicies[].enforcedAccessControls -> enforced grant controls.
    assert store.scalar(
        "SELECT enforced_grant_controls FROM signin_ca_policies p JOIN signins s ON s.id = p.signin_id "
        "WHERE s.source_format = 'graph-legacy/document'"
    ) == ["MFA", "TOU"]
