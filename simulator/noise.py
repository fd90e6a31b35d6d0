"""Ambiguous and noisy 500121 incidents: the cases a priority-ordered tagger cannot get right.

The clean builders of causes.py and stories.py give every attempt its own cause's evidence and
nothing of a higher-priority cause, so a tagger that follows causes.md would score 100% on them
by construction. Real logs are not like that. The builders here add a minority of attempts that are

* **ambiguous**: the cause the attempt was generated from is real, but the attempt also carries
  evidence of a cause with *higher* priority (a traveller who mistypes a TOTP code, a user on a
  new laptop who taps Deny by mistake, a CA location block where the push also timed out). A
  tagger that ranks by priority picks the other cause;
* **noisy**: the evidence is missing or degraded the way real records are (entra-signins.md
  §6.6): the MFA result not yet aggregated (null, or the generic 500121 text), "MFA requirement
  satisfied by claim in the token" shown wrongly on the failed step, a third-party or unverified
  spelling of the result, a TOTP rejection logged under the push method label, Authenticator
  details missing, risk fields not yet enriched. Some still come out right, some as ``unknown``,
  some as another cause.

Ground truth keeps the cause each attempt was generated from; the ``noise`` column names the kind.
"""

from __future__ import annotations

from datetime import timedelta

from . import catalog as cat
from . import phrases as ph
from .auth import app_policy
from .causes import NEUTRAL_METHODS, SESSION_ERRORS, _neighbour, _neutral, _plain, _retry
from .flows import Where, day_of, local_to_utc, whereabouts
from .planner import Planner
from .records import AS_DETAIL, Mfa, Risk
from .tenant import User, make_device

UNFAMILIAR = Risk("medium", "medium", "atRisk", "none", ("unfamiliarFeatures",))


def _push_user(u: User) -> bool:
    return _plain(u) and u.method == ph.PUSH


def _pick_slot(p: Planner, predicate, reserve: bool = False, tries: int = 25):
    """A user and a free one-off day (user, day, where): retries, since the user pools run thin by now."""
    for _ in range(tries):
        user = p.pick(predicate)
        if user and (s := p.slot(user)):
            if reserve:
                p.reserved.add(user.index)
            return user, *s
        if not user:
            return None
    return None


# -- ambiguous: the generated cause, plus evidence of a higher-priority one ----------------------
def _trip_start(p: Planner, predicate, tries: int = 25) -> tuple[User, object, Where] | None:
    """Book a trip abroad for a fresh user; the first sign-in time and place there."""
    for _ in range(tries):
        user = p.pick(lambda u: predicate(u) and not u.location_group and not u.trips and not p.busy[u.index])
        if not user:
            return None
        first = p.rng.randint(4, p.t.days - 4)
        if all(p.usual_day(user, d) or day_of(p.t, d).weekday() >= 5 for d in (first - 1, first)):
            break
    else:
        return None
    p.reserved.add(user.index)
    p.busy[user.index].add(first)
    user.trips.append((first, first + p.rng.randint(1, 3), p.rng.choice(cat.FOREIGN_TRIPS)))
    where = whereabouts(p.t, user, first)
    when = local_to_utc(day_of(p.t, first), p.rng.uniform(8.0, 9.5), where.place).replace(microsecond=0)
    p.blackout(user, when - timedelta(hours=12), when + timedelta(minutes=1))
    return user, when, where


def code_abroad(p: Planner, n: int) -> None:
    """new_location: the first sign-in of a trip abroad, where the user mistypes a TOTP code (time_drift text)."""
    for _ in range(n):
        got = _trip_start(p, lambda u: u.method == ph.OATH)
        if not got:
            continue
        user, when, where = got
        rows = p.attempt(
            user,
            when,
            user.laptop,
            where,
            p.app_for(user.laptop),
            Mfa(ph.OATH, False, ph.spell(p.rng, "time_drift")),
            "new_location",
            f"first sign-in from {where.place.country} (trip to {where.place.city}); TOTP code mistyped",
            noise="ambiguous_code_abroad",
        )
        if p.rng.random() < 0.8:
            p.success(
                user, rows[-1].when + timedelta(minutes=p.rng.randint(1, 4)), user.laptop, where, rows[-1].app, ph.OATH
            )


