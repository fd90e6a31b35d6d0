-- User-level findings, rebuilt from cause_tags after every tagging run (parameters: $recurring_min_days,
-- $recurring_window_days, $lockout_hours, $privileged: a list of lower-case user principal names, added to
-- each tenant's privileged_accounts).

DELETE FROM user_findings;

-- recurring: 500121 on at least $recurring_min_days distinct days within $recurring_window_days.
INSERT INTO user_findings
WITH days AS (
    SELECT user_key, created_at::DATE AS day FROM cause_tags GROUP BY ALL
),
windows AS (
    SELECT user_key, count(*) OVER (PARTITION BY user_key ORDER BY day
           RANGE BETWEEN to_days($recurring_window_days - 1) PRECEDING AND CURRENT ROW) AS days_in_window
    FROM days
),
recurring AS (
    SELECT user_key, max(days_in_window) AS most_days FROM windows GROUP BY user_key
    HAVING max(days_in_window) >= $recurring_min_days
)
SELECT t.user_key, any_value(t.user_principal_name), 'recurring', min(t.created_at), max(t.created_at), count(*),
       count(DISTINCT t.created_at::DATE), mode(t.primary_cause),
       format('500121 on {} days within {} days; dominant cause {}', any_value(r.most_days), $recurring_window_days,
              mode(t.primary_cause)),
       count(DISTINCT coalesce(t.correlation_id, t.signin_id)), verdict_of_severity(max(verdict_severity(t.verdict)))
FROM cause_tags t JOIN recurring r USING (user_key)
GROUP BY t.user_key;

-- privileged_lockout: a privileged account failing MFA with no success for at least $lockout_hours.
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'privileged_lockout', min(created_at), max(created_at), count(*),
       count(DISTINCT created_at::DATE), mode(primary_cause),
       format('no successful sign-in for {} hours at the last failure (threshold {} h): escalate, the account may be locked out',
              round(max(coalesce(hours_since_last_success, 'infinity'::DOUBLE)), 1), $lockout_hours),
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict)))
FROM cause_tags
WHERE list_contains($privileged, lower(user_principal_name))
   OR (tenant_id, lower(user_principal_name)) IN (SELECT tenant_id, user_principal_name FROM privileged_accounts)
GROUP BY user_key
HAVING max(coalesce(hours_since_last_success, 'infinity'::DOUBLE)) >= $lockout_hours;

-- fatigue_then_success: an MFA fatigue burst followed by a successful sign-in: probable compromise.
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'fatigue_then_success', min(created_at), max(created_at), count(*),
       count(DISTINCT created_at::DATE), 'mfa_fatigue',
       'an MFA fatigue burst was followed by a successful sign-in within the hour: treat the account as compromised',
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict)))
FROM cause_tags
WHERE list_contains(causes, 'mfa_fatigue') AND success_within_hour
GROUP BY user_key;
