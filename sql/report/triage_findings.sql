-- What needs a person (sql/report/20_findings.sql), newest first within each kind.
SELECT kind, tenant_id, user_key, user, since, last_at, cause, detail
FROM report_findings ORDER BY kind, last_at DESC, user
