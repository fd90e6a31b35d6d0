-- The raw records of a staged batch (load/30_stage_signins.sql), when an earlier attempt began to load one of
-- its files: the primary key skips the records it wrote already, a lookup in its index per record, where a
-- scan of the file's stored records grew with the file (quadratic in it).
INSERT OR IGNORE INTO raw_records SELECT * FROM batch_raw_records();
