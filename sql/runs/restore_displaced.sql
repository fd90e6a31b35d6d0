-- Put back the versions a run ($run) replaced (sql/load/42_keep_displaced.sql), with their child rows, for
-- the sign-ins in temp table `restoring` (id), whose run versions are gone: all of them when the run is
-- undone (sql/runs/undo.sql), those the gates quarantined (signins/runs/gates.py).

INSERT INTO signins SELECT * EXCLUDE (run_name) FROM displaced_signins
WHERE run_name = $run AND id IN (SELECT id FROM restoring);
INSERT INTO signin_auth_steps SELECT * EXCLUDE (run_name) FROM displaced_auth_steps
WHERE run_name = $run AND signin_id IN (SELECT id FROM restoring);
INSERT INTO signin_app_policy_evaluations SELECT * EXCLUDE (run_name) FROM displaced_app_policy_evaluations
WHERE run_name = $run AND signin_id IN (SELECT id FROM restoring);
INSERT INTO signin_app_device_details SELECT * EXCLUDE (run_name) FROM displaced_app_device_details
WHERE run_name = $run AND signin_id IN (SELECT id FROM restoring);

DELETE FROM displaced_signins WHERE run_name = $run AND id IN (SELECT id FROM restoring);
DELETE FROM displaced_auth_steps WHERE run_name = $run AND signin_id IN (SELECT id FROM restoring);
DELETE FROM displaced_app_policy_evaluations WHERE run_name = $run AND signin_id IN (SELECT id FROM restoring);
DELETE FROM displaced_app_device_details WHERE run_name = $run AND signin_id IN (SELECT id FROM restoring);
