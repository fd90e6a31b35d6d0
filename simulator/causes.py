"""One-off 500121 incidents, one builder per cause id of causes.md.

Each builder emits failed attempts that carry the evidence causes.md names for its
cause and, deliberately, none of the evidence of a cause with higher priority, so
the ground-truth cause is also the expected ``primary_cause``.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from . import catalog as cat
from . import phrases as ph
from .auth import app_policy
from .flows import Where
from .planner import Planner
from .records import Mfa, Risk
from .tenant import User, make_device

NEUTRAL_METHODS = (ph.PUSH, ph.SMS, ph.VOICE)


def _neutral(p: Planner, user: User) -> Mfa:
    """A failed second factor whose text names no cause."""
    method = user.method if user.method in NEUTRAL_METHODS else ph.SMS
    return Mfa(method, False, ph.neutral(p.rng, method), app_policy=[])


def _plain(u: User) -> bool:
    """Users whose sign-ins no location or admin policy singles out."""
    return not (u.location_group or u.per_user_mfa) and u.method in NEUTRAL_METHODS


def _retry(p: Planner, user: User, last, method: str, chance: float, minutes=(1, 6)) -> None:
    """Often the user gets in a few minutes later (another try, or another method)."""
    if p.rng.random() < chance:
        when = last.when + timedelta(minutes=p.rng.uniform(*minutes))
        p.success(user, when, last.device, Where(last.place, last.ip, last.trusted), last.app, method)


def _attempts(p: Planner, user, when, device, where, app, make_mfa, cause, scenario, count, **kw):
    rows = []
    for i in range(count):
        rows += p.attempt(
            user,
            when + timedelta(seconds=i * p.rng.randint(50, 150)),
            device,
            where,
            app,
            make_mfa(),
            cause,
            scenario,
            **kw,
        )
    return rows


def time_drift(p: Planner, n: int) -> None:
    """Rejected TOTP codes (phone clock drift), usually recovered by SMS."""
    for _ in range(n):
        user = p.pick(lambda u: u.method == ph.OATH)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        k = p.rng.choice([1, 1, 2, 2, 3])
        rows = _attempts(
            p,
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            lambda: Mfa(ph.OATH, False, ph.spell(p.rng, "time_drift")),
            "time_drift",
            f"TOTP code rejected x{k}",
            k,
        )
        _retry(p, user, rows[-1], ph.SMS, 0.7)


def push_not_delivered(p: Planner, n: int) -> None:
    """Pushes that never arrive or are never answered."""
    for _ in range(n):
        user = p.pick(lambda u: u.method == ph.PUSH)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        device = user.devices[-1] if p.rng.random() < 0.25 else user.laptop
        k = p.rng.choice([1, 1, 2])
        rows = _attempts(
            p,
            user,
            p.at(d, where),
            device,
            where,
            p.app_for(device),
            lambda: Mfa(ph.PUSH, False, ph.spell(p.rng, "push_not_delivered"), app_policy=[]),
            "push_not_delivered",
            f"push not answered x{k}",
            k,
        )
        _retry(p, user, rows[-1], p.rng.choice([ph.PUSH, ph.SMS]), 0.6)


def prompt_denied(p: Planner, n: int) -> None:
    """The user taps Deny ("No, it's not me")."""
    for _ in range(n):
        user = p.pick(lambda u: u.method == ph.PUSH)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        deny = [app_policy("Number matching", "numberMatchDeny", "failure")] if p.rng.random() < 0.5 else []
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            Mfa(ph.PUSH, False, ph.spell(p.rng, "prompt_denied"), app_policy=deny),
            "prompt_denied",
            "user tapped Deny" + (" (number match deny)" if deny else ""),
        )
        _retry(p, user, rows[-1], ph.PUSH, 0.7)


def number_mismatch(p: Planner, n: int) -> None:
    """A wrong number typed in number matching."""
    for _ in range(n):
        user = p.pick(lambda u: u.method == ph.PUSH)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        policy = [
            app_policy("Number matching", "numberMatchIncorrectNumberEntered", "failure"),
            app_policy("Application name", "appContextShown", "success"),
        ]
        k = p.rng.choice([1, 1, 2])
        rows = _attempts(
            p,
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            lambda policy=policy: Mfa(ph.PUSH, False, ph.spell(p.rng, "number_mismatch"), app_policy=policy),
            "number_mismatch",
            f"wrong number entered x{k}",
            k,
        )
        _retry(p, user, rows[-1], ph.PUSH, 0.8)


def registration_broken(p: Planner, n: int) -> None:
    """No usable or a corrupted MFA registration."""
    for _ in range(n):
        user = p.pick(lambda u: u.method in NEUTRAL_METHODS)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        phrases = (
            ["misconfiguration", "invalid authentication"]
            if user.method == ph.PUSH
            else ["phone number has an invalid format"]
        )
        phrases.append(
            "user doesn\u2019t have any verification methods registered"
            if p.rng.random() < 0.5
            else "user doesn't have any verification methods registered"
        )
        text = p.rng.choice(["MFA denied; ", "MFA Denied; "]) + p.rng.choice(phrases)
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            Mfa(user.method, False, text, app_policy=[]),
            "registration_broken",
            "broken MFA registration: " + text.split("; ", 1)[1],
        )
        _retry(p, user, rows[-1], ph.SMS, 0.25, minutes=(20, 90))


def ca_device_block(p: Planner, n: int) -> None:
    """CA006/CA007 demand MFA on an unmanaged phone or a Linux box, and MFA fails there."""
    for _ in range(n):
        user = p.pick(_plain)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        personal = next((x for x in user.devices[1:] if not x.managed), None)
        device = personal or make_device(p.rng, p.rng.choice(["ios", "android", "linux"]))
        rows = p.attempt(
            user,
            p.at(d, where),
            device,
            where,
            p.app_for(device),
            _neutral(p, user),
            "ca_device_block",
            f"unmanaged {device.family} device under CA00" + ("7" if device.family == "linux" else "6"),
        )
        _retry(p, user, rows[-1], user.method, 0.3)


def ca_location_block(p: Planner, n: int) -> None:
    """CA012 demands MFA on a home network (Finance & HR group), and MFA fails."""
    for _ in range(n):
        user = p.pick(lambda u: u.location_group and u.method in NEUTRAL_METHODS)
        if not user or not (s := p.slot(user)):
            continue
        d, _ = s
        where = Where(cat.PLACES[user.home], user.home_ip, False)
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            _neutral(p, user),
            "ca_location_block",
            "CA012 outside trusted locations (home network)",
        )
        _retry(p, user, rows[-1], user.method, 0.4)


SESSION_ERRORS = [50058, 50140, 50089, 50199, 50132, 50133]


def browser_session(p: Planner, n: int) -> None:
    """A browser flow broken by session/cookie errors under the same correlationId."""
    for _ in range(n):
        user = p.pick(_plain)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop, browser=True),
            _neutral(p, user),
            "browser_session",
            "",
            interrupt=False,
        )
        codes = p.rng.sample(SESSION_ERRORS, k=p.rng.choice([1, 2]))
        for code in codes:
            # Same correlationId: the session/cookie failure sits in the same flow as the 500121.
            shift = timedelta(seconds=p.rng.choice([-1, 1]) * p.rng.randint(4, 40))
            p.add([_neighbour(rows[0], code, shift)])
        for row in rows:
            if row.extra:
                row.extra["scenario"] = "browser session errors " + "+".join(map(str, codes))
        _retry(p, user, rows[-1], user.method, 0.5)


def _neighbour(row, code: int, shift: timedelta):
    """A session/cookie error row in the same flow (same correlationId) as ``row``."""
    stage = "no_auth" if code in (50058, 50132, 50133) else "mfa_pending"
    return dataclasses.replace(row, when=row.when + shift, code=code, stage=stage, mfa=None, details=None, extra={})


def new_device(p: Planner, n: int) -> None:
    """A first attempt from a device the user never signed in from successfully."""
    for _ in range(n):
        user = p.pick(_plain, reserve=True)  # once per user: a retry makes the device familiar
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        profile = "win_firefox" if user.laptop.family == "mac" else p.rng.choice(["mac", "mac_chrome"])
        registered = p.rng.random() < 0.35
        device = make_device(p.rng, profile, registered=registered)
        rows = p.attempt(
            user,
            p.at(d, where),
            device,
            where,
            p.app_for(device, browser=True),
            _neutral(p, user),
            "new_device",
            ("newly registered " if registered else "unregistered ") + profile,
        )
        _retry(p, user, rows[-1], user.method, 0.5)


def unknown(p: Planner, n: int) -> None:
    """A neutral failure on a known device and location: no evidence for any cause."""
    for _ in range(n):
        user = p.pick(_plain)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            _neutral(p, user),
            "unknown",
            "no evidence in the log",
            details=ph.GENERIC_500121_DETAIL,
            interrupt=False,
        )


def risk_block(p: Planner, n: int) -> None:
    """Identity Protection rates the sign-in medium/high risk and the risk policy's MFA fails."""
    kinds = [
        ("high", ("anonymizedIPAddress",), "bucharest"),
        ("medium", ("unfamiliarFeatures",), None),
        ("high", ("maliciousIPAddress", "unfamiliarFeatures"), "hochiminh"),
    ]
    for _ in range(n):
        user = p.pick(lambda u: u.method in NEUTRAL_METHODS)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        level, events, attacker = kinds[p.ordinal("risk_block") % len(kinds)]
        if attacker:
            place = cat.PLACES[attacker]
            where = Where(place, f"{place.prefix}.{p.rng.randint(2, 254)}", False)
        device = make_device(p.rng, "win_chrome") if attacker else user.laptop
        risk = Risk(level, level, "atRisk", "none", events)
        p.attempt(
            user,
            p.at(d, where, 0, 24),
            device,
            where,
            cat.APPS["OfficeHome"],
            _neutral(p, user),
            "risk_block",
            f"sign-in risk {level}: {', '.join(events)}",
            risk=risk,
        )


