-- The users' sign-ins (interactive or not) by tenant and user key, as the view user_signins: a success, and a sign-in
-- with coordinates, also as its (time, id), the order signin_features gives sign-ins. The older history
-- (07_history_rows.sql) and its summary (18_summarise_history.sql) are aggregates of those.
CREATE OR REPLACE TEMP VIEW user_signins AS
SELECT tenant_id, coalesce(user_id, lower(user_principal_name)) AS user_key, id, created_at,
       country_or_region, city, device_id, device_operating_system, device_browser, ip_address,
       autonomous_system_number,
       CASE WHEN error_code = 0 THEN {'at': created_at, 'id': id} END AS success,
       CASE WHEN latitude IS NOT NULL AND NOT (latitude = 0 AND longitude = 0) THEN {'at': created_at, 'id': id} END
           AS located
FROM signins
WHERE event_type IN ('interactiveUser', 'nonInteractiveUser')
  AND coalesce(user_id, lower(user_principal_name)) IS NOT NULL;

-- The summary of the older history (history_summary, sql/schema/007_history_summary.sql) serves an
-- incremental run if it still holds exactly the sign-ins before its covers_until, and the run reads
-- nothing before that. A sign-in loaded since the last run (a late one, or a new version of one) re-tags
-- its user from before it (05_pending_users.sql), so one before covers_until fails the first test; a
-- sign-in removed (or a new version moved past covers_until) fails the count. Then summary_in_use is
-- empty, 07 reads the whole older history, and 18 builds the summary anew.
CREATE OR REPLACE TEMP TABLE summary_in_use AS
SELECT st.covers_until
FROM history_summary_state AS st
WHERE $since IS NOT NULL
  AND st.covers_until <= coalesce((SELECT min(context_from) FROM pending_users), 'infinity'::TIMESTAMPTZ)
  AND st.signins = (SELECT count(*) FROM user_signins WHERE created_at < st.covers_until);
