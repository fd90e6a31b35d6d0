-- Per primary cause, attempts in the window's last 7 days against the 7 days before.
SELECT primary_cause AS cause,
       count(DISTINCT attempt) FILTER (created_at >= $until - INTERVAL 7 DAY) AS this_week,
       count(DISTINCT attempt) FILTER (created_at < $until - INTERVAL 7 DAY) AS week_before
FROM report_failures
WHERE created_at >= $until - INTERVAL 14 DAY
GROUP BY cause
ORDER BY this_week - week_before DESC, cause
