-- The pending users' sign-ins before context_from (05_pending_users.sql) that features of later sign-ins
-- still read (transforms/features.py), as the temp table history_rows:
--   - the first success with each country, city, device and IP address (is_new_country, is_new_city,
--     is_new_device, fatigue_new_source); the first of them all is the user's first success (has a history);
--   - the last success (hours_since_last_success);
--   - the last sign-in with coordinates (distance_km, speed_kmh), last as signin_features orders sign-ins:
--     by time, then id (the others are read for their time only).
-- Devices are grouped by id, operating system and browser: every device key is one of those groups.
-- One pass over the older history, by user and combination of those values (a user has few), then the
-- firsts and lasts from that. Empty for a full re-tag.
CREATE OR REPLACE TEMP TABLE history_rows AS
WITH older AS (
    SELECT s.id, s.created_at, p.user_key, s.error_code = 0 AS success, s.country_or_region, s.city,
           s.device_id, s.device_operating_system, s.device_browser, s.ip_address,
           s.latitude IS NOT NULL AND NOT (s.latitude = 0 AND s.longitude = 0) AS has_coordinates
    FROM signins AS s
    JOIN pending_users AS p ON p.user_key = coalesce(s.user_id, lower(s.user_principal_name))
    WHERE s.event_type IN ('interactiveUser', 'nonInteractiveUser') AND s.created_at < p.context_from
),
combinations AS (
    SELECT user_key, country_or_region, city, device_id, device_operating_system, device_browser, ip_address,
           arg_min(id, created_at) FILTER (success)            AS first_success,
           min(created_at) FILTER (success)                    AS first_success_at,
           arg_max(id, created_at) FILTER (success)            AS last_success,
           max(created_at) FILTER (success)                    AS last_success_at,
           arg_max(id, (created_at, id)) FILTER (has_coordinates) AS last_located,
           max((created_at, id)) FILTER (has_coordinates)     AS last_located_order
    FROM older
    GROUP BY ALL
)
SELECT signin_id FROM (
    SELECT arg_min(first_success, first_success_at) AS signin_id FROM combinations GROUP BY user_key, country_or_region
    UNION SELECT arg_min(first_success, first_success_at) FROM combinations GROUP BY user_key, city
    UNION SELECT arg_min(first_success, first_success_at) FROM combinations
          GROUP BY user_key, device_id, device_operating_system, device_browser
    UNION SELECT arg_min(first_success, first_success_at) FROM combinations GROUP BY user_key, ip_address
    UNION SELECT arg_max(last_success, last_success_at) FROM combinations GROUP BY user_key
    UNION SELECT arg_max(last_located, last_located_order) FROM combinations GROUP BY user_key
)
WHERE signin_id IS NOT NULL;
