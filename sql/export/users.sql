-- The users export: one row per user finding. Column names are an interface scripts rely on: new ones
-- go at the end. `failures` counts 500121 log rows, `attempts` MFA attempts (distinct correlation ids, as
-- the dashboards count); `fix` is the dominant cause's fix as the newest tag of that cause carries it;
-- `verdict` the most serious verdict of the failures behind the finding, with the newest such reason.
SELECT f.user_principal_name, f.user_key, f.finding, f.first_at, f.last_at, f.failures, f.failure_days,
       f.dominant_cause, f.detail, f.attempts, x.fix, f.verdict, v.verdict_reason, f.tenant_id
FROM user_findings f
LEFT JOIN (SELECT primary_cause, arg_max(fix, created_at) AS fix FROM cause_tags GROUP BY primary_cause) x
       ON x.primary_cause = f.dominant_cause
LEFT JOIN (  -- the reason of the user's newest failure with each verdict
    SELECT tenant_id, user_key, verdict, arg_max(verdict_reason, created_at) AS verdict_reason
    FROM cause_tags GROUP BY ALL
) v ON v.tenant_id = f.tenant_id AND v.user_key = f.user_key AND v.verdict = f.verdict
ORDER BY f.finding, f.user_principal_name, f.tenant_id;
