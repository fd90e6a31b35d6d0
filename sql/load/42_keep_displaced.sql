-- A run landing in the store ($run) keeps the stored versions its batch is about to replace (temp table
-- `winners` of 40_winners.sql), with their child rows (and so their policy lists), so that undoing the run puts them back
-- (sql/runs/undo.sql). Not the versions the run wrote itself (a sign-in it added, replaced again by a
-- later batch): the store had no version of those before the run, and has none after its undo.

CREATE OR REPLACE TEMP TABLE displacing AS
SELECT s.id
FROM signins AS s
WHERE s.id IN (SELECT id FROM winners WHERE NOT is_new)
  AND s.record_key NOT IN (SELECT r.record_key FROM raw_records AS r
                           JOIN run_ingests AS i ON i.ingest_id = r.ingest_id AND i.run_name = $run);

INSERT INTO displaced_signins SELECT $run, * FROM signins WHERE id IN (SELECT id FROM displacing);
INSERT INTO displaced_auth_steps SELECT $run, * FROM signin_auth_steps WHERE signin_id IN (SELECT id FROM displacing);
INSERT INTO displaced_app_policy_evaluations
SELECT $run, * FROM signin_app_policy_evaluations WHERE signin_id IN (SELECT id FROM displacing);
INSERT INTO displaced_app_device_details
SELECT $run, * FROM signin_app_device_details WHERE signin_id IN (SELECT id FROM displacing);
