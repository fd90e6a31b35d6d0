-- What the 500121 attempts each policy demanded have in common: primary cause, device platform, country
-- and the policy conditions they matched (from the failing policy's conditionsSatisfied flags).
WITH demanded AS (
    SELECT ca_set, unnest(policies) AS policy, false AS report_only, attempt, primary_cause, os, country
    FROM report_failures
    UNION ALL
    SELECT ca_set, unnest(report_only_policies), true, attempt, primary_cause, os, country
    FROM report_failures
),
-- the failing policies of each policy list (sql/schema/008_ca_policy_sets.sql)
failing AS (
    SELECT ca_set, display_name, conditions_satisfied FROM ca_policy_sets
    WHERE result IN ('failure', 'reportOnlyFailure', 'reportOnlyInterrupted')
),
conditions AS (
    SELECT d.policy, d.report_only, d.attempt, unnest(ca_condition_names(p.conditions_satisfied)) AS condition
    FROM demanded d JOIN failing p ON p.ca_set = d.ca_set AND p.display_name = d.policy
)
SELECT 'cause' AS dimension, policy, report_only, primary_cause AS value, count(DISTINCT attempt) AS attempts
FROM demanded GROUP BY ALL
UNION ALL
SELECT 'platform', policy, report_only, os, count(DISTINCT attempt) FROM demanded GROUP BY ALL
UNION ALL
SELECT 'country', policy, report_only, country, count(DISTINCT attempt) FROM demanded GROUP BY ALL
UNION ALL
SELECT 'condition', policy, report_only, condition, count(DISTINCT attempt) FROM conditions GROUP BY ALL
ORDER BY dimension, policy, report_only, attempts DESC, value
