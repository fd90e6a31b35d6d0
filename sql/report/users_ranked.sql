-- The $top users with the most recurrent 500121, with whatever findings the cause engine made about them.
SELECT u.user, u.days_recurring, u.days_30, u.current_streak, u.longest_streak, u.attempts, u.dominant_cause,
       u.last_at, coalesce((SELECT string_agg(finding, ', ' ORDER BY finding) FROM user_findings f
                            WHERE f.user_key = u.user_key), '') AS findings
FROM report_users u WHERE u.rank <= $top ORDER BY u.rank
