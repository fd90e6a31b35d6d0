"""Containers beyond single files: portal CSV downloads, Azure Monitor blob trees, Event Hub bodies."""

from __future__ import annotations

import json
from pathlib import Path

from signins.ingest.load import expand_paths
from tests.conftest import FIXTURES, Store

PORTAL = FIXTURES / "portal"
DIAG = json.loads((FIXTURES / "cross_format" / "azure_monitor.log").read_text())


def test_portal_csv_download_maps_quirky_headers(store: Store):
    outcome = store.ingest(PORTAL / "InteractiveSignIns_2026-11-03_2026-11-04.csv")
    assert (outcome.records, outcome.new_signins, outcome.quarantined) == (2, 2, 0)
    assert any("not mapped" in note and "Through Global Secure Access" in note for note in outcome.notes)
    row = store.rows(
        "SELECT error_code, additional_details, user_principal_name, app_id, resource_id, city, country_or_region, "
        "autonomous_system_number, device_is_compliant, conditional_access_status, event_type, source_format "
        "FROM signins WHERE id = '7b0c1d2e-0000-4000-8000-000000000001'"
    )[0]
    assert row == (
        500121,
        "MFA denied; user did not respond to mobile app notification",
        "meganb@contoso-sample.com",
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        "Lyon",
        "FR",
        64501,
        False,
        "failure",
        "interactiveUser",
        "portal-csv/csv",
    )
    assert store.scalar("SELECT conditional_access_status FROM signins WHERE error_code = 0") == "notApplied"


def test_portal_file_name_gives_the_event_type(store: Store):
    store.ingest(PORTAL / "NonInteractiveSignIns_2026-11-03_2026-11-04.csv")
    assert store.scalar("SELECT event_type FROM signins") == "nonInteractiveUser"


def test_storage_account_blob_tree(store: Store, tmp_path: Path):
    """insights-logs-*/.../y=/m=/d=/h=/m=00/PT1H.json: JSON lines, found by walking the folder."""
    for hour, category in [(7, "SignInLogs"), (8, "NonInteractiveUserSignInLogs")]:
        folder = (
            tmp_path
            / "container"
            / f"insights-logs-{category.lower()}"
            / "tenantId=5f2b6c1e"
            / "y=2026"
            / "m=11"
            / "d=03"
            / f"h={hour:02d}"
            / "m=00"
        )
        folder.mkdir(parents=True)
        lines = [
            json.dumps({**DIAG, "category": category, "properties": {**DIAG["properties"], "id": f"id-{hour}-{n}"}})
            for n in range(3)
        ]
        (folder / "PT1H.json").write_text("\n".join(lines) + "\n")
    files, skipped = expand_paths([tmp_path / "container"])
    assert len(files) == 2 and not skipped
    for path in files:
        store.ingest(path)
    assert dict(store.rows("SELECT event_type, count(*) FROM signins GROUP BY 1")) == {
        "interactiveUser": 3,
        "nonInteractiveUser": 3,
    }


def test_event_hub_bodies(store: Store, tmp_path: Path):
    """{"records": [...]} bodies, one per line as a capture writes them, or one per file."""
    body = lambda ids: json.dumps({"records": [{**DIAG, "properties": {**DIAG["properties"], "id": i}} for i in ids]})
    path = tmp_path / "capture.json"
    path.write_text(body(["a", "b"]) + "\n" + body(["c"]) + "\n")
    outcome = store.ingest(path)
    assert (outcome.records, outcome.new_signins) == (3, 3)
    assert sorted(locator for (locator,) in store.rows("SELECT locator FROM raw_records")) == [
        "line:1/records/0",
        "line:1/records/1",
        "line:2/records/0",
    ]
    single = tmp_path / "one-body.json"
    single.write_text(json.dumps(json.loads(body(["d"])), indent=2))
    assert store.ingest(single).new_signins == 1
    assert store.scalar("SELECT locator FROM raw_records WHERE signin_id = 'd'") == "/records/0"
