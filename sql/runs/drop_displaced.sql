-- The versions a run ($run) replaced, kept aside while it could be undone (sql/load/42_keep_displaced.sql):
-- let go once the run is kept.

DELETE FROM displaced_signins WHERE run_name = $run;
DELETE FROM displaced_auth_steps WHERE run_name = $run;
DELETE FROM displaced_ca_policies WHERE run_name = $run;
DELETE FROM displaced_app_policy_evaluations WHERE run_name = $run;
DELETE FROM displaced_app_device_details WHERE run_name = $run;
