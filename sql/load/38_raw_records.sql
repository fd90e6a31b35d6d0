-- The raw records of a staged batch (load/30_stage_signins.sql), from files no earlier attempt began to
-- load (no raw_files row before this load): none can be stored already, and a plain insert costs far
-- less than one that skips conflicts (38_raw_records_resumed.sql).
INSERT INTO raw_records SELECT * FROM batch_raw_records();
