"""Features of each sign-in for the cause rules (transforms/FEATURES.md): pure polars, no I/O.

History features look only at the same user's sign-ins, so tagging one user's sign-ins needs nothing
but that user's history: that is what lets incremental tagging equal a full re-tag. And every look
ahead or back has a bound, or depends only on a few older sign-ins (the first success with a value,
the last success, the last coordinates), so it needs only the recent part of that history
(signins.analysis.tagging.HistoryReach).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from transforms.vocabulary import STEP_SUCCEEDED, fatigue_phrases, phrases_of

SESSION_ERROR_CODES = [50058, 50140, 50199, 50089, 50132, 50133, 50173, 70043]
SESSION_NEIGHBOUR_WINDOW = timedelta(hours=1)
# What a prompt bomb leaves behind: denied, unanswered, still pending or repeated prompts (and fraud reports).
MISMATCH_STATUSES = ["numberMatchIncorrectNumberEntered", "numberMatchDeny"]
TRUSTED_NETWORKS = ["trustedNamedLocation", "namedNetwork"]
DEVICE_FLAGS = 4 | 256  # devicePlatform | deviceState, see the ca_condition_flags table
LOCATION_FLAG = 8
EARTH_RADIUS_KM = 6371.0088
SUCCESS = pl.col("error_code") == 0
MFA_FAILURE = pl.col("error_code") == 500121
# A sign-in's place as an analyst quotes it ("Lyon, FR"); "" when it has neither city nor country.
PLACE = pl.concat_str([pl.col("city"), pl.col("country_or_region")], separator=", ", ignore_nulls=True)


def normalised_phrase(text: pl.Expr) -> pl.Expr:
    """An MFA result phrase without its spelling noise: case, ’, spacing, "MFA denied;" prefixes,
    contractions and a final full stop."""
    return (
        text.str.to_lowercase()
        .str.replace_all("’", "'", literal=True)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace(r"^(azure multi-factor authentication|mfa) denied\s*[;,:]?\s*", "")
        .str.replace(r"^mfa\s+", "")
        .str.replace_all("didn't", "did not", literal=True)
        .str.replace_all("doesn't", "does not", literal=True)
        .str.strip_chars_end(". ")
    )


def version_number(version: str) -> int:
    """A dotted version as one sortable integer (first three parts, each below 100,000)."""
    parts = [int("".join(c for c in p if c.isdigit()) or 0) for p in version.split(".")[:3]] + [0, 0]
    return parts[0] * 10**10 + parts[1] * 10**5 + parts[2]


def version_key(version: pl.Expr) -> pl.Expr:
    """`version_number` as an expression."""
    parts = version.str.split(".")
    part = lambda i: parts.list.get(i, null_on_oob=True).str.extract(r"(\d+)").cast(pl.Int64).fill_null(0)
    return part(0) * 10**10 + part(1) * 10**5 + part(2)


def app_version_outdated(minimums: dict[str, str]) -> pl.Expr:
    """The Authenticator is older than the configured minimum for its phone's platform."""
    platform = pl.col("app_operating_system").str.to_lowercase()
    minimum = pl.lit(None, dtype=pl.Int64)
    for name, version in minimums.items():
        minimum = (
            pl.when(platform.str.starts_with(name.lower())).then(pl.lit(version_number(version))).otherwise(minimum)
        )
    return (version_key(pl.col("app_version")) < minimum).fill_null(False)


def is_denied_or_unanswered() -> pl.Expr:
    """An MFA failure MFA fatigue counts: denied, unanswered or the wrong number."""
    by_phrase = pl.col("mfa_result").is_in(fatigue_phrases()).fill_null(False)
    by_status = (
        pl.col("app_policy_statuses").list.eval(pl.element().is_in(MISMATCH_STATUSES)).list.any().fill_null(False)
    )
    return MFA_FAILURE.fill_null(False) & (by_phrase | by_status)


def is_risky() -> pl.Expr:
    """Identity Protection saw risk in the sign-in or the user, or a risk policy demanded the MFA."""
    level = (
        pl.col("risk_level_during_signin").is_in(["high", "medium"])
        | pl.col("risk_level_aggregated").is_in(["high", "medium"])
    ).fill_null(False)
    state = pl.col("risk_state").is_in(["atRisk", "confirmedCompromised"]).fill_null(False)
    events = (pl.col("risk_event_types").list.len() > 0).fill_null(False)
    provider = pl.col("requirement_providers").list.contains("riskBasedPolicy").fill_null(False)
    return level | state | events | provider


