-- Merge the staged batch into the store. Per sign-in id the most complete version wins (ties keep what
-- is stored, so re-ingesting changes nothing); the raw layer keeps every version.

-- The primary key skips records of the file that an interrupted run wrote already: a lookup in its
-- index per record, where a scan of the file's stored records grew with the file (quadratic in it).
INSERT OR IGNORE INTO raw_records
SELECT record_key, $file_sha256, locator, line, byte_offset, byte_length, source_format, event_type,
       tenant_id, id, created_at, completeness, $ingest_id, now()
FROM stg_records
WHERE accepted;

-- Narrow on purpose: the wide staged rows are copied once, into signins.
CREATE OR REPLACE TEMP TABLE winners AS
WITH best AS (
    SELECT rn, id, completeness FROM stg_signins
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY completeness DESC, record_key) = 1
)
SELECT best.rn, best.id, stored.id IS NULL AS is_new
FROM best LEFT JOIN signins AS stored ON stored.id = best.id
WHERE stored.id IS NULL OR best.completeness > stored.completeness;

DELETE FROM signins WHERE id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_auth_steps WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_ca_policies WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_app_policy_evaluations WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_app_device_details WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);

INSERT INTO signins BY NAME SELECT s.* EXCLUDE (rn) FROM stg_signins s SEMI JOIN winners w ON w.rn = s.rn;

INSERT INTO signin_auth_steps BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_auth_steps c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_ca_policies BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_ca_policies c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_app_policy_evaluations BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_app_policy_evaluations c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_app_device_details BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_app_device_details c SEMI JOIN winners w ON w.rn = c.rn;
