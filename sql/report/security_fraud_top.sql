-- Every user who reported an MFA prompt as fraud, with the source IP most of the reports came from.
SELECT tenant_id, user_key, any_value(user) AS user, mode(ip ORDER BY ip) AS ip, count(DISTINCT attempt) AS reports,
       min(created_at) AS first_at, max(created_at) AS last_at
FROM report_failures WHERE list_contains(causes, 'fraud_reported')
GROUP BY tenant_id, user_key ORDER BY reports DESC, last_at DESC
