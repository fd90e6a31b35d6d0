-- What a run that landed in the store ($run) added: sign-ins new to the store, and sign-ins it replaced
-- with a more complete version (their earlier versions are in displaced_signins until it is kept).
SELECT count(*) FILTER (WHERE d.id IS NULL) AS new_signins, count(d.id) AS updated_signins
FROM signins AS s
LEFT JOIN (SELECT tenant_id, id FROM displaced_signins WHERE run_name = $run) AS d USING (tenant_id, id)
WHERE loaded_at >= (SELECT started_at FROM runs WHERE run_name = $run)   -- lets DuckDB skip older blocks
  AND record_key IN (SELECT r.record_key FROM raw_records AS r
                     JOIN run_ingests AS i ON i.ingest_id = r.ingest_id AND i.run_name = $run
                     WHERE r.ingested_at >= (SELECT started_at FROM runs WHERE run_name = $run))