def risky_trip(p: Planner, n: int) -> None:
    """new_location: Identity Protection rates a traveller's first sign-in abroad as unfamiliar (risk_block)."""
    for _ in range(n):
        got = _trip_start(p, lambda u: u.method in NEUTRAL_METHODS)
        if not got:
            continue
        user, when, where = got
        rows = p.attempt(
            user,
            when,
            user.laptop,
            where,
            p.app_for(user.laptop),
            _neutral(p, user),
            "new_location",
            f"first sign-in from {where.place.country} (trip to {where.place.city}); rated unfamiliarFeatures",
            risk=UNFAMILIAR,
            noise="ambiguous_risky_trip",
        )
        if p.rng.random() < 0.8:
            p.success(
                user,
                rows[-1].when + timedelta(minutes=p.rng.randint(3, 10)),
                user.laptop,
                where,
                rows[-1].app,
                user.method if user.method != ph.PUSH else ph.SMS,
                risk=UNFAMILIAR,
            )


def deny_new_device(p: Planner, n: int) -> None:
    """new_device: on a new laptop the unfamiliar prompt makes the user tap Deny by mistake (prompt_denied)."""
    for _ in range(n):
        if not (got := _pick_slot(p, _push_user, reserve=True)):
            continue
        user, d, where = got
        profile = "win_firefox" if user.laptop.family == "mac" else p.rng.choice(["mac", "mac_chrome"])
        device = make_device(p.rng, profile, registered=p.rng.random() < 0.35)
        deny = [app_policy("Number matching", "numberMatchDeny", "failure")] if p.ordinal("deny_new_device") % 2 else []
        rows = p.attempt(
            user,
            p.at(d, where),
            device,
            where,
            p.app_for(device, browser=True),
            Mfa(ph.PUSH, False, ph.spell(p.rng, "prompt_denied"), app_policy=deny),
            "new_device",
            f"new {profile} device; user tapped Deny by mistake",
            noise="ambiguous_deny_new_device",
        )
        _retry(p, user, rows[-1], ph.PUSH, 0.8)


def location_push_timeout(p: Planner, n: int) -> None:
    """ca_location_block: CA012 demands MFA on a home network and the push also times out (push_not_delivered)."""
    for _ in range(n):
        if not (got := _pick_slot(p, lambda u: u.location_group and u.method == ph.PUSH)):
            continue
        user, d, _ = got
        where = Where(cat.PLACES[user.home], user.home_ip, False)
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            Mfa(ph.PUSH, False, ph.spell(p.rng, "push_not_delivered"), app_policy=[]),
            "ca_location_block",
            "CA012 outside trusted locations (home network); push timed out",
            noise="ambiguous_location_push_timeout",
        )
        _retry(p, user, rows[-1], ph.PUSH, 0.4)


def device_push_unanswered(p: Planner, n: int) -> None:
    """ca_device_block: CA006 demands MFA on an unmanaged phone, whose own push goes unanswered (push_not_delivered)."""
    for _ in range(n):
        if not (got := _pick_slot(p, _push_user)):
            continue
        user, d, where = got
        personal = next((x for x in user.devices[1:] if not x.managed), None)
        device = personal or make_device(p.rng, p.rng.choice(["ios", "android"]))
        rows = p.attempt(
            user,
            p.at(d, where),
            device,
            where,
            p.app_for(device),
            Mfa(ph.PUSH, False, ph.spell(p.rng, "push_not_delivered"), app_policy=[]),
            "ca_device_block",
            f"unmanaged {device.family} device under CA006; the push to the same phone went unanswered",
            noise="ambiguous_device_push_unanswered",
        )
        _retry(p, user, rows[-1], ph.PUSH, 0.3)


