"""The cause-engine features of transforms/FEATURES.md and the 16 cause decisions, in plain pandas.

The comparison contender of benchmarks/tag_bench.py: the same features as transforms/features.py, written as
an analyst would in a notebook (sort, groupby transform / shift / ffill, groupby rolling, merge, merge_asof,
apply over list cells), with no attempt to speed it up by hand (no numpy kernels) and none to slow it down.
`primary_causes` applies the rules of transforms/rules/*.yaml as boolean masks in priority order.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SESSION_ERROR_CODES = [50058, 50140, 50199, 50089, 50132, 50133, 50173, 70043]
MISMATCH_STATUSES = {"numberMatchIncorrectNumberEntered", "numberMatchDeny"}
TRUSTED_NETWORKS = {"trustedNamedLocation", "namedNetwork"}
DEVICE_FLAGS = 4 | 256
LOCATION_FLAG = 8
EARTH_RADIUS_KM = 6371.0088
RULES_DIR = Path(__file__).resolve().parent.parent / "transforms" / "rules"
VOCABULARY_CSV = RULES_DIR.parent / "vocabulary.csv"


def normalised_phrase(text: pd.Series) -> pd.Series:
    s = text.str.lower().str.replace("’", "'", regex=False).str.replace(r"\s+", " ", regex=True).str.strip()
    s = s.str.replace(r"^(azure multi-factor authentication|mfa) denied\s*[;,:]?\s*", "", regex=True)
    s = s.str.replace(r"^mfa\s+", "", regex=True)
    s = s.str.replace("didn't", "did not", regex=False).str.replace("doesn't", "does not", regex=False)
    return s.str.rstrip(". ")


VOCABULARY = pd.read_csv(VOCABULARY_CSV, dtype=str)
VOCABULARY["normalised"] = normalised_phrase(VOCABULARY["phrase"])
FATIGUE_PHRASES = set(VOCABULARY.loc[VOCABULARY["fatigue"] == "yes", "normalised"])


def _says(series: pd.Series, cause: str) -> pd.Series:
    """The result phrase is one the vocabulary gives as evidence of `cause` (whole phrases only)."""
    return series.isin(set(VOCABULARY.loc[VOCABULARY["cause"] == cause, "normalised"]))


def version_number(version: str) -> int:
    parts = [int(re.match(r"\D*(\d*)", p).group(1) or 0) for p in version.split(".")[:3]] + [0, 0]
    return parts[0] * 10**10 + parts[1] * 10**5 + parts[2]


def version_key(version: pd.Series) -> pd.Series:
    parts = version.str.split(".")
    part = lambda i: pd.to_numeric(parts.str.get(i).str.extract(r"(\d+)", expand=False)).fillna(0)  # noqa: E731
    return part(0) * 10**10 + part(1) * 10**5 + part(2)


def has_any(values, wanted: set) -> bool:
    return values is not None and any(v in wanted for v in values)


def first_seen_in_success_history(df: pd.DataFrame, key: str) -> pd.Series:
    """The user has earlier successes, but none with this value of `key`."""
    first_success = df.groupby("user_key")["_success_at"].transform("min")
    first_with_key = df.groupby(["user_key", key])["_success_at"].transform("min")
    return df[key].notna() & (first_success < df["created_at"]) & ~(first_with_key < df["created_at"])


def add_travel(df: pd.DataFrame, th) -> None:
    has_coords = df["latitude"].notna() & ~((df["latitude"] == 0) & (df["longitude"] == 0))
    known = df[["latitude", "longitude", "created_at"]].where(has_coords)
    previous = known.groupby(df["user_key"]).shift(1).groupby(df["user_key"]).ffill()
    lat1, lon1 = np.radians(previous["latitude"]), np.radians(previous["longitude"])
    lat2, lon2 = np.radians(df["latitude"]), np.radians(df["longitude"])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    df["distance_km"] = (2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))).where(has_coords)
    hours = (df["created_at"] - previous["created_at"]).dt.total_seconds() / 3600
    df["speed_kmh"] = df["distance_km"] / hours.clip(lower=1 / 60)
    df["impossible_travel"] = (df["distance_km"] >= th.travel_min_km) & (df["speed_kmh"] >= th.travel_min_kmh)


def add_fatigue_attempts(df: pd.DataFrame, window_minutes: int) -> None:
    """Most distinct denied / unanswered attempts of the user in any window containing the sign-in."""
    window = pd.Timedelta(minutes=window_minutes)
    denied = df[df["is_denied_or_unanswered"]]
    attempts = (
        denied.assign(attempt=denied["correlation_id"].fillna(denied["signin_id"]))
        .groupby(["user_key", "attempt"], as_index=False)["created_at"]
        .min()
        .rename(columns={"created_at": "at"})
        .sort_values(["user_key", "at"])
        .reset_index(drop=True)
    )
    attempts["one"] = 1
    # attempts in (at - window, at], per user (the result comes in the (user_key, at) order of `attempts`)
    counts = attempts.groupby("user_key").rolling(window, on="at")["one"].sum()
    attempts["count"] = counts.to_numpy().astype("int64")
    pairs = df[["signin_id", "user_key", "created_at"]].merge(attempts[["user_key", "at", "count"]], on="user_key")
    pairs = pairs[(pairs["at"] >= pairs["created_at"]) & (pairs["at"] < pairs["created_at"] + window)]
    best = pairs.groupby("signin_id")["count"].max()
    df["fatigue_attempts"] = df["signin_id"].map(best).fillna(0).astype("int64")


def add_failure_days(df: pd.DataFrame, days: int) -> None:
    """Distinct UTC days with a 500121 of the user in the `days` days ending at each sign-in."""
    day = df["created_at"].dt.floor("D")
    marks = pd.DataFrame({"user_key": df["user_key"], "failure_day": day})[df["is_mfa_failure"]].drop_duplicates()
    pairs = pd.DataFrame({"signin_id": df["signin_id"], "user_key": df["user_key"], "day": day}).merge(
        marks, on="user_key"
    )
    inside = (pairs["failure_day"] <= pairs["day"]) & (pairs["failure_day"] > pairs["day"] - pd.Timedelta(days=days))
    counts = inside.groupby(pairs["signin_id"]).sum()
    df["failure_days_14"] = df["signin_id"].map(counts).fillna(0).astype("int64")


def add_success_timing(df: pd.DataFrame, within: pd.Timedelta) -> None:
    successes = (
        df.loc[df["error_code"] == 0, ["user_key", "created_at"]].rename(columns={"created_at": "at"}).sort_values("at")
    )
    left = df[["signin_id", "user_key", "created_at"]].sort_values("created_at")
    last = pd.merge_asof(
        left,
        successes,
        left_on="created_at",
        right_on="at",
        by="user_key",
        direction="backward",
        allow_exact_matches=False,
    )
    following = pd.merge_asof(
        left,
        successes,
        left_on="created_at",
        right_on="at",
        by="user_key",
        direction="forward",
        allow_exact_matches=False,
    )
    last = last.set_index("signin_id")
    following = following.set_index("signin_id")
    since = (last["created_at"] - last["at"]).dt.total_seconds() / 3600
    soon = (following["at"] - following["created_at"]) <= within
    df["hours_since_last_success"] = df["signin_id"].map(since)
    df["success_within_hour"] = df["signin_id"].map(soon).fillna(False).astype(bool)


def add_session_error_neighbours(df: pd.DataFrame) -> None:
    with_id = df[df["correlation_id"].notna()]
    session = with_id.loc[
        with_id["error_code"].isin(SESSION_ERROR_CODES), ["correlation_id", "signin_id", "error_code"]
    ]
    pairs = with_id[["signin_id", "correlation_id"]].merge(
        session.rename(columns={"signin_id": "other"}), on="correlation_id"
    )
    pairs = pairs[pairs["other"] != pairs["signin_id"]]
    neighbours = pairs.groupby("signin_id")["error_code"].agg(lambda codes: sorted(codes))
    df["session_error_neighbours"] = df["signin_id"].map(neighbours).apply(lambda v: v if isinstance(v, list) else [])


def signin_features(facts: pd.DataFrame, th) -> pd.DataFrame:
    """The sign-in facts with the feature columns of transforms/FEATURES.md."""
    df = facts.sort_values(["user_key", "created_at", "signin_id"]).reset_index(drop=True)
    df["created_at"] = df["created_at"].dt.tz_convert("UTC")
    success = df["error_code"] == 0

    # row features
    df["is_mfa_failure"] = df["error_code"] == 500121
    df["mfa_result"] = normalised_phrase(df["mfa_result_detail"].fillna(df["additional_details"]))
    platform = df["app_operating_system"].str.lower()
    minimum = pd.Series(np.nan, index=df.index)
    for name, version in th.min_authenticator_version.items():
        minimum = minimum.mask(platform.str.startswith(name.lower()).fillna(False), version_number(version))
    df["app_version_outdated"] = version_key(df["app_version"]) < minimum
    fallback = df["device_operating_system"].fillna("") + " | " + df["device_browser"].fillna("")
    df["device_key"] = df["device_id"].fillna(fallback.where(fallback != " | "))
    df["is_risky"] = (
        df["risk_level_during_signin"].isin(["high", "medium"])
        | df["risk_level_aggregated"].isin(["high", "medium"])
        | df["risk_state"].isin(["atRisk", "confirmedCompromised"])
        | df["risk_event_types"].apply(lambda v: v is not None and len(v) > 0)
        | df["requirement_providers"].apply(lambda v: v is not None and "riskBasedPolicy" in v)
    )
    conditions = df["ca_failure_conditions"].fillna(0).astype("int64")
    df["ca_failure_device"] = (conditions & DEVICE_FLAGS) != 0
    df["ca_failure_location"] = (conditions & LOCATION_FLAG) != 0
    df["is_trusted_network"] = df["network_types"].apply(has_any, wanted=TRUSTED_NETWORKS)
    df["hour_of_day"] = df["created_at"].dt.hour.astype("int64")
    df["is_browser"] = (df["client_app_used"].str.lower() == "browser").fillna(False)

    by_phrase = df["mfa_result"].isin(FATIGUE_PHRASES)
    by_status = df["app_policy_statuses"].apply(has_any, wanted=MISMATCH_STATUSES)
    df["is_denied_or_unanswered"] = df["is_mfa_failure"] & (by_phrase | by_status)

    # success history
    df["_success_at"] = df["created_at"].where(success)
    df["is_new_country"] = first_seen_in_success_history(df, "country_or_region")
    df["is_new_device"] = first_seen_in_success_history(df, "device_key")
    df["fatigue_new_source"] = first_seen_in_success_history(df, "ip_address") | df["is_new_country"]
    df = df.drop(columns="_success_at")
    add_travel(df, th)

    add_fatigue_attempts(df, th.fatigue_window_minutes)
    add_failure_days(df, th.recurring_window_days)
    add_success_timing(df, pd.Timedelta(minutes=th.success_after_fatigue_minutes))
    add_session_error_neighbours(df)
    return df


def _contains(series: pd.Series, texts: list[str]) -> pd.Series:
    return series.str.contains("|".join(map(re.escape, texts)), case=False, regex=True).fillna(False)


def _list_has(series: pd.Series, *values) -> pd.Series:
    return series.apply(has_any, wanted=set(values))


def primary_causes(features: pd.DataFrame, th) -> pd.DataFrame:
    """signin_id and primary cause of each 500121 sign-in: the first rule, by priority, that applies."""
    f = features[features["is_mfa_failure"]]
    result = f["mfa_result"]
    statuses = f["app_policy_statuses"]
    causes = {
        "mfa_fatigue": f["fatigue_attempts"] >= th.fatigue_min_attempts,
        "fraud_reported": _says(result, "fraud_reported")
        | _list_has(f["risk_event_types"], "userReportedSuspiciousActivity"),
        "risk_block": f["is_risky"],
        "tap_invalid": _contains(f["mfa_method"], ["temporary access pass"]) | _says(result, "tap_invalid"),
        "app_outdated": statuses.apply(lambda v: v is not None and any(s.endswith("OutOfDate") for s in v))
        | f["app_version_outdated"],
        "time_drift": f["mfa_method"]
        .str.lower()
        .isin(
            [
                "oath verification code",
                "mobile app verification code",
                "app verification code",
                "software oath token",
                "hardware oath token",
            ]
        )
        & _says(result, "time_drift"),
        "number_mismatch": _list_has(statuses, "numberMatchIncorrectNumberEntered"),
        "prompt_denied": _says(result, "prompt_denied") | _list_has(statuses, "numberMatchDeny"),
        "push_not_delivered": _says(result, "push_not_delivered"),
        "registration_broken": _says(result, "registration_broken"),
        "ca_device_block": f["ca_failure_device"],
        "ca_location_block": f["ca_failure_location"],
        "browser_session": f["is_browser"] & (f["session_error_neighbours"].str.len() > 0),
        "new_device": f["is_new_device"],
        "new_location": f["is_new_country"] | f["impossible_travel"],
    }
    priority = {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))["priority"] for path in RULES_DIR.glob("*.yaml")
    }
    order = sorted(causes, key=priority.__getitem__)
    primary = np.select([causes[c].to_numpy(dtype=bool) for c in order], order, default="unknown")
    return pd.DataFrame({"signin_id": f["signin_id"].to_numpy(), "primary_cause": primary})
