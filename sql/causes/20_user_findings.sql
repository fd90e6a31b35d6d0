-- User-level findings, rebuilt from cause_tags after every tagging run (parameters: $recurring_min_days,
-- $recurring_window_days, $lockout_hours, $privileged: a list of lower-case user principal names, added to
-- each tenant's privileged_accounts; $loaded_before: the sign-ins loaded by the previous tagging run that
-- brought new ones, NULL for none; $recurring_by_tenant: the tenants' learned $recurring_min_days).
-- Each finding counts the failures it is built from: its 500121 log rows, distinct days and attempts,
-- their dominant cause and most serious verdict. A user is a user of one tenant: everything is per
-- (tenant_id, user_key), so two tenants' data never meet in one finding.

DELETE FROM user_findings;

-- Recurrence per user: the most distinct days with a 500121 within $recurring_window_days, counting every
-- failure, and counting only those loaded by $loaded_before (what the previous run knew); the days that
-- make the user's tenant call a user recurring.
CREATE OR REPLACE TEMP TABLE recurrence AS
WITH days AS (
    SELECT t.tenant_id, t.user_key, t.created_at::DATE AS day, bool_or(s.loaded_at <= $loaded_before) AS known_before
    FROM cause_tags AS t LEFT JOIN signins AS s ON s.tenant_id = t.tenant_id AND s.id = t.signin_id
    GROUP BY t.tenant_id, t.user_key, day
),
windows AS (
    SELECT tenant_id, user_key, tenant_value($recurring_by_tenant, tenant_id, $recurring_min_days) AS min_days,
           count(*) OVER recent AS days_in_window,
           count(*) FILTER (WHERE coalesce(known_before, false)) OVER recent AS days_known_before
    FROM days
    WINDOW recent AS (PARTITION BY tenant_id, user_key ORDER BY day
                      RANGE BETWEEN to_days($recurring_window_days - 1) PRECEDING AND CURRENT ROW)
)
SELECT tenant_id, user_key, any_value(min_days) AS min_days, max(days_in_window) AS most_days,
       max(days_known_before) AS most_days_before
FROM windows GROUP BY tenant_id, user_key
HAVING max(days_in_window) >= any_value(min_days);

-- recurring: 500121 on at least the tenant's recurring_min_days distinct days within $recurring_window_days.
INSERT INTO user_findings
SELECT t.user_key, any_value(t.user_principal_name), 'recurring', min(t.created_at), max(t.created_at), count(*),
       count(DISTINCT t.created_at::DATE), mode(t.primary_cause ORDER BY t.primary_cause),
       format('500121 on {} days within {} days; dominant cause {}', any_value(r.most_days), $recurring_window_days,
              mode(t.primary_cause ORDER BY t.primary_cause)),
       count(DISTINCT coalesce(t.correlation_id, t.signin_id)), verdict_of_severity(max(verdict_severity(t.verdict))), t.tenant_id
FROM cause_tags t JOIN recurrence r USING (tenant_id, user_key)
GROUP BY t.tenant_id, t.user_key;

-- became_recurring: recurring now, and not with the failures the previous run knew (loaded by
-- $loaded_before): the users tonight's sign-ins made recurring. Stable when a run brings nothing new.
INSERT INTO user_findings
SELECT t.user_key, any_value(t.user_principal_name), 'became_recurring', min(t.created_at), max(t.created_at),
       count(*), count(DISTINCT t.created_at::DATE), mode(t.primary_cause ORDER BY t.primary_cause),
       format('became recurring with the sign-ins loaded since the previous run: 500121 on {} days within {} days '
              '(before: at most {}); dominant cause {}', any_value(r.most_days), $recurring_window_days,
              any_value(r.most_days_before), mode(t.primary_cause ORDER BY t.primary_cause)),
       count(DISTINCT coalesce(t.correlation_id, t.signin_id)), verdict_of_severity(max(verdict_severity(t.verdict))), t.tenant_id
FROM cause_tags t JOIN recurrence r USING (tenant_id, user_key)
WHERE r.most_days_before < r.min_days
GROUP BY t.tenant_id, t.user_key;
DROP TABLE recurrence;

-- privileged_lockout: a privileged account failing MFA with no success for at least $lockout_hours.
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'privileged_lockout', min(created_at), max(created_at), count(*),
       count(DISTINCT created_at::DATE), mode(primary_cause ORDER BY primary_cause),
       format('no successful sign-in for {} hours at the last failure (threshold {} h): escalate, the account may be locked out',
              round(max(coalesce(hours_since_last_success, 'infinity'::DOUBLE)), 1), $lockout_hours),
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict))), tenant_id
FROM cause_tags
WHERE list_contains($privileged, lower(user_principal_name))
   OR (tenant_id, lower(user_principal_name)) IN (SELECT tenant_id, user_principal_name FROM privileged_accounts)
