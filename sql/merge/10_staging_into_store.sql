-- Merge a staging store, attached as `staging`, into the store (run inside one transaction).
-- The same rules as loading a batch (sql/load/40_winners.sql): the raw layer keeps every version; per
-- sign-in (tenant and id) the version first in the same total order wins, so merging a staging store
-- gives the store that loading its files directly would have given, and merging twice changes nothing.

INSERT INTO raw_files SELECT * FROM staging.raw_files ON CONFLICT DO NOTHING;
INSERT INTO raw_records SELECT * FROM staging.raw_records ON CONFLICT DO NOTHING;
INSERT INTO quarantine SELECT * FROM staging.quarantine ON CONFLICT DO NOTHING;
INSERT INTO ingest_log SELECT * FROM staging.ingest_log
WHERE ingest_id NOT IN (SELECT ingest_id FROM ingest_log);

CREATE OR REPLACE TEMP TABLE merge_winners AS
SELECT s.tenant_id, s.id, stored.id IS NULL AS is_new
FROM staging.signins AS s LEFT JOIN signins AS stored ON stored.tenant_id = s.tenant_id AND stored.id = s.id
WHERE stored.id IS NULL
   OR s.completeness > stored.completeness
   OR (s.completeness = stored.completeness AND s.version_hash < stored.version_hash);
CREATE OR REPLACE TEMP TABLE replaced AS SELECT tenant_id, id FROM merge_winners WHERE NOT is_new;

CREATE OR REPLACE TEMP TABLE released_ca_sets AS   -- for sql/ca_sets/drop_released.sql, run next
SELECT DISTINCT ca_set FROM signins SEMI JOIN replaced USING (tenant_id, id) WHERE ca_set IS NOT NULL;

DELETE FROM signins AS s USING replaced AS r WHERE s.tenant_id = r.tenant_id AND s.id = r.id;
DELETE FROM signin_auth_steps AS c USING replaced AS r WHERE c.tenant_id = r.tenant_id AND c.signin_id = r.id;
DELETE FROM signin_app_policy_evaluations AS c USING replaced AS r
WHERE c.tenant_id = r.tenant_id AND c.signin_id = r.id;
DELETE FROM signin_app_device_details AS c USING replaced AS r WHERE c.tenant_id = r.tenant_id AND c.signin_id = r.id;

INSERT INTO signins SELECT s.* FROM staging.signins AS s SEMI JOIN merge_winners USING (tenant_id, id);
INSERT INTO signin_auth_steps
SELECT c.* FROM staging.signin_auth_steps AS c
SEMI JOIN merge_winners AS w ON w.tenant_id = c.tenant_id AND w.id = c.signin_id;
INSERT INTO ca_policy_sets
SELECT * FROM staging.ca_policy_sets
WHERE ca_set IN (SELECT s.ca_set FROM staging.signins AS s SEMI JOIN merge_winners USING (tenant_id, id))
  AND ca_set NOT IN (SELECT ca_set FROM ca_policy_sets);
INSERT INTO signin_app_policy_evaluations
SELECT c.* FROM staging.signin_app_policy_evaluations AS c
SEMI JOIN merge_winners AS w ON w.tenant_id = c.tenant_id AND w.id = c.signin_id;
INSERT INTO signin_app_device_details
SELECT c.* FROM staging.signin_app_device_details AS c
SEMI JOIN merge_winners AS w ON w.tenant_id = c.tenant_id AND w.id = c.signin_id;

-- The pull's state: the staging store started from the store's watermarks and moved them on. The newest
-- sign-in seen only moves forward (as in sql/pull/30_commit_slice.sql), so that merging the partitions of
-- pulls run at once in the order they cover (flows/backfill.py) keeps it as pulling one after another does.
INSERT INTO pull_watermarks SELECT * FROM staging.pull_watermarks
ON CONFLICT (tenant_id, event_type) DO UPDATE SET
    window_start = excluded.window_start,
    window_end = excluded.window_end,
    committed_until = excluded.committed_until,
    max_created_at = greatest(pull_watermarks.max_created_at, excluded.max_created_at),
    updated_at = excluded.updated_at;
INSERT INTO pull_pages SELECT * FROM staging.pull_pages EXCEPT SELECT * FROM pull_pages;

-- The privileged accounts a pull listed (sql/privileged/replace.sql): what a source says of a tenant
-- replaces what it said before.
DELETE FROM privileged_accounts AS p
USING (SELECT DISTINCT tenant_id, source FROM staging.privileged_accounts) AS listed
WHERE p.tenant_id = listed.tenant_id AND p.source = listed.source;
INSERT INTO privileged_accounts SELECT * FROM staging.privileged_accounts
ON CONFLICT DO UPDATE SET roles = list_sort(list_distinct(list_concat(privileged_accounts.roles, excluded.roles))),
                          seen_at = excluded.seen_at;
