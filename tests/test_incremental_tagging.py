"""Incremental tagging reads only the history that can change a feature (signins.analysis.tagging.HistoryReach,
sql/causes/05_pending_users.sql and 07_history_rows.sql, the older sign-ins from the summary of the
users' history: 06_history_summary.sql and 18_summarise_history.sql), and still equals a full re-tag.

One user's crafted history: each older sign-in below is the only one that decides one feature of the
failure loaded tonight, so leaving any of them out of what the run reads changes that feature.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from signins.analysis.tagging import prepare_facts, tag
from tests.conftest import Store
from transforms.features import signin_features
from transforms.thresholds import load_thresholds

THRESHOLDS = load_thresholds()
TONIGHT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DECLINED = "MFA denied; user declined the authentication"
OSLO, STOCKHOLM, SYDNEY = (59.91, 10.75), (59.33, 18.07), (-33.87, 151.21)


def record(
    n: int,
    at: datetime,
    code: int = 0,
    user: str = "u1",
    country: str = "SE",
    city: str = "Stockholm",
    device: str = "d0",
    ip: str = "10.0.0.1",
    coords: tuple[float | None, float | None] = STOCKHOLM,
    attempt: int | None = None,
) -> dict:
    """A Graph beta sign-in; a 500121 is a declined push."""
    steps = [
        {
            "authenticationStepDateTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "authenticationMethod": "Mobile app notification",
            "succeeded": code == 0,
            "authenticationStepResultDetail": DECLINED if code == 500121 else "MFA successfully completed",
            "authenticationStepRequirement": "multiFactorAuthentication",
        }
    ]
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "createdDateTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userId": f"{user}-0000-4000-8000-000000000000",
        "userPrincipalName": f"{user}@contoso.com",
        "userDisplayName": user,
        "appId": "00000002-0000-0ff1-ce00-000000000000",
        "appDisplayName": "Office 365",
        "ipAddress": ip,
        "clientAppUsed": "Browser",
        "correlationId": f"c0000000-0000-4000-8000-{attempt or n:012d}",
        "isInteractive": True,
        "signInEventTypes": ["interactiveUser"],
        "status": {"errorCode": code, "failureReason": None, "additionalDetails": DECLINED if code == 500121 else None},
        "deviceDetail": {"deviceId": device, "operatingSystem": "Windows10", "browser": "Edge 131"},
        "location": {
            "city": city,
            "state": None,
            "countryOrRegion": country,
            "geoCoordinates": {"latitude": coords[0], "longitude": coords[1]},
        },
        "authenticationDetails": steps,
        "appliedConditionalAccessPolicies": [],
    }


def history() -> list[dict]:
    day = lambda d: TONIGHT - timedelta(days=d)
    return [
        record(0, day(41)),  # the first success of all
        record(1, day(40), country="NO"),  # the only success in Norway
        record(2, day(38), city="Bergen"),  # the only success in Bergen
        record(3, day(36), device="dB"),  # the only success on device dB
        record(4, day(34), ip="10.0.0.99"),  # the only success from 10.0.0.99
        *[record(100 + d, day(d)) for d in range(33, 20, -1)],  # daily successes; the last one 21 days ago
        record(30, day(12), code=500121),  # a failure 12 days ago: failure_days_14
        record(31, day(6), code=50126, coords=SYDNEY),  # a wrong password from Sydney: the last coordinates
        record(40, day(30), user="u2"),  # another user, with nothing new tonight
    ]


def tonight() -> list[dict]:
    return [record(50, TONIGHT, code=500121, country="NO", city="Bergen", device="dB", ip="10.0.0.99", coords=OSLO)]


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def nights(tmp_path: Path) -> Store:
    """The history loaded and tagged one night, tonight's failure loaded the next (not tagged yet)."""
    store = Store(tmp_path / "s.duckdb")
    assert store.ingest(write(tmp_path / "history.json", history())).new_signins == len(history())
    tag(store.con, THRESHOLDS)
    assert store.ingest(write(tmp_path / "tonight.json", tonight())).new_signins == 1
    yield store
    store.con.close()


