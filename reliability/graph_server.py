"""A local stand-in for `GET /beta/auditLogs/signIns` on 127.0.0.1 (stdlib http.server in a thread).

Serves sign-in records newest first, `$top` capped at `max_page` records per page, `@odata.nextLink`
pointing back to itself (`$skiptoken` = offset), and honours `$filter` on createdDateTime ge/le and
signInEventTypes/any(t: t eq '...'). Faults are scheduled by request number: 429, 503 and 504 (with
or without Retry-After), 400 (e.g. an expired skip token), 403 non-premium, 403 permission denied, 401
(echoing the token whole, URL-encoded, cut short or in a header), 500, a delay, a connection reset, a
truncated page, a nextLink loop, and nextLinks to somewhere else. It can demand one bearer token
(401 otherwise) and withhold appliedConditionalAccessPolicies as Graph does for a caller without
Policy.Read.All (`ca_policies`: "empty", "null" or "omit"). It also serves `GET /beta/directoryRoles`
(`roles`: each with displayName and members, the members only with `$expand=members`), or refuses it
with 403 as Graph does without RoleManagement.Read.Directory (`roles_denied`). Every request is
recorded (path, query, headers, time).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

TEMPLATE = json.loads(
    (Path(__file__).parents[1] / "tests" / "fixtures" / "cross_format" / "graph_beta_page.json").read_text(
        encoding="utf-8"
    )
)["value"][0]
EVENT_TYPES = ("interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity")

_GE = re.compile(r"createdDateTime ge (\S+)")
_LE = re.compile(r"createdDateTime le (\S+)")
_TYPE = re.compile(r"signInEventTypes/any\(t: t eq '(\w+)'\)")


def make_records(count: int, start: datetime, step: timedelta = timedelta(minutes=7), prefix: str = "a") -> list[dict]:
    """`count` sign-ins built from the fixture record, cycling through the four event types."""
    records = []
    for i in range(count):
        record = copy.deepcopy(TEMPLATE)
        event_type = EVENT_TYPES[i % 4]
        record["id"] = f"{prefix}{i:07d}-0000-4000-8000-000000000000"
        record["correlationId"] = f"c{prefix}{i:06d}-0000-4000-8000-000000000000"
        record["originalRequestId"] = record["id"]
        record["createdDateTime"] = (start + i * step).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        record["signInEventTypes"] = [event_type]
        record["isInteractive"] = event_type == "interactiveUser"
        records.append(record)
    return records


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Fault:
    kind: str  # 429, 503, 504, 400, 403-premium, 403-denied, 401, 500, delay, reset, truncate
    seconds: float | None = 1.0  # Retry-After of 429/503/504 (None: no header); the length of a delay


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients that hang up (timeout, kill) are expected
            super().handle_error(request, client_address)


class GraphServer:
    """Start with `with GraphServer(records) as server:`; `server.base_url` ends in /beta."""

    def __init__(
        self,
        records: list[dict] | None = None,
        max_page: int = 100,
        token: str | None = None,
        ca_policies: str = "keep",
        roles: list[dict] | None = None,
        roles_denied: bool = False,
    ) -> None:
        self.records = list(records or [])
        self.roles = list(roles or [])
        self.roles_denied = roles_denied
        self.max_page = max_page
        self.token = token  # when set, any other bearer token gets a 401
        self.ca_policies = ca_policies  # keep, empty, null or omit
        self.released = threading.Event()  # ends pending delays when the server stops
        self.requests: list[dict] = []
        self.faults: dict[int, Fault] = {}
        self.loop = False  # when set, every nextLink points at the page just served
        self.next_link_base: str | None = None  # when set, nextLinks point there instead of at this server
        self.lock = threading.Lock()
        self.httpd = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/beta"

    def fault_in(self, n: int, kind: str, seconds: float | None = 1.0) -> None:
        """Make the n-th request from now (1 = the next one) fail with `kind`."""
        with self.lock:
            self.faults[len(self.requests) + n] = Fault(kind, seconds)

    def fail_from(self, n: int, kind: str, count: int = 50) -> None:
        for i in range(n, n + count):
            self.fault_in(i, kind)

    def __enter__(self) -> GraphServer:
        self.thread.start()
        return self

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        """Block until `count` requests have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"only {len(self.requests)} of {count} requests arrived"
            time.sleep(0.01)

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- request handling -------------------------------------------------------------------------
    def _select(self, odata_filter: str) -> list[dict] | None:
        ge, le, kind = _GE.search(odata_filter), _LE.search(odata_filter), _TYPE.search(odata_filter)
        rest = _TYPE.sub("", _LE.sub("", _GE.sub("", odata_filter))).replace("and", "").strip()
        if rest:
            return None
        chosen = []
        for record in self.records:
            created = _parse_time(record["createdDateTime"])
            if ge and created < _parse_time(ge.group(1)):
                continue
            if le and created > _parse_time(le.group(1)):
                continue
            types = record.get("signInEventTypes") or ["interactiveUser"]
            if (kind.group(1) if kind else "interactiveUser") not in types:
                continue
            chosen.append(record)
        return sorted(chosen, key=lambda r: (r["createdDateTime"], r["id"]), reverse=True)

    def _served(self, record: dict) -> dict:
        """The record as this caller may see it (CA policies withheld without Policy.Read.All)."""
        if self.ca_policies == "keep":
            return record
        served = dict(record)
        if self.ca_policies == "omit":
            served.pop("appliedConditionalAccessPolicies", None)
        else:
            served["appliedConditionalAccessPolicies"] = [] if self.ca_policies == "empty" else None
        return served

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, body: dict | bytes, headers: dict | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
                self._send(
                    status,
                    {
                        "error": {
                            "code": code,
                            "message": message,
                            "innerError": {"request-id": "00000000-0000-0000-0000-000000000000"},
                        }
                    },
                    headers,
                )

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                with server.lock:
                    server.requests.append(
                        {
                            "path": parts.path,
                            "query": query,
                            "time": time.monotonic(),
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                    fault = server.faults.pop(len(server.requests), None)
                if fault and fault.kind == "delay":
                    server.released.wait(fault.seconds)
                elif fault and fault.kind == "reset":
                    self.connection.shutdown(2)
                    self.close_connection = True
                    return
                elif fault and fault.kind in ("429", "503", "504"):
                    headers = {} if fault.seconds is None else {"Retry-After": str(int(fault.seconds))}
                    return self._error(
                        int(fault.kind),
                        {"429": "TooManyRequests", "503": "ServiceUnavailable", "504": "GatewayTimeout"}[fault.kind],
                        "Try again later",
                        headers,
                    )
                elif fault and fault.kind == "400":
                    return self._error(400, "Request_BadRequest", "The $skiptoken has expired")
                elif fault and fault.kind == "403-premium":
                    return self._error(
                        403,
                        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                        "Neither tenant is B2C or tenant doesn't have premium license",
                    )
                elif fault and fault.kind == "403-denied":
                    return self._error(
                        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
                    )
                elif fault and fault.kind.startswith("401"):
                    # a careless server might echo the credential, in any spelling; the client must not print it
                    header = self.headers.get("Authorization", "")
                    token = header.removeprefix("Bearer ")
                    echoed = {
                        "401": token,
                        "401-encoded": quote(token, safe=""),
                        "401-truncated": token[:12] + "...",
                        "401-header": f"{{'Authorization': '{header}'}}",
                    }[fault.kind]
                    return self._error(401, "InvalidAuthenticationToken", f"Access token has expired: {echoed}")
                elif fault and fault.kind == "500":
                    return self._error(500, "UnknownError", "Internal server error")
                if server.token and self.headers.get("Authorization") != f"Bearer {server.token}":
                    return self._error(401, "InvalidAuthenticationToken", "Access token validation failure.")
                if parts.path.replace("//", "/") == "/beta/directoryRoles":
                    return self._roles(query)
                if parts.path.replace("//", "/") != "/beta/auditLogs/signIns":
                    return self._error(404, "Request_ResourceNotFound", f"no route {parts.path}")
                selected = server._select(query.get("$filter", ""))
                if selected is None:
                    return self._error(400, "Request_UnsupportedQuery", "unsupported $filter")
                top = min(int(query.get("$top", "1000")), server.max_page, 1000)
                offset = int(query.get("$skiptoken", "0"))
                page = {
                    "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
                    "value": [server._served(r) for r in selected[offset : offset + top]],
                }
                if offset + top < len(selected) or server.loop:
                    following = offset if server.loop else offset + top
                    page["@odata.nextLink"] = (
                        f"{server.next_link_base or server.base_url}/auditLogs/signIns?$top={query.get('$top', '1000')}"
                        f"&$filter={quote(query.get('$filter', ''))}"
                        f"&$skiptoken={following}"
                    )
                body = json.dumps(page).encode()
                if fault and fault.kind == "truncate":
                    body = body[: len(body) // 2]
                self._send(200, body)

            def _roles(self, query: dict) -> None:
                if server.roles_denied:
                    return self._error(
                        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
                    )
                expanded = "members" in query.get("$expand", "")
                roles = [
                    role if expanded else {k: v for k, v in role.items() if k != "members"} for role in server.roles
                ]
                self._send(
                    200, {"@odata.context": "https://graph.microsoft.com/beta/$metadata#directoryRoles", "value": roles}
                )

        return Handler


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1, made now; trust the certificate with SSL_CERT_FILE."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "loopback.crt", folder / "loopback.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class TokenServer:
    """An HTTPS stand-in for the Entra token endpoint (`POST /{tenant}/oauth2/v2.0/token`) on 127.0.0.1.

    Issues `access_token` for the client-credentials grant when the client secret matches, else answers
    as Entra does for a wrong secret (AADSTS7000215). `authority` is the value for authority_host.
    """

    def __init__(self, certificate: tuple[Path, Path], client_secret: str, access_token: str) -> None:
        import ssl

        self.client_secret, self.access_token = client_secret, access_token
        self.requests: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> TokenServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                server.requests.append({"path": self.path, "form": form})
                if form.get("grant_type") == "client_credentials" and form.get("client_secret") == server.client_secret:
                    status, body = (
                        200,
                        {
                            "token_type": "Bearer",
                            "expires_in": 3600,
                            "ext_expires_in": 3600,
                            "access_token": server.access_token,
                        },
                    )
                else:
                    status, body = (
                        401,
                        {
                            "error": "invalid_client",
                            "error_description": "AADSTS7000215: Invalid client secret provided.",
                        },
                    )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
