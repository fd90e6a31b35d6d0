-- 500121 attempts and users per country or region (every one, most attempts first).
SELECT country AS value, count(DISTINCT attempt) AS attempts, count(DISTINCT user_key) AS users
FROM report_failures GROUP BY country ORDER BY attempts DESC, value
