-- What the gates check: what a run landing in the store ($run; signins/runs/landing.py) wrote there, the raw
-- records of the files it read and the sign-in versions now stored from them. The times only let
-- DuckDB skip the blocks older than the run; the ingest ids decide.
CREATE OR REPLACE TEMP TABLE gate_ingests AS SELECT ingest_id FROM run_ingests WHERE run_name = $run;
CREATE OR REPLACE TEMP TABLE gate_run AS SELECT started_at FROM runs WHERE run_name = $run;
CREATE OR REPLACE TEMP VIEW gate_raw_records AS
SELECT * FROM raw_records
WHERE ingested_at >= (SELECT started_at FROM gate_run)
  AND ingest_id IN (SELECT ingest_id FROM gate_ingests);
CREATE OR REPLACE TEMP VIEW gate_signins AS
SELECT * FROM signins
WHERE loaded_at >= (SELECT started_at FROM gate_run)
  AND record_key IN (SELECT record_key FROM gate_raw_records);
