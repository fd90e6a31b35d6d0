-- The report's window [since, until) and the settings the tags were made with. The default window is the
-- 30 whole UTC days ending with the newest day that holds a real share of sign-ins (at least 1 % of the
-- median day's), so a few records with outlying future dates do not move it; an empty store ends today.
WITH days AS (
    SELECT epoch_us(created_at) // 86400000000 AS utc_day, count(*) AS signins FROM signins GROUP BY ALL
),
newest AS (
    SELECT coalesce(DATE '1970-01-01' + CAST(max(utc_day) FILTER (signins >= 0.01 * (SELECT median(signins) FROM days))
                                             AS INTEGER), current_date) + 1 AS day_after
    FROM days
)
SELECT coalesce($since, coalesce($until, day_after::TIMESTAMPTZ) - INTERVAL 30 DAY) AS since,
       coalesce($until, day_after::TIMESTAMPTZ) AS until,
       (SELECT thresholds FROM tag_state WHERE id = 1) AS thresholds
FROM newest
