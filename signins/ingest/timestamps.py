"""Sign-in timestamps in every spelling seen in exports, to UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# Locale spellings (US month-first, as the portal and Log Analytics CSV write them), optional offset.
_LOCALE = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*([AaPp][Mm])?\s*([+-]\d{2}:?\d{2}|Z)?\s*$"
)


def _fraction_micros(digits: str | None) -> int:
    return int((digits or "0")[:6].ljust(6, "0"))


def _locale_time(text: str) -> datetime | None:
    match = _LOCALE.match(text)
    if not match:
        return None
    month, day, year, hour, minute, second, frac, ampm, offset = match.groups()
    hour = int(hour)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    tz = UTC
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(int(year), int(month), int(day), hour, int(minute), int(second), _fraction_micros(frac), tz)
    except ValueError:
        return None


def parse_utc(value: object) -> datetime | None:
    """A timestamp as an aware UTC datetime, or None when it is missing or unreadable.

    ISO 8601 with up to 9 fraction digits (cut, not rounded, to microseconds), with or without an
    offset (none means UTC, as Graph and Log Analytics write UTC), and the US locale spellings
    such as "4/28/2021, 2:08:45.221 PM" or "1/9/2007 10:41:00 AM +01:00".
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _locale_time(text)
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if not 1970 <= parsed.year <= 2200:
        return None
    return parsed


def iso_utc(moment: datetime) -> str:
    """The canonical text form handed to the database."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
