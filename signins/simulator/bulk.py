"""Large streams of sign-in records for benchmarks (not written to disk)."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from .generate import DEFAULT_END, generate_sample

CHUNK_DAYS = 30


def generate_bulk_records(n: int, seed: int = 1, ca_policies: int = 20) -> Iterator[dict]:
    """Yield ``n`` Graph beta signIn records, newest first, from consecutive 30-day windows.

    The same 250-person tenant is replayed month after month with fresh activity, so the
    cause mix matches the sample; every record carries ``ca_policies`` policy results.
    """
    produced, chunk = 0, 0
    while produced < n:
        sample = generate_sample(seed=seed, days=CHUNK_DAYS, end_date=DEFAULT_END - timedelta(days=CHUNK_DAYS * chunk),
                                 activity_seed=seed * 100_003 + chunk, ca_policies=ca_policies)
        for record in sample.records:
            yield record
            produced += 1
            if produced >= n:
                return
        chunk += 1