def tags(store: Store) -> list[tuple]:
    return store.rows("SELECT * EXCLUDE (tagged_at) FROM cause_tags ORDER BY signin_id")


def fully_tagged(tmp_path: Path, records: list[dict]) -> list[tuple]:
    """The tags of the records loaded and tagged at once."""
    full = Store(tmp_path / "full.duckdb")
    full.ingest(write(tmp_path / "all.json", records))
    tag(full.con, THRESHOLDS)
    try:
        return tags(full)
    finally:
        full.con.close()


def tonights_features(store: Store, since: datetime | None) -> dict:
    prepare_facts(store.con, THRESHOLDS, since)
    facts = store.con.sql("SELECT * FROM signin_facts").pl()
    features = signin_features(facts.lazy(), THRESHOLDS).collect()
    return features.filter(pl.col("created_at") == TONIGHT).drop("created_at").row(0, named=True) | {
        "read": facts.height
    }


def test_the_older_sign_ins_that_decide_a_feature_are_read(nights: Store):
    since = nights.scalar("SELECT loaded_until FROM tag_state")
    incremental, full = tonights_features(nights, since), tonights_features(nights, None)
    assert {
        k: incremental[k]
        for k in (
            "is_new_country",
            "is_new_city",
            "is_new_device",
            "fatigue_new_source",
            "hours_since_last_success",
            "failure_days_14",
        )
    } == {
        "is_new_country": False,
        "is_new_city": False,
        "is_new_device": False,
        "fatigue_new_source": False,
        "hours_since_last_success": 21 * 24.0,
        "failure_days_14": 2,
    }
    assert round(incremental["distance_km"]) == 15_950  # from Sydney, not from the last success in Stockholm
    # the first success of all and of each kind, the last success, the last coordinates, the recent failure,
    # tonight's
    assert (incremental.pop("read"), full.pop("read")) == (9, 1 + len(history()))
    assert incremental == full


def test_incremental_tags_equal_a_full_retag_and_read_only_that(nights: Store, tmp_path: Path):
    assert covers_until(nights) == TONIGHT.replace(hour=0) - timedelta(days=7)  # a day before the last sign-in's
    outcome = tag(nights.con, THRESHOLDS)
    assert (outcome.full, outcome.users, outcome.signins_read, outcome.tagged, outcome.history_built) == (
        False,
        1,
        9,
        1,
        False,
    )
    assert tags(nights) == fully_tagged(tmp_path, history() + tonight())
    assert len(tags(nights)) == 2
    assert covers_until(nights) == TONIGHT.replace(hour=0) - timedelta(days=1)


def covers_until(store: Store) -> datetime:
    return store.scalar("SELECT covers_until FROM history_summary_state")


def test_a_new_version_of_a_summarised_sign_in_rebuilds_the_summary(nights: Store, tmp_path: Path):
    """The only success in Norway arrives again, more complete (so it wins) and from Denmark: tonight's
    sign-in from Norway is from a new country, which the summary made before could not tell."""
    danish = record(1, TONIGHT - timedelta(days=40), country="DK") | {"userType": "Member"}
    assert nights.ingest(write(tmp_path / "again.json", [danish])).updated_signins == 1
    since = nights.scalar("SELECT loaded_until FROM tag_state")
    outcome = tag(nights.con, THRESHOLDS)
    assert (outcome.tagged, outcome.history_built) == (2, True)  # from 40 days ago on
    assert tonights_features(nights, since)["is_new_country"]
    others = [r for r in history() if r["id"] != danish["id"]]
    assert tags(nights) == fully_tagged(tmp_path, others + [danish] + tonight())


def test_sign_ins_removed_from_the_summarised_history_rebuild_the_summary(nights: Store, tmp_path: Path):
    """An administrator keeps 39 days: the first success of all and the only one in Norway go."""
    nights.con.execute("DELETE FROM signins WHERE created_at < ?", [TONIGHT - timedelta(days=39)])
    since = nights.scalar("SELECT loaded_until FROM tag_state")
    outcome = tag(nights.con, THRESHOLDS)
    assert (outcome.tagged, outcome.history_built) == (1, True)
    assert tonights_features(nights, since)["is_new_country"]
    kept = [r for r in history() if r["createdDateTime"] >= (TONIGHT - timedelta(days=39)).strftime("%Y-%m-%d")]
    assert tags(nights) == fully_tagged(tmp_path, kept + tonight())


