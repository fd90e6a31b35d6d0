-- Per policy and UTC day, the 500121 attempts it caused (report-only results as their own policy).
SELECT tenant_id, policy_key, report_only, day, count(DISTINCT attempt) AS attempts, count(DISTINCT user_key) AS users
FROM report_policy_failures GROUP BY ALL ORDER BY tenant_id, policy_key, report_only, day
