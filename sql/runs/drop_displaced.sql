-- The versions a run ($run) replaced, kept aside while it could be undone (sql/load/42_keep_displaced.sql):
-- let go once the run is kept.

CREATE OR REPLACE TEMP TABLE released_ca_sets AS   -- for sql/ca_sets/drop_released.sql
SELECT DISTINCT ca_set FROM displaced_signins WHERE run_name = $run AND ca_set IS NOT NULL;
DELETE FROM displaced_signins WHERE run_name = $run;
DELETE FROM displaced_auth_steps WHERE run_name = $run;
DELETE FROM displaced_app_policy_evaluations WHERE run_name = $run;
DELETE FROM displaced_app_device_details WHERE run_name = $run;
