-- Merge the staged batch into the store: after its raw records (38_raw_records.sql), the versions that
-- win. A sign-in is its tenant and its id; of its versions the one first in this order is kept:
--   1. the most complete (completeness: the fields and child rows it carries), then
--   2. the smaller version_hash (a hash of the version's text as it was loaded).
-- An order on what the versions are, not on when they arrived: loading the same files in any order, in
-- any batches, keeps the same versions. The same text read again ties with itself, and what is stored
-- stays (so does a version stored before there were hashes). The raw layer keeps every version.
-- Then 43_remove_replaced.sql and 45_replace.sql.

-- Narrow on purpose: the wide staged rows are copied once, into signins. The stored versions are looked
-- for among the sign-ins of the batch's time span [$since, $until] only: every version of a sign-in
-- carries its time, and DuckDB then reads the blocks of that span instead of every id in the store
-- (a second a batch over 30 M stored sign-ins). A version stored outside the span breaks the primary
-- key on insert, and signins.ingest.load writes the batch again with the whole store as the span.
CREATE OR REPLACE TEMP TABLE winners AS
WITH best AS (
    SELECT rn, tenant_id, id, completeness, version_hash FROM stg_signins
    QUALIFY row_number() OVER (PARTITION BY tenant_id, id ORDER BY completeness DESC, version_hash, record_key) = 1
),
stored AS (
    SELECT tenant_id, id, completeness, version_hash FROM signins WHERE created_at BETWEEN $since AND $until
)
SELECT best.rn, best.tenant_id, best.id, stored.id IS NULL AS is_new
FROM best LEFT JOIN stored ON stored.tenant_id = best.tenant_id AND stored.id = best.id
WHERE stored.id IS NULL
   OR best.completeness > stored.completeness
   OR (best.completeness = stored.completeness AND best.version_hash < stored.version_hash);
