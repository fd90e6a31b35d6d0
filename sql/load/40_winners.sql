-- Merge the staged batch into the store: after its raw records (38_raw_records.sql), the versions that
-- win. Per sign-in id the most complete version wins (ties keep what is stored, so re-ingesting changes
-- nothing); the raw layer keeps every version. Then 43_remove_replaced.sql and 45_replace.sql.

-- Narrow on purpose: the wide staged rows are copied once, into signins. The stored versions are looked
-- for among the sign-ins of the batch's time span [$since, $until] only: every version of a sign-in
-- carries its time, and DuckDB then reads the blocks of that span instead of every id in the store
-- (a second a batch over 30 M stored sign-ins). A version stored outside the span breaks the primary
-- key on insert, and signins.ingest.load writes the batch again with the whole store as the span.
CREATE OR REPLACE TEMP TABLE winners AS
WITH best AS (
    SELECT rn, id, completeness FROM stg_signins
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY completeness DESC, record_key) = 1
),
stored AS (
    SELECT id, completeness FROM signins WHERE created_at BETWEEN $since AND $until
)
SELECT best.rn, best.id, stored.id IS NULL AS is_new
FROM best LEFT JOIN stored ON stored.id = best.id
WHERE stored.id IS NULL OR best.completeness > stored.completeness;
