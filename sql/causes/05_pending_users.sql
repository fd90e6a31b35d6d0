-- The users a tagging run must (re-)tag, with how many sign-ins each has: every user with a sign-in
-- loaded after $since (all users when $since is NULL). The user key must match 10_signin_facts.sql.
CREATE OR REPLACE TEMP TABLE pending_users AS
SELECT coalesce(user_id, lower(user_principal_name)) AS user_key, count(*) AS n
FROM signins
WHERE event_type IN ('interactiveUser', 'nonInteractiveUser')
  AND coalesce(user_id, lower(user_principal_name)) IN (
      SELECT coalesce(user_id, lower(user_principal_name)) FROM signins
      WHERE $since IS NULL OR loaded_at > $since)
GROUP BY ALL;
