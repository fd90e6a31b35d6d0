-- The policies export: per Conditional Access policy and day. Column names are an interface scripts rely on.
SELECT day, policy, report_only, failures, users, array_to_string(top_causes, ';') AS top_causes
FROM policy_daily ORDER BY day, policy, report_only;
