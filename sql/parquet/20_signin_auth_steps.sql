-- A child table lands beside its sign-in: tenant_id (as 10_signins.sql writes it) and day (UTC) are its sign-in's.
COPY (
    SELECT c.* EXCLUDE (signin_created_at, tenant_id), nullif(s.tenant_id, '') AS tenant_id,
           (s.created_at AT TIME ZONE 'UTC')::DATE AS day
    FROM signin_auth_steps c
    JOIN signins s ON s.tenant_id = c.tenant_id AND s.id = c.signin_id
    WHERE s.created_at >= $since AND s.created_at < $until
) TO $path (FORMAT parquet, PARTITION_BY (tenant_id, day), COMPRESSION zstd);
