-- A child table lands beside its sign-in: tenant_id (as 10_signins.sql writes it) and day (UTC) are its sign-in's.
-- A row per sign-in and policy of its list, as the view signin_ca_policies has them.
COPY (
    SELECT s.id AS signin_id, p.* EXCLUDE (ca_set), nullif(s.tenant_id, '') AS tenant_id,
           (s.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM signins s
    JOIN ca_policy_sets p ON p.ca_set = s.ca_set
    WHERE s.created_at >= $since AND s.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
