-- Per policy, its prompts and 500121 per MFA method and per platform.
SELECT tenant_id, policy_key, report_only, 'method' AS dimension, method AS value, sum(prompts)::BIGINT AS prompts,
       coalesce(sum(failures), 0)::BIGINT AS failures
FROM report_policy_rates GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'platform', platform, sum(prompts)::BIGINT, coalesce(sum(failures), 0)::BIGINT
FROM report_policy_rates GROUP BY ALL
ORDER BY tenant_id, policy_key, report_only, dimension, prompts DESC, value
