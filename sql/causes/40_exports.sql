-- Exports users and scripts rely on: the column names are part of the interface.
-- Each statement is one export; signins.exports picks them by name (the comment line before it).

-- export: causes
SELECT signin_id, correlation_id, user_principal_name, created_at, error_code, primary_cause,
       array_to_string(causes, ';') AS causes, round(confidence, 3) AS confidence, fix,
       array_to_string(policies, ';') AS policies, array_to_string(report_only_policies, ';') AS report_only_policies,
       array_to_string(requirement_providers, ';') AS requirement_providers, mfa_method, mfa_result,
       evidence::VARCHAR AS evidence
FROM cause_tags ORDER BY created_at, signin_id;

-- export: users
SELECT user_principal_name, user_key, finding, first_at, last_at, failures, failure_days, dominant_cause, detail
FROM user_findings ORDER BY finding, user_principal_name;

-- export: policies
SELECT day, policy, report_only, failures, users, array_to_string(top_causes, ';') AS top_causes
FROM policy_daily ORDER BY day, policy, report_only;
