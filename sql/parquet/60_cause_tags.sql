-- Cause tags land beside their sign-ins: tenant_id as 10_signins.sql writes it, and the sign-in's UTC day.
COPY (
    SELECT t.* REPLACE (nullif(t.tenant_id, '') AS tenant_id), (t.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM cause_tags t
    WHERE t.created_at >= $since AND t.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
