-- Per policy, the users whose MFA it demanded failed, with their attempts and the newest failure.
SELECT tenant_id, policy_key, report_only, user_key, any_value(user) AS user, count(DISTINCT attempt) AS attempts,
       mode(primary_cause ORDER BY primary_cause) AS dominant_cause, max(created_at) AS last_at
FROM report_policy_failures GROUP BY tenant_id, policy_key, report_only, user_key
ORDER BY tenant_id, policy_key, report_only, attempts DESC, user
