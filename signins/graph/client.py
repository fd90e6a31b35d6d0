"""The msgraph-sdk client for `GET /beta/auditLogs/signIns`, returning raw page bytes.

Facts of msgraph-sdk and kiota this relies on (their sources: github.com/microsoftgraph/msgraph-sdk-python,
github.com/microsoft/kiota-python): every RequestConfiguration gets its
own HeadersCollection (the default one is shared), the adapter's base URL is set after construction
without a trailing slash, pages are sent with `send_primitive_async(info, "bytes", ...)` so beta-only
fields survive, and later pages use `with_url(nextLink)`. Kiota's retry middleware honours Retry-After
on 429/503/504; `RateLimitedTransport` under it keeps every request (retries included) inside the
reporting API's per-tenant budget (5 requests / 10 s).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import httpx
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_http.middleware.options import RetryHandlerOption

from signins.graph.errors import GraphAccessError, GraphSettingsError, GraphUnavailableError
from signins.graph.settings import GraphSettings

PREFER = "include-unknown-enum-members"
PAGE_SIZE = 1000
MAX_ROLE_PAGES = 100  # a tenant has a few dozen directory roles; more pages than this is a nextLink loop


class StaticTokenProvider(AccessTokenProvider):
    """A pre-issued access token (`az account get-access-token --resource-type ms-graph`)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        return self._token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])

    def __repr__(self) -> str:
        return "StaticTokenProvider(***)"


class RateLimiter:
    """At most `limit` requests in any `window` seconds (sliding window); waits instead of refusing."""

    def __init__(self, limit: int, window: float, clock=time.monotonic, sleep=asyncio.sleep) -> None:
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                await self._sleep(self._sent[0] + self.window - now)


