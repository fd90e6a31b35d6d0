-- The causes export: one row per tagged 500121 sign-in. Column names are an interface scripts rely on: new
-- ones go at the end.
SELECT signin_id, correlation_id, user_principal_name, created_at, error_code, primary_cause,
       array_to_string(causes, ';') AS causes, round(confidence, 3) AS confidence, fix,
       array_to_string(policies, ';') AS policies, array_to_string(report_only_policies, ';') AS report_only_policies,
       array_to_string(requirement_providers, ';') AS requirement_providers, mfa_method, mfa_result,
       evidence::VARCHAR AS evidence, verdict, verdict_reason,
       password_failures_hour, password_failure_ips_hour, spray_users_hour, mfa_interrupts_hour, ca_blocks_hour,
       password_known_elsewhere, tenant_id
FROM cause_tags
ORDER BY created_at, signin_id, tenant_id;
