"""SIGNINS_* settings of the Graph pull, and the credential they select.

Secrets (the pre-issued token, the client secret) are held in fields excluded from `repr`, and
`GraphSettings.redact` removes them from any text before it reaches a log line or an error.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from signins.graph.errors import GraphSettingsError
from signins.settings import env

EVENT_TYPES = ("interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity")
DEFAULT_BASE_URL = "https://graph.microsoft.com/beta"
DEFAULT_AUTHORITY = "login.microsoftonline.com"


def _number(name: str, default: float, minimum: float = 0) -> float:
    text = env(name)
    if text in (None, ""):
        return default
    try:
        value = float(text)
    except ValueError:
        raise GraphSettingsError(f"{name}={text!r}: expected a number") from None
    if value < minimum:
        raise GraphSettingsError(f"{name}={text!r}: must be at least {minimum:g}")
    return value


def _rate(name: str, default: str) -> tuple[int, float]:
    text = env(name) or default
    count, sep, seconds = text.partition("/")
    try:
        result = int(count), float(seconds)
    except ValueError:
        result = (0, 0.0)
    if not sep or result[0] < 1 or result[1] <= 0:
        raise GraphSettingsError(f"{name}={text!r}: expected REQUESTS/SECONDS, e.g. 5/10")
    return result


def _delays(name: str, default: str) -> tuple[float, ...]:
    text = env(name)
    text = default if text is None else text
    try:
        delays = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        delays = (-1.0,)
    if any(d < 0 for d in delays):
        raise GraphSettingsError(f"{name}={text!r}: expected comma-separated seconds, e.g. 60,300")
    return delays


def parse_event_types(chosen: list[str], source: str) -> tuple[str, ...]:
    """Known event types in their canonical spelling (case-insensitive), without repeats."""
    chosen = [t.strip() for t in chosen if isinstance(t, str) and t.strip()]
    by_lower = {t.lower(): t for t in EVENT_TYPES}
    unknown = [t for t in chosen if t.lower() not in by_lower]
    if unknown or not chosen:
        raise GraphSettingsError(
            f"{source}: unknown event type(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(EVENT_TYPES)}"
        )
    return tuple(dict.fromkeys(by_lower[t.lower()] for t in chosen))


def _event_types() -> tuple[str, ...]:
    text = env("SIGNINS_EVENT_TYPES")
    return parse_event_types(text.split(","), "SIGNINS_EVENT_TYPES") if text else EVENT_TYPES


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def parse_base_url(text: str, source: str) -> str:
    """A Graph base URL (with its /beta segment) without the trailing slash. The bearer token goes to it,
    so it must be https; plain http only to this machine (a local stand-in for Graph)."""
    base_url = text.strip().rstrip("/")
    parts = urlsplit(base_url)
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not parts.netloc or not (parts.scheme == "https" or loopback):
        raise GraphSettingsError(f"{source}={base_url!r}: expected an https URL such as {DEFAULT_BASE_URL}")
    return base_url


def parse_authority(text: str) -> str:
    """The Entra sign-in host, e.g. login.microsoftonline.us (a scheme or trailing slash is dropped)."""
    return text.strip().removeprefix("https://").rstrip("/")


def token_tenant(token: str | None) -> str | None:
    """The `tid` claim of a JWT access token (not verified: only used to name the tenant)."""
    if not token or token.count(".") != 2:
        return None
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    tid = claims.get("tid") if isinstance(claims, dict) else None
    return tid if isinstance(tid, str) and tid else None


@dataclass(frozen=True)
class GraphSettings:
    """Everything `signins pull` reads from the environment (or .env)."""

    base_url: str = DEFAULT_BASE_URL
    tenant_id: str | None = None
    client_id: str | None = None
    certificate_path: str | None = None
    authority_host: str = DEFAULT_AUTHORITY
    event_types: tuple[str, ...] = EVENT_TYPES
    overlap_hours: float = 3.0
    retention_days: float = 30.0
    slice_hours: float = 24.0  # the first slice; later ones follow what Graph returns (signins.graph.slicing)
    slice_pages: int = 100  # the pages a slice aims at
    max_retries: int = 5
    retry_delay: float = 3.0
    timeout: float = 60.0
    rate_limit: tuple[int, float] = (5, 10.0)
    task_retry_delays: tuple[float, ...] = (60.0, 300.0)  # the nightly flow's retries of a tenant's pull
    token: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> GraphSettings:
        base_url = parse_base_url(env("SIGNINS_GRAPH_BASE_URL") or DEFAULT_BASE_URL, "SIGNINS_GRAPH_BASE_URL")
        max_retries = int(_number("SIGNINS_GRAPH_MAX_RETRIES", 5))
        if max_retries > 10:
            raise GraphSettingsError("SIGNINS_GRAPH_MAX_RETRIES: at most 10")
        retry_delay = _number("SIGNINS_GRAPH_RETRY_DELAY", 3.0)
        if retry_delay > 180:
            raise GraphSettingsError("SIGNINS_GRAPH_RETRY_DELAY: at most 180 seconds")
        return cls(
            base_url=base_url,
            tenant_id=env("SIGNINS_TENANT_ID") or None,
            client_id=env("SIGNINS_CLIENT_ID") or None,
            certificate_path=env("SIGNINS_CERTIFICATE_PATH") or None,
            authority_host=parse_authority(env("SIGNINS_AUTHORITY_HOST") or DEFAULT_AUTHORITY),
            event_types=_event_types(),
            overlap_hours=_number("SIGNINS_PULL_OVERLAP_HOURS", 3.0),
            retention_days=_number("SIGNINS_RETENTION_DAYS", 30.0, minimum=0.001),
            slice_hours=_number("SIGNINS_PULL_SLICE_HOURS", 24.0, minimum=0.01),
            slice_pages=int(_number("SIGNINS_PULL_SLICE_PAGES", 100, minimum=1)),
            max_retries=max_retries,
            retry_delay=retry_delay,
            timeout=_number("SIGNINS_GRAPH_TIMEOUT", 60.0, minimum=0.1),
            rate_limit=_rate("SIGNINS_GRAPH_RATE_LIMIT", "5/10"),
            task_retry_delays=_delays("SIGNINS_PULL_TASK_RETRY_DELAYS", "60,300"),
            token=env("SIGNINS_GRAPH_TOKEN") or None,
            client_secret=env("SIGNINS_CLIENT_SECRET") or None,
        )

    @property
    def scope(self) -> str:
        """`https://<graph host>/.default`: the national cloud's Graph resource."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}/.default"

    @property
    def credential_kind(self) -> str:
        """token, client-secret, certificate or default (DefaultAzureCredential), in that order."""
        if self.token:
            return "token"
        if self.client_secret:
            return "client-secret"
        if self.certificate_path:
            return "certificate"
        return "default"

    def tenant_key(self, tenant: str | None = None) -> str:
        """The tenant name used for watermarks and the pull folder."""
        return tenant or self.tenant_id or token_tenant(self.token) or "default"

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by ***, however a library or server echoed it: whole, URL-encoded,
        cut short, or after `Bearer` in a header."""
        return redact(text, [s for s in (self.token, self.client_secret) if s])

    def credential(self, tenant_id: str | None):
        """The azure-identity credential for the non-token kinds (async flavour)."""
        from azure.identity.aio import CertificateCredential, ClientSecretCredential, DefaultAzureCredential

        kind = self.credential_kind
        if kind in ("client-secret", "certificate") and not (tenant_id and self.client_id):
            raise GraphSettingsError(f"{kind} credentials need SIGNINS_TENANT_ID (or --tenant) and SIGNINS_CLIENT_ID")
        try:
            if kind == "client-secret":
                return ClientSecretCredential(
                    tenant_id, self.client_id, self.client_secret, authority=self.authority_host
                )
            if kind == "certificate":
                return CertificateCredential(
                    tenant_id, self.client_id, certificate_path=self.certificate_path, authority=self.authority_host
                )
            return DefaultAzureCredential(authority=self.authority_host)
        except (ValueError, OSError, TypeError) as exc:
            detail = self.redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)[:300]
            raise GraphSettingsError(f"cannot set up the {kind} credential: {detail}") from None


# A run of characters that tokens and secrets are made of; one of at least SECRET_PIECE of them that is
# part of a secret (a truncated echo, say) is hidden too.
_SECRET_RUN = re.compile(r"[A-Za-z0-9._~+/=%-]+")
SECRET_PIECE = 8
# Whatever follows `Bearer`, and any JSON web token: access tokens that a credential fetched (which no
# setting holds) are hidden too.
_BEARER = re.compile(r"(?i)\b(bearer\s+)\S+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?")


def redact(text: str, secrets: list[str]) -> str:
    """`text` with each secret (of at least 4 characters) hidden as ***: its exact and URL-encoded
    spellings, any piece of at least SECRET_PIECE characters of it; and every bearer token and JWT."""
    secrets = [s for s in secrets if len(s) >= 4]
    for secret in secrets:
        for spelling in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(spelling, "***")

    def hide(match: re.Match) -> str:
        run = match.group()
        for piece in {run, unquote_plus(run), run.strip(".")}:
            if len(piece) >= SECRET_PIECE and any(piece in s for s in secrets):
                return "***"
        return run

    if secrets:
        text = _SECRET_RUN.sub(hide, text)
    return _JWT.sub("***", _BEARER.sub(r"\1***", text))
