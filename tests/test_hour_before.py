"""The hour before each 500121 failure (sql/causes/10_signin_facts.sql), exact, on crafted sign-ins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from signins.analysis.tagging import tag
from tests.conftest import Store
from tests.test_incremental_tagging import THRESHOLDS, TONIGHT, record, write

COLUMNS = (
    "password_failures_hour, password_failure_ips_hour, spray_users_hour, mfa_interrupts_hour, ca_blocks_hour, "
    "password_known_elsewhere, verdict"
)


def before(minutes: float) -> object:
    return TONIGHT - timedelta(minutes=minutes)


def test_the_hour_before_counts_attempts_of_the_user_and_users_of_the_address(tmp_path: Path):
    records = [
        record(1, TONIGHT - timedelta(days=3), ip="10.0.0.7"),  # the user's history: a success from home
        # the user's wrong passwords: two attempts from one address (one of them logged twice), one from
        # another, one exactly an hour before (outside)
        record(10, before(50), code=50126, ip="10.0.0.9"),
        record(11, before(40), code=50126, ip="10.0.0.9", attempt=12),
        record(12, before(40), code=50126, ip="10.0.0.9"),
        record(13, before(30), code=50126, ip="10.0.0.8"),
        record(14, before(60), code=50126, ip="10.0.0.9"),
        # MFA interrupts: two other attempts count, the failure's own interrupt does not
        record(20, before(20), code=50074, attempt=25),
        record(21, before(19), code=50076),
        record(22, before(1), code=50074, attempt=50),
        record(23, before(10), code=53003),  # a Conditional Access block
        # other users' wrong passwords from the failure's address; one after it (not before)
        record(30, before(45), code=50126, user="u7", ip="10.0.0.9"),
        record(31, before(5), code=50126, user="u8", ip="10.0.0.9"),
        record(32, TONIGHT + timedelta(minutes=1), code=50126, user="u9", ip="10.0.0.9"),
        record(50, TONIGHT, code=500121, ip="10.0.0.9"),
    ]
    store = Store(tmp_path / "s.duckdb")
    store.ingest(write(tmp_path / "all.json", records))
    tag(store.con, THRESHOLDS)
    got = store.rows(f"SELECT {COLUMNS} FROM cause_tags WHERE created_at = ?", [TONIGHT])
    # 3 attempts from 2 addresses; u1, u7 and u8 failed a password from 10.0.0.9; the right password
    # from an address the user never succeeded from; a prompt denied from there is hostile
    assert got == [(3, 2, 3, 2, 1, True, "hostile")]
    store.con.close()
