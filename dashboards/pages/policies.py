"""The Conditional Access workbench: per policy, the MFA prompts it demanded and the 500121 it caused, as
a rate with its volume, the owner's advice, and what each report-only policy would do if enabled."""

from __future__ import annotations

import polars as pl

from dashboards import figures
from dashboards.pages import Chart, Inputs, Link, Page, Table, count, policy_label, user_cell

MIN_PROMPTS = 20  # below this many prompts a failure rate says little: such policies rank after the others
WEAK_METHODS = ("text message", "phone call", "voice", "sms")
TOP_RATES = 25  # policies drawn on the rate chart; the table holds them all


def advice(inputs: Inputs, policy: dict, methods: pl.DataFrame) -> str:
    """What the policy's owner could change, from the causes and methods of its failures."""
    lines = []
    if policy["dominant_cause"]:
        lines.append(inputs.policy_advice(policy["dominant_cause"]))
    failing = methods.filter(pl.col("failures") > 0)["value"].str.to_lowercase().to_list()
    if any(weak in method for method in failing for weak in WEAK_METHODS):
        lines.append(
            "Text and voice prompts fail here: move these users off SMS and voice with an authentication strength "
            "that leaves them out (and a registration campaign for the app)."
        )
    if policy["demands_mfa"] and not policy["authentication_strength"] and policy["failures"]:
        lines.append("The policy grants on plain MFA: an authentication strength sets which methods count.")
    return " ".join(lines)


def ordered(policies: pl.DataFrame) -> pl.DataFrame:
    """Rate first among policies with enough prompts (outliers on top), then the rest by volume."""
    return policies.with_columns((pl.col("prompts") >= MIN_PROMPTS).alias("enough")).sort(
        ["enough", "failure_rate", "prompts", "label"], descending=[True, True, True, False], nulls_last=True
    )


def policy_link(inputs: Inputs, row: dict) -> Link:
    return Link(policy_label(row), inputs.links.policy(row["tenant_id"], row["policy_key"], row["report_only"]))


def build(inputs: Inputs) -> Page:
    policies = ordered(inputs.fetch("policies_workbench"))
    rates = inputs.fetch("policies_rates")
    whatif = inputs.fetch("policies_whatif")
    keys = ["tenant_id", "policy_key", "report_only"]
    methods = {k: g for k, g in rates.filter(pl.col("dimension") == "method").group_by(keys)}
    enforced = policies.filter(~pl.col("report_only") & pl.col("enough") & pl.col("failure_rate").is_not_null())
    drawn = enforced.head(TOP_RATES).with_columns(
        pl.struct("label", "report_only", "policy_key").map_elements(policy_label, return_dtype=pl.String).alias("name")
    )
    sections = [
        Chart(
            "Failure rate of each policy's MFA prompts",
            f"500121 sign-ins among the sign-ins whose MFA the policy demanded, for the {drawn.height} enforced "
            f"policies with the highest rate and at least {MIN_PROMPTS} prompts; every policy is in the table.",
            figures.bars(
                drawn,
                "name",
                {"failure_rate": "failure rate %"},
                x_title="failure rate %",
                y_title="policy",
                height=max(300, 80 + 30 * drawn.height),
                percent=True,
            )
            if drawn.height
            else None,
            f"No enforced policy demanded {MIN_PROMPTS} or more MFA prompts in this window.",
        ),  # fmt: skip
        workbench_table(inputs, policies, methods, rates.clear()),
        whatif_table(inputs, policies, whatif),
    ]
    return Page(
        "policies",
        "Policies",
        "Which Conditional Access policy's MFA fails most, why, what to change, and what report-only ones would do",
        summary(inputs, enforced, whatif),
        sections,
    )


