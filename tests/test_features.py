"""Small, exact tests of the cause features (transforms/features.py) on hand-made sign-in facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from transforms.columns import FACT_COLUMNS, frame_of
from transforms.features import normalised_phrase, signin_features
from transforms.thresholds import load_thresholds

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
DECLINED = "MFA denied; user declined the authentication"


def event(n: int, at: datetime, code: int = 500121, user: str = "u1", **facts) -> dict:
    base = {
        "signin_id": f"s{n:04d}",
        "correlation_id": f"c{n:04d}",
        "created_at": at,
        "user_key": user,
        "user_principal_name": f"{user}@contoso.com",
        "event_type": "interactiveUser",
        "error_code": code,
    }
    if code == 500121:
        base["mfa_result_detail"] = DECLINED
    return {**base, **facts}


def features(events: list[dict], **overrides) -> pl.DataFrame:
    facts = frame_of(events).select(list(FACT_COLUMNS)).lazy()
    return signin_features(facts, load_thresholds(overrides=overrides or None)).collect().sort("signin_id")


@pytest.mark.parametrize(
    "spelling",
    [
        "MFA denied; user declined the authentication",
        "MFA Denied; User declined the authentication",
        "MFA denied, user declined  the authentication",
        "  mfa denied;user declined the authentication ",
        "Azure Multi-Factor Authentication denied; user declined the authentication",
    ],
)
def test_result_phrase_spellings_agree(spelling):
    got = pl.select(normalised_phrase(pl.lit(spelling))).item()
    assert got == "user declined the authentication"


def test_apostrophes_and_contractions():
    got = pl.select(normalised_phrase(pl.lit("MFA denied; user didn’t respond to mobile app notification"))).item()
    assert got == "user did not respond to mobile app notification"
    got = pl.select(
        normalised_phrase(pl.lit("MFA denied; user doesn't have any verification methods registered"))
    ).item()
    assert got == "user does not have any verification methods registered"


@pytest.mark.parametrize(
    "attempts, spacing, expected",
    [
        (4, timedelta(minutes=2), 4),  # 4 in 8 minutes: below the default 5
        (5, timedelta(minutes=2), 5),  # 5 in 8 minutes
        (5, timedelta(seconds=149.75), 5),  # first to last 9:59
        (5, timedelta(seconds=150.25), 4),  # first to last 10:01: never 5 in one window
    ],
)
def test_fatigue_window_edges(attempts, spacing, expected):
    rows = features([event(n, T0 + n * spacing) for n in range(attempts)])
    assert rows["fatigue_attempts"].to_list() == [expected] * attempts


def test_rows_of_one_attempt_count_once():
    rows = features([event(n, T0 + timedelta(seconds=n), correlation_id="same") for n in range(6)])
    assert rows["fatigue_attempts"].max() == 1


def test_success_timing():
    rows = features(
        [
            event(0, T0 - timedelta(hours=3), code=0),
            event(1, T0),
            event(2, T0 + timedelta(hours=2)),
            event(3, T0 + timedelta(minutes=59), code=0),
        ]
    )
    by_id = {r["signin_id"]: r for r in rows.iter_rows(named=True)}
    assert by_id["s0001"]["hours_since_last_success"] == pytest.approx(3.0)
    assert by_id["s0001"]["success_within_hour"] is True
    assert by_id["s0002"]["success_within_hour"] is False
    assert by_id["s0002"]["hours_since_last_success"] == pytest.approx(61 / 60)


def test_failure_days_in_the_last_14():
    days = [0, 3, 13, 14]
    rows = features([event(n, T0 + timedelta(days=d)) for n, d in enumerate(days)])
    assert rows["failure_days_14"].to_list() == [1, 2, 3, 3]  # day 0 drops out at day 14


def test_new_country_and_device_need_successful_history():
    rows = features(
        [
            event(0, T0, code=0, country_or_region="DE", device_id="laptop"),
            event(1, T0 + timedelta(hours=1), country_or_region="BR", device_id="phone-x"),  # failure: not history
            event(2, T0 + timedelta(hours=2), country_or_region="BR", device_id="phone-x"),
            event(3, T0 + timedelta(hours=3), country_or_region="DE", device_id="laptop"),
        ]
    )
    assert rows["is_new_country"].to_list() == [False, True, True, False]
    assert rows["is_new_device"].to_list() == [False, True, True, False]


def test_device_key_without_an_id():
    rows = features(
        [
            event(0, T0, code=0, device_operating_system="Windows 10", device_browser="Edge 126"),
            event(1, T0 + timedelta(hours=1), device_operating_system="Windows 10", device_browser="Edge 126"),
        ]
    )
    assert rows["device_key"].to_list() == ["Windows 10 | Edge 126"] * 2
    assert rows["is_new_device"].to_list() == [False, False]


def test_impossible_travel():
    paris, new_york = {"latitude": 48.8566, "longitude": 2.3522}, {"latitude": 40.7128, "longitude": -74.0060}
    fast = features([event(0, T0, code=0, **paris), event(1, T0 + timedelta(hours=1), **new_york)])
    slow = features([event(0, T0, code=0, **paris), event(1, T0 + timedelta(hours=10), **new_york)])
    assert fast["distance_km"][1] == pytest.approx(5837, rel=0.01)
    assert fast["impossible_travel"].to_list() == [False, True]
    assert slow["impossible_travel"].to_list() == [False, False]


def test_session_error_neighbours_share_the_correlation_id():
    rows = features(
        [
            event(0, T0, code=50140, correlation_id="c"),
            event(1, T0 + timedelta(seconds=5), correlation_id="c"),
            event(2, T0 + timedelta(seconds=9), correlation_id="other"),
        ]
    )
    assert rows["session_error_neighbours"].to_list() == [[], [50140], []]


def test_session_error_neighbours_lie_within_the_hour():
    rows = features(
        [
            event(0, T0, code=50140, correlation_id="c"),
            event(1, T0 + timedelta(hours=1), correlation_id="c"),
            event(2, T0 - timedelta(minutes=61), correlation_id="c"),
        ]
    )
    assert rows["session_error_neighbours"].to_list() == [[], [50140], []]


@pytest.mark.parametrize(
    "platform, version, outdated",
    [
        ("iOS 17.5", "6.6.9", True),
        ("iOS 17.5", "6.10.0", False),
        ("iOS 17.5", "6.7.0", False),
        ("Android 14", "6.2312.8000", True),
        ("Android 14", "6.2401.0", False),
        (None, "1.0", False),
    ],
)
def test_authenticator_version_against_the_minimum(platform, version, outdated):
    rows = features([event(0, T0, app_operating_system=platform, app_version=version)])
    assert rows["app_version_outdated"].to_list() == [outdated]


def test_ca_failure_conditions_split_device_and_location():
    rows = features(
        [
            event(0, T0, ca_failure_conditions=1 | 2 | 256),
            event(1, T0, ca_failure_conditions=1 | 2 | 8),
            event(2, T0, ca_failure_conditions=3),
        ]
    )
    assert rows.select("ca_failure_device", "ca_failure_location").rows() == [
        (True, False),
        (False, True),
        (False, False),
    ]


def test_new_city_within_a_known_country():
    rows = features(
        [
            event(0, T0, code=0, country_or_region="DE", city="Berlin"),
            event(1, T0 + timedelta(hours=1), country_or_region="DE", city="Munich"),
        ]
    )
    assert rows.select("is_new_country", "is_new_city").rows() == [(False, False), (False, True)]


# The taxonomy's settled questions (docs/causes.md, "Settled questions"), one test each.


def test_a_user_with_no_success_yet_has_nothing_new():
    """Novelty is measured against the user's successes: with none yet, nothing is new (no baseline)."""
    rows = features([event(0, T0, country_or_region="BR", device_id="d"), event(1, T0 + timedelta(hours=1))])
    assert rows["is_new_country"].to_list() == rows["is_new_device"].to_list() == [False, False]


