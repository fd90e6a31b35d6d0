"""The sample tenant: users, their devices, networks, MFA methods and policies."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from . import catalog as cat
from . import phrases as ph
from .ids import guid, stable_guid, stream
from .policies import SAMPLE_POLICY_COUNT, policies_for


@dataclass
class Device:
    """A device as Entra sees it; ``id`` is empty for unregistered devices."""

    id: str
    name: str
    profile: str  # key of catalog.PROFILES
    trust: str  # "Azure AD joined", "Azure AD registered" or ""
    compliant: bool
    managed: bool
    browser_id: str

    @property
    def family(self) -> str:
        """Platform family used by CA conditions: win, mac, ios, android, linux."""
        return self.profile.split("_")[0]


@dataclass
class AuthPhone:
    """The phone that runs Microsoft Authenticator."""

    family: str  # ios | android
    model: str
    device_id: str  # Entra device id, or "" when the phone is not registered
    app_version: str
    number_tail: str  # last two digits of the registered phone number


@dataclass
class User:
    """One account with its habits."""

    index: int
    id: str
    upn: str
    name: str
    home: str  # catalog.PLACES key
    office: str | None
    office_days: tuple
    home_ip: str
    method: str  # usual MFA method label
    devices: list
    phone: AuthPhone
    roles: tuple = ()
    breakglass: bool = False
    guest: bool = False
    per_user_mfa: bool = False
    location_group: bool = False
    activity: float = 1.0
    trips: list = field(default_factory=list)  # (first_day, last_day, place key)
    legacy_smtp: bool = False  # owns a scanner that still uses basic-auth SMTP
    fallback_until: int = -1  # day index before which pushes fail, so the user signs in by SMS

    @property
    def privileged(self) -> bool:
        return bool(self.roles)

    @property
    def laptop(self) -> Device:
        return self.devices[0]

    @property
    def mobile(self) -> Device | None:
        return next((d for d in self.devices[1:] if d.family in cat.MOBILE_PROFILES), None)


@dataclass
class Tenant:
    """Everything the generators need to know about the organisation."""

    seed: int
    start: date
    days: int
    users: list
    policies: list

    @property
    def privileged(self) -> list:
        return [u for u in self.users if u.privileged]

    @property
    def members(self) -> list:
        return [u for u in self.users if not (u.guest or u.breakglass or u.privileged)]


ADMIN_ROLES = [
    ("Global Administrator",),
    ("Global Administrator",),
    ("Security Administrator",),
    ("Conditional Access Administrator",),
    ("Exchange Administrator",),
    ("User Administrator",),
]


def build_tenant(seed: int, n_users: int, start: date, days: int, n_policies: int = SAMPLE_POLICY_COUNT) -> Tenant:
    """Build a tenant of ``n_users`` accounts (2 break-glass, 6 admins, a few guests)."""
    rng = stream(seed, "tenant")
    names = _unique_names(rng, n_users)
    users = []
    for i, (first, last) in enumerate(names):
        kind = "breakglass" if i < 2 else "admin" if i < 8 else "guest" if i < 8 + max(1, n_users // 50) else "member"
        users.append(_make_user(rng, i, first, last, kind))
    return Tenant(seed, start, days, users, policies_for(n_policies))


def _unique_names(rng: random.Random, n: int) -> list:
    pairs = [(first, last) for first in cat.FIRST_NAMES for last in cat.LAST_NAMES]
    rng.shuffle(pairs)
    return pairs[:n]


def _make_user(rng: random.Random, i: int, first: str, last: str, kind: str) -> User:
    home, office = _pick_home(rng)
    office = None if kind == "guest" else office  # partners never sit behind our office egress
    upn, name = _identity(i, first, last, kind)
    devices = _devices(rng, upn, kind)
    phone = _auth_phone(rng, upn, devices)
    user = User(
        index=i,
        id=stable_guid("user", upn),
        upn=upn,
        name=name,
        home=home,
        office=office,
        office_days=tuple(sorted(rng.sample(range(5), rng.choice([2, 3, 3, 4])))) if office else (),
        home_ip=f"{cat.PLACES[home].prefix}.{rng.randint(2, 254)}",
        method=_method(rng, kind),
        devices=devices,
        phone=phone,
    )
    user.breakglass = kind == "breakglass"
    user.guest = kind == "guest"
    user.roles = ("Global Administrator",) if user.breakglass else ADMIN_ROLES[i - 2] if kind == "admin" else ()
    user.per_user_mfa = kind == "member" and rng.random() < 0.05
    user.location_group = kind == "member" and rng.random() < 0.18
    user.legacy_smtp = kind == "member" and rng.random() < 0.015
    user.activity = 0.08 if user.breakglass else 0.35 if user.guest else rng.uniform(0.7, 1.3)
    return user


def _identity(i: int, first: str, last: str, kind: str) -> tuple[str, str]:
    if kind == "breakglass":
        return f"breakglass0{i + 1}@{cat.TENANT_DOMAIN}", f"Break Glass 0{i + 1}"
    if kind == "admin":
        return f"adm-{first}.{last}@{cat.TENANT_DOMAIN}".lower(), f"Admin - {first} {last}"
    if kind == "guest":
        return f"{first}.{last}@fabrikam.com".lower(), f"{first} {last} (Fabrikam)"
    return f"{first}.{last}@{cat.TENANT_DOMAIN}".lower(), f"{first} {last}"


def _pick_home(rng: random.Random) -> tuple[str, str | None]:
    home, _, office = rng.choices(cat.HOMES, weights=[h[1] for h in cat.HOMES])[0]
    return home, office


def _method(rng: random.Random, kind: str) -> str:
    if kind == "breakglass":
        return ph.FIDO
    return rng.choices([ph.PUSH, ph.OATH, ph.SMS, ph.VOICE], weights=[62, 22, 12, 4])[0]


def _devices(rng: random.Random, upn: str, kind: str) -> list[Device]:
    """A corporate laptop, and for most users a phone (managed or personal)."""
    profile = rng.choices(["win", "mac", "win_chrome"], weights=[64, 20, 16])[0]
    trust = "Azure AD joined" if profile.startswith("win") else "Azure AD registered"
    prefix = "CSO-LT" if profile.startswith("win") else "CSO-MB"
    if kind == "guest":
        # A partner's laptop is not registered in this tenant.
        return [Device("", "", profile, "", False, False, guid(rng))]
    laptop = Device(
        stable_guid("device", upn, 0), f"{prefix}-{rng.randint(100, 9999):04d}", profile, trust, True, True, guid(rng)
    )
    devices = [laptop]
    roll = rng.random()
    family = rng.choice(cat.MOBILE_PROFILES)
    if kind in ("member", "admin") and roll < 0.62:
        model = rng.choice(cat.PHONE_MODELS[family])
        devices.append(
            Device(stable_guid("device", upn, 1), model, family, "Azure AD registered", True, True, guid(rng))
        )
    elif kind == "member" and roll < 0.72:
        devices.append(Device("", "", family, "", False, False, guid(rng)))
    return devices


def _auth_phone(rng: random.Random, upn: str, devices: list[Device]) -> AuthPhone:
    mobile = next((d for d in devices[1:]), None)
    family = mobile.family if mobile else rng.choice(cat.MOBILE_PROFILES)
    model = mobile.name if mobile and mobile.name else rng.choice(cat.PHONE_MODELS[family])
    version = rng.choice(cat.AUTHENTICATOR_CURRENT[family])
    return AuthPhone(family, model, mobile.id if mobile else "", version, f"{rng.randint(0, 99):02d}")


def make_device(rng: random.Random, profile: str, registered: bool = False) -> Device:
    """A device outside the user's usual set (new laptop, personal phone, attacker box)."""
    dev_id = guid(rng) if registered else ""
    name = f"DESKTOP-{rng.getrandbits(28):07X}" if registered else ""
    trust = "Azure AD registered" if registered else ""
    return Device(dev_id, name, profile, trust, False, False, guid(rng))
