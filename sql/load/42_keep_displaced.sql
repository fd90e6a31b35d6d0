-- A run landing in the store ($run) keeps the stored versions its batch is about to replace (temp table
-- `winners` of 40_winners.sql), with their child rows (and so their policy lists), so that undoing the run puts them back
-- (sql/runs/undo.sql). Not the versions the run wrote itself (a sign-in it added, replaced again by a
-- later batch): the store had no version of those before the run, and has none after its undo.

CREATE OR REPLACE TEMP TABLE displacing AS
SELECT s.tenant_id, s.id
FROM signins AS s SEMI JOIN (SELECT tenant_id, id FROM winners WHERE NOT is_new) USING (tenant_id, id)
WHERE s.record_key NOT IN (SELECT r.record_key FROM raw_records AS r
                           JOIN run_ingests AS i ON i.ingest_id = r.ingest_id AND i.run_name = $run);

INSERT INTO displaced_signins SELECT $run, * FROM signins SEMI JOIN displacing USING (tenant_id, id);
INSERT INTO displaced_auth_steps
SELECT $run, c.* FROM signin_auth_steps AS c SEMI JOIN displacing AS d ON d.tenant_id = c.tenant_id AND d.id = c.signin_id;
INSERT INTO displaced_app_policy_evaluations
SELECT $run, c.* FROM signin_app_policy_evaluations AS c
SEMI JOIN displacing AS d ON d.tenant_id = c.tenant_id AND d.id = c.signin_id;
INSERT INTO displaced_app_device_details
SELECT $run, c.* FROM signin_app_device_details AS c
SEMI JOIN displacing AS d ON d.tenant_id = c.tenant_id AND d.id = c.signin_id;
