-- Seed a new staging store, attached as `staging`, with what the store knows of earlier runs: the
-- files already ingested (so they are skipped, not read again) and how far each pull has got.

INSERT INTO staging.ingest_log SELECT * FROM ingest_log WHERE NOT already_ingested;
INSERT INTO staging.pull_watermarks SELECT * FROM pull_watermarks;