class RateLimitedTransport(httpx.AsyncBaseTransport):
    """The bottom of the middleware pipeline: every real request, retries included, passes the limiter."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiter: RateLimiter) -> None:
        self.inner, self.limiter = inner, limiter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.limiter.acquire()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class SigninsClient:
    """One tenant's Graph client: `await first_page(filter)`, `await next_page(link)`, `await close()`."""

    def __init__(self, settings: GraphSettings, tenant_id: str | None) -> None:
        from msgraph import GraphRequestAdapter, GraphServiceClient
        from msgraph_core import GraphClientFactory

        self.settings = settings
        if settings.credential_kind == "token":
            self._credential = None
            auth = BaseBearerTokenAuthenticationProvider(StaticTokenProvider(settings.token))
        else:
            from kiota_authentication_azure.azure_identity_authentication_provider import (
                AzureIdentityAuthenticationProvider,
            )

            self._credential = settings.credential(tenant_id)
            auth = AzureIdentityAuthenticationProvider(
                self._credential, scopes=[settings.scope], allowed_hosts=[urlsplit(settings.base_url).hostname]
            )
        limit, window = settings.rate_limit
        self.limiter = RateLimiter(limit, window)
        http = httpx.AsyncClient(
            timeout=settings.timeout, transport=RateLimitedTransport(httpx.AsyncHTTPTransport(), self.limiter)
        )
        self.retry = RetryHandlerOption(delay=settings.retry_delay, max_retries=settings.max_retries)
        http = GraphClientFactory.create_with_default_middleware(
            client=http, options={RetryHandlerOption.get_key(): self.retry}
        )
        self._http = http
        self.adapter = GraphRequestAdapter(auth, client=http)
        self.client = GraphServiceClient(request_adapter=self.adapter)
        self.adapter.base_url = settings.base_url  # after construction, no trailing slash (§7.5)

    def _config(self, query_parameters=None) -> RequestConfiguration:
        config = RequestConfiguration(
            query_parameters=query_parameters, headers=HeadersCollection(), options=[self.retry]
        )
        config.headers.add("Prefer", PREFER)
        return config

    async def first_page(self, odata_filter: str) -> bytes:
        from msgraph.generated.audit_logs.sign_ins.sign_ins_request_builder import SignInsRequestBuilder

        query = SignInsRequestBuilder.SignInsRequestBuilderGetQueryParameters(filter=odata_filter, top=PAGE_SIZE)
        info = self.client.audit_logs.sign_ins.to_get_request_information(self._config(query))
        return await self._send(info)

    async def directory_roles(self) -> list[bytes]:
        """`GET /directoryRoles?$expand=members`: the tenant's activated directory roles with their members,
        page by page (RoleManagement.Read.Directory)."""
        from msgraph.generated.directory_roles.directory_roles_request_builder import DirectoryRolesRequestBuilder

        query = DirectoryRolesRequestBuilder.DirectoryRolesRequestBuilderGetQueryParameters(expand=["members"])
        pages = [await self._send(self.client.directory_roles.to_get_request_information(self._config(query)))]
        while link := json.loads(pages[-1] or b"{}").get("@odata.nextLink"):
            if not self.on_graph_host(link) or len(pages) >= MAX_ROLE_PAGES:
                raise GraphUnavailableError("Graph's directory roles did not end in a page without a nextLink")
            info = self.client.directory_roles.with_url(link).to_get_request_information(self._config())
            pages.append(await self._send(info))
        return pages

    def on_graph_host(self, link: str) -> bool:
        """Whether `link` is an absolute URL under the configured Graph base URL, with its scheme (https but
        for a loopback stand-in) and host: the only place the credential goes."""
        parts, base = urlsplit(link), urlsplit(self.settings.base_url)
        return (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and parts.path.startswith(base.path + "/")

    async def next_page(self, link: str) -> bytes:
        if not self.on_graph_host(link):
            raise GraphUnavailableError(
                f"Graph returned an @odata.nextLink that is not under {self.settings.base_url}; "
                "not followed (the access token goes nowhere else); rerun to retry"
            )
        info = self.client.audit_logs.sign_ins.with_url(link).to_get_request_information(self._config())
        return await self._send(info)

    async def _send(self, info) -> bytes:
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        try:
            body = await self.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError})
        except APIError as exc:
            raise self._api_error(exc) from None
        except httpx.TimeoutException:
            raise GraphUnavailableError(
                f"Graph did not answer within {self.settings.timeout:g} s; rerun `signins pull` to resume"
            ) from None
        except httpx.HTTPError as exc:
            raise GraphUnavailableError(
                self.settings.redact(
                    f"connection to Graph failed ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); "
                    "rerun `signins pull` to resume"
                )
            ) from None
        except Exception as exc:  # azure-identity failures (wrong tenant, expired secret) and the like
            raise self._other_error(exc) from None
        return body or b""

    def _api_error(self, exc: APIError) -> Exception:
        status = getattr(exc, "response_status_code", None) or 0
        main = getattr(exc, "error", None)
        code = (getattr(main, "code", None) or "") if main else ""
        message = (getattr(main, "message", None) or "") if main else ""
        detail = self.settings.redact(
            f"{code}: {message}".strip(": ").splitlines()[0] if (code or message) else "no detail"
        )[:300]
        if status == 403 and code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
            return GraphAccessError(
                "Graph refused the sign-in logs: the tenant has no Microsoft Entra ID P1/P2 licence "
                "(or is a B2C tenant); download the logs from the admin center and use `signins ingest` "
                f"[403 {code}]"
            )
        if status == 403:
            return GraphAccessError(
                "Graph refused the sign-in logs: the app or user lacks AuditLog.Read.All "
                "(and Directory.Read.All) with admin consent, or a reports reader role "
                f"[403 {detail}]"
            )
        if status == 401:
            return GraphAccessError(
                f"Graph rejected the credentials as expired or invalid, or issued for another tenant "
                f"or resource; get a new token or secret [401 {detail}]"
            )
        if status == 429:
            return GraphUnavailableError(
                f"Graph kept throttling after {self.settings.max_retries} retries; "
                "rerun `signins pull` later to resume [429]"
            )
        if status >= 500:
            return GraphUnavailableError(
                f"Graph failed with HTTP {status} after retries; rerun `signins pull` to resume [{detail}]"
            )
        if status == 400:
            return GraphAccessError(f"Graph refused the request as invalid [400 {detail}]")
        return GraphUnavailableError(f"Graph answered HTTP {status}; rerun `signins pull` to resume [{detail}]")

    def _other_error(self, exc: Exception) -> Exception:
        if isinstance(exc, (GraphAccessError, GraphUnavailableError, GraphSettingsError)):
            return exc
        text = self.settings.redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)[:300]
        name = type(exc).__name__
        if name in ("ClientAuthenticationError", "CredentialUnavailableError"):
            hint = ""
            if "AADSTS90002" in text or "AADSTS900023" in text:
                hint = "the tenant does not exist: check SIGNINS_TENANT_ID and SIGNINS_AUTHORITY_HOST; "
            elif "AADSTS700016" in text:
                hint = "the app is not registered in this tenant: check SIGNINS_TENANT_ID and SIGNINS_CLIENT_ID; "
            elif "AADSTS7000222" in text or "AADSTS7000215" in text:
                hint = "the client secret is expired or wrong: create a new one; "
            return GraphAccessError(f"getting a Graph token failed: {hint}{text}")
        return GraphUnavailableError(f"calling Graph failed ({name}: {text}); rerun `signins pull` to resume")

    async def close(self) -> None:
        await self._http.aclose()
        if self._credential is not None and hasattr(self._credential, "close"):
            await self._credential.close()
