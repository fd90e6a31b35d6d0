-- Every policy that demanded MFA, caused a 500121 or is report-only, with its rates and volume.
SELECT tenant_id, policy_key, policy_id, report_only, label, names, grants, authentication_strength, demands_mfa,
       blocks, prompts, failures, failure_rate, attempts, users, recurring_users, dominant_cause, conditions
FROM report_policies ORDER BY failure_rate DESC NULLS LAST, prompts DESC, label