def session_duplicate(p: Planner, n: int) -> None:
    """browser_session: the broken session resubmits, so the push reads duplicate / in-progress (push_not_delivered)."""
    for _ in range(n):
        if not (got := _pick_slot(p, _push_user)):
            continue
        user, d, where = got
        text = ph.spell_phrase(p.rng, p.rng.choice(["duplicate authentication attempt", "authentication in-progress"]))
        codes = p.rng.sample(SESSION_ERRORS, k=p.rng.choice([1, 2]))
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop, browser=True),
            Mfa(ph.PUSH, False, text, app_policy=[]),
            "browser_session",
            "browser session errors " + "+".join(map(str, codes)) + "; push resubmitted",
            interrupt=False,
            noise="ambiguous_session_duplicate",
        )
        for code in codes:
            shift = timedelta(seconds=p.rng.choice([-1, 1]) * p.rng.randint(4, 40))
            p.add([_neighbour(rows[0], code, shift)])
        _retry(p, user, rows[-1], ph.PUSH, 0.5)


# -- noisy: the generated cause's evidence missing or degraded -----------------------------------
# Clean evidence per text cause, and who can have it: the starting point that noise then degrades.
WHO = {
    "time_drift": lambda u: u.method == ph.OATH,
    "push_not_delivered": _push_user,
    "prompt_denied": _push_user,
    "registration_broken": lambda u: u.method in NEUTRAL_METHODS,
    "number_mismatch": _push_user,
}


def _clean_mfa(p: Planner, user: User, cause: str) -> Mfa:
    if cause == "time_drift":
        return Mfa(ph.OATH, False, ph.spell(p.rng, "time_drift"))
    if cause == "registration_broken":
        phrase = "phone number has an invalid format" if user.method != ph.PUSH else "misconfiguration"
        return Mfa(user.method, False, ph.spell_phrase(p.rng, phrase), app_policy=[])
    if cause == "number_mismatch":
        return Mfa(
            ph.PUSH,
            False,
            ph.spell(p.rng, cause),
            app_policy=[app_policy("Number matching", "numberMatchIncorrectNumberEntered", "failure")],
        )
    return Mfa(ph.PUSH, False, ph.spell(p.rng, cause), app_policy=[])  # push_not_delivered, prompt_denied


def _one(p: Planner, cause: str, degrade, noise: str, scenario: str, retry: float = 0.6) -> None:
    """One failed attempt of ``cause`` on the user's own laptop, at home or in the office, degraded."""
    if not (got := _pick_slot(p, WHO[cause])):
        return
    user, d, where = got
    mfa = degrade(_clean_mfa(p, user, cause))
    rows = p.attempt(
        user,
        p.at(d, where),
        user.laptop,
        where,
        p.app_for(user.laptop),
        mfa,
        cause,
        f"{cause.replace('_', ' ')}: {scenario}",
        noise=noise,
    )
    _retry(p, user, rows[-1], ph.SMS if user.method == ph.OATH else user.method, retry)


# (cause, step detail, status detail, what the scenario says): the result text not yet aggregated.
NOT_AGGREGATED = [
    ("push_not_delivered", None, None, "result not aggregated (both texts null)"),
    ("time_drift", None, ph.GENERIC_500121_DETAIL, "result not aggregated (step null, generic additionalDetails)"),
    ("prompt_denied", AS_DETAIL, None, "additionalDetails null, step result present"),
    ("prompt_denied", None, None, "result not aggregated (both texts null)"),
    (
        "push_not_delivered",
        None,
        ph.GENERIC_500121_DETAIL,
        "result not aggregated (step null, generic additionalDetails)",
    ),
    ("time_drift", AS_DETAIL, None, "additionalDetails null, step result present"),
]


def not_aggregated(p: Planner, n: int) -> None:
    """The MFA result phrase is not aggregated yet: null, or the generic 500121 text (§6.6)."""
    for _ in range(n):
        cause, step, status, note = NOT_AGGREGATED[p.ordinal("not_aggregated") % len(NOT_AGGREGATED)]

        def degrade(mfa: Mfa, step=step, status=status) -> Mfa:
            mfa.step_detail, mfa.status_detail = step, status
            return mfa

        _one(p, cause, degrade, "noisy_not_aggregated", note)


CLAIM_SHOWN = ["time_drift", "push_not_delivered", "registration_broken"]


def claim_shown(p: Planner, n: int) -> None:
    """The failed step reads "MFA requirement satisfied by claim in the token" (shown wrongly, §6.6)."""
    for _ in range(n):
        cause = CLAIM_SHOWN[p.ordinal("claim_shown") % len(CLAIM_SHOWN)]

        def degrade(mfa: Mfa) -> Mfa:
            mfa.step_detail = ph.MFA_BY_CLAIM  # additionalDetails still has the real phrase
            return mfa

        _one(p, cause, degrade, "noisy_claim_shown", "step result shows 'satisfied by claim in the token'")


