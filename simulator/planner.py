"""Shared machinery for cause scenarios: picking users and slots, emitting failed attempts.

Every 500121 row a scenario emits is tagged with its cause id and a short scenario text,
which become ``ground_truth.csv``. Scenarios run before the baseline so they can black
out baseline rows (a locked-out admin must not also sign in successfully).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta

from . import catalog as cat
from . import phrases as ph
from .flows import Where, day_of, interactive, local_to_utc, refresh_burst, whereabouts
from .ids import stream
from .records import NO_RISK, Mfa, Risk, Row
from .tenant import Tenant, User

MAX_INCIDENT_DAYS = 3  # per user for one-off incidents
# causes.md: 500121 on >= 3 distinct days within 14 days is "recurring". One-off incidents keep
# two days more apart than that, since a local evening can fall on the next UTC date.
RECURRING = (3, 16)
# What an analyst should conclude from an attempt of each cause (benign for the rest): the ground truth's
# verdict, unless a story knows better (impossible travel is an attacker holding the password).
VERDICTS = {
    "mfa_fatigue": "hostile",
    "fraud_reported": "hostile",
    "prompt_denied": "suspicious",
    "risk_block": "suspicious",
    "new_location": "suspicious",
}


def _recurs(days: set) -> bool:
    count, span = RECURRING
    ordered = sorted(days)
    return any(ordered[i + count - 1] - ordered[i] < span for i in range(len(ordered) - count + 1))


class Planner:
    """Collects scenario rows, ground-truth tags, blackout windows and per-user bookings."""

    def __init__(self, tenant: Tenant):
        self.t = tenant
        self.rng = stream(tenant.seed, "scenarios")
        self.rows: list[Row] = []
        self.late: list[Row] = []  # rows of scenarios run apart (apart())
        self.blackouts: dict = defaultdict(list)
        self.busy: dict = defaultdict(set)  # user index -> booked day indexes
        self.reserved: set = set()  # users owned by a storyline
        self.placed: Counter = Counter()  # incidents placed so far, per builder

    @contextmanager
    def apart(self, label: str):
        """Run a scenario on a random stream of its own, its rows kept in `late` (rendered after every
        other row): a scenario added later leaves what the others draw and render as it was, so the
        sample changes only by its rows."""
        saved = self.rng, self.rows
        self.rng, self.rows = stream(self.t.seed, label), self.late
        try:
            yield self
        finally:
            self.rng, self.rows = saved

    def ordinal(self, name: str) -> int:
        """0, 1, 2, ... on successive calls: lets a builder called once per round vary its variant."""
        self.placed[name] += 1
        return self.placed[name] - 1

    # -- choosing who and when -------------------------------------------------------------
    def pick(self, predicate, reserve: bool = False) -> User | None:
        """A random eligible user not owned by a storyline (and, if asked, reserve them)."""
        pool = [
            u
            for u in self.t.members
            if u.index not in self.reserved and len(self.busy[u.index]) < MAX_INCIDENT_DAYS and predicate(u)
        ]
        if not pool:
            return None
        user = self.rng.choice(pool)
        if reserve:
            self.reserved.add(user.index)
        return user

    def slot(self, user: User, first: int = 3, last: int | None = None) -> tuple[int, Where] | None:
        """A free weekday on which the user is at home or in the office (never on a trip)."""
        # The last day is kept free: its evening spills past midnight UTC, outside the window.
        last = self.t.days - 2 if last is None else last
        days = [d for d in range(first, last + 1) if self.usual_day(user, d, one_off=True)]
        if not days:
            return None
        d = self.rng.choice(days)
        self.busy[user.index].add(d)
        return d, whereabouts(self.t, user, d)

    def usual_day(self, user: User, d: int, one_off: bool = False) -> bool:
        """A free weekday at home or in the office (and, for one-off incidents, no accidental recurrence)."""
        booked = self.busy[user.index]
        if day_of(self.t, d).weekday() >= 5 or d in booked:
            return False
        if one_off and _recurs(booked | {d}):
            return False  # one-off incidents must not add up to a "recurring" finding by accident
        where = whereabouts(self.t, user, d)
        return where is not None and where.place.key in (user.home, user.office)

    def at(self, d: int, where: Where, start: float = 8.5, end: float = 17.5) -> datetime:
        """A random second within local working hours on day ``d``."""
        hours = self.rng.uniform(start, end)
        when = local_to_utc(day_of(self.t, d), hours, where.place).replace(microsecond=0)
        if when.hour == 23 and when.minute >= 30:
            # Keep an incident's attempts on one UTC date, or it would count as two days.
            when -= timedelta(minutes=45)
        return when

    def blackout(self, user: User, start: datetime, end: datetime) -> None:
        """Suppress the user's baseline rows in [start, end)."""
        self.blackouts[user.index].append((start, end))

    # -- emitting rows ---------------------------------------------------------------------
    def attempt(
        self,
        user: User,
        when: datetime,
        device,
        where: Where,
        app: cat.App,
        mfa: Mfa,
        cause: str,
        scenario: str,
        *,
        stage: str = "mfa_failed",
        risk: Risk = NO_RISK,
        details: str | None = None,
        interrupt: bool | None = None,
        duplicate: bool | None = None,
        noise: str = "",
        verdict: str | None = None,
    ) -> list[Row]:
        """One failed MFA attempt: optional 50074 interrupt, the 500121 row, maybe a duplicate row.

        ``noise`` names the kind of ambiguity or log noise the attempt was built with (noise.py), "" if clean;
        ``verdict`` is the expected one when it is not the cause's (VERDICTS).
        """
        rng = self.rng
        rows = interactive(
            rng,
            user,
            when,
            device,
            where,
            app,
            stage,
            code=500121,
            mfa=mfa,
            risk=risk,
            details=details,
            interrupt=rng.random() < 0.5 if interrupt is None else interrupt,
        )
        if duplicate if duplicate is not None else rng.random() < 0.05:
            # Microsoft aggregates MFA events late; one attempt sometimes lands as two rows.
            rows.append(
                dataclasses.replace(rows[-1], when=rows[-1].when + timedelta(seconds=rng.randint(1, 3)), extra={})
            )
        for row in rows:
            if row.code == 500121:
                row.extra = {
                    "cause": cause,
                    "scenario": scenario,
                    "noise": noise,
                    "verdict": verdict or VERDICTS.get(cause, "benign"),
                }
        self.rows += rows
        return rows

    def success(
        self,
        user: User,
        when: datetime,
        device,
        where: Where,
        app: cat.App,
        method: str,
        refresh: int = 1,
        risk: Risk = NO_RISK,
    ) -> list[Row]:
        """A completed sign-in (fresh MFA with ``method``) and a short token-refresh burst."""
        rows = interactive(
            self.rng,
            user,
            when,
            device,
            where,
            app,
            "mfa_ok",
            mfa=Mfa(method, True, ph.MFA_OK),
            interrupt=self.rng.random() < 0.4,
            risk=risk,
        )
        if refresh:
            rows += refresh_burst(
                self.rng, user, when + timedelta(seconds=15), device, where, rows[-1].session_id, refresh, risk=risk
            )
        self.rows += rows
        return rows

    def add(self, rows: list[Row]) -> list[Row]:
        """Keep rows built elsewhere (neighbours, refresh bursts)."""
        self.rows += rows
        return rows

    def app_for(self, device, browser: bool | None = None) -> cat.App:
        """A plausible app for the device: Outlook/Teams on phones, Office apps on laptops."""
        rng = self.rng
        if device.family in cat.MOBILE_PROFILES:
            return cat.APPS[rng.choice(cat.MOBILE_APPS + ["OfficeHome"])]
        if browser is None:
            browser = device.family == "linux" or rng.random() < 0.5
        names = (
            ["OfficeHome", "Office 365 Exchange Online", "Office 365 SharePoint Online"]
            if browser
            else ["Microsoft Teams", "Microsoft Office", "OneDrive SyncEngine"]
        )
        return cat.APPS[rng.choice(names)]
