-- 500121 attempts by UTC weekday (1 = Monday) and hour.
SELECT isodow(created_at) AS weekday, hour(created_at) AS hour, count(DISTINCT attempt) AS attempts
FROM report_failures GROUP BY ALL ORDER BY weekday, hour
