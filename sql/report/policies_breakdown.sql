-- Per policy, what its 500121 attempts share: primary cause, platform, country and matched condition.
-- An attempt matched a condition when any of its sign-ins did: the conditions of each attempt are merged
-- as a bit mask first, so only the few distinct masks are spelled out as condition names.
WITH attempt_masks AS (
    SELECT tenant_id, policy_key, report_only, attempt, bit_or(conditions_satisfied) AS mask
    FROM report_policy_failures GROUP BY ALL
),
masks AS (
    SELECT tenant_id, policy_key, report_only, mask, count(*) AS attempts FROM attempt_masks GROUP BY ALL
),
conditions AS (
    SELECT tenant_id, policy_key, report_only, unnest(ca_condition_names(mask)) AS condition, attempts FROM masks
)
SELECT tenant_id, policy_key, report_only, 'cause' AS dimension, primary_cause AS value,
       count(DISTINCT attempt) AS attempts
FROM report_policy_failures GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'platform', platform, count(DISTINCT attempt) FROM report_policy_failures GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'country', country, count(DISTINCT attempt) FROM report_policy_failures GROUP BY ALL
UNION ALL
SELECT tenant_id, policy_key, report_only, 'condition', condition, sum(attempts)::BIGINT FROM conditions GROUP BY ALL
ORDER BY tenant_id, policy_key, report_only, dimension, attempts DESC, value
