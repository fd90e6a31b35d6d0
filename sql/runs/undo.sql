-- Undo a run that landed files in the store ($run; signins/runs/landing.py), in one transaction: the store
-- becomes what it was before the run. What the run wrote is known by the ingest ids of the files it read
-- (run_ingests); the versions it replaced were kept aside (displaced_*, sql/load/42_keep_displaced.sql)
-- and are put back by sql/runs/restore_displaced.sql, which runs after this script.
-- Rows it found already there (a record or quarantined line an interrupted ingest wrote) stay: the
-- writers hold the run lock, so nothing else wrote since the run started. Quarantined lines and file
-- rows are told apart by time (a clock set back during the run would leave some of the run's: the rerun
-- finds them as it finds an interrupted ingest's).

CREATE OR REPLACE TEMP TABLE undo_ingests AS
SELECT ingest_id, file_sha256 FROM run_ingests WHERE run_name = $run;
CREATE OR REPLACE TEMP TABLE undo_records AS
SELECT record_key FROM raw_records WHERE ingest_id IN (SELECT ingest_id FROM undo_ingests);
-- the sign-ins whose stored version is the run's
CREATE OR REPLACE TEMP TABLE undo_signins AS
SELECT tenant_id, id FROM signins WHERE record_key IN (SELECT record_key FROM undo_records);

-- Tags of the run's versions (a `signins tag` ran between a crash and this undo): the next tagging starts over.
DELETE FROM tag_state
WHERE EXISTS (SELECT 1 FROM cause_tags AS t SEMI JOIN undo_signins AS u ON u.tenant_id = t.tenant_id AND u.id = t.signin_id);
DELETE FROM cause_tags AS t USING undo_signins AS u WHERE t.tenant_id = u.tenant_id AND t.signin_id = u.id;

CREATE OR REPLACE TEMP TABLE released_ca_sets AS   -- for sql/ca_sets/drop_released.sql
SELECT DISTINCT ca_set FROM signins SEMI JOIN undo_signins USING (tenant_id, id) WHERE ca_set IS NOT NULL;
DELETE FROM signins AS s USING undo_signins AS u WHERE s.tenant_id = u.tenant_id AND s.id = u.id;
DELETE FROM signin_auth_steps AS c USING undo_signins AS u WHERE c.tenant_id = u.tenant_id AND c.signin_id = u.id;
DELETE FROM signin_app_policy_evaluations AS c USING undo_signins AS u
WHERE c.tenant_id = u.tenant_id AND c.signin_id = u.id;
DELETE FROM signin_app_device_details AS c USING undo_signins AS u
WHERE c.tenant_id = u.tenant_id AND c.signin_id = u.id;

-- the versions it replaced come back (sql/runs/restore_displaced.sql, run next)
CREATE OR REPLACE TEMP TABLE restoring AS SELECT tenant_id, id FROM displaced_signins WHERE run_name = $run;

DELETE FROM raw_records WHERE record_key IN (SELECT record_key FROM undo_records);
DELETE FROM quarantine
WHERE file_sha256 IN (SELECT file_sha256 FROM undo_ingests)
  AND quarantined_at >= (SELECT started_at FROM runs WHERE run_name = $run);
DELETE FROM raw_files
WHERE file_sha256 IN (SELECT file_sha256 FROM undo_ingests)
  AND first_seen_at >= (SELECT started_at FROM runs WHERE run_name = $run);
DELETE FROM ingest_log WHERE ingest_id IN (SELECT ingest_id FROM undo_ingests);
DELETE FROM run_ingests WHERE run_name = $run;

UPDATE runs SET state = 'undone', ended_at = now() WHERE run_name = $run;
