-- Every user who failed MFA (500121) in the window, recurring users first, with the findings about them.
SELECT tenant_id, user_key, user, recurring, recurring_since, days_recurring, days_30, current_streak,
       longest_streak, attempts, dominant_cause, verdict, first_at, last_at, findings
FROM report_users ORDER BY rank
