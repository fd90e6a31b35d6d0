"""Stable keyed pseudonyms for user names, IPs, device names and sign-in ids, for reports shared outside the team."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

from signins.errors import SigninsError
from signins.settings import env

KEY_VARIABLE = "SIGNINS_PSEUDONYM_KEY"
# Report queries name personal columns exactly so; device names often carry a person's name.
PERSONAL_COLUMNS = ("user", "ip", "device", "signin_id", "correlation_id")


class PseudonymKeyError(SigninsError):
    """--pseudonymize without a key: a usage error."""

    exit_code = 2


def pseudonym_key() -> bytes:
    """The HMAC key from $SIGNINS_PSEUDONYM_KEY (or .env); a secret, never printed or stored."""
    key = env(KEY_VARIABLE)
    if not key:
        raise PseudonymKeyError(f"--pseudonymize needs a secret key in ${KEY_VARIABLE} (any long random string)")
    return key.encode("utf-8")


def pseudonym(value: str, kind: str, key: bytes) -> str:
    """`kind-` and 12 hex digits of HMAC-SHA256(key, kind:value); case-insensitive, stable for a key."""
    digest = hmac.new(key, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:12]}"


def pseudonymize(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """The frame with every personal column replaced by its pseudonyms (empty values stay empty)."""
    return frame.with_columns(
        pl.col(column).map_elements(lambda v, kind=column: pseudonym(v, kind, key) if v else v, return_dtype=pl.String)
        for column in PERSONAL_COLUMNS
        if column in frame.columns
    )