def workbench_table(inputs: Inputs, policies: pl.DataFrame, methods: dict, no_rates: pl.DataFrame) -> Table:
    """Every policy, the one to change first on top; with the tenant when the store holds several (two
    tenants' policies may share a name)."""
    keys = ["tenant_id", "policy_key", "report_only"]
    tenants = policies["tenant_id"].n_unique() > 1
    return Table(
        "Policies: which to change first, and how",
        f"Sorted by failure rate among policies with at least {MIN_PROMPTS} prompts, then by volume. Prompts: "
        "sign-ins the policy applied to that showed an MFA prompt or failed with 500121; failures: the 500121 "
        "among them where this policy's requirement failed. The advice is for the policy's owner.",
        (
            "policy",
            *(["tenant"] if tenants else []),
            "mode",
            "grant controls",
            "authentication strength",
            "prompts",
            "500121 sign-ins",
            "failure rate %",
            "users",
            "recurring users",
            "dominant cause",
            "conditions matched",
            "advice",
        ),
        [
            (
                policy_link(inputs, r),
                *([r["tenant_id"]] if tenants else []),
                "report-only" if r["report_only"] else "enforced",
                r["grants"],
                r["authentication_strength"],
                r["prompts"],
                r["failures"],
                r["failure_rate"],
                r["users"],
                r["recurring_users"],
                inputs.title(r["dominant_cause"]),
                r["conditions"],
                advice(inputs, r, methods.get(tuple(r[k] for k in keys), no_rates)),
            )
            for r in policies.iter_rows(named=True)
        ],
    )


def whatif_table(inputs: Inputs, policies: pl.DataFrame, whatif: pl.DataFrame) -> Table:
    per_policy = whatif.group_by("tenant_id", "policy_key").agg(
        pl.col("signins").sum(),
        pl.col("interrupted").sum(),
        pl.col("user_key").n_unique().alias("users"),
        pl.col("app").n_unique().alias("apps"),
        pl.col("expected_failures").sum(),
        pl.col("blocks").any(),
    )
    report_only = policies.filter(pl.col("report_only")).join(per_policy, on=["tenant_id", "policy_key"], how="left")
    return Table(
        "If the report-only policies were enabled",
        "Sign-ins that succeeded in the window and that the policy would have blocked or challenged "
        "(reportOnlyFailure, reportOnlyInterrupted). Expected failures: those sign-ins times each user's own "
        "500121 rate in the window (the tenant's when the user had no prompt); a blocking policy fails them all.",
        ("policy", "succeeded sign-ins it would stop", "of which interrupted (challenge)", "users", "apps",
         "would block", "expected MFA failures"),
        [
            (policy_link(inputs, r), r["signins"] or 0, r["interrupted"] or 0, r["users"] or 0, r["apps"] or 0,
             bool(r["blocks"]), round(r["expected_failures"] or 0, 1))
            for r in report_only.sort("signins", descending=True, nulls_last=True).iter_rows(named=True)
        ],
    )  # fmt: skip


def summary(inputs: Inputs, enforced: pl.DataFrame, whatif: pl.DataFrame) -> list[str]:
    if enforced.is_empty():
        return [f"No enforced Conditional Access policy demanded {MIN_PROMPTS} or more MFA prompts in this window."]
    top = enforced.row(0, named=True)
    lines = [
        f"Change first: “{policy_label(top)}”, whose MFA prompts fail {top['failure_rate']}% of the time "
        f"({top['failures']:,} of {top['prompts']:,}; {count(top['users'], 'user')}, {top['recurring_users']:,} "
        f"recurring), mostly “{inputs.title(top['dominant_cause'])}”. {inputs.policy_advice(top['dominant_cause'])}"
    ]
    if whatif.height:
        lines.append(
            f"Report-only policies would have stopped {count(int(whatif['signins'].sum()), 'sign-in')} that "
            f"succeeded, for {count(whatif['user_key'].n_unique(), 'user')}: see the last table before enabling them."
        )
    return lines


def user_rows(inputs: Inputs, users: pl.DataFrame) -> list[tuple]:
    """A policy page's users table rows."""
    return [
        (user_cell(inputs, r), r["attempts"], inputs.title(r["dominant_cause"]), r["last_at"])
        for r in users.iter_rows(named=True)
    ]
