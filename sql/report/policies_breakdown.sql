-- What the 500121 attempts each policy demanded have in common: primary cause, device platform, country
-- and the policy conditions they matched (from the failing policy's conditionsSatisfied flags).
WITH demanded AS (
    SELECT signin_id, unnest(policies) AS policy, false AS report_only, attempt, primary_cause, os, country
    FROM report_failures
    UNION ALL
    SELECT signin_id, unnest(report_only_policies), true, attempt, primary_cause, os, country
    FROM report_failures
),
-- The failing policy rows, selected on their own first: joined with the filter inside, DuckDB reads every
-- policy row into the join and takes twice as long.
failing AS MATERIALIZED (
    SELECT signin_id, display_name, conditions_satisfied FROM signin_ca_policies
    WHERE result IN ('failure', 'reportOnlyFailure', 'reportOnlyInterrupted')
),
conditions AS (
    SELECT d.policy, d.report_only, d.attempt, unnest(ca_condition_names(p.conditions_satisfied)) AS condition
    FROM demanded d JOIN failing p ON p.signin_id = d.signin_id AND p.display_name = d.policy
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
