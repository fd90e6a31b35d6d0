"""The cross-tenant overview, the landing page of a store of several tenants: which tenants have hostile
findings, recurring users and rising policies, each linking to the tenant's own site."""

from __future__ import annotations

import polars as pl

from dashboards.pages import Link, Page, Table


def tenants_page(overview: pl.DataFrame, sites: dict[str, str]) -> Page:
    """The overview from sql/tenants/overview.sql; `sites`: tenant id -> its site's landing page."""
    rows = [
        (
            Link(r["tenant_id"] or "(no tenant id)", sites[r["tenant_id"]]),
            r["signins"],
            r["attempts"],
            r["users"],
            r["hostile_users"],
            r["recurring_users"],
            r["rising_policies"],
            r["most_risen_policy"],
        )
        for r in overview.iter_rows(named=True)
    ]
    hostile = overview.filter(pl.col("hostile_users") > 0).height
    return Page(
        "index",
        "Tenants",
        "every tenant of the store, with a site of its own",
        [
            f"This store holds {overview.height} tenants; each has a site of its own, built from its data only.",
            f"{hostile} of them have users with a hostile finding in the window: open those first.",
        ],
        [
            Table(
                "Every tenant",
                "Most users with a hostile finding first. Findings are the cause engine's that reach into the "
                "window; rising policies are enforced Conditional Access policies with more MFA failures in the "
                "window's last 7 days than in the 7 before.",
                (
                    "tenant",
                    "user sign-ins",
                    "MFA failures (attempts)",
                    "users failing MFA",
                    "users with a hostile finding",
                    "recurring users",
                    "rising policies",
                    "most risen policy",
                ),
                rows,
            )
        ],
    )