GROUP BY tenant_id, user_key
HAVING max(coalesce(hours_since_last_success, 'infinity'::DOUBLE)) >= $lockout_hours;

-- fatigue_then_success: an MFA fatigue burst followed by a successful sign-in: probable compromise.
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'fatigue_then_success', min(created_at), max(created_at), count(*),
       count(DISTINCT created_at::DATE), 'mfa_fatigue',
       'an MFA fatigue burst was followed by a successful sign-in within the hour: treat the account as compromised',
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict))), tenant_id
FROM cause_tags
WHERE list_contains(causes, 'mfa_fatigue') AND success_within_hour
GROUP BY tenant_id, user_key;

-- fatigue_burst: any MFA fatigue burst, whether or not a success followed (the largest burst's attempts).
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'fatigue_burst', min(created_at), max(created_at), count(*),
       count(DISTINCT created_at::DATE), 'mfa_fatigue',
       format('MFA fatigue: up to {} denied or unanswered prompts within the fatigue window{}: block sign-in, '
              'reset the password and revoke the sessions',
              coalesce(max(TRY_CAST(json_extract_string(evidence, '$.mfa_fatigue.fatigue_attempts') AS INTEGER)),
                       count(DISTINCT coalesce(correlation_id, signin_id))),
              CASE WHEN bool_or(success_within_hour) THEN ', then a success' ELSE '' END),
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict))), tenant_id
FROM cause_tags
WHERE list_contains(causes, 'mfa_fatigue')
GROUP BY tenant_id, user_key;

-- fraud_reported: the user reported an MFA prompt as fraud (or is blocked for fraud).
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'fraud_reported', min(created_at), max(created_at), count(*),
       count(DISTINCT created_at::DATE), 'fraud_reported',
       format('{} MFA prompt(s) reported as fraud: the password is likely known; call the user and reset it',
              count(DISTINCT coalesce(correlation_id, signin_id))),
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict))), tenant_id
FROM cause_tags
WHERE list_contains(causes, 'fraud_reported')
GROUP BY tenant_id, user_key;

-- password_known_elsewhere: the right password, then a failed MFA, from an IP, country or network the user
-- never signed in from, and no success within the hour.
INSERT INTO user_findings
SELECT user_key, any_value(user_principal_name), 'password_known_elsewhere', min(created_at), max(created_at),
       count(*), count(DISTINCT created_at::DATE), mode(primary_cause ORDER BY primary_cause),
       format('the right password from an IP, country or network the user never signed in from, then a failed '
              'MFA and no success within the hour ({} attempt(s)): reset the password',
              count(DISTINCT coalesce(correlation_id, signin_id))),
       count(DISTINCT coalesce(correlation_id, signin_id)), verdict_of_severity(max(verdict_severity(verdict))), tenant_id
FROM cause_tags
WHERE password_known_elsewhere AND NOT success_within_hour
GROUP BY tenant_id, user_key;