def test_a_late_sign_in_re_tags_the_later_ones_it_changes(nights: Store, tmp_path: Path):
    """A success loaded late, from before the tagged failure of 12 days ago, changes that failure's
    hours_since_last_success: the run re-tags from the late sign-in on, not only tonight."""
    nights.ingest(write(tmp_path / "late.json", [record(60, TONIGHT - timedelta(days=13))]))
    outcome = tag(nights.con, THRESHOLDS)
    assert outcome.tagged == 2  # the failure of 12 days ago and tonight's
    assert outcome.history_built  # the late sign-in lies before what the summary covers
    assert (
        nights.scalar(
            "SELECT hours_since_last_success FROM cause_tags WHERE created_at < ?", [TONIGHT - timedelta(days=1)]
        )
        == 24.0
    )
    assert tags(nights) == fully_tagged(tmp_path, history() + tonight() + [record(60, TONIGHT - timedelta(days=13))])


def test_a_sign_in_loaded_late_re_tags_what_it_reaches(nights: Store, tmp_path: Path):
    """A success loaded tonight for yesterday noon follows last night's failure within the hour: the run
    re-tags from an hour before the success on, and those sign-ins read the hour before them too (a
    session error of the same attempt)."""
    yesterday = TONIGHT - timedelta(days=1)
    nights.ingest(
        write(
            tmp_path / "yesterday.json",
            [
                record(70, yesterday, code=500121),  # tagged before the success came
                record(71, yesterday - timedelta(minutes=29), code=500121, attempt=72),  # re-tagged, and
                record(
                    72,
                    yesterday - timedelta(minutes=50),
                    code=50140,
                    attempt=72,  # its attempt's session error
                    coords=(None, None),
                ),
            ],
        )
    )
    since = nights.scalar("SELECT max(loaded_at) FROM signins")
    tag(nights.con, THRESHOLDS)
    nights.ingest(write(tmp_path / "late.json", [record(73, yesterday + timedelta(minutes=30))]))
    incremental, full = retagged_features(nights, since), retagged_features(nights, None)
    assert incremental == {key: full[key] for key in incremental}
    assert incremental[71]["session_error_neighbours"] == [50140]
    assert (incremental[70]["success_within_hour"], incremental[50]["hours_since_last_success"]) == (True, 23.5)
    assert tag(nights.con, THRESHOLDS).tagged == 3  # the failures of 71, 70 and tonight's
    assert nights.scalar("SELECT success_within_hour FROM cause_tags WHERE created_at = ?", [yesterday])


def retagged_features(store: Store, since: datetime | None) -> dict[int, dict]:
    """Features of the sign-ins a run since `since` re-tags (all for None), by record number."""
    prepare_facts(store.con, THRESHOLDS, since)
    facts = store.con.sql("SELECT * FROM signin_facts").pl()
    retag_from = store.scalar("SELECT min(retag_from) FROM pending_users")
    features = signin_features(facts.lazy(), THRESHOLDS).collect()
    if retag_from:
        features = features.filter(pl.col("created_at") >= retag_from)
    return {int(row["signin_id"][-12:]): row for row in features.iter_rows(named=True)}


def test_a_run_that_reads_before_what_the_summary_covers_reads_the_history_instead(tmp_path: Path):
    """The summary covers the sign-ins before 21 November. A failure loaded for 00:20 that day re-tags from
    an hour before it, reading from an hour before that: the last success before 22:20 on the 20th (S1)
    decides hours_since_last_success of the failure at 23:30, and the summary knows only the last one of
    the 20th (S2, 23:40)."""
    at = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC)
    before = [
        record(1, at(1, 12)),
        record(2, at(10, 12)),
        record(3, at(20, 23, 30), code=500121),
        record(4, at(20, 23, 40)),
        record(5, at(22, 12)),
    ]
    late = [record(6, at(21, 0, 20), code=500121)]
    store = Store(tmp_path / "s.duckdb")
    try:
        store.ingest(write(tmp_path / "before.json", before))
        tag(store.con, THRESHOLDS)
        assert covers_until(store) == at(21, 0)
        store.ingest(write(tmp_path / "late.json", late))
        outcome = tag(store.con, THRESHOLDS)
        assert (outcome.tagged, outcome.history_built) == (2, True)
        assert (
            store.scalar("SELECT hours_since_last_success FROM cause_tags WHERE created_at = ?", [at(20, 23, 30)])
            == 10 * 24 + 11.5
        )
        assert tags(store) == fully_tagged(tmp_path, before + late)
    finally:
        store.con.close()


