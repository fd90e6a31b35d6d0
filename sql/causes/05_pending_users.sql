-- The users a tagging run must (re-)tag, and which part of their history it reads. A user is a tenant and
-- a user key (the user's id, else the lower-case user principal name), as in 10_signin_facts.sql: the
-- same key in two tenants is two users, whose histories never meet.
--
-- $since NULL (a full re-tag): every user, all of their sign-ins (the windows are NULL). $tenant: only
-- that tenant's users (NULL: every tenant's).
-- Else every user with a sign-in loaded after $since, and each user with a 500121 failure in the hour
-- after a wrong password loaded since from the same IP. Features look at the user's own history, and only
-- so far ahead and back (transforms/FEATURES.md, signins.analysis.tagging.HistoryReach), so the run re-tags the
-- user's sign-ins from retag_from on (the earliest sign-in loaded, less the furthest a feature looks
-- ahead), reading every sign-in from context_from on, the 500121 failures from failures_from on, and
-- from the older history only the sign-ins that still decide a feature (07_history_rows.sql).
CREATE OR REPLACE TEMP TABLE pending_users AS
WITH changed AS (
    SELECT tenant_id, user_key, CASE WHEN $since IS NOT NULL THEN min(retag_at) END AS retag_from
    FROM (
        SELECT tenant_id, coalesce(user_id, lower(user_principal_name)) AS user_key,
               created_at - $retag_margin AS retag_at
        FROM signins
        WHERE event_type IN ('interactiveUser', 'nonInteractiveUser') AND ($since IS NULL OR loaded_at > $since)
          AND ($tenant IS NULL OR tenant_id = $tenant)
        UNION ALL
        -- a wrong password (50126) loaded now changes how many users failed a password from its IP in the
        -- hour before each 500121 failure from that IP (10_signin_facts.sql), whoever's they are
        SELECT f.tenant_id, coalesce(f.user_id, lower(f.user_principal_name)), f.created_at
        FROM signins AS p
        JOIN signins AS f ON f.tenant_id = p.tenant_id AND f.ip_address = p.ip_address
         AND f.created_at >= p.created_at AND f.created_at < p.created_at + INTERVAL 1 HOUR
        WHERE $since IS NOT NULL AND p.loaded_at > $since AND p.error_code = 50126 AND f.error_code = 500121
          AND f.event_type IN ('interactiveUser', 'nonInteractiveUser') AND ($tenant IS NULL OR f.tenant_id = $tenant)
    )
    WHERE user_key IS NOT NULL
    GROUP BY tenant_id, user_key
),
windows AS (
    SELECT tenant_id, user_key, retag_from, retag_from - $context_margin AS context_from,
           retag_from - $failures_margin AS failures_from
    FROM changed
)
SELECT w.*, count(*) AS n   -- the sign-ins the run reads for the user, the older history's few aside
FROM windows AS w
JOIN signins AS s ON s.tenant_id = w.tenant_id AND coalesce(s.user_id, lower(s.user_principal_name)) = w.user_key
WHERE s.event_type IN ('interactiveUser', 'nonInteractiveUser')
  AND s.created_at >= coalesce((SELECT min(failures_from) FROM windows), '-infinity'::TIMESTAMPTZ)
  AND (w.context_from IS NULL OR s.created_at >= w.context_from
       OR (s.error_code = 500121 AND s.created_at >= w.failures_from))
GROUP BY ALL;
