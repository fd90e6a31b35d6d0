-- The enforced Conditional Access policies whose MFA failures rose most: the last 7 days of the store
-- against the 7 before.
WITH last AS (SELECT max(day) AS day FROM policy_daily)
SELECT policy,
       coalesce(sum(failures) FILTER (p.day > last.day - 7), 0)                          AS last_7_days,
       coalesce(sum(failures) FILTER (p.day <= last.day - 7 AND p.day > last.day - 14), 0) AS previous_7_days
FROM policy_daily AS p, last
WHERE NOT report_only
GROUP BY policy
HAVING last_7_days > previous_7_days
ORDER BY last_7_days - previous_7_days DESC, policy
LIMIT 5