def test_travel_is_measured_from_the_previous_sign_in_with_coordinates_failed_or_not():
    paris, new_york = {"latitude": 48.8566, "longitude": 2.3522}, {"latitude": 40.7128, "longitude": -74.0060}
    rows = features(
        [
            event(0, T0, code=0, city="Paris", country_or_region="FR", **paris),
            event(1, T0 + timedelta(hours=8), city="New York", country_or_region="US", **new_york),  # a failure
            event(2, T0 + timedelta(hours=9), city="Paris", country_or_region="FR", **paris),
        ]
    )
    assert rows["previous_place"].to_list() == [None, "Paris, FR", "New York, US"]
    assert rows["distance_km"][2] == pytest.approx(5837, rel=0.01)  # from New York, not from the Paris success
    assert rows["hours_from_previous_place"].to_list()[1:] == [8.0, 1.0]


@pytest.mark.parametrize("code", [50173, 70043])
def test_expired_grant_and_sign_in_frequency_codes_are_session_errors(code):
    rows = features(
        [event(0, T0, code=code, correlation_id="c"), event(1, T0 + timedelta(seconds=5), correlation_id="c")]
    )
    assert rows["session_error_neighbours"].to_list() == [[], [code]]


def test_the_right_password_from_a_source_never_used_is_known_elsewhere():
    """A 500121 from an IP address, country or network (ASN) the user never succeeded from; the same
    failure from the user's known sources is not, nor is a success, nor a user without history."""
    home = {"ip_address": "10.0.0.1", "country_or_region": "NO", "autonomous_system_number": 2119}
    rows = features(
        [
            event(0, T0 - timedelta(days=2), code=0, **home),
            event(1, T0, **home),
            event(2, T0 + timedelta(hours=1), **(home | {"autonomous_system_number": 64500})),
            event(3, T0 + timedelta(hours=2), **(home | {"ip_address": "10.0.0.2"})),
            event(4, T0 + timedelta(hours=3), **(home | {"country_or_region": "SE"})),
            event(5, T0 + timedelta(hours=4), code=0, **(home | {"ip_address": "10.9.9.9"})),
            event(6, T0, user="u2", **home),  # no successful history yet
        ]
    )
    assert rows["is_new_asn"].to_list() == [False, False, True, False, False, False, False]
    assert rows["password_known_elsewhere"].to_list() == [False, False, True, True, True, False, False]


