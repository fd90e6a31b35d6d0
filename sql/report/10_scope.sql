-- The report's working set, built once per report: the window's 500121 and risky sign-ins, every 500121
-- with its causes and the sign-in columns the pages group by, and every user who failed, ranked.
-- Parameters: $since, $until (the window), $last_day (its last UTC day), $window_days and $min_days (the
-- cause engine's recurrence: 500121 on at least $min_days distinct UTC days within $window_days days).

-- A device's platform from its operating system text ('Windows 10', 'iOS 17.5', 'MacOs'), and a browser's
-- family from its name and version ('Edge 126.0'): rates per platform and browser must not split on versions.
CREATE OR REPLACE TEMP MACRO os_family(os) AS CASE
    WHEN os IS NULL OR trim(os) = '' THEN 'unknown'
    WHEN os ILIKE 'windows%' THEN 'Windows'
    WHEN os ILIKE 'ios%' OR os ILIKE 'ipad%' OR os ILIKE 'iphone%' THEN 'iOS'
    WHEN os ILIKE 'mac%' OR os ILIKE 'os x%' THEN 'macOS'
    WHEN os ILIKE 'android%' THEN 'Android'
    WHEN os ILIKE 'linux%' OR os ILIKE 'ubuntu%' OR os ILIKE 'chrome%' THEN 'Linux / ChromeOS'
    ELSE 'other' END;
CREATE OR REPLACE TEMP MACRO browser_family(browser) AS
    coalesce(nullif(trim(regexp_replace(browser, '[ /]*[0-9].*$', '')), ''), 'unknown');

-- The window's user sign-ins the pages look at row by row (500121 and risky ones), read once: decoding
-- the string columns of every sign-in in the window is the costly part of a scan. The few rows are found
-- first by their row ids from the filter's columns alone, then only they have their other columns decoded
-- (a third less time than one scan that decodes every column of every row).
CREATE OR REPLACE TEMP TABLE report_signins AS
SELECT tenant_id, id, created_at, error_code, coalesce(user_principal_name, user_id) AS user, ip_address AS ip,
       country_or_region, device_operating_system, device_browser, client_app_used, app_display_name,
       device_display_name, risk_level_during_signin, risk_event_types,
       risk_level_during_signin IN ('low', 'medium', 'high') OR risk_state IN ('atRisk', 'confirmedCompromised') AS risky,
       ca_set
FROM signins
WHERE rowid IN (
    SELECT rowid FROM signins
    WHERE created_at >= $since AND created_at < $until AND event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND (error_code = 500121 OR risk_level_during_signin IN ('low', 'medium', 'high')
           OR risk_state IN ('atRisk', 'confirmedCompromised'))
);

CREATE OR REPLACE TEMP TABLE report_failures AS
SELECT t.tenant_id, t.signin_id, t.correlation_id, coalesce(t.correlation_id, t.signin_id) AS attempt, t.user_key,
       coalesce(t.user_principal_name, s.user, t.user_key) AS user,
       t.created_at, t.created_at::DATE AS day, t.primary_cause, t.causes, t.fix, t.verdict,
       coalesce(t.mfa_method, 'unknown') AS mfa_method, t.success_within_hour,
       json_extract(t.evidence, '$.new_location.impossible_travel')::BOOLEAN AS impossible_travel,
       s.ip, coalesce(s.country_or_region, 'unknown') AS country,
       coalesce(s.device_operating_system, 'unknown') AS os, os_family(s.device_operating_system) AS platform,
       browser_family(s.device_browser) AS browser,
       coalesce(s.client_app_used, 'unknown') AS client_app, coalesce(s.app_display_name, 'unknown') AS app, s.ca_set
FROM cause_tags t JOIN report_signins s ON s.tenant_id = t.tenant_id AND s.id = t.signin_id
WHERE t.created_at >= $since AND t.created_at < $until;

-- Per user who failed in the window, the cause engine's recurrence over the user's whole tagged history up
-- to the window's end (sql/causes/20_user_findings.sql counts the same way): the day the user first
-- reached the tenant's failure days (its learned value, else $min_days) within $window_days (NULL: not
-- recurring) and the most such days.
CREATE OR REPLACE TEMP TABLE report_recurrence AS
WITH days AS (
    SELECT user_key, any_value(tenant_id) AS tenant_id, created_at::DATE AS day FROM cause_tags
    WHERE created_at < $until AND user_key IN (SELECT user_key FROM report_failures)
    GROUP BY user_key, day
),
spans AS (
    SELECT user_key, day, tenant_value($min_days_by_tenant, tenant_id, $min_days) AS min_days,
           count(*) OVER (PARTITION BY user_key ORDER BY day
                          RANGE BETWEEN to_days($window_days - 1) PRECEDING AND CURRENT ROW) AS n
    FROM days
)
SELECT user_key, min(day) FILTER (n >= min_days) AS recurring_since, max(n) AS most_days
FROM spans GROUP BY user_key;

-- Per user: the most distinct failure days within any $window_days days of the window, distinct failure
-- days in the last 30 days, the current streak (consecutive failure days ending on the window's last day),
-- the longest streak, the dominant cause, the most serious verdict, whether the user is recurring, and
-- the findings about the user.
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
spans AS (
    SELECT user_key, max(days_in_span) AS days_recurring FROM days GROUP BY user_key
),
per_user AS (
    SELECT f.user_key, any_value(f.tenant_id) AS tenant_id, any_value(f.user) AS user,
           count(DISTINCT f.day) FILTER (f.day > $last_day - 30) AS days_30,
           count(DISTINCT f.attempt) AS attempts, mode(f.primary_cause ORDER BY f.primary_cause) AS dominant_cause,
           verdict_of_severity(max(verdict_severity(f.verdict))) AS verdict,
           min(f.created_at) AS first_at, max(f.created_at) AS last_at
    FROM report_failures f GROUP BY f.user_key
),
findings AS (
    SELECT user_key, list(finding ORDER BY finding) AS findings FROM user_findings GROUP BY user_key
)
SELECT p.*, sp.days_recurring, s.current_streak, s.longest_streak,
       r.recurring_since IS NOT NULL AS recurring, r.recurring_since,
       coalesce(fi.findings, []) AS findings,
       row_number() OVER (ORDER BY r.recurring_since IS NULL, sp.days_recurring DESC, p.days_30 DESC,
                          s.current_streak DESC, p.attempts DESC, p.user) AS rank
FROM per_user p JOIN streaks s USING (user_key) JOIN spans sp USING (user_key)
JOIN report_recurrence r USING (user_key) LEFT JOIN findings fi USING (user_key);
