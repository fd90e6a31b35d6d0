-- Put back the versions a run ($run) replaced (sql/load/42_keep_displaced.sql), with their child rows, for
-- the sign-ins in temp table `restoring` (tenant_id, id), whose run versions are gone: all of them when
-- the run is undone (sql/runs/undo.sql), those the gates quarantined (signins/runs/gates.py).

INSERT INTO signins SELECT * EXCLUDE (run_name) FROM displaced_signins SEMI JOIN restoring USING (tenant_id, id)
WHERE run_name = $run;
INSERT INTO signin_auth_steps SELECT c.* EXCLUDE (run_name) FROM displaced_auth_steps AS c
SEMI JOIN restoring AS r ON r.tenant_id = c.tenant_id AND r.id = c.signin_id WHERE c.run_name = $run;
INSERT INTO signin_app_policy_evaluations SELECT c.* EXCLUDE (run_name) FROM displaced_app_policy_evaluations AS c
SEMI JOIN restoring AS r ON r.tenant_id = c.tenant_id AND r.id = c.signin_id WHERE c.run_name = $run;
INSERT INTO signin_app_device_details SELECT c.* EXCLUDE (run_name) FROM displaced_app_device_details AS c
SEMI JOIN restoring AS r ON r.tenant_id = c.tenant_id AND r.id = c.signin_id WHERE c.run_name = $run;

DELETE FROM displaced_signins AS d USING restoring AS r
WHERE d.run_name = $run AND d.tenant_id = r.tenant_id AND d.id = r.id;
DELETE FROM displaced_auth_steps AS c USING restoring AS r
WHERE c.run_name = $run AND c.tenant_id = r.tenant_id AND c.signin_id = r.id;
DELETE FROM displaced_app_policy_evaluations AS c USING restoring AS r
WHERE c.run_name = $run AND c.tenant_id = r.tenant_id AND c.signin_id = r.id;
DELETE FROM displaced_app_device_details AS c USING restoring AS r
WHERE c.run_name = $run AND c.tenant_id = r.tenant_id AND c.signin_id = r.id;