def device_key() -> pl.Expr:
    """The device id, or operating system | browser when the device has none."""
    fallback = pl.concat_str(
        [pl.col("device_operating_system").fill_null(""), pl.col("device_browser").fill_null("")], separator=" | "
    )
    return pl.coalesce(pl.col("device_id"), pl.when(fallback != " | ").then(fallback))


def first_seen_in_success_history(key: str) -> pl.Expr:
    """True when the user has earlier successes, but none with this value of `key`."""
    first_success_with_key = pl.col("created_at").filter(SUCCESS).min().over(["_user", key])
    first_success = pl.col("created_at").filter(SUCCESS).min().over("_user")
    has_history = first_success < pl.col("created_at")
    seen = first_success_with_key < pl.col("created_at")
    return (pl.col(key).is_not_null() & has_history & ~seen.fill_null(False)).fill_null(False)


def travel() -> list[pl.Expr]:
    """Distance (km) and speed (km/h) from the user's previous sign-in that had coordinates, with that
    sign-in's place (city, country) and the hours between them: the evidence an analyst quotes."""
    has_coords = pl.col("latitude").is_not_null() & ~((pl.col("latitude") == 0) & (pl.col("longitude") == 0))
    previous = lambda c: pl.when(has_coords).then(c).shift(1).forward_fill().over("_user")
    lat1, lon1 = previous(pl.col("latitude")).radians(), previous(pl.col("longitude")).radians()
    lat2, lon2 = pl.col("latitude").radians(), pl.col("longitude").radians()
    a = ((lat2 - lat1) / 2).sin() ** 2 + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2).sin() ** 2
    distance = pl.when(has_coords).then(2 * EARTH_RADIUS_KM * a.sqrt().arcsin())
    hours = (pl.col("created_at") - previous(pl.col("created_at"))).dt.total_seconds(fractional=True) / 3600
    # "" for a located sign-in without names, so that it, not an older one, is the previous place
    previous_place = previous(PLACE)
    return [
        distance.alias("distance_km"),
        (distance / pl.max_horizontal(hours, 1 / 60)).alias("speed_kmh"),
        pl.when(has_coords & (previous_place != "")).then(previous_place).alias("previous_place"),
        pl.when(has_coords).then(hours).alias("hours_from_previous_place"),
    ]


def _count_in_window(events: pl.LazyFrame, marks: pl.LazyFrame, window: timedelta, name: str) -> pl.LazyFrame:
    """Per event (_row), how many of the user's marks (_user, at) fall in (created_at - window, created_at]."""
    marks = marks.sort("_user", "at").with_columns(pl.int_range(1, pl.len() + 1).over("_user").alias("_upto"))
    upto = lambda at, alias: (
        events.select("_row", "_user", at.alias("_t"))
        .sort("_user", "_t")
        .join_asof(marks, left_on="_t", right_on="at", by="_user", strategy="backward", check_sortedness=False)
        .select("_row", pl.col("_upto").fill_null(0).alias(alias))
    )
    now = upto(pl.col("created_at"), "_now")
    before = upto(pl.col("created_at") - window, "_before")
    return now.join(before, on="_row").select("_row", (pl.col("_now") - pl.col("_before")).alias(name))


def fatigue_attempts(facts: pl.LazyFrame, window_minutes: int) -> pl.LazyFrame:
    """The largest number of the user's denied / unanswered attempts in any window that contains the sign-in.

    Attempts are distinct correlation ids. A window is (end - window, end]; the windows containing a
    sign-in at t end in [t, t + window), and the fullest one ends at an attempt, so it is enough to look
    at the count ending at each of the user's attempts in that range. Every prompt of a burst is counted
    as part of the burst, not only those after the fifth.
    """
    window = timedelta(minutes=window_minutes)
    attempts = (
        facts.filter(pl.col("is_denied_or_unanswered"))
        .group_by("_user", pl.coalesce("correlation_id", "signin_id").alias("attempt"))
        .agg(pl.col("created_at").min().alias("at"))
        .select("_user", "at", pl.int_range(pl.len()).alias("_row"), pl.col("at").alias("created_at"))
    )
    ending_at = attempts.join(_count_in_window(attempts, attempts.select("_user", "at"), window, "_count"), on="_row")
    best = (
        facts.select("_row", "_user", "created_at")
        .join(ending_at.select("_user", "at", "_count"), on="_user")
        .filter((pl.col("at") >= pl.col("created_at")) & (pl.col("at") < pl.col("created_at") + window))
        .group_by("_row")
        .agg(pl.col("_count").max().alias("fatigue_attempts"))
    )
    return facts.join(best, on="_row", how="left").with_columns(pl.col("fatigue_attempts").fill_null(0).cast(pl.Int64))


