"""Deterministic identifiers and time formatting.

Every random value in the simulator comes from a ``random.Random`` seeded from
the run seed plus a label, so adding a stream never shifts another one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import uuid
from datetime import UTC, datetime


def stream(seed: int, label: str) -> random.Random:
    """A private RNG for one component; string seeds are hashed with SHA-512 by CPython."""
    return random.Random(f"{seed}:{label}")


def guid(rng: random.Random) -> str:
    """A random version-4 GUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def request_id(rng: random.Random) -> str:
    """A sign-in request id; Entra request ids end in ``00``, so ours do too."""
    return guid(rng)[:-2] + "00"


def token_id(rng: random.Random) -> str:
    """A ``uniqueTokenIdentifier``: 16 random bytes, base64url without padding."""
    raw = rng.getrandbits(128).to_bytes(16, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@functools.lru_cache(maxsize=4096)
def stable_guid(*parts: object) -> str:
    """A GUID derived from names, for catalogue objects (users, policies, devices)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def iso(ts: datetime) -> str:
    """Graph's ``createdDateTime`` form: UTC, whole seconds, ``Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
