-- What the gates check: a staging store, whole (signins.ingest.staging).
CREATE OR REPLACE TEMP VIEW gate_raw_records AS SELECT * FROM raw_records;
CREATE OR REPLACE TEMP VIEW gate_signins AS SELECT * FROM signins;
