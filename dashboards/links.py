"""The site's own addresses: one page per flagged user and per Conditional Access policy.

File names never hold a name from the logs: a user's page is named by a hash of its tenant and user key,
keyed with the pseudonym key when the report is pseudonymised (an unkeyed hash of a user name can be
guessed), so the site's files and URLs give nobody away.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

# The Entra admin center's sign-in logs; Microsoft documents no address for one sign-in, so the pages
# link the log list and show the request and correlation ids to search it by.
ENTRA_SIGNIN_LOGS = "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/SignInLogsList.ReactView"
PAGE_NAME = re.compile(
    r"^(index|overview|users|policies|security|patterns|[up]-[0-9a-f]{16}|t-[0-9a-f]{16}/index)\.html$"
)


@dataclass(frozen=True)
class Links:
    key: bytes | None  # the pseudonym key, when the report is pseudonymised
    user_pages: frozenset[tuple[str, str]] = frozenset()  # (tenant_id, user_key) of the users with a page
    flagged: int = 0  # users with a finding or recurring: each has a page, up to a cap

    def _slug(self, kind: str, *parts: str) -> str:
        text = "\x1f".join(parts).encode("utf-8")
        digest = hmac.new(self.key, text, hashlib.sha256) if self.key else hashlib.sha256(b"site\x1f" + text)
        return f"{kind}-{digest.hexdigest()[:16]}"

    def user_slug(self, tenant_id: str, user_key: str) -> str:
        return self._slug("u", tenant_id or "", user_key or "")

    def user(self, tenant_id: str, user_key: str) -> str | None:
        """The user's page, or None when the user has none."""
        if (tenant_id, user_key) not in self.user_pages:
            return None
        return self.user_slug(tenant_id, user_key) + ".html"

    def tenant_slug(self, tenant_id: str) -> str:
        """The folder of a tenant's site in the site of a store of several tenants."""
        return self._slug("t", tenant_id or "")

    def policy_slug(self, tenant_id: str, policy_key: str, report_only: bool) -> str:
        return self._slug("p", tenant_id or "", policy_key or "", "report-only" if report_only else "enforced")

    def policy(self, tenant_id: str, policy_key: str, report_only: bool) -> str:
        return self.policy_slug(tenant_id, policy_key, report_only) + ".html"
