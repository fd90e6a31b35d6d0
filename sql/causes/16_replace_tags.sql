-- Replace one bucket's tags with the new ones (registered as new_tags): for each pending user, the tags of
-- the sign-ins from retag_from on (05_pending_users.sql; all of them in a full re-tag). The older sign-ins
-- were read as context only, and their tags stay as they are.
CREATE OR REPLACE TEMP TABLE kept_tags AS
SELECT n.* FROM new_tags AS n JOIN pending_users AS p USING (tenant_id, user_key)
WHERE p.retag_from IS NULL OR n.created_at >= p.retag_from;

DELETE FROM cause_tags AS t USING pending_users AS p
WHERE t.tenant_id = p.tenant_id AND t.user_key = p.user_key AND hash(p.user_key) % $buckets = $bucket
  AND (p.retag_from IS NULL OR t.created_at >= p.retag_from);
-- a sign-in whose new version moved in time (or to another user)
DELETE FROM cause_tags AS t USING kept_tags AS k WHERE t.tenant_id = k.tenant_id AND t.signin_id = k.signin_id;

INSERT INTO cause_tags BY NAME SELECT * FROM kept_tags;