# (cause, result text as a third-party / unverified source spells it)
UNVERIFIED = [
    ("time_drift", "MFA denied; invalid verification code"),
    ("prompt_denied", "MFA denied; user rejected the authentication request"),
    ("push_not_delivered", "MFA denied; authentication in progress"),
    ("time_drift", "MFA denied; invalid authentication code"),
    ("push_not_delivered", "MFA denied; mobile app notification timed out"),
    ("time_drift", "Azure Multi-Factor Authentication denied; Invalid verification code"),
]


def unverified_phrase(p: Planner, n: int) -> None:
    """The result spelled the way a third-party or unverified source writes it."""
    for _ in range(n):
        cause, text = UNVERIFIED[p.ordinal("unverified_phrase") % len(UNVERIFIED)]

        def degrade(mfa: Mfa, text=text) -> Mfa:
            mfa.detail = text
            return mfa

        _one(p, cause, degrade, "noisy_unverified_phrase", f"result spelled {text.split('; ', 1)[1]!r}")


def code_as_push(p: Planner, n: int) -> None:
    """A rejected Authenticator code logged under the method label 'Mobile app notification'."""
    for _ in range(n):

        def degrade(mfa: Mfa) -> Mfa:
            mfa.method, mfa.app_policy = ph.PUSH, []
            return mfa

        _one(p, "time_drift", degrade, "noisy_code_as_push", "method logged as 'Mobile app notification'")


# (cause, Authenticator device details kept?, result text kind)
APP_DETAILS = [
    ("app_outdated", True, "push_not_delivered"),
    ("app_outdated", False, "push_not_delivered"),
    ("number_mismatch", True, None),
    ("app_outdated", True, "neutral"),
    ("app_outdated", False, "neutral"),
]


def app_details_missing(p: Planner, n: int) -> None:
    """authenticationAppPolicyEvaluationDetails empty (and sometimes authenticationAppDeviceDetails null)."""
    for _ in range(n):
        cause, device, text = APP_DETAILS[p.ordinal("app_details_missing") % len(APP_DETAILS)]
        if not (got := _pick_slot(p, _push_user)):
            continue
        user, d, where = got
        if cause == "number_mismatch":
            mfa, note = Mfa(ph.PUSH, False, ph.spell(p.rng, "number_mismatch"), app_policy=[]), "no app policy details"
        else:
            old = p.rng.choice(cat.AUTHENTICATOR_OUTDATED[user.phone.family])
            detail = (
                ph.spell(p.rng, "push_not_delivered") if text == "push_not_delivered" else ph.neutral(p.rng, ph.PUSH)
            )
            mfa = Mfa(ph.PUSH, False, detail, app_version=old, app_policy=[], app_device=device)
            note = f"Authenticator {old} below minimum; no app policy details" + (
                "" if device else ", no app device details"
            )
        rows = p.attempt(
            user,
            p.at(d, where),
            user.laptop,
            where,
            p.app_for(user.laptop),
            mfa,
            cause,
            f"{cause.replace('_', ' ')}: {note}",
            noise="noisy_app_details_missing",
        )
        _retry(p, user, rows[-1], ph.PUSH, 0.7, minutes=(5, 20))


def risk_not_enriched(p: Planner, n: int) -> None:
    """risk_block before Identity Protection enriched the record: risk fields still 'none' (§6.6)."""
    for _ in range(n):
        if not (got := _pick_slot(p, _plain)):
            continue
        user, d, _ = got
        place = cat.PLACES[("bucharest", "hochiminh")[p.ordinal("risk_not_enriched") % 2]]
        where = Where(place, f"{place.prefix}.{p.rng.randint(2, 254)}", False)
        p.attempt(
            user,
            p.at(d, where, 0, 24),
            make_device(p.rng, "win_chrome"),
            where,
            cat.APPS["OfficeHome"],
            _neutral(p, user),
            "risk_block",
            "risky sign-in; risk fields not yet enriched",
            noise="noisy_risk_not_enriched",
        )
