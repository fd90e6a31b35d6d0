-- The users export: one row per user finding. Column names are an interface scripts rely on.
SELECT user_principal_name, user_key, finding, first_at, last_at, failures, failure_days, dominant_cause, detail
FROM user_findings ORDER BY finding, user_principal_name;
