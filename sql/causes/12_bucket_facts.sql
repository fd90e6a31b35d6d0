-- Every pending user's facts (the view of 10_signin_facts.sql), built once with each row's tagging bucket
-- (the hash of the user: a user's whole history falls in one bucket), so that each bucket reads its slice
-- (14_bucket_facts_slice.sql) instead of aggregating the child tables of the whole store again.
-- Not sorted by bucket: sorting these wide rows did not spill, and ran out of a 2 GB memory limit.
-- The joins build their hash tables on the narrow side as written (the per-sign-in aggregates): left to
-- itself, DuckDB built them on the wide sign-in rows, whose count it estimates lower, and took longer.
SET disabled_optimizers = 'build_side_probe_side';
CREATE OR REPLACE TEMP TABLE bucket_facts AS
SELECT hash(user_key) % $buckets AS bucket, * FROM signin_facts;
RESET disabled_optimizers;
