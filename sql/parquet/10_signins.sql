-- The normalised sign-ins of [$since, $until), with the UTC day they were made on: the export
-- partitions by (tenant_id, day), so both columns move from the Parquet files into the folder names.
COPY (
    SELECT s.*, (s.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM signins s
    WHERE s.created_at >= $since AND s.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
