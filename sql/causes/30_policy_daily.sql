-- Per tenant, Conditional Access policy and day, the MFA failures it demanded, rebuilt from cause_tags
-- (two tenants' policies of the same name stay apart).

DELETE FROM policy_daily;

INSERT INTO policy_daily
WITH demanded AS (
    SELECT tenant_id, created_at::DATE AS day, unnest(policies) AS policy, false AS report_only,
           coalesce(correlation_id, signin_id) AS attempt, user_key, primary_cause
    FROM cause_tags WHERE len(policies) > 0
    UNION ALL
    SELECT tenant_id, created_at::DATE, unnest(report_only_policies), true,
           coalesce(correlation_id, signin_id), user_key, primary_cause
    FROM cause_tags WHERE len(report_only_policies) > 0
),
causes AS (
    SELECT tenant_id, day, policy, report_only, primary_cause, count(DISTINCT attempt) AS n
    FROM demanded GROUP BY ALL
)
SELECT d.day, d.policy, d.report_only, count(DISTINCT d.attempt), count(DISTINCT d.user_key),
       (SELECT list(c.primary_cause ORDER BY c.n DESC, c.primary_cause)[1:3] FROM causes c
        WHERE c.tenant_id = d.tenant_id AND c.day = d.day AND c.policy = d.policy AND c.report_only = d.report_only),
       d.tenant_id
FROM demanded d
GROUP BY d.tenant_id, d.day, d.policy, d.report_only;
