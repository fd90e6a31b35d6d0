-- The report's working set, built once per report: the window's 500121 and risky sign-ins, every 500121
-- with its causes and the sign-in columns the pages group by, and the users ranked by recurrence.
-- Parameters: $since, $until (the window), $last_day (its last UTC day), $window_days (recurrence window).

-- The window's user sign-ins the pages look at row by row (500121 and risky ones), read once: decoding
-- the string columns of every sign-in in the window is the costly part of a scan.
CREATE OR REPLACE TEMP TABLE report_signins AS
SELECT tenant_id, id, created_at, error_code, coalesce(user_principal_name, user_id) AS user, ip_address AS ip,
       country_or_region, device_operating_system, device_browser, client_app_used, app_display_name,
       device_display_name, user_agent, risk_level_during_signin, risk_event_types,
       risk_level_during_signin IN ('low', 'medium', 'high') OR risk_state IN ('atRisk', 'confirmedCompromised') AS risky,
       ca_set
FROM signins
WHERE created_at >= $since AND created_at < $until AND event_type IN ('interactiveUser', 'nonInteractiveUser')
  AND (error_code = 500121 OR risk_level_during_signin IN ('low', 'medium', 'high')
       OR risk_state IN ('atRisk', 'confirmedCompromised'));

CREATE OR REPLACE TEMP TABLE report_failures AS
SELECT t.signin_id, coalesce(t.correlation_id, t.signin_id) AS attempt, t.user_key,
       coalesce(t.user_principal_name, s.user, t.user_key) AS user,
       t.created_at, t.created_at::DATE AS day, t.primary_cause, t.causes, t.fix,
       coalesce(t.policies, []) AS policies, coalesce(t.report_only_policies, []) AS report_only_policies,
       coalesce(t.mfa_method, 'unknown') AS mfa_method, t.success_within_hour,
       json_extract(t.evidence, '$.new_location.impossible_travel')::BOOLEAN AS impossible_travel,
       s.ip, coalesce(s.country_or_region, 'unknown') AS country,
       coalesce(s.device_operating_system, 'unknown') AS os, coalesce(s.device_browser, 'unknown') AS browser,
       coalesce(s.client_app_used, 'unknown') AS client_app, coalesce(s.app_display_name, 'unknown') AS app,
       coalesce(s.user_agent, 'unknown') AS user_agent, s.ca_set
FROM cause_tags t JOIN report_signins s ON s.tenant_id = t.tenant_id AND s.id = t.signin_id
WHERE t.created_at >= $since AND t.created_at < $until;

-- Per user: the most distinct failure days within any $window_days days (the cause engine's recurrence),
-- distinct failure days in the last 30 days, the current streak (consecutive failure days ending on the
-- window's last day), the longest streak and the dominant cause.
CREATE OR REPLACE TEMP TABLE report_users AS
WITH days AS (
    SELECT user_key, day,
           day - CAST(row_number() OVER (PARTITION BY user_key ORDER BY day) AS INTEGER) AS run,
           count(*) OVER (PARTITION BY user_key ORDER BY day
                          RANGE BETWEEN to_days($window_days - 1) PRECEDING AND CURRENT ROW) AS days_in_span
    FROM (SELECT DISTINCT user_key, day FROM report_failures)
),
runs AS (
    SELECT user_key, max(day) AS run_end, count(*) AS length FROM days GROUP BY user_key, run
),
streaks AS (
    SELECT user_key, max(length) AS longest_streak,
           coalesce(max(length) FILTER (run_end = $last_day), 0) AS current_streak
    FROM runs GROUP BY user_key
),
per_user AS (
    SELECT f.user_key, any_value(f.user) AS user,
           (SELECT max(d.days_in_span) FROM days d WHERE d.user_key = f.user_key) AS days_recurring,
           count(DISTINCT f.day) FILTER (f.day > $last_day - 30) AS days_30,
           count(DISTINCT f.attempt) AS attempts, mode(f.primary_cause) AS dominant_cause, max(f.created_at) AS last_at
    FROM report_failures f GROUP BY f.user_key
)
SELECT p.*, s.current_streak, s.longest_streak,
       row_number() OVER (ORDER BY p.days_recurring DESC, p.days_30 DESC, s.current_streak DESC, p.attempts DESC,
                          p.user) AS rank
FROM per_user p JOIN streaks s USING (user_key);
