-- A child table lands beside its sign-in: tenant_id and day (UTC) come from the sign-in it belongs to.
COPY (
    SELECT c.* EXCLUDE (signin_created_at), s.tenant_id, (s.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM signin_app_policy_evaluations c
    JOIN signins s ON s.id = c.signin_id
    WHERE s.created_at >= $since AND s.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
