-- The name of each CA policy the daily chart filters on ('<tenant>/<policy key>' as in overview_daily_facts):
-- its newest display name in the window, and its tenant for telling apart two tenants' policies of one name.
SELECT tenant_id || '/' || policy_key AS policy, tenant_id, policy_key, arg_max(display_name, last_at) AS label,
       bool_and(report_only) AS report_only
FROM report_list_policies WHERE failed GROUP BY ALL
