-- Merge the staged batch into the store, second half: the winning versions (temp table `winners`, from
-- 40_winners.sql) replace the stored ones, child rows with them.

DELETE FROM signins WHERE id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_auth_steps WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_ca_policies WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_app_policy_evaluations WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_app_device_details WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);

INSERT INTO signins BY NAME SELECT s.* EXCLUDE (rn) FROM stg_signins s SEMI JOIN winners w ON w.rn = s.rn;

INSERT INTO signin_auth_steps BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_auth_steps c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_ca_policies BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_ca_policies c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_app_policy_evaluations BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_app_policy_evaluations c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_app_device_details BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_app_device_details c SEMI JOIN winners w ON w.rn = c.rn;
