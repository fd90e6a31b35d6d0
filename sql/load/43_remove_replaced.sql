-- Merge the staged batch into the store: the stored versions the winners replace (temp table `winners`,
-- from 40_winners.sql) are removed, child rows with them, and their policy lists noted for
-- sql/ca_sets/drop_released.sql, run after 45_replace.sql. Only run when a winner replaces one.

CREATE OR REPLACE TEMP TABLE replaced AS SELECT tenant_id, id FROM winners WHERE NOT is_new;

CREATE OR REPLACE TEMP TABLE released_ca_sets AS
SELECT DISTINCT ca_set FROM signins SEMI JOIN replaced USING (tenant_id, id) WHERE ca_set IS NOT NULL;

DELETE FROM signins AS s USING replaced AS r WHERE s.tenant_id = r.tenant_id AND s.id = r.id;
DELETE FROM signin_auth_steps AS c USING replaced AS r WHERE c.tenant_id = r.tenant_id AND c.signin_id = r.id;
DELETE FROM signin_app_policy_evaluations AS c USING replaced AS r
WHERE c.tenant_id = r.tenant_id AND c.signin_id = r.id;
DELETE FROM signin_app_device_details AS c USING replaced AS r WHERE c.tenant_id = r.tenant_id AND c.signin_id = r.id;
