-- MFA fatigue bursts: a user's failures tagged mfa_fatigue, a new burst after a gap longer than the
-- fatigue window; with the source IP, whether a success followed within the hour, and the sign-in and
-- correlation ids of its first failure. Every burst, the most serious first.
WITH fatigue AS (
    SELECT *, coalesce(created_at - lag(created_at) OVER (PARTITION BY tenant_id, user_key ORDER BY created_at)
                       > to_minutes($window_minutes), true) AS starts_burst
    FROM report_failures WHERE list_contains(causes, 'mfa_fatigue')
),
numbered AS (
    SELECT *, sum(starts_burst::INTEGER) OVER (PARTITION BY tenant_id, user_key ORDER BY created_at, signin_id) AS burst
    FROM fatigue
)
SELECT tenant_id, user_key, any_value(user) AS user, mode(ip ORDER BY ip) AS ip,
       mode(country ORDER BY country) AS country,
       min(created_at) AS started_at, max(created_at) AS ended_at, count(DISTINCT attempt) AS attempts,
       bool_or(success_within_hour) AS followed_by_success, arg_min(signin_id, created_at) AS signin_id,
       arg_min(correlation_id, created_at) AS correlation_id
FROM numbered GROUP BY tenant_id, user_key, burst
ORDER BY followed_by_success DESC, attempts DESC, started_at DESC
