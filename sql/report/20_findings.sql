-- What needs a person, one row per user and kind of finding (the landing page orders the kinds by urgency):
-- the cause engine's user findings that need a person today whose failures reach into the window
-- (sql/causes/20_user_findings.sql; recurrence and fraud reports are counted in the window here),
-- users who reported an MFA prompt as fraud in the window, and users who became recurring in the window's
-- last 7 days. `since`: when the matter started (a locked-out account: its last success), `last_at`: the
-- newest failure it concerns.
CREATE OR REPLACE TEMP TABLE report_findings AS
WITH engine AS (
    SELECT f.finding AS kind, t.tenant_id, f.user_key, f.user_principal_name, f.first_at, f.last_at,
           f.dominant_cause, f.detail,
           arg_max(t.created_at - to_microseconds((t.hours_since_last_success * 3600e6)::BIGINT), t.created_at)
               AS last_success
    FROM user_findings f JOIN cause_tags t USING (tenant_id, user_key)
    WHERE f.finding IN ('privileged_lockout', 'fatigue_then_success', 'fatigue_burst', 'password_known_elsewhere')
      AND f.last_at >= $since AND f.first_at < $until AND t.created_at < $until
      -- a burst followed by a success is listed as that, once
      AND NOT (f.finding = 'fatigue_burst' AND (f.tenant_id, f.user_key) IN
               (SELECT tenant_id, user_key FROM user_findings WHERE finding = 'fatigue_then_success'))
    GROUP BY ALL
),
fraud AS (
    SELECT 'fraud_reported' AS kind, tenant_id, user_key, any_value(user) AS user, min(created_at) AS since,
           max(created_at) AS last_at, 'fraud_reported' AS cause,
           format('{} MFA prompt(s) reported as fraud in the window', count(DISTINCT attempt)) AS detail
    FROM report_failures WHERE list_contains(causes, 'fraud_reported')
    GROUP BY tenant_id, user_key
),
newly_recurring AS (
    SELECT 'newly_recurring' AS kind, u.tenant_id, u.user_key, u.user, u.recurring_since::TIMESTAMPTZ AS since,
           u.last_at, u.dominant_cause AS cause,
           format('500121 on {} days within {} days, first reached on {}', u.days_recurring, $window_days,
                  strftime(u.recurring_since, '%Y-%m-%d')) AS detail
    FROM report_users u WHERE u.recurring_since > $last_day - 7
)
SELECT kind, tenant_id, user_key, coalesce(user_principal_name, user_key) AS user,
       CASE WHEN kind = 'privileged_lockout' THEN coalesce(last_success, first_at) ELSE first_at END AS since,
       last_at, dominant_cause AS cause, detail
FROM engine
UNION ALL SELECT * FROM fraud
UNION ALL SELECT * FROM newly_recurring;
