"""Ordinary tenant activity: working-hours sign-ins, token refreshes and routine failures.

Nothing here produces a 500121; those come from ``scenarios``. Each user has a private
RNG stream, so a change to one user's habits does not reshuffle everyone else.
"""

from __future__ import annotations

import random
from datetime import timedelta

from . import catalog as cat
from .flows import Where, day_of, default_mfa, interactive, local_to_utc, refresh_burst, whereabouts
from .ids import guid, stream
from .records import NO_RISK, Risk, Row
from .tenant import Tenant, User, make_device


def baseline_rows(tenant: Tenant, blackouts: dict) -> list[Row]:
    """All routine rows, minus those inside a scenario's blackout window for that user."""
    rows: list[Row] = []
    for user in tenant.users:
        rng = stream(tenant.seed, f"baseline:{user.index}")
        rows += _breakglass_rows(tenant, user, rng) if user.breakglass else _user_rows(tenant, user, rng)
    rows += _spray_rows(tenant, stream(tenant.seed, "spray"))
    return [r for r in rows if not _blacked_out(r, blackouts.get(r.user.index, ()))]


def _blacked_out(row: Row, windows) -> bool:
    return any(start <= row.when < end for start, end in windows)


def _user_rows(tenant: Tenant, user: User, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    warm_up = next(d for d in range(tenant.days) if day_of(tenant, d).weekday() < 5)
    for d in range(tenant.days):
        where = whereabouts(tenant, user, d)
        if where is None:
            continue
        weekday = day_of(tenant, d).weekday() < 5
        if d == warm_up:
            # Everyone signs in from each usual device early on, so the devices count as known.
            for s, device in enumerate(user.devices):
                rows += _session(tenant, user, rng, d, where, s, device)
            continue
        if rng.random() > (0.8 if weekday else 0.12) * min(user.activity, 1.0):
            continue
        sessions = 1 + (weekday and rng.random() < 0.15 * user.activity)
        for s in range(sessions):
            rows += _session(tenant, user, rng, d, where, s, _pick_device(rng, user, weekday))
        if user.legacy_smtp and weekday:
            rows += _legacy_rows(tenant, user, rng, d, where)
    return rows


def _pick_device(rng: random.Random, user: User, weekday: bool):
    mobile = user.devices[1] if len(user.devices) > 1 else None
    if mobile and rng.random() < (0.2 if weekday else 0.6):
        return mobile
    return user.laptop


def _pick_app(rng: random.Random, user: User, device) -> cat.App:
    if device.family in cat.MOBILE_PROFILES:
        name = rng.choice(cat.MOBILE_APPS + ["OfficeHome"])
    elif user.privileged and rng.random() < 0.5:
        name = rng.choice(cat.ADMIN_APPS)
    elif user.guest:
        name = rng.choice(["OfficeHome", "Office 365 SharePoint Online", "Microsoft Teams Web Client"])
    else:
        apps = [a for a in cat.APPS.values() if a.name not in cat.ADMIN_APPS + ["Outlook Mobile"]]
        name = rng.choices([a.name for a in apps], weights=[a.weight for a in apps])[0]
    return cat.APPS[name]


def _session(tenant: Tenant, user: User, rng: random.Random, d: int, where: Where, s: int, device) -> list[Row]:
    """One interactive sign-in plus the token refreshes that follow it."""
    hours = rng.gauss(8.8, 0.8) if s == 0 else rng.uniform(12.5, 16.5)
    when = local_to_utc(day_of(tenant, d), hours, where.place) + timedelta(seconds=rng.randint(0, 59))
    app = _pick_app(rng, user, device)
    fresh = s == 0 and rng.random() < (0.6 if user.privileged or user.guest else 0.35)
    sid = guid(rng)
    # Identity Protection flags the odd routine sign-in as low risk; MFA then succeeds anyway.
    risk = LOW_RISK if rng.random() < 0.01 else NO_RISK
    if fresh:
        rows = interactive(
            rng,
            user,
            when,
            device,
            where,
            app,
            "mfa_ok",
            mfa=default_mfa(user, d),
            interrupt=rng.random() < 0.3,
            kmsi=rng.random() < 0.2,
            session_id=sid,
            risk=risk,
        )
    else:
        rows = interactive(rng, user, when, device, where, app, "previous", session_id=sid, risk=risk)
    rows = _routine_failures(rng, user, rows) + rows
    if user.guest:
        return rows
    rows += refresh_burst(rng, user, when + timedelta(seconds=20), device, where, sid, rng.randint(1, 3))
    for _ in range(rng.choice([0, 0, 1])):
        later = when + timedelta(hours=rng.uniform(0.8, 4.0))
        burst = refresh_burst(rng, user, later, device, where, sid, rng.randint(1, 2))
        if rng.random() < 0.03:
            burst[0].code, burst[0].stage = 50076, "token_pending"
        rows += burst
    return rows


def _routine_failures(rng: random.Random, user: User, rows: list[Row]) -> list[Row]:
    """A mistyped password or a failed silent SSO just before a sign-in."""
    first = rows[0]
    out = []
    if not user.privileged and rng.random() < 0.015:
        out.append(
            Row(
                user=user,
                when=first.when - timedelta(seconds=rng.randint(20, 90)),
                app=first.app,
                device=first.device,
                place=first.place,
                ip=first.ip,
                client=first.client,
                stage="password_bad",
                code=50126,
                correlation_id=guid(rng),
                session_id="",
                trusted=first.trusted,
            )
        )
    if first.client == "browser" and rng.random() < 0.04:
        out.append(
            Row(
                user=user,
                when=first.when - timedelta(seconds=rng.randint(3, 9)),
                app=first.app,
                device=first.device,
                place=first.place,
                ip=first.ip,
                client="browser",
                stage="no_auth",
                code=50058,
                correlation_id=first.correlation_id,
                session_id=first.session_id,
                trusted=first.trusted,
            )
        )
    return out


def _legacy_rows(tenant: Tenant, user: User, rng: random.Random, d: int, where: Where) -> list[Row]:
    """A multifunction printer still sending mail over basic-auth SMTP: CA010 blocks it."""
    when = local_to_utc(day_of(tenant, d), rng.uniform(7.0, 17.0), where.place)
    return [
        Row(
            user=user,
            when=when,
            app=cat.APPS["Office 365 Exchange Online"],
            device=_PRINTER,
            place=where.place,
            ip=where.ip,
            client="legacy",
            stage="mfa_pending",
            code=53003,
            correlation_id=guid(rng),
            session_id="",
            trusted=where.trusted,
        )
    ]


def _breakglass_rows(tenant: Tenant, user: User, rng: random.Random) -> list[Row]:
    """The monthly break-glass test: one FIDO2 sign-in to the Azure portal from HQ."""
    d = next(i for i in range(tenant.days // 3 + user.index * 3, tenant.days) if day_of(tenant, i).weekday() < 5)
    name, ips = cat.OFFICES["redmond"]
    where = Where(cat.PLACES["redmond"], ips[0], True)
    when = local_to_utc(day_of(tenant, d), 10.5 + user.index, where.place)
    return interactive(rng, user, when, user.laptop, where, cat.APPS["Azure Portal"], "fido_ok")


def _spray_rows(tenant: Tenant, rng: random.Random) -> list[Row]:
    """Low-and-slow password spraying against ordinary members: wrong passwords only."""
    rows = []
    targets = [u for u in tenant.members if not u.per_user_mfa]
    for _ in range(max(3, tenant.days * len(tenant.users) // 250)):
        user, key = rng.choice(targets), rng.choice(cat.ATTACKER_PLACES)
        place = cat.PLACES[key]
        when = local_to_utc(day_of(tenant, rng.randrange(tenant.days)), rng.uniform(0, 24), place)
        rows.append(
            Row(
                user=user,
                when=when,
                app=cat.APPS["OfficeHome"],
                device=make_device(rng, "win_chrome"),
                place=place,
                ip=f"{place.prefix}.{rng.randint(2, 254)}",
                client="browser",
                stage="password_bad",
                code=50126,
                correlation_id=guid(rng),
                session_id="",
            )
        )
    return rows


LOW_RISK = Risk("low", "low", "atRisk", "none", ("unfamiliarFeatures",))
_PRINTER = make_device(random.Random(0), "unknown")
