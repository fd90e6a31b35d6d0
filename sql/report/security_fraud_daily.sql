-- MFA prompts the user reported as fraud, per UTC day: reports and distinct users.
SELECT day, count(DISTINCT attempt) AS reports, count(DISTINCT user_key) AS users
FROM report_failures WHERE list_contains(causes, 'fraud_reported')
GROUP BY day ORDER BY day
