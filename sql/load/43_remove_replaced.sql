-- Merge the staged batch into the store: the stored versions the winners replace (temp table `winners`,
-- from 40_winners.sql) are removed, child rows with them, and their policy lists noted for
-- sql/ca_sets/drop_released.sql, run after 45_replace.sql. Only run when a winner replaces one.

CREATE OR REPLACE TEMP TABLE released_ca_sets AS
SELECT DISTINCT ca_set FROM signins WHERE id IN (SELECT id FROM winners WHERE NOT is_new) AND ca_set IS NOT NULL;

DELETE FROM signins WHERE id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_auth_steps WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_app_policy_evaluations WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
DELETE FROM signin_app_device_details WHERE signin_id IN (SELECT id FROM winners WHERE NOT is_new);
