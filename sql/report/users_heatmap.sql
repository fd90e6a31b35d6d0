-- 500121 attempts per user and UTC day for the $top most recurrent users.
SELECT u.user, u.rank, f.day, count(DISTINCT f.attempt) AS attempts
FROM report_failures f JOIN report_users u USING (user_key)
WHERE u.rank <= $top
GROUP BY ALL ORDER BY u.rank, f.day
