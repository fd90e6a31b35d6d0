-- Per report-only policy, user and app: the sign-ins that succeeded that it would have blocked or
-- challenged, and the failures expected if it were enabled (sql/report/30_policies.sql).
SELECT tenant_id, policy_key, user_key, user, app, signins, interrupted, blocks, user_rate, tenant_rate_used,
       expected_failures
FROM report_whatif ORDER BY tenant_id, policy_key, signins DESC, user, app
