-- 500121 attempts (distinct correlation ids) per UTC day and primary cause.
SELECT day, primary_cause AS cause, count(DISTINCT attempt) AS attempts
FROM report_failures GROUP BY ALL ORDER BY day, cause
