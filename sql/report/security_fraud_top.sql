-- The $top users who reported the most MFA prompts as fraud, with the source IP most of them came from.
SELECT user, mode(ip) AS ip, count(DISTINCT attempt) AS reports, min(created_at) AS first_at, max(created_at) AS last_at
FROM report_failures WHERE list_contains(causes, 'fraud_reported')
GROUP BY user_key, user ORDER BY reports DESC, last_at DESC LIMIT $top
