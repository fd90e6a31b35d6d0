-- Per policy, what its 500121 attempts share: primary cause, platform, country and matched condition.
WITH conditions AS (
    SELECT tenant_id, policy_key, report_only, attempt, unnest(ca_condition_names(conditions_satisfied)) AS condition
    FROM report_policy_failures
)
SELECT tenant_id, policy_key, report_only, 'cause' AS dimension, primary_cause AS value,
       count(DISTINCT attempt) AS attempts
FROM report_policy_failures GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'platform', platform, count(DISTINCT attempt) FROM report_policy_failures GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'country', country, count(DISTINCT attempt) FROM report_policy_failures GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'condition', condition, count(DISTINCT attempt) FROM conditions GROUP BY ALL
ORDER BY tenant_id, policy_key, report_only, dimension, attempts DESC, value
