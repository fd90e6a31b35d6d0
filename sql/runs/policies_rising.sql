-- The enforced Conditional Access policies whose MFA failures rose most: each tenant's last 7 days of the
-- store against the 7 before (the newest day of the whole store, so every tenant is seen on one calendar).
WITH last AS (SELECT max(day) AS day FROM policy_daily)
SELECT tenant_id, policy,
       coalesce(sum(failures) FILTER (p.day > last.day - 7), 0)                          AS last_7_days,
       coalesce(sum(failures) FILTER (p.day <= last.day - 7 AND p.day > last.day - 14), 0) AS previous_7_days
FROM policy_daily AS p, last
WHERE NOT report_only
GROUP BY tenant_id, policy
HAVING last_7_days > previous_7_days
ORDER BY last_7_days - previous_7_days DESC, tenant_id, policy
LIMIT 5