def failure_days(facts: pl.LazyFrame, days: int = 14) -> pl.LazyFrame:
    """Distinct UTC days with a 500121 for the user among the `days` days ending at each sign-in."""
    day = pl.col("created_at").dt.truncate("1d")
    marks = facts.filter(MFA_FAILURE).select("_user", day.alias("at")).unique()
    counts = _count_in_window(
        facts.select("_row", "_user", day.alias("created_at")), marks, timedelta(days=days), "failure_days_14"
    )
    return facts.join(counts, on="_row", how="left")


def success_timing(within: timedelta = timedelta(hours=1)) -> list[pl.Expr]:
    """Hours since the user's previous success and where it was, and whether a success follows within
    the hour.

    Rows are sorted by user and time, so the neighbouring successes are a shift and a fill away.
    """
    success_at = pl.when(SUCCESS).then(pl.col("created_at"))
    last = success_at.shift(1).forward_fill().over("_user")
    following = success_at.shift(-1).backward_fill().over("_user")
    # "" for a success without a place, so that it, not an older one, is the last success's place
    last_place = pl.when(SUCCESS).then(PLACE).shift(1).forward_fill().over("_user")
    return [
        ((pl.col("created_at") - last).dt.total_seconds(fractional=True) / 3600).alias("hours_since_last_success"),
        pl.when(last_place != "").then(last_place).alias("last_success_place"),
        ((following - pl.col("created_at")) <= within).fill_null(False).alias("success_within_hour"),
    ]


def session_error_neighbours(facts: pl.LazyFrame) -> pl.LazyFrame:
    """Session / cookie error codes of the other rows of the same attempt (the user's correlation id: a
    tenant's, never another's) within SESSION_NEIGHBOUR_WINDOW of the sign-in (a correlation id can span a
    session of many attempts)."""
    session_rows = facts.filter(
        pl.col("error_code").is_in(SESSION_ERROR_CODES) & pl.col("correlation_id").is_not_null()
    ).select(
        "_user",
        "correlation_id",
        pl.col("_row").alias("_other"),
        pl.col("created_at").alias("_other_at"),
        pl.col("error_code").cast(pl.Int64),
    )
    neighbours = (
        facts.select("_row", "_user", "correlation_id", "created_at")
        .filter(pl.col("correlation_id").is_not_null())
        .join(session_rows, on=["_user", "correlation_id"])
        .filter(
            (pl.col("_other") != pl.col("_row"))
            & ((pl.col("_other_at") - pl.col("created_at")).abs() <= SESSION_NEIGHBOUR_WINDOW)
        )
        .group_by("_row")
        .agg(pl.col("error_code").sort().alias("session_error_neighbours"))
    )
    return facts.join(neighbours, on="_row", how="left").with_columns(
        pl.col("session_error_neighbours").fill_null(pl.lit([], dtype=pl.List(pl.Int64)))
    )


def with_result_phrase(rows: pl.LazyFrame) -> pl.LazyFrame:
    """`mfa_result`: the normalised phrase of the MFA step's text, else of the sign-in's details; a step
    whose text says it succeeded (shown wrongly on a failed step, as logs do) gives way to the details.
    Each distinct text is normalised once (a few dozen in real logs)."""
    texts = pl.concat([rows.select(pl.col(c).alias("_text")) for c in ("mfa_result_detail", "additional_details")])
    phrases = (
        texts.unique()
        .filter(pl.col("_text").is_not_null())
        .with_columns(normalised_phrase(pl.col("_text")).alias("_phrase"))
    )
    phrase_of = lambda column, alias: (  # noqa: E731
        phrases.rename({"_text": column, "_phrase": alias})
    )
    step, details = pl.col("_step"), pl.col("_details")
    return (
        rows.join(phrase_of("mfa_result_detail", "_step"), on="mfa_result_detail", how="left", maintain_order="left")
        .join(phrase_of("additional_details", "_details"), on="additional_details", how="left", maintain_order="left")
        .with_columns(
            pl.when(step.is_in(phrases_of(STEP_SUCCEEDED)) & details.is_not_null())
            .then(details)
            .otherwise(pl.coalesce(step, details))
            .alias("mfa_result")
        )
        .drop("_step", "_details")
    )


