-- The staged sign-in rows (load/20_staged_records.sql without its nested child lists, registered as
-- `stg_records` with each record's key, file hash and ingest id), without the candidates the batch did
-- not accept: those were handed back to Python (signins.ingest.writer).

CREATE OR REPLACE TEMP VIEW stg_signins AS
SELECT * EXCLUDE (file, locator, line, byte_offset, byte_length, accepted, file_sha256, ingest_id)
FROM stg_records
WHERE accepted;

-- The raw records of the staged batch, as rows of raw_records (load/38_raw_records*.sql).
CREATE OR REPLACE TEMP MACRO batch_raw_records() AS TABLE
SELECT record_key, file_sha256, locator, line, byte_offset, byte_length, source_format, event_type,
       tenant_id, id, created_at, completeness, ingest_id, now()
FROM stg_records
WHERE accepted;
