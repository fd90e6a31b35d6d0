"""A sign-in is its tenant and its id: a load for one tenant never changes another tenant's rows, and
which version of a sign-in the store keeps follows an order on the versions (most complete first, then
the smaller hash of its text), whatever the order of the files, tenants or batches that brought them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signins.settings import IngestLimits
from tests.conftest import FIXTURES, Store

BASE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
# The loaded tables, as their content: load times, ingest ids and paths say when and from where, not what;
# so do the record key and format of a stored version when two files hold the very same text of it.
COMPARED = [
    "raw_records",
    "signins",
    "signin_auth_steps",
    "signin_ca_policies",
    "ca_policy_sets",
    "signin_app_policy_evaluations",
    "signin_app_device_details",
    "quarantine",
]
WHEN = frozenset({"loaded_at", "ingested_at", "ingest_id", "quarantined_at", "path", "record_key", "source_format"})


def signin(n: int, tenant: str | None = None, **changes) -> dict:
    record = {**BASE, "id": f"00000000-0000-4000-8000-{n:012d}", **changes}
    if tenant is not None:
        record["resourceTenantId"] = tenant
    return {k: v for k, v in record.items() if v is not ...}


def page_file(path: Path, *records: dict) -> Path:
    path.write_text(json.dumps({"value": list(records)}))
    return path


def contents(store: Store) -> dict[str, tuple[int, int]]:
    from reliability.snapshot import checksum

    return {table: checksum(store.con, table, WHEN) for table in COMPARED}


def tenant_rows(store: Store, tenant: str) -> list[tuple]:
    return store.rows(
        "SELECT id, user_principal_name, error_code, record_key, completeness FROM signins WHERE tenant_id = ? "
        "ORDER BY id",
        [tenant],
    )


def test_a_load_for_one_tenant_never_changes_anothers(store: Store, tmp_path: Path):
    """Tenant A's file reuses tenant B's ids in versions more complete, with a success where B failed MFA."""
    bare = ("id", "createdDateTime", "userPrincipalName", "status", "appId")
    theirs = page_file(tmp_path / "b.json", *[{k: signin(n)[k] for k in bare} for n in range(3)])
    store.ingest(theirs, tenant="tenant-b")
    before = tenant_rows(store, "tenant-b")
    mine = page_file(tmp_path / "a.json", *[signin(n, status={"errorCode": 0}) for n in range(3)])
    outcome = store.ingest(mine, tenant="tenant-a")
    assert (outcome.new_signins, outcome.updated_signins) == (3, 0)
    assert tenant_rows(store, "tenant-b") == before
    assert [row[2] for row in before] == [500121] * 3
    assert store.scalar("SELECT count(*) FROM signins") == 6
    assert store.scalar("SELECT count(*) FROM signin_auth_steps WHERE tenant_id = 'tenant-b'") == 0
    assert store.scalar("SELECT count(DISTINCT (tenant_id, signin_id)) FROM signin_ca_policies") == 3


def test_two_versions_as_complete_keep_the_same_one_in_either_order(tmp_path: Path):
    """Equal completeness, different content: the smaller version hash wins, whichever file came first."""
    first = page_file(tmp_path / "first.json", signin(1, userPrincipalName="alice@contoso.example"))
    second = page_file(tmp_path / "second.json", signin(1, userPrincipalName="alice.smith@contoso.example"))
    kept = []
    for n, order in enumerate([[first, second], [second, first]]):
        store = Store(tmp_path / f"s{n}.duckdb")
        for path in order:
            store.ingest(path)
        assert store.scalar("SELECT count(*) FROM signins") == 1
        kept.append((store.scalar("SELECT user_principal_name FROM signins"), contents(store)))
        store.con.close()
    assert kept[0] == kept[1]


def test_batch_boundaries_do_not_change_the_store(tmp_path: Path):
    records = [signin(n % 4, userPrincipalName=f"u{n}@contoso.example") for n in range(12)]
    path = page_file(tmp_path / "versions.json", *records)
    stores = []
    for n, limits in enumerate([IngestLimits(), IngestLimits(batch_records=1), IngestLimits(batch_records=5)]):
        store = Store(tmp_path / f"b{n}.duckdb")
        store.ingest(path, limits)
        stores.append(contents(store))
        store.con.close()
    assert stores[0] == stores[1] == stores[2]


# Files of two tenants, some sharing sign-in ids (across tenants too), in versions more or less complete.
FILES = [
    ("a1.json", "tenant-a", [signin(1), signin(2, userPrincipalName="x@a.example")]),
    ("a2.json", "tenant-a", [signin(2), signin(3, deviceDetail=...)]),
    ("a3.json", "tenant-a", [signin(3), signin(1, status={"errorCode": 0})]),
    ("b1.json", "tenant-b", [signin(1, appDisplayName="Other app"), signin(4)]),
    ("b2.json", "tenant-b", [signin(4, location=...), signin(2)]),
    ("n1.json", None, [signin(5), signin(1, userPrincipalName="nobody@x.example")]),
]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(FILES))), batch=st.sampled_from([1, 2, 40]))
def test_any_interleaving_of_files_and_tenants_gives_the_same_store(tmp_path_factory, order, batch):
    folder = tmp_path_factory.mktemp("files")
    paths = [page_file(folder / name, *records) for name, _, records in FILES]
    reference = _loaded(tmp_path_factory.mktemp("ref") / "s.duckdb", paths, range(len(FILES)), IngestLimits())
    shuffled = _loaded(tmp_path_factory.mktemp("any") / "s.duckdb", paths, order, IngestLimits(batch_records=batch))
    assert shuffled == reference


def test_every_order_of_three_files_gives_the_same_store(tmp_path: Path):
    """Versions of shared sign-ins across two tenants, loaded in all six orders."""
    picked = [0, 2, 3]  # a1, a3 (tenant-a, sharing sign-ins 1 and 3 with a1/a2) and b1 (tenant-b, sign-in 1)
    paths = [page_file(tmp_path / FILES[i][0], *FILES[i][2]) for i in range(len(FILES))]
    stores = {
        order: _loaded(tmp_path / f"{'-'.join(map(str, order))}.duckdb", paths, order, IngestLimits())
        for order in itertools.permutations(picked)
    }
    assert len(set(map(repr, stores.values()))) == 1


def _loaded(db: Path, paths: list[Path], order, limits: IngestLimits) -> dict:
    store = Store(db)
    try:
        for index in order:
            store.ingest(paths[index], limits, FILES[index][1])
        return contents(store)
    finally:
        store.con.close()


@pytest.mark.parametrize("tenant", ["tenant-a", None])
def test_a_sign_in_is_keyed_by_the_tenant_given_else_its_own_else_the_empty_one(store: Store, tmp_path: Path, tenant):
    own = page_file(tmp_path / "own.json", signin(8, tenant="tenant-own"))
    none = page_file(tmp_path / "none.json", {k: v for k, v in signin(9).items() if k != "resourceTenantId"})
    store.ingest(own, tenant=tenant)
    store.ingest(none, tenant=tenant)
    assert store.rows("SELECT tenant_id FROM signins ORDER BY id") == [(tenant or "tenant-own",), (tenant or "",)]
