-- Headline numbers of the window: user sign-ins, 500121 rows, attempts and users.
SELECT (SELECT count(*) FROM signins WHERE created_at >= $since AND created_at < $until
          AND event_type IN ('interactiveUser', 'nonInteractiveUser')) AS signins,
       count(*) AS failures, count(DISTINCT attempt) AS attempts, count(DISTINCT user_key) AS users
FROM report_failures
