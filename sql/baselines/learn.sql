-- What each tenant's own recent tags say about fatigue and recurrence (signins.analysis.baselines), from
-- its last $days days of cause tags (ending at its newest tag), as the upper fence of the usual values:
-- the median plus $sigmas robust standard deviations (1.4826 x the median absolute deviation). The
-- attacks and broken phones the thresholds are there to find are outliers: they move a median and its
-- deviation far less than a high percentile, which in a small tenant is the attack itself.
--   - fatigue_min_attempts: over the attempts of one user within one window of $window_minutes (aligned
--     windows) among the denied, unanswered or mismatched failures (the failures fatigue counts), for the
--     user-windows that have any;
--   - recurring_min_days: over the most distinct failure days of a user within $recurring_window_days, for
--     the users with a failure.
-- One row per tenant and setting: the fence and how many windows or users it is from.
WITH span AS (
    SELECT tenant_id, max(created_at) AS until FROM cause_tags GROUP BY tenant_id
),
recent AS (
    SELECT t.tenant_id, t.user_key, t.created_at, t.causes, coalesce(t.correlation_id, t.signin_id) AS attempt
    FROM cause_tags AS t JOIN span AS s USING (tenant_id)
    WHERE t.created_at > s.until - to_days($days)
),
windows AS (
    SELECT tenant_id, user_key, time_bucket(to_minutes($window_minutes), created_at) AS slot,
           count(DISTINCT attempt) AS attempts
    FROM recent
    WHERE list_has_any(causes, ['mfa_fatigue', 'prompt_denied', 'push_not_delivered', 'number_mismatch'])
    GROUP BY ALL
),
days AS (
    SELECT DISTINCT tenant_id, user_key, created_at::DATE AS day FROM recent
),
most_days AS (
    SELECT tenant_id, user_key, max(n) AS days
    FROM (SELECT tenant_id, user_key,
                 count(*) OVER (PARTITION BY tenant_id, user_key ORDER BY day
                                RANGE BETWEEN to_days($recurring_window_days - 1) PRECEDING AND CURRENT ROW) AS n
          FROM days)
    GROUP BY ALL
)
SELECT tenant_id, 'fatigue_min_attempts' AS setting, upper_fence(attempts, $sigmas) AS observed, count(*) AS sample
FROM windows GROUP BY tenant_id
UNION ALL
SELECT tenant_id, 'recurring_min_days', upper_fence(days, $sigmas), count(*)
FROM most_days GROUP BY tenant_id
ORDER BY tenant_id, setting