def row_features(thresholds) -> list[pl.Expr]:
    """Features computed from the row itself."""
    return [
        MFA_FAILURE.fill_null(False).alias("is_mfa_failure"),
        app_version_outdated(thresholds.min_authenticator_version).alias("app_version_outdated"),
        device_key().alias("device_key"),
        is_risky().alias("is_risky"),
        ((pl.col("ca_failure_conditions") & DEVICE_FLAGS) != 0).fill_null(False).alias("ca_failure_device"),
        ((pl.col("ca_failure_conditions") & LOCATION_FLAG) != 0).fill_null(False).alias("ca_failure_location"),
        pl.col("network_types")
        .list.eval(pl.element().is_in(TRUSTED_NETWORKS))
        .list.any()
        .fill_null(False)
        .alias("is_trusted_network"),
        pl.col("created_at").dt.hour().cast(pl.Int64).alias("hour_of_day"),
        (pl.col("client_app_used").str.to_lowercase() == "browser").fill_null(False).alias("is_browser"),
    ]


def signin_features(facts: pl.LazyFrame, thresholds) -> pl.LazyFrame:
    """The sign-in facts with every feature column of transforms/FEATURES.md added."""
    # Integer keys for sorting, windows and join-backs: much cheaper than the string ids. Users come out
    # in any order, which is harmless: every history feature is computed within one user. A user is a
    # tenant's: the same key in two tenants is two users.
    user = pl.concat_str([pl.col("tenant_id").fill_null(""), pl.lit("\x1f"), pl.col("user_key")])
    rows = (
        facts.with_columns(
            pl.col("created_at").dt.convert_time_zone("UTC"),
            user.cast(pl.Categorical).to_physical().alias("_user"),
        )
        .sort("_user", "created_at", "signin_id")
        .with_columns(pl.int_range(pl.len()).alias("_row"))
        .pipe(with_result_phrase)
        .with_columns(row_features(thresholds))
        .with_columns(
            is_denied_or_unanswered().alias("is_denied_or_unanswered"),
            first_seen_in_success_history("country_or_region").alias("is_new_country"),
            first_seen_in_success_history("city").alias("is_new_city"),
            first_seen_in_success_history("device_key").alias("is_new_device"),
            first_seen_in_success_history("ip_address").alias("_is_new_ip"),
            first_seen_in_success_history("autonomous_system_number").alias("is_new_asn"),
            *travel(),
            *success_timing(timedelta(minutes=thresholds.success_after_fatigue_minutes)),
        )
    )
    rows = rows.with_columns(
        ((pl.col("distance_km") >= thresholds.travel_min_km) & (pl.col("speed_kmh") >= thresholds.travel_min_kmh))
        .fill_null(False)
        .alias("impossible_travel"),
        (pl.col("_is_new_ip") | pl.col("is_new_country")).alias("fatigue_new_source"),
        # A 500121 means the first factor passed: from a source the user never succeeded from, someone
        # else may hold the password.
        (pl.col("is_mfa_failure") & (pl.col("_is_new_ip") | pl.col("is_new_country") | pl.col("is_new_asn"))).alias(
            "password_known_elsewhere"
        ),
    ).drop("_is_new_ip")
    # Each history step reads its input more than once (self-joins): computing the input once first
    # keeps the plan from recomputing everything upstream for every read.
    rows = _computed(rows)
    rows = _computed(fatigue_attempts(rows, thresholds.fatigue_window_minutes))
    rows = _computed(failure_days(rows, thresholds.recurring_window_days))
    return session_error_neighbours(rows).sort("_row").drop("_row", "_user")


def _computed(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.collect(engine="in-memory").lazy()
