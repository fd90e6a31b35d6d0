"""Credential references (`env:NAME`, `prefect-secret:NAME`): how a tenants file names a secret without holding it.

A reference is resolved only when its tenant is pulled, so a missing secret fails that tenant alone.
"""

from __future__ import annotations

from signins.graph.errors import GraphSettingsError
from signins.settings import env


def _from_env(name: str) -> str:
    value = env(name)
    if not value:
        raise GraphSettingsError(f"environment variable {name} is not set (nor in .env)")
    return value


def _from_prefect(name: str) -> str:
    from prefect.blocks.system import Secret

    try:
        # _sync: the blocking call even in a thread that runs an event loop (else load returns a coroutine)
        value = Secret.load(name, _sync=True).get()
    except Exception as exc:  # not found (ValueError), API unreachable, ...: one line, never the value
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GraphSettingsError(f"Prefect Secret block {name!r} cannot be loaded: {detail[:200]}") from None
    if not isinstance(value, str) or not value:
        raise GraphSettingsError(f"Prefect Secret block {name!r} does not hold a text value")
    return value


RESOLVERS = {"env": _from_env, "prefect-secret": _from_prefect}


def reference_problem(reference: object) -> str | None:
    """Why `reference` is not a usable credential reference (None when it is one)."""
    if not isinstance(reference, str):
        return "expected a reference string such as env:NAME or prefect-secret:NAME"
    scheme, sep, name = reference.partition(":")
    if not sep or scheme not in RESOLVERS or not name.strip():
        # deliberately not echoing the value: it may be the secret itself, pasted by mistake
        return "must be a reference to a secret (env:NAME or prefect-secret:NAME), never the secret itself"
    return None


def resolve(reference: str) -> str:
    """The secret a (valid) reference names."""
    scheme, _, name = reference.partition(":")
    return RESOLVERS[scheme](name.strip())
