-- The user findings as they stand, to tell what a run's tagging found anew.
SELECT finding, tenant_id, user_key, user_principal_name, last_at, failures, detail, verdict
FROM user_findings
