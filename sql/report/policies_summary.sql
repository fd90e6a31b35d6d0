-- Per policy (report-only apart): the sign-ins it applied to in the window (its MFA challenges: every
-- policy here demanded an MFA that failed), the 500121 attempts among them, the failure rate, users, users
-- failing on at least $min_days distinct days, and the dominant cause.
WITH demanded AS (
    SELECT unnest(policies) AS policy, false AS report_only, attempt, user_key, day, primary_cause
    FROM report_failures
    UNION ALL
    SELECT unnest(report_only_policies), true, attempt, user_key, day, primary_cause
    FROM report_failures
),
per_user AS (
    SELECT policy, report_only, user_key, count(DISTINCT day) AS days FROM demanded GROUP BY ALL
),
-- The window's sign-ins each policy applied to (result success or failure, report-only too): the
-- window's sign-ins counted per policy list, then each list's policies (sql/schema/008_ca_policy_sets.sql).
lists AS (
    SELECT ca_set, count(*) AS signins FROM signins
    WHERE created_at >= $since AND created_at < $until AND ca_set IS NOT NULL
    GROUP BY ca_set
),
challenges AS (
    SELECT p.display_name AS policy, p.result LIKE 'reportOnly%' AS report_only, sum(l.signins)::BIGINT AS challenges
    FROM lists l JOIN ca_policy_sets p USING (ca_set)
    WHERE p.result IN ('success', 'failure', 'reportOnlySuccess', 'reportOnlyFailure', 'reportOnlyInterrupted')
    GROUP BY ALL
)
SELECT d.policy, d.report_only, coalesce(any_value(c.challenges), 0) AS challenges,
       count(DISTINCT d.attempt) AS failures,
       round(100.0 * count(DISTINCT d.attempt) / nullif(any_value(c.challenges), 0), 1) AS failure_rate,
       count(DISTINCT d.user_key) AS users,
       (SELECT count(*) FROM per_user u WHERE u.policy = d.policy AND u.report_only = d.report_only
          AND u.days >= $min_days) AS recurring_users,
       mode(d.primary_cause) AS top_cause
FROM demanded d LEFT JOIN challenges c USING (policy, report_only)
GROUP BY d.policy, d.report_only
ORDER BY failures DESC, d.policy, d.report_only
