"""The column contract of transforms/FEATURES.md as polars dtypes, and a frame builder for tests."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")
STRINGS = pl.List(pl.String)
INTS = pl.List(pl.Int64)

# Sign-in facts: one row per sign-in, as read from the store (FEATURES.md, "Sign-in facts").
FACT_COLUMNS: dict[str, pl.DataType] = {
    "tenant_id": pl.String,
    "signin_id": pl.String,
    "correlation_id": pl.String,
    "created_at": UTC_TIME,
    "user_key": pl.String,
    "user_principal_name": pl.String,
    "event_type": pl.String,
    "error_code": pl.Int64,
    "additional_details": pl.String,
    "client_app_used": pl.String,
    "ip_address": pl.String,
    "country_or_region": pl.String,
    "city": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "autonomous_system_number": pl.Int64,
    "network_types": STRINGS,
    "device_id": pl.String,
    "device_operating_system": pl.String,
    "device_browser": pl.String,
    "device_is_compliant": pl.Boolean,
    "device_is_managed": pl.Boolean,
    "risk_level_during_signin": pl.String,
    "risk_level_aggregated": pl.String,
    "risk_state": pl.String,
    "risk_event_types": STRINGS,
    "requirement_providers": STRINGS,
    "mfa_method": pl.String,
    "mfa_result_detail": pl.String,
    "mfa_succeeded": pl.Boolean,
    "app_policy_statuses": STRINGS,
    "app_version": pl.String,
    "app_operating_system": pl.String,
    "ca_failure_policies": STRINGS,
    "ca_failure_policy_ids": STRINGS,
    "ca_failure_conditions": pl.Int64,
    "ca_failure_matched": STRINGS,
    "ca_failure_grants": STRINGS,
    "ca_failure_unmet": STRINGS,
    "ca_report_only_failure_policies": STRINGS,
    "password_failures_hour": pl.Int64,
    "password_failure_ips_hour": pl.Int64,
    "mfa_interrupts_hour": pl.Int64,
    "ca_blocks_hour": pl.Int64,
    "spray_users_hour": pl.Int64,
}

# Feature columns added by transforms.features.signin_features (FEATURES.md, "Feature columns").
FEATURE_COLUMNS: dict[str, pl.DataType] = {
    "is_mfa_failure": pl.Boolean,
    "mfa_result": pl.String,
    "is_denied_or_unanswered": pl.Boolean,
    "app_version_outdated": pl.Boolean,
    "is_new_country": pl.Boolean,
    "is_new_city": pl.Boolean,
    "is_new_asn": pl.Boolean,
    "password_known_elsewhere": pl.Boolean,
    "distance_km": pl.Float64,
    "speed_kmh": pl.Float64,
    "previous_place": pl.String,
    "hours_from_previous_place": pl.Float64,
    "impossible_travel": pl.Boolean,
    "is_trusted_network": pl.Boolean,
    "device_key": pl.String,
    "is_new_device": pl.Boolean,
    "is_risky": pl.Boolean,
    "ca_failure_device": pl.Boolean,
    "ca_failure_location": pl.Boolean,
    "fatigue_attempts": pl.Int64,
    "fatigue_new_source": pl.Boolean,
    "success_within_hour": pl.Boolean,
    "hours_since_last_success": pl.Float64,
    "last_success_place": pl.String,
    "failure_days_14": pl.Int64,
    "hour_of_day": pl.Int64,
    "session_error_neighbours": INTS,
    "is_browser": pl.Boolean,
}

ALL_COLUMNS: dict[str, pl.DataType] = {**FACT_COLUMNS, **FEATURE_COLUMNS}


def _utc(value: str | datetime | None) -> datetime | None:
    """An ISO string or datetime as an aware UTC datetime; naive values are taken as UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def frame_of(events: list[dict]) -> pl.DataFrame:
    """A frame with every contract column from a list of event dicts (missing keys are null)."""
    unknown = sorted({key for event in events for key in event} - ALL_COLUMNS.keys())
    if unknown:
        raise ValueError(f"unknown columns {unknown}; the contract is transforms/FEATURES.md")
    series = []
    for name, dtype in ALL_COLUMNS.items():
        values = [event.get(name) for event in events]
        if dtype == UTC_TIME:
            values = [_utc(value) for value in values]
        series.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(series)
