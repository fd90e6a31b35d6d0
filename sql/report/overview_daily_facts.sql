-- 500121 attempts (distinct correlation ids) per UTC day, primary cause and verdict, for the chart a reader
-- filters by cause, verdict, app and failing CA policy: one row per day, cause and verdict for every app
-- and policy together (app and policy NULL), per app, per policy and per both, each an exact distinct
-- count (attempts do not add up over policies: one attempt can fail several). The policy is
-- '<tenant>/<policy key>', '' when none failed.
WITH attempts AS (
    SELECT f.day, f.primary_cause AS cause, f.verdict, f.app, f.attempt,
           coalesce(p.tenant_id || '/' || p.policy_key, '') AS policy
    FROM report_failures f
    LEFT JOIN report_list_policies p ON p.tenant_id = f.tenant_id AND p.ca_set = f.ca_set AND p.failed
)
SELECT day, cause, verdict, CASE WHEN NOT grouping(app) THEN app END AS app,
       CASE WHEN NOT grouping(policy) THEN policy END AS policy, count(DISTINCT attempt) AS attempts
FROM attempts
GROUP BY GROUPING SETS ((day, cause, verdict), (day, cause, verdict, app), (day, cause, verdict, policy),
                        (day, cause, verdict, app, policy))
ORDER BY day, cause, verdict, app NULLS FIRST, policy NULLS FIRST
