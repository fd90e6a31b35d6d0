-- The raw records of a staged batch (load/30_stage_signins.sql), from a file an earlier attempt began to
-- load: the primary key skips the records it wrote already, a lookup in its index per record, where a
-- scan of the file's stored records grew with the file (quadratic in it).
INSERT OR IGNORE INTO raw_records SELECT * FROM batch_raw_records($file_sha256, $ingest_id);
