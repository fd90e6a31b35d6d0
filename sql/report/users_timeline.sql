-- Each failure of the $top most recurrent users, per hour and primary cause (so repeats stack).
SELECT u.user, u.rank, date_trunc('hour', f.created_at) AS hour, f.primary_cause AS cause,
       count(DISTINCT f.attempt) AS attempts
FROM report_failures f JOIN report_users u USING (user_key)
WHERE u.rank <= $top
GROUP BY ALL ORDER BY u.rank, hour, cause
