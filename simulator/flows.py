"""Row sequences for one sign-in flow, shared by the baseline and the cause scenarios.

An interactive flow is the rows one request id chain leaves behind (an optional
50074 "MFA required" interrupt, an optional 50140 "Keep me signed in" interrupt,
then the final row), all sharing one ``correlationId``. A refresh burst is the
non-interactive token requests a rich client makes right after it signs in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from . import catalog as cat
from . import phrases as ph
from .ids import guid
from .records import NO_RISK, Mfa, Risk, Row
from .tenant import Device, Tenant, User


@dataclass(frozen=True)
class Where:
    """Where a user is on a given day: place, public address, trusted office or not."""

    place: cat.Place
    ip: str
    trusted: bool


def local_to_utc(day: date, hours: float, place: cat.Place) -> datetime:
    """UTC time of ``hours`` (decimal local time) on ``day`` at ``place``."""
    local = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=hours)
    return local - timedelta(hours=place.utc_offset + _summer_time(place.country, day))


_EU_DST = {"GB", "IE", "DE", "NL", "FR", "ES", "PT", "RO"}


def _summer_time(country: str, day: date) -> int:
    """1 while daylight saving time is on (US/CA: 2nd Sun Mar - 1st Sun Nov; EU: last Sun Mar - Oct)."""
    if country in ("US", "CA"):
        return int(_sunday(day.year, 3, 8) <= day < _sunday(day.year, 11, 1))
    if country in _EU_DST:
        return int(_sunday(day.year, 3, 25) <= day < _sunday(day.year, 10, 25))
    return 0


def _sunday(year: int, month: int, first_day: int) -> date:
    """The first Sunday on or after ``first_day`` of ``month``."""
    d = date(year, month, first_day)
    return d + timedelta(days=(6 - d.weekday()) % 7)


def day_of(tenant: Tenant, index: int) -> date:
    """The calendar date of day ``index`` of the window."""
    return tenant.start + timedelta(days=index)


def whereabouts(tenant: Tenant, user: User, index: int) -> Where | None:
    """The user's location on day ``index``; ``None`` on a travel day (no sign-ins)."""
    for first, last, key in user.trips:
        if first - 1 == index or (last + 1 == index and cat.PLACES[key].country != cat.PLACES[user.home].country):
            return None
        if first <= index <= last:
            place = cat.PLACES[key]
            return Where(place, f"{place.prefix}.{(user.index * 7 + first) % 250 + 3}", False)
    weekday = day_of(tenant, index).weekday()
    if user.office and weekday in user.office_days:
        name, ips = cat.OFFICES[user.office]
        return Where(cat.PLACES[user.office], ips[user.index % len(ips)], True)
    return Where(cat.PLACES[user.home], user.home_ip, False)


def home(user: User) -> Where:
    """The user's home network (used by scenarios that must not depend on the office)."""
    return Where(cat.PLACES[user.home], user.home_ip, False)


def default_mfa(user: User, day: int = 0) -> Mfa:
    """A successful second factor with the user's usual method."""
    method = ph.SMS if day < user.fallback_until else user.method
    return Mfa(method, True, ph.MFA_OK)


def interactive(
    rng: random.Random,
    user: User,
    when: datetime,
    device: Device,
    where: Where,
    app: cat.App,
    stage: str,
    *,
    code: int = 0,
    mfa: Mfa | None = None,
    interrupt: bool = False,
    kmsi: bool = False,
    session_id: str | None = None,
    risk: Risk = NO_RISK,
    correlation_id: str | None = None,
    details: str | None = None,
) -> list[Row]:
    """The rows of one interactive sign-in, oldest first."""
    cid = correlation_id or guid(rng)
    sid = session_id or guid(rng)
    client = "rich" if app.kind == "rich" else "browser"
    base = dict(
        user=user,
        app=app,
        device=device,
        place=where.place,
        ip=where.ip,
        client=client,
        correlation_id=cid,
        session_id=sid,
        trusted=where.trusted,
        risk=risk,
    )
    rows = []
    if interrupt:
        rows.append(Row(when=when - timedelta(seconds=rng.randint(12, 45)), stage="mfa_pending", code=50074, **base))
    if kmsi and client == "browser" and code == 0:
        rows.append(Row(when=when - timedelta(seconds=rng.randint(2, 6)), stage=stage, code=50140, mfa=mfa, **base))
    rows.append(Row(when=when, stage=stage, code=code, mfa=mfa, details=details, **base))
    return rows


def refresh_burst(
    rng: random.Random,
    user: User,
    when: datetime,
    device: Device,
    where: Where,
    session_id: str,
    count: int,
    risk: Risk = NO_RISK,
) -> list[Row]:
    """Non-interactive token requests a few seconds apart, one correlation id for the burst."""
    cid = guid(rng)
    pool = _MOBILE_REFRESH if device.family in cat.MOBILE_PROFILES else _DESKTOP_REFRESH
    apps = rng.sample(pool, k=min(count, len(pool)))
    rows, t = [], when
    for app in apps:
        t += timedelta(seconds=rng.randint(1, 25))
        rows.append(
            Row(
                user=user,
                when=t,
                app=cat.APPS[app],
                device=device,
                place=where.place,
                ip=where.ip,
                client="rich",
                stage="previous",
                interactive=False,
                correlation_id=cid,
                session_id=session_id,
                trusted=where.trusted,
                risk=risk,
            )
        )
    return rows


_DESKTOP_REFRESH = ["Microsoft Teams", "Microsoft Office", "OneDrive SyncEngine", "Microsoft Authentication Broker"]
_MOBILE_REFRESH = ["Outlook Mobile", "Microsoft Teams"]
