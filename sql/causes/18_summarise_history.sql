-- Bring the summary of the older history (history_summary, sql/schema/007_history_summary.sql) up to
-- $until: the sign-ins it has moved past are added (aggregated with what it holds of their users), or,
-- when it cannot serve (summary_in_use is empty, 06_history_summary.sql), it is built anew. Callers run
-- it in a transaction: the summary and its state change together.
-- A run that finds it unusable builds it up to the day it starts reading (signins.analysis.tagging); every run
-- ends by moving it on to a day before the latest sign-in ($until NULL), so that the next nightly run
-- (the day after) and sign-ins Graph delivers a day late find it usable. Never later than yesterday: a
-- sign-in dated in the future would leave every later run before it. Never earlier than it was while it
-- serves (a clock set back): it would hold sign-ins past its covers_until.
CREATE OR REPLACE TEMP TABLE summary_until AS
SELECT greatest(coalesce($until,
                         least(date_trunc('day', max(created_at)), date_trunc('day', now())) - INTERVAL 1 DAY),
                (SELECT max(covers_until) FROM summary_in_use)) AS until
FROM user_signins;

-- Aggregated first, then merged with what the summary holds of those users: cheaper than passing every
-- sign-in through the merge.
CREATE OR REPLACE TEMP TABLE history_added AS
SELECT tenant_id, user_key, country_or_region, city, device_id, device_operating_system, device_browser,
       ip_address, autonomous_system_number, min(success) AS first_success, max(success) AS last_success, max(located) AS last_located
FROM user_signins
WHERE created_at >= coalesce((SELECT max(covers_until) FROM summary_in_use), '-infinity'::TIMESTAMPTZ)
  AND created_at < (SELECT until FROM summary_until)
GROUP BY ALL;

DELETE FROM history_summary WHERE NOT EXISTS (SELECT 1 FROM summary_in_use);

CREATE OR REPLACE TEMP TABLE history_merged AS
SELECT tenant_id, user_key, country_or_region, city, device_id, device_operating_system, device_browser,
       ip_address, autonomous_system_number,
       min(first_success) AS first_success, max(last_success) AS last_success, max(last_located) AS last_located
FROM (SELECT * FROM history_summary WHERE (tenant_id, user_key) IN (SELECT tenant_id, user_key FROM history_added)
      UNION ALL BY NAME SELECT * FROM history_added)
GROUP BY ALL;

DELETE FROM history_summary WHERE (tenant_id, user_key) IN (SELECT tenant_id, user_key FROM history_added);
INSERT INTO history_summary BY NAME SELECT * FROM history_merged;

DELETE FROM history_summary_state;
INSERT INTO history_summary_state
SELECT 1, until, (SELECT count(*) FROM user_signins WHERE created_at < until)
FROM summary_until WHERE until IS NOT NULL;

DROP TABLE history_added;
DROP TABLE history_merged;
DROP TABLE summary_until;
