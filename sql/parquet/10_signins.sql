-- The normalised sign-ins of [$since, $until), with the UTC day they were made on: the export
-- partitions by (tenant_id, day), so both columns move from the Parquet files into the folder names.
-- A sign-in of no known tenant ('' in the store) lands under tenant_id=__HIVE_DEFAULT_PARTITION__.
COPY (
    SELECT s.* REPLACE (nullif(s.tenant_id, '') AS tenant_id), (s.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM signins s
    WHERE s.created_at >= $since AND s.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