def test_the_users_risk_counts_through_the_aggregated_level():
    rows = features(
        [
            event(0, T0, risk_level_during_signin="none", risk_level_aggregated="high"),  # the user is at risk
            event(1, T0 + timedelta(hours=1), risk_level_during_signin="low", risk_level_aggregated="low"),
        ]
    )
    assert rows["is_risky"].to_list() == [True, False]


def test_the_last_success_place_is_where_the_user_last_got_in():
    rows = features(
        [
            event(0, T0 - timedelta(hours=5), code=0, city="Lyon", country_or_region="FR"),
            event(1, T0 - timedelta(hours=4), code=50126, city="Lagos", country_or_region="NG"),  # not a success
            event(2, T0, city="Lagos", country_or_region="NG"),
            event(3, T0 + timedelta(hours=1), code=0),  # a success without a place
            event(4, T0 + timedelta(hours=2)),
        ]
    )
    assert rows["last_success_place"].to_list() == [None, "Lyon, FR", "Lyon, FR", "Lyon, FR", None]
    assert rows["hours_since_last_success"].to_list()[2] == pytest.approx(5.0)


def test_a_success_shown_on_the_failed_step_gives_way_to_the_sign_ins_details():
    claim = "MFA requirement satisfied by claim in the token"
    rows = features(
        [
            event(0, T0, mfa_result_detail=claim, additional_details="MFA denied; user declined the authentication"),
            event(1, T0 + timedelta(hours=1), mfa_result_detail=claim),  # nothing else to read
            event(
                2,
                T0 + timedelta(hours=2),
                mfa_result_detail="user entered incorrect code",
                additional_details="MFA denied; user declined the authentication",
            ),  # fmt: skip
        ]
    )
    assert rows["mfa_result"].to_list() == [
        "user declined the authentication",
        "requirement satisfied by claim in the token",  # normalised: the "MFA" prefix goes
        "user entered incorrect code",  # a failure's own text wins
    ]
