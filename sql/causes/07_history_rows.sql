-- The pending users' sign-ins before context_from (05_pending_users.sql) that features of later sign-ins
-- still read (transforms/features.py), as the temp table history_rows:
--   - the first success with each country, city, device, IP address and network (ASN) (is_new_country,
--     is_new_city, is_new_device, fatigue_new_source, is_new_asn); the first of them all is the user's first success (has a history);
--   - the last success (hours_since_last_success);
--   - the last sign-in with coordinates (distance_km, speed_kmh).
-- First and last as signin_features orders sign-ins: by time, then id. Devices are grouped by id,
-- operating system and browser: every device key is one of those groups.
-- One aggregation by user and combination of those values (a user has few), then the firsts and lasts
-- from that. The sign-ins before the summary's covers_until come aggregated already (06_history_summary.sql):
-- the run reads only the days since. Empty for a full re-tag. A sign-in is its tenant and its id.
CREATE OR REPLACE TEMP TABLE history_rows AS
WITH combinations AS (
    SELECT tenant_id, user_key, country_or_region, city, device_id, device_operating_system, device_browser,
           ip_address, autonomous_system_number,
           min(first_success) AS first_success, max(last_success) AS last_success, max(last_located) AS last_located
    FROM (
        SELECT h.* FROM history_summary AS h
        SEMI JOIN pending_users AS p ON p.tenant_id = h.tenant_id AND p.user_key = h.user_key
        WHERE EXISTS (SELECT 1 FROM summary_in_use)
        UNION ALL BY NAME
        SELECT s.tenant_id, s.user_key, s.country_or_region, s.city, s.device_id, s.device_operating_system, s.device_browser,
               s.ip_address, s.autonomous_system_number, s.success AS first_success, s.success AS last_success,
               s.located AS last_located
        FROM user_signins AS s
        JOIN pending_users AS p ON p.tenant_id = s.tenant_id AND p.user_key = s.user_key
        WHERE s.created_at >= coalesce((SELECT max(covers_until) FROM summary_in_use), '-infinity'::TIMESTAMPTZ)
          AND s.created_at < p.context_from
    )
    GROUP BY ALL
)
SELECT tenant_id, signin_id FROM (
    SELECT tenant_id, min(first_success).id AS signin_id FROM combinations
          GROUP BY tenant_id, user_key, country_or_region
    UNION SELECT tenant_id, min(first_success).id FROM combinations GROUP BY tenant_id, user_key, city
    UNION SELECT tenant_id, min(first_success).id FROM combinations
          GROUP BY tenant_id, user_key, device_id, device_operating_system, device_browser
    UNION SELECT tenant_id, min(first_success).id FROM combinations GROUP BY tenant_id, user_key, ip_address
    UNION SELECT tenant_id, min(first_success).id FROM combinations
          GROUP BY tenant_id, user_key, autonomous_system_number
    UNION SELECT tenant_id, max(last_success).id FROM combinations GROUP BY tenant_id, user_key
    UNION SELECT tenant_id, max(last_located).id FROM combinations GROUP BY tenant_id, user_key
)
WHERE signin_id IS NOT NULL;
