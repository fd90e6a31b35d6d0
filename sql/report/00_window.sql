-- The report's window [since, until) and the settings the tags were made with. The default window is
-- the 30 whole UTC days ending with the day of the newest sign-in (today for an empty store), so daily
-- charts have full days.
WITH newest AS (
    SELECT coalesce(max(created_at)::DATE, current_date) + 1 AS day_after FROM signins
)
SELECT coalesce($since, coalesce($until, day_after::TIMESTAMPTZ) - INTERVAL 30 DAY) AS since,
       coalesce($until, day_after::TIMESTAMPTZ) AS until,
       (SELECT thresholds FROM tag_state WHERE id = 1) AS thresholds
FROM newest
