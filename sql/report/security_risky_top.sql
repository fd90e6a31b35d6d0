-- The $top most frequent risky sign-in patterns: who, from where, with what, which risk, how it ended.
SELECT user, ip, coalesce(country_or_region, '') AS country, coalesce(app_display_name, '') AS app,
       coalesce(device_display_name, '') AS device, coalesce(risk_level_during_signin, '') AS risk_level,
       array_to_string(risk_event_types, ', ') AS risk_events,
       count(*) FILTER (error_code = 0) AS succeeded, count(*) FILTER (error_code <> 0) AS failed,
       max(created_at) AS last_at
FROM report_signins WHERE risky
GROUP BY ALL
ORDER BY succeeded + failed DESC, last_at DESC
LIMIT $top
