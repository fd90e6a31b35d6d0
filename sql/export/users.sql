-- The users export: one row per user finding. Column names are an interface scripts rely on: new ones
-- go at the end. `failures` counts 500121 log rows, `attempts` MFA attempts (distinct correlation ids, as
-- the dashboards count); `fix` is the dominant cause's fix as the newest tag of that cause carries it;
-- `verdict` the most serious verdict on the user's failures.
SELECT f.user_principal_name, f.user_key, f.finding, f.first_at, f.last_at, f.failures, f.failure_days,
       f.dominant_cause, f.detail, f.attempts, x.fix, v.verdict, v.verdict_reason
FROM user_findings f
LEFT JOIN (SELECT primary_cause, arg_max(fix, created_at) AS fix FROM cause_tags GROUP BY primary_cause) x
       ON x.primary_cause = f.dominant_cause
LEFT JOIN (  -- the user's most serious verdict (the newest on a tie)
    SELECT user_key, arg_max(verdict, (severity, created_at)) AS verdict,
           arg_max(verdict_reason, (severity, created_at)) AS verdict_reason
    FROM (SELECT *, CASE verdict WHEN 'hostile' THEN 2 WHEN 'suspicious' THEN 1 ELSE 0 END AS severity FROM cause_tags)
    GROUP BY user_key
) v ON v.user_key = f.user_key
ORDER BY f.finding, f.user_principal_name;
