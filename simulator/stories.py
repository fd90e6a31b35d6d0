"""Multi-day storylines: fatigue bursts, an admin lockout, recurring drift, outdated apps, travel, a
password spray that hits.

Storylines own their users (``Planner.reserved``) so one-off incidents cannot blur them.
"""

from __future__ import annotations

import math
from datetime import timedelta

from . import catalog as cat
from . import phrases as ph
from .auth import app_policy
from .flows import Where, day_of, local_to_utc, refresh_burst, whereabouts
from .ids import guid
from .planner import Planner
from .records import Mfa, Risk, Row
from .tenant import User, make_device

UNFAMILIAR = Risk("medium", "medium", "atRisk", "none", ("unfamiliarFeatures",))
SPRAY_USERS = 14  # wrong passwords from the spraying address, each for another member


def mfa_fatigue(p: Planner, bursts: int) -> None:
    """Push bombing from abroad; burst 1 ends with the user approving, burst 3 is > 10 in 5 minutes."""
    for b in range(1, bursts + 1):
        user = p.pick(lambda u: u.method == ph.PUSH and not u.location_group, reserve=True)
        s = user and p.slot(user, first=5)
        if not s:
            continue
        d, _ = s
        place = cat.PLACES[cat.ATTACKER_PLACES[(b * 2) % len(cat.ATTACKER_PLACES)]]
        where = Where(place, f"{place.prefix}.{p.rng.randint(2, 254)}", False)
        device = make_device(p.rng, "win_chrome")
        start = local_to_utc(day_of(p.t, d), p.rng.uniform(21.0, 23.0), cat.PLACES[user.home]).replace(microsecond=0)
        rapid = b == 3
        count = 12 if rapid else p.rng.randint(6, 9)
        gap = (18, 24) if rapid else (35, 520 // (count - 1))
        kind = "followed by success" if b == 1 else "rapid, >10 in 5 min" if rapid else "no success"
        label = f"fatigue burst {b} ({kind})"
        t = start
        for _ in range(count):
            p.attempt(
                user,
                t,
                device,
                where,
                cat.APPS["OfficeHome"],
                _fatigue_mfa(p),
                "mfa_fatigue",
                label,
                risk=UNFAMILIAR if p.rng.random() < 0.5 else Risk(),
                duplicate=False,
            )
            t += timedelta(seconds=p.rng.randint(*gap))
        if b == 1:
            # The worn-down user approves: the attacker is in, and reads mail.
            won = p.success(
                user,
                t + timedelta(minutes=p.rng.randint(6, 25)),
                device,
                where,
                cat.APPS["OfficeHome"],
                ph.PUSH,
                refresh=0,
                risk=UNFAMILIAR,
            )
            p.add(
                refresh_burst(
                    p.rng,
                    user,
                    won[-1].when + timedelta(seconds=30),
                    device,
                    where,
                    won[-1].session_id,
                    2,
                    risk=UNFAMILIAR,
                )
            )


def _fatigue_mfa(p: Planner) -> Mfa:
    roll = p.rng.random()
    if roll < 0.45:
        return Mfa(
            ph.PUSH,
            False,
            ph.spell(p.rng, "prompt_denied"),
            app_policy=[app_policy("Number matching", "numberMatchDeny", "failure")],
        )
    if roll < 0.85:
        return Mfa(ph.PUSH, False, ph.spell(p.rng, "push_not_delivered"), app_policy=[])
    return Mfa(
        ph.PUSH,
        False,
        ph.spell(p.rng, "number_mismatch"),
        app_policy=[app_policy("Number matching", "numberMatchIncorrectNumberEntered", "failure")],
    )


def privileged_lockout(p: Planner) -> None:
    """An admin's phone stops getting pushes: a working day of failures, no success until next morning."""
    admins = [u for u in p.t.privileged if not u.breakglass and u.index not in p.reserved]
    if not admins:
        return
    user = admins[0]
    p.reserved.add(user.index)
    d, where = p.slot(user, first=8)
    start = local_to_utc(day_of(p.t, d), 8.6, where.place).replace(microsecond=0)
    t, attempt = start, 0
    while t < local_to_utc(day_of(p.t, d), 18.5, where.place):
        attempt += 1
        text = ph.spell(p.rng, "push_not_delivered")
        p.attempt(
            user,
            t,
            user.laptop,
            where,
            cat.APPS[p.rng.choice(cat.ADMIN_APPS + ["OfficeHome"])],
            Mfa(ph.PUSH, False, text, app_policy=[]),
            "push_not_delivered",
            f"privileged lockout: admin attempt {attempt}",
            duplicate=False,
        )
        t += timedelta(minutes=p.rng.randint(35, 80))
    nxt = next(i for i in range(d + 1, p.t.days) if day_of(p.t, i).weekday() < 5)
    back = whereabouts(p.t, user, nxt)
    fixed = local_to_utc(day_of(p.t, nxt), 9.75, back.place).replace(microsecond=0)
    p.blackout(user, start - timedelta(minutes=30), fixed)
    p.busy[user.index].add(nxt)
    p.success(user, fixed, user.laptop, back, cat.APPS["Azure Portal"], ph.SMS)


def recurring_time_drift(p: Planner, users: int) -> None:
    """Phones whose clocks drift: rejected TOTP codes on 3-4 days within two weeks."""
    for _ in range(users):
        user = p.pick(lambda u: u.method == ph.OATH, reserve=True)
        if not user:
            continue
        first = p.rng.randint(3, max(3, p.t.days - 14))
        days = _spread_days(p, user, first, first + 12, p.rng.choice([3, 3, 4]))
        for k, d in enumerate(days, 1):
            where = whereabouts(p.t, user, d)
            attempts = p.rng.choice([1, 2, 2, 3])
            t = p.at(d, where)
            for _ in range(attempts):
                rows = p.attempt(
                    user,
                    t,
                    user.laptop,
                    where,
                    p.app_for(user.laptop),
                    Mfa(ph.OATH, False, ph.spell(p.rng, "time_drift")),
                    "time_drift",
                    f"recurring time drift (day {k} of {len(days)})",
                )
                t = rows[-1].when + timedelta(seconds=p.rng.randint(40, 110))
            if p.rng.random() < 0.8:
                p.success(user, t + timedelta(minutes=2), user.laptop, where, rows[-1].app, ph.SMS)


def app_outdated(p: Planner, users: int) -> None:
    """Authenticator too old for number matching: pushes fail until the user updates the app."""
    for _ in range(users):
        user = p.pick(lambda u: u.method == ph.PUSH and not u.location_group, reserve=True)
        if not user:
            continue
        fix = p.rng.randint(9, p.t.days - 3)
        days = _spread_days(p, user, max(3, fix - 10), fix - 1, p.rng.choice([1, 2, 3]))
        old = p.rng.choice(cat.AUTHENTICATOR_OUTDATED[user.phone.family])
        user.fallback_until = fix
        for d in days:
            where = whereabouts(p.t, user, d)
            status = p.rng.choice(["numberMatchOutOfDate", "numberMatchOutOfDate", "appContextOutOfDate"])
            text = ph.spell(p.rng, "push_not_delivered") if p.rng.random() < 0.5 else ph.neutral(p.rng, ph.PUSH)
            mfa = Mfa(
                ph.PUSH,
                False,
                text,
                app_version=old,
                app_policy=[
                    app_policy(
                        "Number matching" if status.startswith("number") else "Application name", status, "failure"
                    )
                ],
            )
            rows = p.attempt(
                user,
                p.at(d, where),
                user.laptop,
                where,
                p.app_for(user.laptop),
                mfa,
                "app_outdated",
                f"Authenticator {old} below minimum ({status})",
            )
            if p.rng.random() < 0.8:
                p.success(user, rows[-1].when + timedelta(minutes=3), user.laptop, where, rows[-1].app, ph.SMS)


def _spread_days(p: Planner, user: User, first: int, last: int, count: int) -> list[int]:
    usable = [d for d in range(first, min(last, p.t.days - 1) + 1) if p.usual_day(user, d)]
    days = sorted(p.rng.sample(usable, k=min(count, len(usable))))
    p.busy[user.index].update(days)
    return days


def new_country_trips(p: Planner, trips: int) -> None:
    """A trip abroad: the first sign-in from the new country fails (roaming SMS, push trouble)."""
    for _ in range(trips):
        user = p.pick(
            lambda u: u.method in (ph.SMS, ph.VOICE, ph.PUSH) and not u.location_group and not u.trips, reserve=True
        )
        if not user:
            continue
        first = p.rng.randint(4, p.t.days - 4)
        if not all(p.usual_day(user, d) or day_of(p.t, d).weekday() >= 5 for d in (first - 1, first)):
            continue
        p.busy[user.index].add(first)
        key = p.rng.choice(cat.FOREIGN_TRIPS)
        user.trips.append((first, first + p.rng.randint(1, 3), key))
        where = whereabouts(p.t, user, first)
        when = local_to_utc(day_of(p.t, first), p.rng.uniform(8.0, 9.5), where.place).replace(microsecond=0)
        p.blackout(user, when - timedelta(hours=12), when + timedelta(minutes=1))
        method = user.method if user.method != ph.PUSH or p.rng.random() < 0.5 else ph.SMS
        rows = p.attempt(
            user,
            when,
            user.laptop,
            where,
            p.app_for(user.laptop),
            Mfa(method, False, ph.neutral(p.rng, method), app_policy=[]),
            "new_location",
            f"first sign-in from {where.place.country} (trip to {where.place.city})",
        )
        if p.rng.random() < 0.8:
            p.success(
                user,
                rows[-1].when + timedelta(minutes=p.rng.randint(2, 8)),
                user.laptop,
                where,
                rows[-1].app,
                ph.PUSH if user.method == ph.PUSH else ph.VOICE,
            )


def impossible_travel(p: Planner, cases: int) -> None:
    """A known country, but far from the last sign-in minutes earlier (>= 500 km at >= 800 km/h)."""
    for _ in range(cases):
        user = p.pick(
            lambda u: (
                cat.PLACES[u.home].country == "US"
                and u.method in (ph.SMS, ph.VOICE, ph.PUSH)
                and not u.location_group
                and not u.trips
            ),
            reserve=True,
        )
        if not user:
            continue
        far = max(cat.DOMESTIC_TRIPS["US"], key=lambda k: distance_km(cat.PLACES[k], cat.PLACES[user.home]))
        visit = _spread_days(p, user, 3, 8, 1)
        later = _spread_days(p, user, 12, p.t.days - 2, 1)
        if not visit or not later:
            continue
        user.trips.append((visit[0], visit[0] + 1, far))
        d, where = later[0], whereabouts(p.t, user, later[0])
        t0 = p.at(d, where, 9.0, 15.0)
        p.success(user, t0, user.laptop, where, p.app_for(user.laptop), user.method)
        place = cat.PLACES[far]
        away = Where(place, f"{place.prefix}.{p.rng.randint(2, 254)}", False)
        when = t0 + timedelta(minutes=p.rng.randint(20, 50))
        speed = distance_km(place, where.place) / ((when - t0).total_seconds() / 3600)
        method = user.method
        p.attempt(
            user,
            when,
            user.laptop,
            away,
            p.app_for(user.laptop),
            Mfa(method, False, ph.neutral(p.rng, method), app_policy=[]),
            "new_location",
            f"impossible travel {where.place.city} -> {place.city} ({speed:.0f} km/h)",
            interrupt=False,
            duplicate=False,
            verdict="hostile",
        )


def distance_km(a: cat.Place, b: cat.Place) -> float:
    """Great-circle distance between two places."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def password_spray(p: Planner, sprays: int) -> None:
    """A password spray from one address at night: wrong passwords for many members within twenty
    minutes, then, for the one whose password it had, an MFA prompt the user leaves unanswered. The
    failure's own cause is an unanswered push; the spray makes it hostile."""
    for s in range(sprays):
        for _ in range(20):  # a user with a free night
            user = p.pick(lambda u: u.method == ph.PUSH and not u.location_group)
            slot = user and p.slot(user, first=5)
            if slot:
                break
        else:
            continue
        p.reserved.add(user.index)
        d, _ = slot
        place = cat.PLACES[cat.ATTACKER_PLACES[(s * 3 + 1) % len(cat.ATTACKER_PLACES)]]
        where = Where(place, f"{place.prefix}.{p.rng.randint(2, 254)}", False)
        device = make_device(p.rng, "win_chrome")
        start = local_to_utc(day_of(p.t, d), p.rng.uniform(1.0, 4.0), cat.PLACES[user.home]).replace(microsecond=0)
        others = [u for u in p.t.members if u is not user and not u.per_user_mfa]
        for target in p.rng.sample(others, min(SPRAY_USERS, len(others))):
            p.add(
                [
                    Row(
                        user=target,
                        when=start + timedelta(seconds=p.rng.randint(0, 1200)),
                        app=cat.APPS["OfficeHome"],
                        device=device,
                        place=place,
                        ip=where.ip,
                        stage="password_bad",
                        code=50126,
                        correlation_id=guid(p.rng),
                    )
                ]
            )
        p.attempt(
            user,
            start + timedelta(minutes=p.rng.randint(21, 30)),
            device,
            where,
            cat.APPS["OfficeHome"],
            Mfa(ph.PUSH, False, ph.spell(p.rng, "push_not_delivered"), app_policy=[]),
            "push_not_delivered",
            f"password spray from one address ({SPRAY_USERS} other members failed) hit this user",
            duplicate=False,
            verdict="hostile",
        )
