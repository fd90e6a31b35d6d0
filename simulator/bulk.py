"""Large streams of sign-in records for benchmarks (not written to disk)."""

from __future__ import annotations

from collections.abc import Iterator

from .generate import generate_sample


def bulk_chunk(chunk: int, seed: int = 1, ca_policies: int = 20) -> list[dict]:
    """The sample tenant's 30 days with fresh activity, its people renamed into population `chunk`
    (chunks are independent, so they can be generated in parallel)."""
    records = generate_sample(seed=seed, activity_seed=seed * 100_003 + chunk, ca_policies=ca_policies).records
    if chunk:
        for record in records:
            _rename_people(record, chunk)
    return records


def _rename_people(record: dict, chunk: int) -> None:
    """Population `chunk`'s own users and devices (same names, ids and UPNs marked with the chunk)."""
    if record.get("userId"):
        record["userId"] = f"{chunk:08x}{record['userId'][8:]}"
    if record.get("userPrincipalName"):
        name, _, domain = record["userPrincipalName"].partition("@")
        record["userPrincipalName"] = f"{name}.{chunk}@{domain}"
    if record.get("userDisplayName"):
        record["userDisplayName"] = f"{record['userDisplayName']} {chunk}"
    device = record.get("deviceDetail") or {}
    if device.get("deviceId"):
        device["deviceId"] = f"{chunk:08x}{device['deviceId'][8:]}"


def generate_bulk_records(n: int, seed: int = 1, ca_policies: int = 20) -> Iterator[dict]:
    """Yield ``n`` Graph beta signIn records over the sample's 30 days: the 250-person sample tenant
    with fresh activity, again and again for a new population of 250, so the cause mix and the time
    density per user match the sample; every record carries ``ca_policies`` policy results.
    """
    produced, chunk = 0, 0
    while produced < n:
        for record in bulk_chunk(chunk, seed, ca_policies):
            yield record
            produced += 1
            if produced >= n:
                return
        chunk += 1
