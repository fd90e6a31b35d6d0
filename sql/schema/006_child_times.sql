-- Schema version 6: every child row carries the time of its sign-in.
--
-- Tagging reads the child rows of recent sign-ins only (sql/causes/10_signin_facts.sql). With the
-- sign-in's time beside them, DuckDB skips the blocks of older ones instead of aggregating every child
-- row of the store each night. Filled from the sign-ins here, and by the loader from now on.

ALTER TABLE signin_auth_steps ADD COLUMN signin_created_at TIMESTAMPTZ;
ALTER TABLE signin_ca_policies ADD COLUMN signin_created_at TIMESTAMPTZ;
ALTER TABLE signin_app_policy_evaluations ADD COLUMN signin_created_at TIMESTAMPTZ;
ALTER TABLE signin_app_device_details ADD COLUMN signin_created_at TIMESTAMPTZ;

UPDATE signin_auth_steps AS c SET signin_created_at = s.created_at FROM signins AS s WHERE s.id = c.signin_id;
UPDATE signin_ca_policies AS c SET signin_created_at = s.created_at FROM signins AS s WHERE s.id = c.signin_id;
UPDATE signin_app_policy_evaluations AS c SET signin_created_at = s.created_at
FROM signins AS s WHERE s.id = c.signin_id;
UPDATE signin_app_device_details AS c SET signin_created_at = s.created_at FROM signins AS s WHERE s.id = c.signin_id;

-- The mirrors of the child tables (005_runs.sql) follow them.
ALTER TABLE displaced_auth_steps ADD COLUMN signin_created_at TIMESTAMPTZ;
ALTER TABLE displaced_ca_policies ADD COLUMN signin_created_at TIMESTAMPTZ;
ALTER TABLE displaced_app_policy_evaluations ADD COLUMN signin_created_at TIMESTAMPTZ;
ALTER TABLE displaced_app_device_details ADD COLUMN signin_created_at TIMESTAMPTZ;

UPDATE displaced_auth_steps AS c SET signin_created_at = s.created_at FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;
UPDATE displaced_ca_policies AS c SET signin_created_at = s.created_at FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;
UPDATE displaced_app_policy_evaluations AS c SET signin_created_at = s.created_at FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;
UPDATE displaced_app_device_details AS c SET signin_created_at = s.created_at FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;
