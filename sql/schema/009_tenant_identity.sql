-- Schema version 9: a sign-in is identified by its tenant and its id.
--
-- Sign-in ids were the key on their own, so a file loaded for one tenant that reused another tenant's ids
-- replaced that tenant's sign-ins. Now (tenant_id, id) is the key of `signins`, and every table that
-- names a sign-in (its child rows, the versions a run keeps aside, the cause tags) names its tenant too.
-- A sign-in whose tenant nobody knows (a file without tenant ids, loaded without --tenant) has the tenant
-- '' (the empty string): a key cannot hold NULL.
--
-- Of the versions of one sign-in, the store keeps the most complete, then the one of the smaller
-- version_hash (a hash of the version's text as loaded; sql/load/40_winners.sql). A version stored before
-- this schema has none: an equally complete version does not replace it.

UPDATE raw_records SET tenant_id = '' WHERE tenant_id IS NULL;

-- The sign-ins, keyed anew (a primary key cannot be altered): same columns, tenant_id NOT NULL, kept in
-- time order as the loader writes them (its merge reads the blocks of a batch's time span).
CREATE TABLE signins_keyed AS SELECT * FROM signins LIMIT 0;
ALTER TABLE signins_keyed ALTER tenant_id SET NOT NULL;
ALTER TABLE signins_keyed ALTER created_at SET NOT NULL;
ALTER TABLE signins_keyed ALTER event_type SET NOT NULL;
ALTER TABLE signins_keyed ALTER source_format SET NOT NULL;
ALTER TABLE signins_keyed ALTER record_key SET NOT NULL;
ALTER TABLE signins_keyed ALTER completeness SET NOT NULL;
ALTER TABLE signins_keyed ALTER loaded_at SET NOT NULL;
ALTER TABLE signins_keyed ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE signins_keyed ADD COLUMN version_hash UBIGINT;
INSERT INTO signins_keyed SELECT * REPLACE (coalesce(tenant_id, '') AS tenant_id), NULL FROM signins ORDER BY created_at;

UPDATE displaced_signins SET tenant_id = '' WHERE tenant_id IS NULL;
ALTER TABLE displaced_signins ADD COLUMN version_hash UBIGINT;

-- Child rows and their mirrors (005_runs.sql) carry their sign-in's tenant (as they carry its time).
ALTER TABLE signin_auth_steps ADD COLUMN tenant_id VARCHAR;
ALTER TABLE signin_app_policy_evaluations ADD COLUMN tenant_id VARCHAR;
ALTER TABLE displaced_auth_steps ADD COLUMN tenant_id VARCHAR;
ALTER TABLE displaced_app_policy_evaluations ADD COLUMN tenant_id VARCHAR;
ALTER TABLE displaced_app_device_details ADD COLUMN tenant_id VARCHAR;

UPDATE signin_auth_steps AS c SET tenant_id = s.tenant_id FROM signins_keyed AS s WHERE s.id = c.signin_id;
UPDATE signin_app_policy_evaluations AS c SET tenant_id = s.tenant_id
FROM signins_keyed AS s WHERE s.id = c.signin_id;
UPDATE displaced_auth_steps AS c SET tenant_id = s.tenant_id FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;
UPDATE displaced_app_policy_evaluations AS c SET tenant_id = s.tenant_id FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;
UPDATE displaced_app_device_details AS c SET tenant_id = s.tenant_id FROM displaced_signins AS s
WHERE s.run_name = c.run_name AND s.id = c.signin_id;

-- The Authenticator details were keyed by sign-in id: keyed anew by (tenant_id, signin_id).
CREATE TABLE app_device_keyed AS SELECT *, ''::VARCHAR AS tenant_id FROM signin_app_device_details LIMIT 0;
ALTER TABLE app_device_keyed ALTER signin_id SET NOT NULL;
ALTER TABLE app_device_keyed ALTER tenant_id SET NOT NULL;
ALTER TABLE app_device_keyed ADD PRIMARY KEY (tenant_id, signin_id);
INSERT INTO app_device_keyed
SELECT c.*, s.tenant_id FROM signin_app_device_details AS c JOIN signins_keyed AS s ON s.id = c.signin_id
ORDER BY c.signin_created_at;

-- The cause tags, keyed by (tenant_id, signin_id): a tag takes the tenant of its sign-in.
CREATE TABLE cause_tags_keyed AS SELECT *, ''::VARCHAR AS tenant_id FROM cause_tags LIMIT 0;
ALTER TABLE cause_tags_keyed ALTER signin_id SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER tenant_id SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER user_key SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER created_at SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER error_code SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER primary_cause SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER causes SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER confidence SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER evidence SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER fix SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER success_within_hour SET NOT NULL;
ALTER TABLE cause_tags_keyed ALTER tagged_at SET NOT NULL;
ALTER TABLE cause_tags_keyed ADD PRIMARY KEY (tenant_id, signin_id);
INSERT INTO cause_tags_keyed
SELECT t.*, coalesce(s.tenant_id, '') FROM cause_tags AS t LEFT JOIN signins_keyed AS s ON s.id = t.signin_id;

DROP VIEW signin_ca_policies;
DROP TABLE signins;
ALTER TABLE signins_keyed RENAME TO signins;
DROP TABLE signin_app_device_details;
ALTER TABLE app_device_keyed RENAME TO signin_app_device_details;
DROP TABLE cause_tags;
ALTER TABLE cause_tags_keyed RENAME TO cause_tags;

-- The policy rows of each sign-in, as 008_ca_policy_sets.sql made them, with the sign-in's tenant.
CREATE VIEW signin_ca_policies AS
SELECT s.id AS signin_id, p.policy_no, p.policy_id, p.display_name, p.result, p.enforced_grant_controls,
       p.enforced_session_controls, p.conditions_satisfied, p.conditions_not_satisfied,
       s.created_at AS signin_created_at, s.tenant_id
FROM signins AS s JOIN ca_policy_sets AS p ON p.ca_set = s.ca_set;