def tap_invalid(p: Planner, n: int) -> None:
    """An expired, used or out-of-policy Temporary Access Pass."""
    for _ in range(n):
        user = p.pick(lambda u: True)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        device = make_device(p.rng, user.laptop.profile, registered=False)
        text = ph.TAP_FAILURES[p.ordinal("tap_invalid") % len(ph.TAP_FAILURES)]
        k = p.rng.choice([1, 2])
        rows = _attempts(
            p,
            user,
            p.at(d, where),
            device,
            where,
            cat.APPS["My Signins"],
            lambda text=text: Mfa(ph.TAP, False, text),
            "tap_invalid",
            f"TAP rejected: {text}",
            k,
            stage="tap_failed",
            interrupt=False,
        )
        _retry(p, user, rows[-1], user.method, 0.5, minutes=(15, 60))


def fraud_reported(p: Planner, n: int) -> None:
    """An attacker with the password; the user reports the push as fraud."""
    for _ in range(n):
        user = p.pick(lambda u: u.method == ph.PUSH, reserve=True)
        if not user or not (s := p.slot(user)):
            continue
        d, where = s
        i = p.ordinal("fraud_reported")
        place = cat.PLACES[cat.ATTACKER_PLACES[i % len(cat.ATTACKER_PLACES)]]
        where = Where(place, f"{place.prefix}.{p.rng.randint(2, 254)}", False)
        events = ("userReportedSuspiciousActivity",) if i % 2 == 0 else ()
        risk = Risk("none", "high", "atRisk", "none", events) if events else Risk()
        deny = [app_policy("Number matching", "numberMatchDeny", "failure")]
        p.attempt(
            user,
            p.at(d, where, 0, 24),
            make_device(p.rng, "win_chrome"),
            where,
            cat.APPS["OfficeHome"],
            Mfa(ph.PUSH, False, ph.spell(p.rng, "fraud_reported"), app_policy=deny),
            "fraud_reported",
            "user reported the prompt as fraud" + (" (user risk event)" if events else ""),
            risk=risk,
        )
