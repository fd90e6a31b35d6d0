-- Cause tags carry no tenant: it comes from the tagged sign-in (a tag whose sign-in is gone keeps
-- its row, under tenant_id=__HIVE_DEFAULT_PARTITION__). The day is the sign-in's UTC day.
COPY (
    SELECT t.*, s.tenant_id, (t.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM cause_tags t
    LEFT JOIN signins s ON s.id = t.signin_id
    WHERE t.created_at >= $since AND t.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
