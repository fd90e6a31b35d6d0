-- What needs a person (sql/report/20_findings.sql), newest first within each kind, with the user's most
-- serious verdict.
SELECT f.kind, f.tenant_id, f.user_key, f.user, f.since, f.last_at, f.cause, f.detail, u.verdict
FROM report_findings f LEFT JOIN report_users u USING (user_key)
ORDER BY f.kind, f.last_at DESC, f.user
