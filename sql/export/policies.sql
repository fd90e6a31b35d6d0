-- The policies export: per tenant, Conditional Access policy and day. Column names are an interface
-- scripts rely on: new ones go at the end.
SELECT day, policy, report_only, failures, users, array_to_string(top_causes, ';') AS top_causes, tenant_id
FROM policy_daily
ORDER BY day, policy, report_only, tenant_id;