def test_the_summary_grows_night_by_night_to_what_it_is_built_at_once(tmp_path: Path):
    """Three nights: the history (the summary covers what lies before the 21st), tonight (it moves on to
    the 27th, adding a sign-in of the 21st), tomorrow (to the 28th)."""
    first = history() + [record(90, TONIGHT - timedelta(days=7), ip="10.0.0.7")]
    tomorrow = [record(80, TONIGHT + timedelta(days=1), country="FI", city="Helsinki", coords=(60.17, 24.94))]
    nights, at_once = Store(tmp_path / "nights.duckdb"), Store(tmp_path / "once.duckdb")
    try:
        for night, records in enumerate((first, tonight(), tomorrow)):
            nights.ingest(write(tmp_path / f"night-{night}.json", records))
            assert tag(nights.con, THRESHOLDS).history_built == (night == 0)
        assert covers_until(nights) == TONIGHT.replace(hour=0)
        at_once.ingest(write(tmp_path / "all.json", first + tonight() + tomorrow))
        tag(at_once.con, THRESHOLDS)
        assert summary(nights) == summary(at_once)
        assert tag(at_once.con, THRESHOLDS, full=True).full and summary(at_once) == summary(nights)
        assert nights.scalar("SELECT count(*) FROM history_summary") == 7  # u1's combinations, and u2's
    finally:
        nights.con.close()
        at_once.con.close()


def test_a_sign_in_dated_in_the_future_does_not_carry_the_summary_past_yesterday(tmp_path: Path):
    store = Store(tmp_path / "s.duckdb")
    try:
        store.ingest(write(tmp_path / "h.json", history() + [record(95, datetime(2100, 1, 1, tzinfo=UTC))]))
        tag(store.con, THRESHOLDS)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        assert covers_until(store) == today - timedelta(days=1)
    finally:
        store.con.close()


def summary(store: Store) -> list[tuple]:
    return store.rows("SELECT * FROM history_summary ORDER BY ALL") + store.rows("SELECT * FROM history_summary_state")


def test_wrong_passwords_loaded_late_re_tag_the_failures_their_address_reaches(nights: Store, tmp_path: Path):
    """Other users' wrong passwords from the address of tonight's failure, loaded after it was tagged,
    make it a spray that hit: the run re-tags it though its user brought nothing new."""
    tag(nights.con, THRESHOLDS)
    at_tonight = "SELECT spray_users_hour, verdict, verdict_reason FROM cause_tags WHERE created_at = ?"
    assert nights.rows(at_tonight, [TONIGHT])[0][:2] == (0, "suspicious")  # a denied prompt
    spray = [
        record(200 + i, TONIGHT - timedelta(minutes=50 - i), code=50126, user=f"s{i}", ip="10.0.0.99")
        for i in range(THRESHOLDS.spray_min_users)
    ]
    spray.append(record(220, TONIGHT - timedelta(minutes=61), code=50126, user="s99", ip="10.0.0.99"))  # too early
    nights.ingest(write(tmp_path / "spray.json", spray))
    outcome = tag(nights.con, THRESHOLDS)
    assert (outcome.users, outcome.tagged) == (len(spray) + 1, 1)
    count, verdict, reason = nights.rows(at_tonight, [TONIGHT])[0]
    assert (count, verdict) == (THRESHOLDS.spray_min_users, "hostile") and "password spray" in reason
    assert tags(nights) == fully_tagged(tmp_path, history() + tonight() + spray)
