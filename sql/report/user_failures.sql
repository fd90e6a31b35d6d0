-- The newest 500121 of every user with a page: time, app, method, place, causes with their evidence,
-- the fix and the ids to quote.
SELECT f.tenant_id, f.user_key, f.created_at, f.app, f.mfa_method, f.os, f.browser, f.ip, f.country, f.primary_cause,
       f.causes, t.evidence::VARCHAR AS evidence, f.verdict, t.verdict_reason, f.signin_id, f.correlation_id
FROM report_failures f JOIN report_pages p USING (tenant_id, user_key)
JOIN cause_tags t ON t.tenant_id = f.tenant_id AND t.signin_id = f.signin_id
QUALIFY row_number() OVER (PARTITION BY f.tenant_id, f.user_key ORDER BY f.created_at DESC, f.signin_id) <= $user_rows
ORDER BY f.tenant_id, f.user_key, f.created_at DESC
