-- Merge the staged batch into the store: the winning versions (temp table `winners`, from 40_winners.sql)
-- are inserted, child rows with them, where 43_remove_replaced.sql removed the versions they replace.

INSERT INTO signins BY NAME SELECT s.* EXCLUDE (rn) FROM stg_signins s SEMI JOIN winners w ON w.rn = s.rn;

INSERT INTO signin_auth_steps BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_auth_steps c SEMI JOIN winners w ON w.rn = c.rn;
-- The policy lists the winners use that the store does not hold yet. (Keys come from Arrow as text.)
INSERT INTO ca_policy_sets BY NAME
SELECT * REPLACE (ca_set::UUID AS ca_set) FROM stg_ca_sets
WHERE ca_set::UUID IN (SELECT s.ca_set::UUID FROM stg_signins s SEMI JOIN winners w ON w.rn = s.rn)
  AND ca_set::UUID NOT IN (SELECT ca_set FROM ca_policy_sets);
INSERT INTO signin_app_policy_evaluations BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_app_policy_evaluations c SEMI JOIN winners w ON w.rn = c.rn;
INSERT INTO signin_app_device_details BY NAME
SELECT c.* EXCLUDE (rn) FROM stg_app_device_details c SEMI JOIN winners w ON w.rn = c.rn;
